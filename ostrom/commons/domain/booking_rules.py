"""Booking a shared asset (a space, a piece of equipment, items with a stock quantity): opening hours, booking
rules, buffers, maintenance, stock, membership caps, overdue fees and holds.

Time, consistently: every instant is a timezone-aware `datetime` (naive ones are refused, because a naive time
means nobody knows whose clock it is); `Period` stores its ends in UTC so differences are real elapsed time.
Durations and rule settings are whole minutes (`lead_time_minutes`, `buffer_minutes`). Opening hours are weekly
wall-clock windows (weekday, start minute, end minute after local midnight) in the asset's zone, so "09:00–17:00"
stays 09:00–17:00 on the days the clocks change; special closures and maintenance are absolute periods.

A window may not cross midnight: a late opening is two windows (Friday 22:00–24:00 and Saturday 00:00–02:00).
Touching windows merge, so a booking from 23:00 to 01:00 fits them. Every check raises `DomainError` with a stable
code and a sentence a resident understands; none of them changes anything."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from itertools import pairwise
from zoneinfo import ZoneInfo

from ostrom.communities.domain import DomainError

MINUTES_PER_DAY = 24 * 60
ONE_DAY = timedelta(days=1)
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Limits on everything: an asset open in 15-minute pieces all week needs 672 windows; rules beyond a year make no
# sense for a neighbourhood asset; a day view or utilisation report is bounded so one request cannot run away.
MAX_WINDOWS = 700
MAX_RULE_MINUTES = 366 * MINUTES_PER_DAY
MAX_BOOKINGS_PER_MONTH = 1_000
MAX_RANGE_DAYS = 3 * 366
MAX_STOCK = 1_000_000


def require_aware(moment: datetime, field: str) -> None:
    """Refuse a naive datetime: the rules compare instants, and a naive time is not one."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise DomainError("naive_time", "A time was given without a time zone, so we cannot tell when it is.", field)


def _minutes_in_words(minutes: int) -> str:
    if minutes and minutes % MINUTES_PER_DAY == 0:
        count, unit = minutes // MINUTES_PER_DAY, "day"
    elif minutes and minutes % 60 == 0:
        count, unit = minutes // 60, "hour"
    else:
        count, unit = minutes, "minute"
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


@dataclass(frozen=True)
class Period:
    """A stretch of time [start, end): start included, end excluded, so back-to-back periods do not overlap."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        require_aware(self.start, "start")
        require_aware(self.end, "end")
        if self.end <= self.start:
            raise DomainError("ends_before_start", "The end must be after the start.", "end")
        # Stored in UTC: subtracting two datetimes that share a ZoneInfo gives wall-clock, not elapsed, time.
        object.__setattr__(self, "start", self.start.astimezone(UTC))
        object.__setattr__(self, "end", self.end.astimezone(UTC))

    @property
    def minutes(self) -> int:
        """Elapsed whole minutes (seconds dropped)."""
        return (self.end - self.start) // timedelta(minutes=1)

    def overlaps(self, other: Period) -> bool:
        """True when the two share any instant (touching ends do not count)."""
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Window:
    """A weekly opening window: `weekday` 0 = Monday, minutes after local midnight, end 1440 = midnight."""

    weekday: int
    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise DomainError("invalid_opening_hours", "The day of the week must be Monday to Sunday.", "weekday")
        if not 0 <= self.start_minute < MINUTES_PER_DAY or self.end_minute < 0:
            raise DomainError("invalid_opening_hours", "Opening times must be within the day.", "start_minute")
        if self.end_minute <= self.start_minute:
            raise DomainError(
                "opening_hours_ends_before_start",
                f"On {WEEKDAY_NAMES[self.weekday]} the closing time must be after the opening time.",
                "end_minute",
            )
        if self.end_minute > MINUTES_PER_DAY:
            raise DomainError(
                "opening_hours_cross_midnight",
                f"Opening hours on {WEEKDAY_NAMES[self.weekday]} run past midnight; please split them into two "
                "windows, one ending at midnight and one starting at midnight the next day.",
                "end_minute",
            )


@dataclass(frozen=True)
class OpeningHours:
    """An asset's weekly windows in its local `zone`, and special closures (bank holidays, say) as periods."""

    zone: ZoneInfo
    windows: tuple[Window, ...]
    closures: tuple[Period, ...] = ()

    def __post_init__(self) -> None:
        if len(self.windows) > MAX_WINDOWS:
            raise DomainError("invalid_opening_hours", f"At most {MAX_WINDOWS} opening windows, please.", "windows")
        by_day = sorted(self.windows, key=lambda w: (w.weekday, w.start_minute))
        for before, after in pairwise(by_day):
            if before.weekday == after.weekday and after.start_minute < before.end_minute:
                raise DomainError(
                    "opening_hours_overlap",
                    f"Two opening windows on {WEEKDAY_NAMES[after.weekday]} overlap; each time of day may appear "
                    "in only one window.",
                    "windows",
                )


