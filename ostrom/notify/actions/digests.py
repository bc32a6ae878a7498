"""Digests: one message per member per period (a local day or week) with what matters to them, assembled from
the sections apps register. The message's dedupe key names the member and the period, so the task may run twice,
or on two workers at once, and the member still gets one digest."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ostrom.communities.domain import Status
from ostrom.communities.models import Community, Member
from ostrom.notify import registry
from ostrom.notify.domain import quiet_hours, sms_text

from ..models import Channel, DigestFrequency, NotificationSettings
from . import outbox

logger = logging.getLogger(__name__)

DIGEST_KIND = "notify.digest"
# A period's digest goes out from this local hour after it ends: in the morning, not at midnight.
SEND_FROM_HOUR = 7
# Members looked at in one run; the rest wait for the next tick, a minute later.
MEMBERS_PER_RUN = 500
MAX_LINES_PER_SECTION = 20
MAX_LINE_CHARS = 300
FREQUENCIES = (DigestFrequency.DAILY, DigestFrequency.WEEKLY)


def send_digests(now: datetime | None = None, limit: int = MEMBERS_PER_RUN) -> int:
    """Write the digest of the period just ended for up to ``limit`` active members whose digest is due (nothing
    for a member whose sections are all empty); returns how many digests were written."""
    now = now or timezone.now()
    sections = sorted(registry.digest_sections(), key=lambda s: (s.order, s.key))
    written = looked = 0
    for community in Community.objects.order_by("pk").iterator():
        zone = ZoneInfo(community.time_zone)
        for frequency in FREQUENCIES:
            start, end, label, due_since = _due_period(now, zone, frequency)
            for member in _due_members(community, frequency, due_since)[: limit - looked]:
                looked += 1
                written += _send_one(member, frequency, start, end, label, sections, now)
            if looked >= limit:
                return written
    return written


def _due_period(now: datetime, zone: ZoneInfo, frequency: str) -> tuple[datetime, datetime, str, datetime]:
    """The last period whose digest may go by ``now`` (start, end, label), and the moment it could first go."""
    # Python subtracts wall-clock time within one zone, which is what "07:00 local" means across a clock change.
    shifted = now.astimezone(zone) - timedelta(hours=SEND_FROM_HOUR)
    current_start, _, _ = quiet_hours.digest_period(shifted, frequency)
    start, end, label = quiet_hours.digest_period(current_start - timedelta(microseconds=1), frequency)
    return start, end, label, current_start + timedelta(hours=SEND_FROM_HOUR)


def _due_members(community: Community, frequency: str, due_since: datetime):
    settings_due = Q(notification_settings__digest_frequency=frequency) & (
        Q(notification_settings__last_digest_at__isnull=True) | Q(notification_settings__last_digest_at__lt=due_since)
    )
    if frequency == NotificationSettings._meta.get_field("digest_frequency").default:
        settings_due |= Q(notification_settings__isnull=True)  # never changed their settings: the default applies
    return (
        Member.objects.filter(community=community, status=Status.ACTIVE, user__is_active=True,
                              user__erased_at__isnull=True)
        .filter(settings_due)
        .select_related("user", "community", "notification_settings")
        .order_by("pk")
    )  # fmt: skip


def _send_one(member: Member, frequency: str, start: datetime, end: datetime, label: str, sections, now) -> int:
    """Write one member's digest (if anything happened) and note that their period is done; 1 if written."""
    parts = [(section.title, lines) for section in sections if (lines := _lines(section, member, start, end))]
    written = 0
    with transaction.atomic():
        row, _ = NotificationSettings.objects.get_or_create(member=member)
        route = outbox.address_for(member.user, row.digest_channel) if parts else None
        if route is not None:
            channel, address = route
            subject, body = _email(member, frequency, start, end, parts)
            send_after = None
            if channel == Channel.SMS:
                subject, body = "", _sms(member, label, parts)
                send_after = outbox.after_quiet_hours(member, now)
            message = outbox.enqueue(
                channel=channel, to_address=address, kind=DIGEST_KIND, subject=subject, body=body,
                community=member.community, member=member, user=member.user,
                dedupe_key=f"digest:{member.pk}:{label}", send_after=send_after,
            )  # fmt: skip
            written = int(message is not None)
        NotificationSettings.objects.filter(pk=row.pk).update(last_digest_at=now)
    return written


def _lines(section, member: Member, start: datetime, end: datetime) -> list[str]:
    """A section's lines, trimmed; a section that fails is left out (and logged) rather than stopping digests."""
    try:
        lines = [" ".join(str(line).split()) for line in section.build(member, start, end)]
    except Exception:
        logger.exception("Digest section %s failed for member %s", section.key, member.pk)
        return []
    lines = [line[:MAX_LINE_CHARS] for line in lines if line]
    if len(lines) > MAX_LINES_PER_SECTION:
        more = len(lines) - MAX_LINES_PER_SECTION + 1
        lines = [*lines[: MAX_LINES_PER_SECTION - 1], f"and {more} more"]
    return lines


def _email(member: Member, frequency: str, start: datetime, end: datetime, parts) -> tuple[str, str]:
    community = member.community
    if frequency == DigestFrequency.DAILY:
        span, every = f"on {_day(start)}", "every day"
    else:
        span, every = f"in the week of {_day(start)} to {_day(end - timedelta(days=1))}", "every week"
    subject = f"Your {frequency} digest from {community.name}"
    blocks = [f"Hello {member.display_name},", f"Here is what happened for you in {community.name} {span}."]
    blocks += [title + "\n" + "\n".join(f"- {line}" for line in lines) for title, lines in parts]
    blocks.append(f"You get this digest {every}. You can change that in your notification settings.")
    return subject, "\n\n".join(blocks)[: outbox.MAX_BODY_CHARS]


def _sms(member: Member, label: str, parts) -> str:
    """Compact and plain GSM-7, so no curly quote doubles the cost; enqueue cuts it to a few parts."""
    text = f"{member.community.name} digest {label}. " + " ".join(
        f"{title}: {'; '.join(lines)}." for title, lines in parts
    )
    return sms_text.to_gsm7(text)[: outbox.MAX_BODY_CHARS]


def _day(moment: datetime) -> str:
    return f"{moment:%A} {moment.day} {moment:%B}"
