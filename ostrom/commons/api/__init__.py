"""The commons' API endpoints, one router a part, gathered here for config/api.py, with the HTTP statuses their
DomainError codes answer with (403 about who asks, 404 about what the community does not have, 409 about how
things stand now; any other code is a 400)."""

from ninja import Router

from ostrom.communities.api import merged_error_statuses

from . import allocation, assets, bookings, rotas, travelling

PARTS = (assets, bookings, allocation, travelling, rotas)

router = Router(tags=["commons"])
for part in PARTS:
    router.add_router("", part.router)


ERROR_STATUS = merged_error_statuses("commons", PARTS)