class WhoMayBook(StrEnum):
    """Who may book an asset; each level includes the ones after it (the app maps its roles onto these)."""

    ANY_MEMBER = "any_member"
    TRAINED_MEMBERS = "trained_members"  # e.g. the chainsaw, after an induction
    COORDINATORS = "coordinators"


_BOOKER_RANK = {WhoMayBook.ANY_MEMBER: 0, WhoMayBook.TRAINED_MEMBERS: 1, WhoMayBook.COORDINATORS: 2}


@dataclass(frozen=True)
class BookingRules:
    """An asset's booking rules. `max_bookings_per_month` None means no monthly limit; 0 minutes means no buffer
    or no notice needed."""

    lead_time_minutes: int = 0
    max_duration_minutes: int = MINUTES_PER_DAY
    max_bookings_per_month: int | None = None
    buffer_minutes: int = 0
    who_may_book: WhoMayBook = WhoMayBook.ANY_MEMBER

    def __post_init__(self) -> None:
        for name in ("lead_time_minutes", "buffer_minutes"):
            if not 0 <= getattr(self, name) <= MAX_RULE_MINUTES:
                raise DomainError("invalid_booking_rules", "Times in the booking rules must be 0 to 366 days.", name)
        if not 1 <= self.max_duration_minutes <= MAX_RULE_MINUTES:
            raise DomainError(
                "invalid_booking_rules",
                "The longest booking must be at least a minute and at most 366 days.",
                "max_duration_minutes",
            )
        limit = self.max_bookings_per_month
        if limit is not None and not 1 <= limit <= MAX_BOOKINGS_PER_MONTH:
            raise DomainError(
                "invalid_booking_rules",
                f"The monthly booking limit must be between 1 and {MAX_BOOKINGS_PER_MONTH}, or none.",
                "max_bookings_per_month",
            )


def check_may_book(rules: BookingRules, booker: WhoMayBook) -> None:
    """Refuse a booker whose level (any member < trained member < coordinator) is below the asset's rule."""
    if _BOOKER_RANK[booker] < _BOOKER_RANK[rules.who_may_book]:
        who = "trained members" if rules.who_may_book is WhoMayBook.TRAINED_MEMBERS else "coordinators"
        raise DomainError("not_allowed_to_book", f"Only {who} may book this.", "member")


# -- intervals: sorted, merged lists of (start, end) in UTC --------------------------------------------------------


