"""What the marketplace tells people (message kinds) and puts in digests, one module a part, registered with notify
from MarketConfig.ready()."""

from . import events, exchanges, moderation, search, volunteering


def register() -> None:
    for part in (exchanges, search, events, volunteering, moderation):
        part.register()
