"""The marketplace's API endpoints (added to config/api.py's NinjaAPI)."""

from ninja import Router

router = Router(tags=["market"])