def _merge(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _subtract(
    base: list[tuple[datetime, datetime]], cuts: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """Both merged and sorted; what is left of `base` once `cuts` are taken out."""
    left: list[tuple[datetime, datetime]] = []
    for start, end in base:
        cursor = start
        for cut_start, cut_end in cuts:
            if cut_end <= cursor or cut_start >= end:
                continue
            if cut_start > cursor:
                left.append((cursor, cut_start))
            cursor = max(cursor, cut_end)
        if cursor < end:
            left.append((cursor, end))
    return left


def _local_instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    day = day + timedelta(days=minute // MINUTES_PER_DAY)
    minute %= MINUTES_PER_DAY
    # fold=0: in the autumn's repeated hour the first (summer) reading is used; a time in spring's missing hour is
    # read with the winter offset, which lands it just after the jump, so a window never opens "early".
    local = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=zone)
    return local.astimezone(UTC)


def open_periods(hours: OpeningHours, start: datetime, end: datetime) -> tuple[Period, ...]:
    """The times the asset is open within [start, end), closures taken out, touching windows merged."""
    span = Period(start, end)
    if span.end - span.start > MAX_RANGE_DAYS * ONE_DAY:
        raise DomainError("range_too_long", f"Please ask for at most {MAX_RANGE_DAYS} days at a time.", "end")
    first = span.start.astimezone(hours.zone).date() - ONE_DAY  # a window from the day before can reach in
    last = span.end.astimezone(hours.zone).date()
    raw: list[tuple[datetime, datetime]] = []
    day = first
    while day <= last:
        for window in hours.windows:
            if window.weekday != day.weekday():
                continue
            opens = _local_instant(day, window.start_minute, hours.zone)
            closes = _local_instant(day, window.end_minute, hours.zone)
            opens, closes = max(opens, span.start), min(closes, span.end)
            if opens < closes:  # a window wholly inside spring's missing hour is empty
                raw.append((opens, closes))
        day += ONE_DAY
    closed = _merge((c.start, c.end) for c in hours.closures)
    return tuple(Period(s, e) for s, e in _subtract(_merge(raw), closed))


def check_booking(
    rules: BookingRules,
    hours: OpeningHours,
    start: datetime,
    end: datetime,
    now: datetime,
    existing_intervals: Sequence[Period],
    maintenance: Sequence[Period],
    member_bookings_this_month: int,
    member_has_overdue: bool,
    block_when_overdue: bool,
) -> None:
    """Refuse a booking of a single-unit asset that breaks a rule; return None when it may go ahead.

    Checks run from the cheapest to explain to the most specific: the times themselves, the member, the asset's
    rules, then availability. `existing_intervals` are the asset's other live bookings; with a buffer, a booking
    must end at least `buffer_minutes` before the next one starts, and start that long after the last one ends.
    Items with a stock quantity use `check_units` instead of the overlap check."""
    require_aware(now, "now")
    requested = Period(start, end)  # ends_before_start, naive_time
    if requested.start < now:
        raise DomainError("in_the_past", "That time has already passed; please choose a time from now on.", "start")
    if member_has_overdue and block_when_overdue:
        raise DomainError(
            "overdue_block", "Please return the items you have overdue before making a new booking.", "member"
        )
    limit = rules.max_bookings_per_month
    if limit is not None and member_bookings_this_month >= limit:
        raise DomainError(
            "monthly_limit", f"You already have {limit} bookings this month, which is the most allowed.", "start"
        )
    if requested.start < now + timedelta(minutes=rules.lead_time_minutes):
        notice = _minutes_in_words(rules.lead_time_minutes)
        raise DomainError("lead_time", f"This needs booking at least {notice} ahead.", "start")
    if requested.end - requested.start > timedelta(minutes=rules.max_duration_minutes):
        longest = _minutes_in_words(rules.max_duration_minutes)
        raise DomainError("too_long", f"The longest booking allowed is {longest}.", "end")
    if any(requested.overlaps(m) for m in maintenance):
        raise DomainError("under_maintenance", "It is out of use for maintenance at that time.", "start")
    if open_periods(hours, requested.start, requested.end) != (requested,):
        raise DomainError(
            "outside_opening_hours",
            "It is not open for the whole of that time; please book within opening hours.",
            "start",
        )
    buffer = timedelta(minutes=rules.buffer_minutes)
    for other in existing_intervals:
        if requested.start < other.end + buffer and other.start - buffer < requested.end:
            gap = f", with {_minutes_in_words(rules.buffer_minutes)} free between bookings" if buffer else ""
            raise DomainError("overlaps_booking", f"Someone else has it booked at that time{gap}.", "start")


def free_slots(
    hours: OpeningHours, rules: BookingRules, day: date, existing: Sequence[Period], maintenance: Sequence[Period]
) -> tuple[Period, ...]:
    """For a day view: the free stretches of local `day`, i.e. open hours less maintenance and less other bookings
    widened by the buffer on each side. Any booking inside one passes check_booking's availability checks."""
    day_start = _local_instant(day, 0, hours.zone)
    day_end = _local_instant(day + ONE_DAY, 0, hours.zone)
    buffer = timedelta(minutes=rules.buffer_minutes)
    taken = _merge([(b.start - buffer, b.end + buffer) for b in existing] + [(m.start, m.end) for m in maintenance])
    open_now = [(p.start, p.end) for p in open_periods(hours, day_start, day_end)]
    return tuple(Period(s, e) for s, e in _subtract(open_now, taken))


# -- stock ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitBooking:
    """A booking of `units` items from a stock over `period`."""

    period: Period
    units: int

    def __post_init__(self) -> None:
        if self.units < 1:
            raise DomainError("invalid_units", "A booking is for at least one item.", "units")


def check_stock_quantity(stock: int) -> None:
    """Refuse a stock quantity below zero (or absurdly large)."""
    if stock < 0:
        raise DomainError("negative_stock", "The number in stock cannot be below zero.", "stock")
    if stock > MAX_STOCK:
        raise DomainError("invalid_units", f"The number in stock can be at most {MAX_STOCK}.", "stock")


def available_units(stock: int, bookings_overlapping: Iterable[UnitBooking], during: Period | None = None) -> int:
    """Items free for the whole of `during` (or of all the given bookings): stock less the most out at any one
    moment, never below zero. Bookings that do not overlap each other do not add up."""
    check_stock_quantity(stock)
    events: list[tuple[datetime, int]] = []
    for booking in bookings_overlapping:
        start, end = booking.period.start, booking.period.end
        if during is not None:
            start, end = max(start, during.start), min(end, during.end)
        if start < end:
            events += [(start, booking.units), (end, -booking.units)]
    peak = out = 0
    for _, change in sorted(events):  # at equal times returns (negative) sort first: back-to-back is fine
        out += change
        peak = max(peak, out)
    return max(0, stock - peak)


def check_units(stock: int, asking: int, bookings_overlapping: Iterable[UnitBooking], during: Period) -> None:
    """Refuse a request for more items than are free for the whole of `during`."""
    if asking < 1:
        raise DomainError("invalid_units", "Please ask for at least one item.", "units")
    free = available_units(stock, bookings_overlapping, during)
    if asking > free:
        raise DomainError(
            "not_enough_stock", f"Only {free} of these are free at that time; you asked for {asking}.", "units"
        )


# -- membership, overdue items and holds ---------------------------------------------------------------------------


def check_items_out(cap: int | None, out_now: int, asking: int) -> None:
    """Refuse taking `asking` more items when that would put a member over their membership's cap (None: no cap)."""
    if out_now < 0 or asking < 1:
        raise DomainError("invalid_units", "The number of items must be at least one.", "units")
    if cap is not None and cap < 0:
        raise DomainError("invalid_units", "A membership's item limit cannot be below zero.", "cap")
    if cap is not None and out_now + asking > cap:
        raise DomainError(
            "items_out_cap",
            f"Your membership lets you have {cap} items out at once; you have {out_now} out already.",
            "units",
        )


def overdue_days(due_at: datetime, returned_at: datetime, zone: ZoneInfo) -> int:
    """Days of lateness started by `returned_at`: day k begins k local days (same wall-clock time) after due, so a
    minute late is one day, and a 23- or 25-hour day at a clock change still counts once."""
    require_aware(due_at, "due_at")
    require_aware(returned_at, "returned_at")
    if returned_at <= due_at:
        return 0
    local_due = due_at.astimezone(zone)

    def day_starts(k: int) -> datetime:
        return local_due + timedelta(days=k)  # same tzinfo: wall-clock arithmetic, which is the point

    # Elapsed days, less one, is a safe start: a clock change shifts a day's start by hours, never by a day.
    k = max(0, (returned_at - due_at) // ONE_DAY - 1)
    while k > 0 and day_starts(k) >= returned_at:
        k -= 1
    while day_starts(k + 1) < returned_at:
        k += 1
    return k + 1


def overdue_fee(due_at: datetime, returned_at_or_now: datetime, daily_fee_units: int, zone: ZoneInfo) -> int:
    """The fee in credit units: `daily_fee_units` for every started day late, counted in the community's zone."""
    if daily_fee_units < 0:
        raise DomainError("negative_fee", "A daily fee cannot be below zero.", "daily_fee_units")
    return overdue_days(due_at, returned_at_or_now, zone) * daily_fee_units


def hold_expired(hold_expires_at: datetime, now: datetime) -> bool:
    """A hold lapses at its expiry instant exactly, so a hold and a booking starting then never both count."""
    require_aware(hold_expires_at, "hold_expires_at")
    require_aware(now, "now")
    return now >= hold_expires_at
