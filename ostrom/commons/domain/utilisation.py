"""Idle capacity: how much of the time an asset was open it was actually in use, month by month, with no-shows and
the requests turned away because nothing was free, per asset and summed per owner.

Inputs are instants (aware datetimes, as in booking_rules; open times usually come from `open_periods`); every
result is whole minutes, counted from the Unix epoch with seconds dropped. For an item with a stock quantity the
minutes are item-minutes: three drills open for an hour are 180 open minutes, one drill out for that hour is 60
booked. Only booked time that falls in open hours counts, and never more items than the stock at once, so
utilisation stays between 0 and 1. A no-show's time counts as idle (it was reserved but not used) and is reported
beside it; cancelled bookings count for nothing. Months are calendar months in the community's zone."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from fractions import Fraction
from zoneinfo import ZoneInfo

from ostrom.communities.domain import DomainError

from .booking_rules import MAX_RANGE_DAYS, MAX_STOCK, Period, require_aware

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MINUTE = timedelta(minutes=1)
# Refusals that mean "nothing was free": the demand the asset could not meet. Refusals for breaking a rule
# (too long, monthly limit) are not idle-capacity signals, so they are left out.
UNMET_CODES = frozenset({"overlaps_booking", "not_enough_stock", "under_maintenance"})


class BookingStatus(StrEnum):
    BOOKED = "booked"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class AssetCapacity:
    """An asset, who owns it, how many units it has, and when it was open over the report's range."""

    asset_id: str
    owner_id: str
    open_periods: tuple[Period, ...]
    units: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.units <= MAX_STOCK:
            raise DomainError("invalid_units", "An asset has at least one unit.", "units")


@dataclass(frozen=True)
class BookingRecord:
    """A booking as it turned out: `units` of `asset_id` over `period`, booked (and used), a no-show, or cancelled."""

    asset_id: str
    period: Period
    status: BookingStatus
    units: int = 1

    def __post_init__(self) -> None:
        if self.units < 1:
            raise DomainError("invalid_units", "A booking is for at least one item.", "units")


@dataclass(frozen=True)
class RefusedRequest:
    """A booking request that was turned away, when, and the DomainError code it got."""

    asset_id: str
    requested_at: datetime
    code: str


@dataclass(frozen=True)
class MonthUsage:
    """One calendar month (`month` is its first day): open and booked minutes, no-shows and unmet requests."""

    month: date
    open_minutes: int
    booked_minutes: int
    no_show_minutes: int
    no_shows: int
    unmet_requests: int

    @property
    def idle_minutes(self) -> int:
        """Open minutes nobody used."""
        return self.open_minutes - self.booked_minutes

    @property
    def utilisation(self) -> Fraction:
        """Booked over open minutes, exactly; 0 when the asset was never open."""
        return Fraction(self.booked_minutes, self.open_minutes) if self.open_minutes else Fraction(0)

    @property
    def utilisation_permille(self) -> int:
        """Utilisation in thousandths, rounded half up."""
        return int(self.utilisation * 1000 + Fraction(1, 2))

    def __add__(self, other: MonthUsage) -> MonthUsage:
        if other.month != self.month:
            raise ValueError("only the same month adds up")
        return MonthUsage(
            self.month,
            self.open_minutes + other.open_minutes,
            self.booked_minutes + other.booked_minutes,
            self.no_show_minutes + other.no_show_minutes,
            self.no_shows + other.no_shows,
            self.unmet_requests + other.unmet_requests,
        )


def _minute(moment: datetime) -> int:
    return (moment - EPOCH) // ONE_MINUTE


def _months(start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[date, int, int]]:
    """Each local calendar month touching [start, end) with its bounds in epoch minutes, clipped to the range."""
    first, lo, hi = start.astimezone(zone).date().replace(day=1), _minute(start), _minute(end)
    months: list[tuple[date, int, int]] = []
    month = first
    while True:
        following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        month_lo = _minute(datetime(month.year, month.month, 1, tzinfo=zone))
        month_hi = _minute(datetime(following.year, following.month, 1, tzinfo=zone))
        if month_lo >= hi:
            return months
        months.append((month, max(lo, month_lo), min(hi, month_hi)))
        month = following


