"""Rotas by text message: ``SHIFTS`` lists the sender's next shifts (team, what, when), the same list the team's
page and the digest show. Swapping needs a choice of who takes what, so it stays on the web."""

from __future__ import annotations

from django.utils import timezone

from ostrom.communities.domain import DomainError
from ostrom.ledger.notices import short
from ostrom.notify import registry
from ostrom.notify.domain.sms_commands import CommandSpec, ParsedCommand
from ostrom.notify.registry import SmsCommand, SmsContext, SmsReply

from ..access import rotas as access
from ..actions.rotas import UPCOMING
from ..notices.rotas import when

SHIFTS = CommandSpec("SHIFTS", aliases=("ROTA",), summary="your next shifts")
# Three shifts fit one text with their times; the team's page has the rest.
MAX_LISTED = 3


def register() -> None:
    """Add SHIFTS to notify's registry; safe to call twice."""
    registry.register_command(SmsCommand(SHIFTS, my_shifts))


def my_shifts(context: SmsContext, command: ParsedCommand) -> SmsReply:
    """SHIFTS: the sender's next three shifts in any team of their community."""
    member = context.member
    if member is None:  # the dispatcher only calls member commands for members; this is a guard
        raise DomainError("member_unknown", "This number is not linked to a member.")
    now = timezone.now()
    upcoming = list(access.upcoming_assignments(member, now, now + UPCOMING)[:MAX_LISTED])
    if not upcoming:
        return SmsReply("You have no shifts coming up.")
    lines = [
        f"{when(a.shift.starts_at, member)} {short(a.shift.title, 30)} ({short(a.shift.team.name, 20)})"
        for a in upcoming
    ]
    return SmsReply("Your next shifts: " + "; ".join(lines))
