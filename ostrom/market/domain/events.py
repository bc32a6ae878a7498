"""Events' rules as plain functions: what an event must look like, whether an RSVP gets a place or waits, the
short code people text back, and when the host may take attendance. No ORM, no request."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from ostrom.communities.domain import DomainError

from .volunteering import check_text, check_whole

EVENT_TITLE_MAX_CHARS = 120
EVENT_DESCRIPTION_MAX_CHARS = 4000
PLACE_MAX_CHARS = 120
WALK_IN_NAME_MAX_CHARS = 80
CANCEL_REASON_MAX_CHARS = 500
MAX_CAPACITY = 100_000
# An event is an afternoon or a weekend, not a season; a longer one is a typing mistake.
MAX_EVENT_LENGTH = timedelta(days=14)
# Events are planned for the coming months; two years ahead is surely a mistaken year.
MAX_DAYS_AHEAD = timedelta(days=2 * 366)
# The register stays open for a while after the event, for a host who fills it in the next day.
ATTENDANCE_WINDOW = timedelta(days=14)
# Texted back in RSVP <code>. No 0/O, 1/I/L or 5/S: they are misread on small screens and in handwriting.
RSVP_CODE_ALPHABET = "ABCDEFGHJKMNPQRTUVWXYZ2346789"
RSVP_CODE_CHARS = 5
# How someone says "not going" in RSVP <code> NO.
NO_WORDS = frozenset({"NO", "N", "NOT", "CANCEL", "OFF"})
YES_WORDS = frozenset({"YES", "Y", "GOING", "OK"})


@dataclass(frozen=True)
class EventFields:
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    place: str
    capacity: int | None


def check_event(fields: EventFields, now: datetime) -> EventFields:
    """An event as it may be created: texts trimmed, starting in the future, ending after it starts, a sensible
    capacity (None is no limit). Raises DomainError."""
    title = check_text(fields.title, field="title", max_chars=EVENT_TITLE_MAX_CHARS, required=True, what="a title")
    description = check_text(
        fields.description,
        field="description",
        max_chars=EVENT_DESCRIPTION_MAX_CHARS,
        required=True,
        what="what will happen",
    )
    place = check_text(fields.place, field="place", max_chars=PLACE_MAX_CHARS, required=True, what="where it is")
    if fields.starts_at <= now:
        raise DomainError("date_in_past", "The start has already passed. Choose a time in the future.", "starts_at")
    if fields.starts_at > now + MAX_DAYS_AHEAD:
        raise DomainError("date_too_far", "The start is more than two years away. Check the year.", "starts_at")
    if fields.ends_at <= fields.starts_at:
        raise DomainError("ends_before_start", "The end must be after the start.", "ends_at")
    if fields.ends_at - fields.starts_at > MAX_EVENT_LENGTH:
        raise DomainError("event_too_long", "An event can last at most 14 days. Check the end.", "ends_at")
    if fields.capacity is not None:
        check_whole(
            fields.capacity,
            field="capacity",
            low=1,
            high=MAX_CAPACITY,
            message=f"Give the number of places, from 1 to {MAX_CAPACITY:,}, or leave it blank for no limit.",
        )
    return EventFields(title, description, fields.starts_at, fields.ends_at, place, fields.capacity)


def has_room(capacity: int | None, going: int) -> bool:
    """Whether one more person can be going."""
    return capacity is None or going < capacity


def promotions(capacity: int | None, going: int, waiting: int) -> int:
    """How many people from the front of the waiting list get a place now."""
    free = waiting if capacity is None else max(capacity - going, 0)
    return min(free, waiting)


def check_rsvp_open(*, cancelled: bool, starts_at: datetime, now: datetime) -> None:
    """People answer while the event is still to come and not called off."""
    if cancelled:
        raise DomainError("event_cancelled", "This event has been cancelled.")
    if starts_at <= now:
        raise DomainError("event_started", "This event has already started, so answers are closed.")


def check_attendance_open(*, cancelled: bool, starts_at: datetime, now: datetime) -> None:
    """The register opens when the event starts and closes two weeks later."""
    if cancelled:
        raise DomainError("event_cancelled", "This event was cancelled, so there is no register to take.")
    if now < starts_at:
        raise DomainError("event_not_started", "You can take attendance once the event has started.")
    if now > starts_at + ATTENDANCE_WINDOW:
        raise DomainError("register_closed", "The register closes two weeks after the event.")


def new_rsvp_code() -> str:
    """A random code of RSVP_CODE_CHARS characters that is easy to read and type on a phone."""
    return "".join(secrets.choice(RSVP_CODE_ALPHABET) for _ in range(RSVP_CODE_CHARS))


def rsvp_answer(word: str | None) -> bool:
    """Whether ``RSVP <code> [word]`` means going (no word, or YES) or not going (NO). Raises for anything else."""
    if word is None:
        return True
    folded = word.strip().upper()
    if folded in YES_WORDS:
        return True
    if folded in NO_WORDS:
        return False
    raise DomainError("rsvp_answer_unknown", "Send RSVP and the code to go, or RSVP, the code and NO if you can't.")
