"""API: assets (being built)."""

from ninja import Router

router = Router(tags=["commons: assets"])

# The statuses this part's DomainError codes answer with (see api/__init__.py); every other code is a 400.
ERROR_STATUS: dict[str, int] = {}
