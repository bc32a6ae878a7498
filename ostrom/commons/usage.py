"""Idle capacity, read side: the booking, no-show and refusal rows of a community's assets turned into the pure
domain's records (domain.utilisation), and its month-by-month figures per asset and per owner back out.

What counts: open hours are the weekly opening windows less maintenance (time an asset could not be used is not
idle); bookings that were confirmed, are out or came back count as booked, a no-show as a no-show, and cancelled,
expired or still-held ones for nothing. A booking's units are its BookingUnit rows for that asset, so a kit's
booking counts towards each item it took. Unmet requests are the UnmetRequest rows (turned away: nothing free)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count

from ostrom.communities.models import Community

from .asset_rules import booking_rules_of, maintenance_of, opening_hours_of, zone_of
from .domain.booking_rules import OpeningHours, Period, free_slots, open_periods
from .domain.utilisation import (
    AssetCapacity,
    BookingRecord,
    MonthUsage,
    RefusedRequest,
    asset_months,
    owner_months,
)
from .domain.utilisation import BookingStatus as UsageStatus
from .models import Asset, BookingStatus, BookingUnit, UnmetRequest

REPORT_MONTHS = 12
COMMUNITY_OWNER = "community"
# Booking statuses as the utilisation report reads them; the rest (held, cancelled, expired) count for nothing.
STATUS_FOR_USAGE = {
    BookingStatus.CONFIRMED: UsageStatus.BOOKED,
    BookingStatus.OUT: UsageStatus.BOOKED,
    BookingStatus.RETURNED: UsageStatus.BOOKED,
    BookingStatus.NO_SHOW: UsageStatus.NO_SHOW,
}


@dataclass(frozen=True)
class Totals:
    """A row's figures summed over the report's months."""

    open_minutes: int
    booked_minutes: int
    no_show_minutes: int
    no_shows: int
    unmet_requests: int

    @property
    def utilisation_permille(self) -> int:
        """Booked over open minutes in thousandths, rounded half up; 0 if never open."""
        if not self.open_minutes:
            return 0
        return (self.booked_minutes * 2000 + self.open_minutes) // (2 * self.open_minutes)


@dataclass(frozen=True)
class UsageRow:
    """One asset or one owner: its key (the asset's slug; the owner's slug or "community"), a name to show, its
    months (oldest first) and their totals."""

    key: str
    name: str
    months: tuple[MonthUsage, ...]

    @property
    def totals(self) -> Totals:
        return total_of(self.months)


@dataclass(frozen=True)
class UsageReport:
    start: datetime
    end: datetime
    assets: tuple[UsageRow, ...]
    owners: tuple[UsageRow, ...]
    community: UsageRow

    @property
    def months(self) -> tuple[date, ...]:
        return tuple(m.month for m in self.community.months)


def total_of(months: Iterable[MonthUsage]) -> Totals:
    months = list(months)
    return Totals(
        open_minutes=sum(m.open_minutes for m in months),
        booked_minutes=sum(m.booked_minutes for m in months),
        no_show_minutes=sum(m.no_show_minutes for m in months),
        no_shows=sum(m.no_shows for m in months),
        unmet_requests=sum(m.unmet_requests for m in months),
    )


def report_range(now: datetime, zone: ZoneInfo, months: int = REPORT_MONTHS) -> tuple[datetime, datetime]:
    """From the start of the local month ``months - 1`` months ago until ``now``: this month so far and the
    eleven before it. The future is left out, so an open evening still to come is not counted as idle."""
    local = now.astimezone(zone)
    index = local.year * 12 + local.month - 1 - (months - 1)
    first = datetime(index // 12, index % 12 + 1, 1, tzinfo=zone)
    return first, now


def owner_key(asset: Asset) -> str:
    """The owner's slug, or "community" for the community's own assets."""
    return asset.owner.slug if asset.owner_id else COMMUNITY_OWNER


def owner_name(asset: Asset, community: Community) -> str:
    return asset.owner.name if asset.owner_id else community.name


def _capacity(asset: Asset, start: datetime, end: datetime) -> AssetCapacity:
    """When the asset was open over [start, end): its weekly windows less maintenance, times its units."""
    hours = opening_hours_of(asset)
    closed = OpeningHours(zone=hours.zone, windows=hours.windows, closures=maintenance_of(asset, start, end))
    units = asset.stock
    periods = open_periods(closed, start, end) if units > 0 else ()
    return AssetCapacity(asset_id=str(asset.pk), owner_id=owner_key(asset), open_periods=periods, units=max(1, units))


def booking_records(assets: Sequence[Asset], start: datetime, end: datetime) -> list[BookingRecord]:
    """One record per booking and asset, its units counted from the BookingUnit rows, for bookings overlapping
    [start, end) whose status counts."""
    rows = (
        BookingUnit.objects.filter(
            asset__in=assets,
            booking__status__in=list(STATUS_FOR_USAGE),
            booking__starts_at__lt=end,
            booking__ends_at__gt=start,
        )
        .values("booking_id", "asset_id", "booking__status", "booking__starts_at", "booking__ends_at")
        .annotate(units=Count("id"))
        .order_by("booking_id", "asset_id")
    )
    return [
        BookingRecord(
            asset_id=str(row["asset_id"]),
            period=Period(row["booking__starts_at"], row["booking__ends_at"]),
            status=STATUS_FOR_USAGE[BookingStatus(row["booking__status"])],
            units=row["units"],
        )
        for row in rows
    ]


def refused_requests(assets: Sequence[Asset], start: datetime, end: datetime) -> list[RefusedRequest]:
    rows = UnmetRequest.objects.filter(asset__in=assets, requested_at__gte=start, requested_at__lt=end).values_list(
        "asset_id", "requested_at", "code"
    )
    return [RefusedRequest(asset_id=str(asset_id), requested_at=at, code=code) for asset_id, at, code in rows]


def usage_report(community: Community, assets: Sequence[Asset], start: datetime, end: datetime) -> UsageReport:
    """The figures for ``assets`` (of ``community``) month by month over [start, end): each asset, each owner
    (organisations, or the community for its own assets) and the whole community."""
    zone = ZoneInfo(community.time_zone)
    assets = sorted(assets, key=lambda a: (a.name.lower(), a.pk))
    bookings = booking_records(assets, start, end)
    refused = refused_requests(assets, start, end)
    by_asset_bookings: dict[str, list[BookingRecord]] = defaultdict(list)
    for record in bookings:
        by_asset_bookings[record.asset_id].append(record)
    by_asset_refused: dict[str, list[RefusedRequest]] = defaultdict(list)
    for request in refused:
        by_asset_refused[request.asset_id].append(request)
    per_asset: dict[str, tuple[MonthUsage, ...]] = {}
    for asset in assets:
        key = str(asset.pk)
        capacity = _capacity(asset, start, end)
        per_asset[key] = asset_months(capacity, by_asset_bookings[key], by_asset_refused[key], start, end, zone)
    owner_of = {str(a.pk): owner_key(a) for a in assets}
    names = {owner_key(a): owner_name(a, community) for a in assets}
    owners = owner_months(per_asset, owner_of)
    everything = owner_months(per_asset, dict.fromkeys(per_asset, "all")).get("all")
    if everything is None:  # no assets: empty months, so the page still shows the range
        empty = AssetCapacity(asset_id="none", owner_id="none", open_periods=())
        everything = asset_months(empty, (), (), start, end, zone)
    return UsageReport(
        start=start,
        end=end,
        assets=tuple(UsageRow(a.slug, a.name, per_asset[str(a.pk)]) for a in assets),
        owners=tuple(
            UsageRow(key, names[key], months) for key, months in sorted(owners.items(), key=lambda kv: names[kv[0]])
        ),
        community=UsageRow("all", f"All of {community.name}'s assets", everything),
    )


def hours_text(minutes: int) -> str:
    """Minutes as hours for people, to one decimal place when needed: 90 -> "1.5", 120 -> "2"."""
    tenths = (minutes * 10 + 30) // 60
    whole, part = divmod(tenths, 10)
    return f"{whole:,}" if part == 0 else f"{whole:,}.{part}"


def percent_text(permille: int) -> str:
    """Thousandths as a percentage to one decimal place: 432 -> "43.2%"."""
    whole, part = divmod(permille, 10)
    return f"{whole}.{part}%"


# --- free and booked times (the asset page's week, the API's free slots) -----------------------------------------


@dataclass(frozen=True)
class DayView:
    """One local day of an asset: when it is free, which open times are taken, maintenance, or closed all day."""

    day: date
    free: tuple[Period, ...]
    booked: tuple[Period, ...]
    maintenance: tuple[Period, ...]
    closed: bool


def _subtract(base: Sequence[Period], cuts: Sequence[Period]) -> list[Period]:
    left: list[Period] = []
    ordered = sorted(cuts, key=lambda p: p.start)
    for piece in base:
        cursor = piece.start
        for cut in ordered:
            if cut.end <= cursor or cut.start >= piece.end:
                continue
            if cut.start > cursor:
                left.append(Period(cursor, cut.start))
            cursor = max(cursor, cut.end)
        if cursor < piece.end:
            left.append(Period(cursor, piece.end))
    return left


def full_periods(stock: int, loads: Iterable[tuple[datetime, datetime]]) -> list[Period]:
    """When at least ``stock`` units are out at once (for a single unit: whenever it is booked), from each booked
    unit's (start, end)."""
    changes: dict[datetime, int] = {}
    for start, end in loads:
        changes[start] = changes.get(start, 0) + 1
        changes[end] = changes.get(end, 0) - 1
    full: list[Period] = []
    out, since, needed = 0, None, max(stock, 1)
    for moment in sorted(changes):
        out += changes[moment]
        if out >= needed and since is None:
            since = moment
        elif out < needed and since is not None:
            full.append(Period(since, moment))
            since = None
    return full


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def days_view(asset: Asset, first_day: date, days: int = 7) -> list[DayView]:
    """Each local day from ``first_day``: the free times (domain free_slots, buffers and maintenance taken out),
    the open times that are taken, and maintenance. Whose bookings they are is never part of it."""
    zone = zone_of(asset)
    start, end = _local_midnight(first_day, zone), _local_midnight(first_day + timedelta(days=days), zone)
    hours, rules = opening_hours_of(asset), booking_rules_of(asset)
    loads = BookingUnit.objects.filter(
        asset=asset, is_live=True, starts_at__lt=end, blocked_until__gt=start
    ).values_list("booking__starts_at", "booking__ends_at")
    existing = full_periods(asset.stock, loads)
    maintenance = maintenance_of(asset, start, end)
    result = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        day_start, day_end = _local_midnight(day, zone), _local_midnight(day + timedelta(days=1), zone)
        open_today = open_periods(hours, day_start, day_end)
        free = free_slots(hours, rules, day, existing, maintenance) if asset.stock else ()
        closed_for = tuple(m for m in maintenance if m.start < day_end and m.end > day_start)
        booked = _subtract(_subtract(open_today, free), closed_for)
        result.append(DayView(day, free, tuple(booked), closed_for, closed=not open_today))
    return result
