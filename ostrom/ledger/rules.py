"""The ledger rules a community can change (later through its own decisions), read through one accessor."""

from __future__ import annotations

from dataclasses import dataclass

from ostrom.communities.models import Community


@dataclass(frozen=True)
class LedgerRules:
    request_auto_accept_hours: int = 72
    request_expiry_days: int = 14
    hold_expiry_hours: int = 168


def rules_for(community: Community) -> LedgerRules:
    """The community's ledger rules, or the defaults where it has not set any."""
    from .models import LedgerSettings

    settings = LedgerSettings.objects.filter(community=community).first()
    if settings is None:
        return LedgerRules()
    return LedgerRules(settings.request_auto_accept_hours, settings.request_expiry_days, settings.hold_expiry_hours)
