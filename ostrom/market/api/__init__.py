"""The marketplace's API endpoints, one router a part, gathered here for config/api.py."""

from ninja import Router

from . import events, exchanges, listings, moderation, search, volunteering

router = Router(tags=["market"])
for part in (listings, search, exchanges, volunteering, events, moderation):
    router.add_router("", part.router)
