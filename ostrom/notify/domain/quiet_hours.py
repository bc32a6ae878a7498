"""Local-time rules for sending: quiet hours a member chose (which may wrap midnight, e.g. 21:00-08:00) and the
digest periods that make "one digest per member per period" a key. Times are wall-clock times in the
community's time zone, so the rules hold across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

DAILY = "daily"
WEEKLY = "weekly"
# Quiet hours end within a day; a clock change can push that to the next day, never further.
MAX_DAYS_AHEAD = 3


def is_quiet(now_local: datetime, start: time | None, end: time | None) -> bool:
    """True if the wall-clock time of ``now_local`` falls in quiet hours [start, end), which may wrap midnight."""
    if start is None or end is None or start == end:
        return False
    clock = now_local.time().replace(tzinfo=None)
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end


def next_allowed(now_local: datetime, start: time | None, end: time | None) -> datetime:
    """``now_local`` if it is outside quiet hours, else the moment they end (same time zone as ``now_local``).

    No quiet hours (either bound missing, or start equal to end) means any time is allowed.
    """
    if start is None or end is None or not is_quiet(now_local, start, end):
        return now_local
    day = now_local.date()
    # After the start of a window that wraps midnight, it ends tomorrow.
    if start > end and now_local.time().replace(tzinfo=None) >= start:
        day += timedelta(days=1)
    # Clock changes bend this: when the clocks go back the end time comes round twice (the first may have
    # passed), and when they go forward the allowed window itself may not exist that day.
    for _ in range(MAX_DAYS_AHEAD):
        for fold in (0, 1):
            allowed = _at(day, end, now_local, fold)
            if _instant(allowed) >= _instant(now_local) and not is_quiet(allowed, start, end):
                return allowed
        day += timedelta(days=1)
    return allowed  # not reached in any real time zone: the allowed window exists on most days


def digest_period(now_local: datetime, frequency: str) -> tuple[datetime, datetime, str]:
    """The local day or week (from Monday 00:00) holding ``now_local``: (start, end, label), end exclusive.

    The label ("2025-03-30", "2025-W13") names the period in a dedupe key. Raises ValueError for other frequencies.
    """
    today = now_local.date()
    if frequency == DAILY:
        return _at(today, time(0), now_local), _at(today + timedelta(days=1), time(0), now_local), today.isoformat()
    if frequency == WEEKLY:
        monday = today - timedelta(days=today.weekday())
        year, week, _ = monday.isocalendar()
        return (
            _at(monday, time(0), now_local),
            _at(monday + timedelta(days=7), time(0), now_local),
            f"{year}-W{week:02d}",
        )
    raise ValueError(f"A digest period is daily or weekly, not {frequency!r}.")


def _instant(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment


def _at(day: date, clock: time, like: datetime, fold: int = 0) -> datetime:
    """``clock`` on ``day`` in the time zone of ``like``. A wall time that a clock change skips (01:30 when the
    clocks go forward at 01:00) becomes the same moment an hour later in the new offset, which does exist."""
    moment = datetime.combine(day, clock.replace(tzinfo=None, fold=fold), tzinfo=like.tzinfo)
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).astimezone(moment.tzinfo)
