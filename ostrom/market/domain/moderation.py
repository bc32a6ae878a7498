"""Moderation rules as plain functions: what a report may say, and the pattern a coordinator sees beside one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ostrom.communities.domain import DomainError

# How far back a coordinator looks for a pattern: long enough to see repeat behaviour, short enough that
# someone who changed is not held to an old mistake for ever.
PATTERN_WINDOW = timedelta(days=90)
# From this many separate things hidden in the window, it is a pattern, not a slip.
PATTERN_THRESHOLD = 3
NOTE_MAX_CHARS = 1000
REASON_MAX_CHARS = 500  # Listing.hidden_reason's column
# Open reports one member may have waiting at once: enough for anyone acting in good faith, and a bound on how
# many notices one person can make coordinators receive.
MAX_OPEN_REPORTS = 20


@dataclass(frozen=True)
class ActionedReport:
    """A report a coordinator acted on: ``target`` names what was hidden ("listing:12"), ``handled_at`` when."""

    target: str
    handled_at: datetime


@dataclass(frozen=True)
class Pattern:
    """What a coordinator sees beside a report: how many separate things of this person's were hidden lately."""

    hidden_count: int
    level: str  # "none", "some" or "repeated"
    summary: str


def pattern(actioned: Iterable[ActionedReport], now: datetime, window: timedelta = PATTERN_WINDOW) -> Pattern:
    """Count the distinct things hidden in the ``window`` before ``now``: five people reporting one ad is one
    incident, not five, and a response should grow with what the person did, not with how many noticed."""
    since = now - window
    hidden = {report.target for report in actioned if since <= report.handled_at <= now}
    count, days = len(hidden), window.days
    if count == 0:
        return Pattern(0, "none", f"Nothing of theirs hidden in the last {days} days.")
    things = "1 thing" if count == 1 else f"{count} things"
    if count < PATTERN_THRESHOLD:
        return Pattern(count, "some", f"{things} of theirs hidden in the last {days} days.")
    return Pattern(
        count,
        "repeated",
        f"{things} of theirs hidden in the last {days} days: a pattern. Consider talking to them, or a suspension.",
    )


def clean_note(note: str, field: str = "note", max_chars: int = NOTE_MAX_CHARS) -> str:
    """Trim a free-text note; refuse one over ``max_chars`` or with characters a database cannot store."""
    text = note.strip()
    if len(text) > max_chars:
        raise DomainError("note_too_long", f"Keep this to {max_chars:,} characters or fewer.", field)
    if "\x00" in text:
        raise DomainError("invalid_text", "Remove the NUL characters from this text.", field)
    return text


def clean_reason(reason: str, field: str = "reason", max_chars: int = REASON_MAX_CHARS) -> str:
    """A coordinator's reason for hiding something: required, since the poster is told it."""
    text = clean_note(reason, field, max_chars)
    if not text:
        raise DomainError("reason_required", "Say why. The person who posted it will be told.", field)
    return text
