"""What events tell people: a place came free for someone on the waiting list, an event was cancelled; and the
digest's "Events coming up". Notices are written to notify's outbox inside the action's transaction."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.urls import reverse

from ostrom.communities.models import Member
from ostrom.ledger.notices import fit_memo, short
from ostrom.notify import registry
from ostrom.notify.actions import outbox
from ostrom.notify.registry import DigestSection, MessageKind

from ..models import Event, EventStatus, Rsvp, RsvpStatus

WAITLIST_PROMOTED = MessageKind(
    "market.event_waitlist_promoted", "A place came free for you at an event", default_channel="sms"
)
EVENT_CANCELLED = MessageKind("market.event_cancelled", "An event you answered was cancelled", default_channel="sms")
KINDS = (WAITLIST_PROMOTED, EVENT_CANCELLED)
COMING_UP_SECTION = "market.events_coming_up"
# The digest looks this far ahead, and lists at most this many events: the events page has the rest.
COMING_UP_WINDOW = timedelta(days=14)
MAX_COMING_UP = 5
MAX_TITLE_CHARS = 50


def register() -> None:
    """Add this part's message kinds and the "Events coming up" digest section to notify's registry."""
    for kind in KINDS:
        registry.register_kind(kind)
    registry.register_digest_section(DigestSection(COMING_UP_SECTION, "Events coming up", 60, coming_up_lines))


def when(moment: datetime, member: Member) -> str:
    """A time as the community reads it: "Saturday 14 June, 10:00"."""
    local = moment.astimezone(ZoneInfo(member.community.time_zone))
    return f"{local:%A} {local.day} {local:%B}, {local:%H:%M}"


def waitlist_promoted(event: Event, member: Member) -> None:
    """Tell someone on the waiting list they now have a place, and how to give it up if they can't come."""
    at = when(event.starts_at, member)
    page = reverse("market_event", kwargs={"slug": member.community.slug, "event_id": event.pk})
    subject = f"A place came free for you: {event.title}"
    body = (
        f"Hello {member.display_name},\n\nA place came free at “{event.title}” on {at} at {event.place}, and it is "
        f"yours: you are now going.\nIf you can't come after all, say so on the event's page ({page}) or text "
        f"RSVP {event.rsvp_code} NO, so the next person can have it."
    )
    sms = fit_memo("A place came free for you at '", event.title, f"' {at}. Can't come? Text RSVP {event.rsvp_code} NO")
    outbox.notify(member, WAITLIST_PROMOTED.key, subject=subject, body=body, sms_body=sms)


def event_cancelled(event: Event, member: Member) -> None:
    """Tell someone going or waiting that the event is off, with the host's reason."""
    at = when(event.starts_at, member)
    subject = f"Cancelled: {event.title}"
    said = f"“{event.title}” on {at} has been cancelled."
    if event.cancel_reason:
        said += f"\nThe host said: “{event.cancel_reason}”"
    body = f"Hello {member.display_name},\n\n{said}"
    sms = fit_memo("Cancelled: '", event.title, f"' {at}.")
    outbox.notify(member, EVENT_CANCELLED.key, subject=subject, body=body, sms_body=sms)


def coming_up_lines(member: Member, start: datetime, end: datetime) -> list[str]:
    """Scheduled events in the member's community starting within two weeks of the digest, soonest first."""
    events = list(
        Event.objects.filter(
            community_id=member.community_id,
            status=EventStatus.SCHEDULED,
            starts_at__gte=end,
            starts_at__lt=end + COMING_UP_WINDOW,
        ).order_by("starts_at", "pk")[:MAX_COMING_UP]
    )
    answers = dict(Rsvp.objects.filter(member=member, event__in=events).values_list("event_id", "status"))
    return [_coming_up_line(event, answers.get(event.pk), member) for event in events]


def _coming_up_line(event: Event, answer: str | None, member: Member) -> str:
    title = short(event.title, MAX_TITLE_CHARS)
    line = f"{when(event.starts_at, member)}: {title}, {short(event.place, MAX_TITLE_CHARS)}."
    if answer == RsvpStatus.GOING:
        return f"{line} You are going."
    if answer == RsvpStatus.WAITLISTED:
        return f"{line} You are on the waiting list."
    if event.places_left == 0:
        return f"{line} Full: text RSVP {event.rsvp_code} to join the waiting list."
    left = "" if event.places_left is None else f" {event.places_left} places left."
    return f"{line}{left} Text RSVP {event.rsvp_code} to go."
