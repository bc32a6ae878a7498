"""The commons' API endpoints, one router a part, gathered here for config/api.py, with the HTTP statuses their
DomainError codes answer with (403 about who asks, 404 about what the community does not have, 409 about how
things stand now; any other code is a 400)."""

from ninja import Router

from . import allocation, assets, bookings, rotas, travelling

PARTS = (assets, bookings, allocation, travelling, rotas)

router = Router(tags=["commons"])
for part in PARTS:
    router.add_router("", part.router)


def _error_statuses() -> dict[str, int]:
    statuses: dict[str, int] = {}
    for part in PARTS:
        for code, status in getattr(part, "ERROR_STATUS", {}).items():
            if statuses.setdefault(code, status) != status:
                raise ValueError(f"Two commons API parts answer {code} with different statuses.")
    return statuses


ERROR_STATUS = _error_statuses()
