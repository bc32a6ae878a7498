"""What the commons tells people (message kinds) and puts in digests, one module a part, registered with notify
from CommonsConfig.ready()."""

from . import allocation, bookings, rotas, travelling


def register() -> None:
    for part in (bookings, allocation, travelling, rotas):
        part.register()
