"""What travelling services tell people: when the service visits the place where they registered a need, sent
once each time the schedule is published (and again, with what changed, when it is republished)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from django.urls import reverse

from ostrom.communities.models import Member
from ostrom.ledger.notices import fit_memo, short
from ostrom.notify import registry
from ostrom.notify.actions import outbox
from ostrom.notify.registry import MessageKind

VISITS_PUBLISHED = MessageKind(
    "commons.travelling_visits", "When a travelling service visits your place", default_channel="sms"
)
KINDS = (VISITS_PUBLISHED,)
MAX_PLACE_CHARS = 30


def register() -> None:
    """Add this part's message kinds to notify's registry."""
    for kind in KINDS:
        registry.register_kind(kind)


def visit_time(moment: datetime, member: Member) -> str:
    """A visit as the community reads it: "Tue 6 Jan 10:00"."""
    local = moment.astimezone(ZoneInfo(member.community.time_zone))
    return f"{local:%a} {local.day} {local:%b} {local:%H:%M}"


def visits_published(
    service, place, member: Member, starts: Sequence[datetime], published_at: datetime, changed: bool
) -> None:
    """Tell someone who registered a need at ``place`` the dates the service will come there."""
    page = reverse("commons-service", kwargs={"slug": member.community.slug, "service_slug": service.slug})
    dates = [visit_time(start, member) for start in starts]
    where = f"{place.name} ({place.stop})" if place.stop else place.name
    listed = "\n".join(f"- {date}" for date in dates) or "- no visits in this period"
    what = "The timetable has changed." if changed else "The timetable is out."
    subject = f"{service.name}: visits to {place.name}"
    body = (
        f"Hello {member.display_name},\n\n{what} {service.name} will stop at {where} on:\n{listed}\n\n"
        f"Why your place has this many visits: {page}"
    )
    sms = fit_memo(
        f"{short(service.name, MAX_PLACE_CHARS)} at {short(place.name, MAX_PLACE_CHARS)}: ",
        ", ".join(dates) or "no visits",
        f". {page}",
    )
    outbox.notify(
        member, VISITS_PUBLISHED.key, subject=subject, body=body, sms_body=sms,
        dedupe_key=f"commons.travelling:{service.pk}:{int(published_at.timestamp() * 1000)}:{member.pk}",
    )  # fmt: skip
