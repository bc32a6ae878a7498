"""Volunteering's rules as plain functions: what a role and a log of hours must look like, when a role is filled,
and how an employer's pledge stands. No ORM, no request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ostrom.communities.domain import DomainError
from ostrom.ledger.domain.amounts import format_amount

ROLE_TITLE_MAX_CHARS = 120
ROLE_DESCRIPTION_MAX_CHARS = 4000
PLACE_MAX_CHARS = 120
NOTE_MAX_CHARS = 1000
ANSWER_MAX_CHARS = 500
LOG_NOTE_MAX_CHARS = 200
MAX_MINUTES_PER_WEEK = 40 * 60
MAX_LOG_MINUTES = 24 * 60
MAX_VOLUNTEERS_NEEDED = 1000
MAX_PLEDGE_MINUTES = 60 * 1_000_000
FIRST_PLEDGE_YEAR = 2000
LAST_PLEDGE_YEAR = 2100
# Hours are logged while memories are fresh; a log older than this is a correction for a coordinator to make
# in the ledger, with a reason, not a log.
MAX_LOG_AGE_DAYS = 366
# A role is posted for the coming months, not decades: a start beyond this is a typing mistake.
MAX_ROLE_START_DAYS = 2 * 366


def check_text(value: str, *, field: str, max_chars: int, required: bool, what: str) -> str:
    """``value`` trimmed; refused when empty (if required), too long, or holding a NUL (PostgreSQL can't store it)."""
    value = (value or "").strip()
    if required and not value:
        raise DomainError(f"{field}_required", f"Enter {what}.", field)
    if len(value) > max_chars:
        raise DomainError(f"{field}_too_long", f"Keep {what} to {max_chars:,} characters or fewer.", field)
    if "\x00" in value:
        raise DomainError("text_has_null_character", "Remove the invisible NUL character from the text.", field)
    return value


@dataclass(frozen=True)
class RoleFields:
    title: str
    description: str
    minutes_per_week: int
    volunteers_needed: int
    place: str
    starts_on: date
    ends_on: date | None


def check_role(fields: RoleFields, today: date) -> RoleFields:
    """A role as it may be posted: its texts trimmed, its time and dates sensible. Raises DomainError."""
    title = check_text(fields.title, field="title", max_chars=ROLE_TITLE_MAX_CHARS, required=True, what="a title")
    description = check_text(
        fields.description,
        field="description",
        max_chars=ROLE_DESCRIPTION_MAX_CHARS,
        required=True,
        what="what the volunteer will do",
    )
    place = check_text(fields.place, field="place", max_chars=PLACE_MAX_CHARS, required=False, what="the place")
    check_whole(
        fields.minutes_per_week,
        field="minutes_per_week",
        low=1,
        high=MAX_MINUTES_PER_WEEK,
        message=f"Give the time a week between 1 minute and {hours(MAX_MINUTES_PER_WEEK)}.",
    )
    check_whole(
        fields.volunteers_needed,
        field="volunteers_needed",
        low=1,
        high=MAX_VOLUNTEERS_NEEDED,
        message=f"Say how many volunteers you need: from 1 to {MAX_VOLUNTEERS_NEEDED:,}.",
    )
    if fields.ends_on is not None and fields.ends_on < today:
        raise DomainError("date_in_past", "The last day has already passed. Choose a later day.", "ends_on")
    if fields.ends_on is not None and fields.ends_on < fields.starts_on:
        raise DomainError("ends_before_start", "The last day must be on or after the first day.", "ends_on")
    if fields.starts_on > today + timedelta(days=MAX_ROLE_START_DAYS):
        raise DomainError("date_too_far", "The first day is more than two years away. Check the year.", "starts_on")
    return RoleFields(
        title, description, fields.minutes_per_week, fields.volunteers_needed, place, fields.starts_on, fields.ends_on
    )


def check_whole(value: int, *, field: str, low: int, high: int, message: str) -> int:
    """A whole number (never a bool or a float) from ``low`` to ``high``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DomainError(f"invalid_{field}", message, field)
    return value


def check_log(minutes: int, worked_on: date, today: date) -> None:
    """Hours worked on one day: more than nothing, at most a day, not in the future, not long ago."""
    check_whole(
        minutes,
        field="minutes",
        low=1,
        high=MAX_LOG_MINUTES,
        message=f"Give the time worked: at least 1 minute and at most {hours(MAX_LOG_MINUTES)} in a day.",
    )
    if worked_on > today:
        raise DomainError("date_in_future", "Hours can only be logged for today or a day that has passed.", "worked_on")
    if worked_on < today - timedelta(days=MAX_LOG_AGE_DAYS):
        raise DomainError(
            "date_too_old", "That day is more than a year ago. Ask a coordinator to correct old hours.", "worked_on"
        )


def check_day_total(already_logged: int, minutes: int) -> None:
    """A volunteer's logs for one role and day add up to at most a day."""
    if already_logged + minutes > MAX_LOG_MINUTES:
        left = max(MAX_LOG_MINUTES - already_logged, 0)
        raise DomainError(
            "day_over_full",
            f"That would make more than 24 hours on one day: {hours(already_logged)} is logged already, so at "
            f"most {hours(left)} more.",
            "minutes",
        )


def status_after_acceptances(status: str, accepted: int, needed: int) -> str:
    """Open becomes filled once as many volunteers are accepted as needed, and filled opens again when one leaves.
    A closed role stays closed."""
    if status == "closed":
        return status
    return "filled" if accepted >= needed else "open"


@dataclass(frozen=True)
class PledgeProgress:
    """How an employer's pledge for a year stands: minutes pledged, given, still to give, and percent (floored)."""

    pledged: int
    given: int

    @property
    def remaining(self) -> int:
        return max(self.pledged - self.given, 0)

    @property
    def percent(self) -> int:
        return (self.given * 100) // self.pledged if self.pledged else 0

    @property
    def met(self) -> bool:
        return self.pledged > 0 and self.given >= self.pledged


def check_pledge(year: int, minutes: int, this_year: int) -> None:
    """A pledge for this year or a coming one (never a past year), of a sensible number of hours."""
    check_whole(year, field="year", low=FIRST_PLEDGE_YEAR, high=LAST_PLEDGE_YEAR, message="Give a year like 2026.")
    if year < this_year:
        raise DomainError("year_in_past", "That year is over. Pledge for this year or a coming one.", "year")
    check_whole(
        minutes,
        field="minutes_pledged",
        low=1,
        high=MAX_PLEDGE_MINUTES,
        message="Pledge at least 1 minute, and at most a million hours.",
    )


def year_bounds(year: int) -> tuple[date, date]:
    """The first and last day of a calendar year."""
    return date(year, 1, 1), date(year, 12, 31)


def hours(minutes: int) -> str:
    """Minutes as people read them: "1 h 30 min"."""
    return format_amount(minutes, "time", 60)