def _used_minutes(open_spans: Sequence[tuple[int, int]], loads: Iterable[tuple[int, int, int]], cap: int) -> int:
    """Sum over time of min(cap, units out) while open, by a sweep over the points where anything changes."""
    changes: dict[int, list[int]] = {}  # minute -> [change in open count, change in units out]
    for lo, hi in open_spans:
        changes.setdefault(lo, [0, 0])[0] += 1
        changes.setdefault(hi, [0, 0])[0] -= 1
    for lo, hi, units in loads:
        changes.setdefault(lo, [0, 0])[1] += units
        changes.setdefault(hi, [0, 0])[1] -= units
    total = is_open = out = 0
    previous: int | None = None
    for point in sorted(changes):
        if previous is not None and is_open > 0:
            total += min(cap, out) * (point - previous)
        is_open += changes[point][0]
        out += changes[point][1]
        previous = point
    return total


def _clip(lo: int, hi: int, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    return [(max(a, lo), min(b, hi)) for a, b in spans if max(a, lo) < min(b, hi)]


def asset_months(
    asset: AssetCapacity,
    bookings: Iterable[BookingRecord],
    refused: Iterable[RefusedRequest],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
) -> tuple[MonthUsage, ...]:
    """One asset's usage for each local calendar month of [start, end); other assets' records are ignored."""
    span = Period(start, end)
    if span.end - span.start > MAX_RANGE_DAYS * timedelta(days=1):
        raise DomainError("range_too_long", f"Please ask for at most {MAX_RANGE_DAYS} days at a time.", "end")
    # Open periods may overlap if the caller joined several lists; merging keeps open minutes counted once.
    open_spans = _merge_spans((_minute(p.start), _minute(p.end)) for p in asset.open_periods)
    mine = [b for b in bookings if b.asset_id == asset.asset_id]
    used = [(_minute(b.period.start), _minute(b.period.end), b.units) for b in mine if b.status is BookingStatus.BOOKED]
    missed = [
        (_minute(b.period.start), _minute(b.period.end), b.units) for b in mine if b.status is BookingStatus.NO_SHOW
    ]
    unmet = []
    for request in refused:
        require_aware(request.requested_at, "requested_at")
        if request.asset_id == asset.asset_id and request.code in UNMET_CODES:
            unmet.append(_minute(request.requested_at))
    result = []
    for month, lo, hi in _months(span.start, span.end, zone):
        open_here = _clip(lo, hi, open_spans)
        booked = _used_minutes(open_here, _clip_loads(lo, hi, used), asset.units)
        # No-show time is what a no-show kept from others: capped by what the real bookings left free.
        both = _used_minutes(open_here, _clip_loads(lo, hi, used + missed), asset.units)
        result.append(
            MonthUsage(
                month=month,
                open_minutes=asset.units * sum(b - a for a, b in open_here),
                booked_minutes=booked,
                no_show_minutes=both - booked,
                no_shows=sum(1 for a, _, _ in missed if lo <= a < hi),
                unmet_requests=sum(1 for at in unmet if lo <= at < hi),
            )
        )
    return tuple(result)


def _merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _clip_loads(lo: int, hi: int, loads: Iterable[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    return [(max(a, lo), min(b, hi), units) for a, b, units in loads if max(a, lo) < min(b, hi)]


def owner_months(
    per_asset: Mapping[str, Sequence[MonthUsage]], owner_of: Mapping[str, str]
) -> dict[str, tuple[MonthUsage, ...]]:
    """Sum each owner's assets month by month (minutes add up, so the owner's utilisation is exact, not an average
    of averages). Every asset in `per_asset` must have an owner in `owner_of`."""
    totals: dict[str, dict[date, MonthUsage]] = {}
    for asset_id, months in per_asset.items():
        if asset_id not in owner_of:
            raise DomainError("unknown_owner", "Every asset in the report needs an owner.", "owner")
        mine = totals.setdefault(owner_of[asset_id], {})
        for usage in months:
            mine[usage.month] = mine[usage.month] + usage if usage.month in mine else usage
    return {owner: tuple(months[m] for m in sorted(months)) for owner, months in totals.items()}
