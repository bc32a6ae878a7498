"""The marketplace's SMS commands, one module a part, registered with notify from MarketConfig.ready()."""

from . import events, exchanges, listings, search


def register() -> None:
    for part in (listings, search, exchanges, events):
        part.register()
