"""What rotas tell people: a reminder the day before a shift, an alert to the team about a shift short of people
(with why nobody could take it), that someone took the shift you offered; and the digest's "Your upcoming shifts".
Notices are written to notify's outbox inside the action's transaction and sent after it commits."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.urls import reverse

from ostrom.communities.models import Member
from ostrom.ledger.notices import fit_memo, short
from ostrom.notify import registry
from ostrom.notify.actions import outbox
from ostrom.notify.registry import DigestSection, MessageKind

from ..models import Shift, ShiftAssignment, SwapRequest

SHIFT_REMINDER = MessageKind("commons.shift_reminder", "A reminder of your shift the day before", default_channel="sms")
SHIFT_UNFILLED = MessageKind("commons.shift_unfilled", "A shift in your team needs someone", default_channel="sms")
SWAP_TAKEN = MessageKind("commons.shift_swap_taken", "Someone took the shift you offered", default_channel="sms")
KINDS = (SHIFT_REMINDER, SHIFT_UNFILLED, SWAP_TAKEN)
UPCOMING_SECTION = "commons.upcoming_shifts"
# The digest looks a week ahead and lists at most this many shifts: the team's page has the rest.
UPCOMING_WINDOW = timedelta(days=7)
MAX_UPCOMING = 7
MAX_TITLE_CHARS = 50


def register() -> None:
    """Add this part's message kinds and the "Your upcoming shifts" digest section to notify's registry."""
    for kind in KINDS:
        registry.register_kind(kind)
    registry.register_digest_section(DigestSection(UPCOMING_SECTION, "Your upcoming shifts", 62, upcoming_lines))


def when(moment: datetime, member: Member) -> str:
    """A time as the community reads it: "Saturday 14 June, 10:00"."""
    local = moment.astimezone(ZoneInfo(member.community.time_zone))
    return f"{local:%A} {local.day} {local:%B}, {local:%H:%M}"


def _team_page(shift: Shift, member: Member) -> str:
    return reverse("commons-team", kwargs={"slug": member.community.slug, "team_slug": shift.team.slug})


def shift_reminder(assignment: ShiftAssignment) -> None:
    """The day before: where and when, and how to find someone else if they can't."""
    shift, member = assignment.shift, assignment.member
    at = when(shift.starts_at, member)
    subject = f"Tomorrow: {shift.title} ({shift.team.name})"
    body = (
        f"Hello {member.display_name},\n\nA reminder that you are on “{shift.title}” for {shift.team.name} on {at}."
        f"\nIf you can't do it, offer it to the team on the team's page ({_team_page(shift, member)})."
    )
    sms = fit_memo("Reminder: you're on '", shift.title, f"' ({short(shift.team.name, 30)}) {at}. Text SHIFTS to list.")
    outbox.notify(
        member, SHIFT_REMINDER.key, subject=subject, body=body, sms_body=sms,
        dedupe_key=f"commons.shift_reminder:{assignment.pk}:{member.pk}:{int(shift.starts_at.timestamp())}",
    )  # fmt: skip


def shift_unfilled(shift: Shift, member: Member, missing: int, reason: str) -> None:
    """Tell one team member that a shift is short of people, and why nobody could be put on it."""
    at = when(shift.starts_at, member)
    people = "someone" if missing == 1 else f"{missing} more people"
    subject = f"{shift.team.name}: {shift.title} on {at} needs {people}"
    body = (
        f"Hello {member.display_name},\n\n“{shift.title}” on {at} needs {people}. {reason}\n"
        f"If you can do it, take it on the team's page ({_team_page(shift, member)})."
    )
    sms = fit_memo(f"{short(shift.team.name, 30)}: '", shift.title, f"' {at} needs {people}. {reason}", budget=306)
    outbox.notify(
        member, SHIFT_UNFILLED.key, subject=subject, body=body, sms_body=sms,
        dedupe_key=f"commons.shift_unfilled:{shift.pk}:{member.pk}:{shift.unfilled_alerted_at:%Y%m%d%H%M%S}",
    )  # fmt: skip


def swap_taken(swap: SwapRequest, giver: Member, taker: Member) -> None:
    """Tell the member who offered a shift who took it (and, for a trade, which shift is now theirs)."""
    shift = swap.assignment.shift
    at = when(shift.starts_at, giver)
    if swap.in_exchange_for_id:
        other = swap.in_exchange_for.shift
        said = f"{taker.display_name} agreed to trade: they do “{shift.title}” on {at}, and you do “{other.title}” on "
        said += f"{when(other.starts_at, giver)}."
    else:
        said = f"{taker.display_name} took “{shift.title}” on {at}, so you are off it."
    body = f"Hello {giver.display_name},\n\n{said}"
    sms = fit_memo(f"{short(taker.display_name, 30)} took '", shift.title, f"' {at}. You're off it.")
    if swap.in_exchange_for_id:
        sms = fit_memo(
            f"{short(taker.display_name, 30)} agreed your trade for '", shift.title, "'. Text SHIFTS to list."
        )
    outbox.notify(giver, SWAP_TAKEN.key, subject=f"Swap done: {shift.title}", body=body, sms_body=sms)


def upcoming_lines(member: Member, start: datetime, end: datetime) -> list[str]:
    """The member's shifts in the week after the digest, soonest first."""
    assignments = (
        ShiftAssignment.objects.filter(
            member=member, shift__starts_at__gte=end, shift__starts_at__lt=end + UPCOMING_WINDOW
        )
        .select_related("shift__team")
        .order_by("shift__starts_at", "pk")[:MAX_UPCOMING]
    )
    return [
        f"{when(a.shift.starts_at, member)}: {short(a.shift.title, MAX_TITLE_CHARS)} "
        f"({short(a.shift.team.name, MAX_TITLE_CHARS)})."
        for a in assignments
    ]
