"""An asset's rules as the pure domain sees them: its booking rules, opening hours (with maintenance as closures
left to the caller) and maintenance periods, read from the tables once, so every part checks bookings alike."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from .domain.booking_rules import BookingRules, OpeningHours, Period, WhoMayBook, Window
from .models import Asset, BookingUnit, MaintenancePeriod


def zone_of(asset: Asset) -> ZoneInfo:
    return ZoneInfo(asset.community.time_zone)


def booking_rules_of(asset: Asset) -> BookingRules:
    return BookingRules(
        lead_time_minutes=asset.lead_time_minutes,
        max_duration_minutes=asset.max_duration_minutes,
        max_bookings_per_month=asset.max_bookings_per_month,
        buffer_minutes=asset.buffer_minutes,
        who_may_book=WhoMayBook(asset.who_may_book),
    )


def opening_hours_of(asset: Asset) -> OpeningHours:
    windows = tuple(
        Window(w.weekday, w.start_minute, w.end_minute)
        for w in asset.opening_windows.order_by("weekday", "start_minute")
    )
    return OpeningHours(zone=zone_of(asset), windows=windows)


def maintenance_of(asset: Asset, start: datetime, end: datetime) -> tuple[Period, ...]:
    """Maintenance periods overlapping [start, end)."""
    rows = MaintenancePeriod.objects.filter(asset=asset, starts_at__lt=end, ends_at__gt=start).order_by("starts_at")
    return tuple(Period(m.starts_at, m.ends_at) for m in rows)


def live_units_overlapping(asset: Asset, start: datetime, end: datetime) -> QuerySet[BookingUnit]:
    """The asset's live booked units whose blocked time overlaps [start, end)."""
    return BookingUnit.objects.filter(asset=asset, is_live=True, starts_at__lt=end, blocked_until__gt=start)
