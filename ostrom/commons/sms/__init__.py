"""The commons' SMS commands, one module a part, registered with notify from CommonsConfig.ready()."""

from . import bookings, rotas


def register() -> None:
    for part in (bookings, rotas):
        part.register()
