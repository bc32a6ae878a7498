"""Idle capacity (commons/domain/utilisation.py): the hall and the drill library, month by month.

The hall is open Mondays 09:00–17:00 (London); the tool library (owned by the same trust) lends three drills.
Hand-made examples are exact to the minute; properties: utilisation stays within 0–1000 permille, booked and no-show
time never exceed open time, and an owner's figures are the sums of their assets'."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ostrom.commons.domain.booking_rules import OpeningHours, Period, Window, open_periods
from ostrom.commons.domain.utilisation import (
    AssetCapacity,
    BookingRecord,
    BookingStatus,
    MonthUsage,
    RefusedRequest,
    asset_months,
    owner_months,
)
from ostrom.communities.domain import DomainError

LONDON = ZoneInfo("Europe/London")
MONDAY = date(2025, 6, 2)
JUNE = datetime(2025, 6, 1, tzinfo=LONDON)
JULY = datetime(2025, 7, 1, tzinfo=LONDON)
AUGUST = datetime(2025, 8, 1, tzinfo=LONDON)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def hall(start: datetime = JUNE, end: datetime = JULY) -> AssetCapacity:
    mondays = OpeningHours(LONDON, (Window(0, 9 * 60, 17 * 60),))
    return AssetCapacity("hall", "trust", open_periods(mondays, start, end))


def record(day: date, start_hour: int, end_hour: int, status: BookingStatus, asset: str = "hall") -> BookingRecord:
    return BookingRecord(asset, Period(at(day, start_hour), at(day, end_hour)), status)


def test_a_monday_morning_booking_is_a_quarter_of_the_day() -> None:
    one_monday = hall(at(MONDAY, 0), at(MONDAY, 23))
    bookings = [
        record(MONDAY, 10, 12, BookingStatus.BOOKED),
        record(MONDAY, 13, 14, BookingStatus.NO_SHOW),
        record(MONDAY, 14, 16, BookingStatus.CANCELLED),
        record(MONDAY, 10, 16, BookingStatus.BOOKED, asset="drills"),
    ]
    (june,) = asset_months(one_monday, bookings, [], at(MONDAY, 0), at(MONDAY, 23), LONDON)
    assert june == MonthUsage(date(2025, 6, 1), 480, 120, 60, 1, 0)
    assert june.utilisation == Fraction(1, 4)
    assert june.utilisation_permille == 250
    assert june.idle_minutes == 360


def test_only_time_within_opening_hours_counts() -> None:
    late = [record(MONDAY, 16, 19, BookingStatus.BOOKED)]
    (june,) = asset_months(hall(), late, [], JUNE, JULY, LONDON)
    assert (june.open_minutes, june.booked_minutes) == (5 * 480, 60)  # five Mondays in June 2025
    assert june.utilisation_permille == 25


def test_a_booking_across_the_month_end_is_split_between_months() -> None:
    always = OpeningHours(LONDON, tuple(Window(day, 0, 24 * 60) for day in range(7)))
    boat = AssetCapacity("boat", "trust", open_periods(always, JUNE, AUGUST))
    weekend = [BookingRecord("boat", Period(at(date(2025, 6, 30), 20), at(date(2025, 7, 1), 2)), BookingStatus.BOOKED)]
    june, july = asset_months(boat, weekend, [], JUNE, AUGUST, LONDON)
    assert (june.month, june.booked_minutes, june.open_minutes) == (date(2025, 6, 1), 240, 30 * 24 * 60)
    assert (july.month, july.booked_minutes, july.open_minutes) == (date(2025, 7, 1), 120, 31 * 24 * 60)


def test_three_drills_count_item_minutes_and_never_more_than_the_stock() -> None:
    mondays = OpeningHours(LONDON, (Window(0, 9 * 60, 17 * 60),))
    drills = AssetCapacity("drills", "trust", open_periods(mondays, at(MONDAY, 0), at(MONDAY, 23)), units=3)
    loans = [
        BookingRecord("drills", Period(at(MONDAY, 9), at(MONDAY, 13)), BookingStatus.BOOKED, units=2),
        # recorded over the stock (say, stock was lowered after booking): capped at three at once
        BookingRecord("drills", Period(at(MONDAY, 12), at(MONDAY, 14)), BookingStatus.BOOKED, units=2),
    ]
    (june,) = asset_months(drills, loans, [], at(MONDAY, 0), at(MONDAY, 23), LONDON)
    assert june.open_minutes == 3 * 480
    assert june.booked_minutes == 2 * 180 + 3 * 60 + 2 * 60
    assert june.utilisation == Fraction(660, 1440)


def test_unmet_requests_count_only_refusals_for_want_of_a_free_slot() -> None:
    refused = [
        RefusedRequest("hall", at(MONDAY, 8), "overlaps_booking"),
        RefusedRequest("hall", at(MONDAY, 8), "too_long"),
        RefusedRequest("hall", at(date(2025, 7, 7), 8), "under_maintenance"),
        RefusedRequest("drills", at(MONDAY, 8), "not_enough_stock"),
    ]
    june, july = asset_months(hall(JUNE, AUGUST), [], refused, JUNE, AUGUST, LONDON)
    assert (june.unmet_requests, july.unmet_requests) == (1, 1)


def test_the_owner_sees_the_sum_of_their_assets() -> None:
    bookings = [record(MONDAY, 9, 17, BookingStatus.BOOKED)]
    garden = AssetCapacity("garden", "trust", hall().open_periods)
    per_asset = {
        "hall": asset_months(hall(), bookings, [], JUNE, JULY, LONDON),
        "garden": asset_months(garden, [], [], JUNE, JULY, LONDON),
    }
    totals = owner_months(per_asset, {"hall": "trust", "garden": "trust"})
    (june,) = totals["trust"]
    assert (june.open_minutes, june.booked_minutes) == (2 * 5 * 480, 480)
    assert june.utilisation == Fraction(1, 10)
    with pytest.raises(DomainError) as caught:
        owner_months(per_asset, {"hall": "trust"})
    assert caught.value.code == "unknown_owner"


def test_an_asset_never_open_has_zero_utilisation() -> None:
    shut = AssetCapacity("shed", "trust", ())
    (june,) = asset_months(shut, [], [], JUNE, JULY, LONDON)
    assert (june.utilisation, june.utilisation_permille) == (0, 0)


def test_march_2025_has_five_eight_hour_sundays_despite_the_clock_change() -> None:
    sundays = OpeningHours(LONDON, (Window(6, 9 * 60, 17 * 60),))
    march, april = datetime(2025, 3, 1, tzinfo=LONDON), datetime(2025, 4, 1, tzinfo=LONDON)
    green = AssetCapacity("green", "trust", open_periods(sundays, march, april))
    (usage,) = asset_months(green, [], [], march, april, LONDON)
    assert usage.open_minutes == 5 * 480


@pytest.mark.parametrize("units", [0, -2])
def test_an_asset_has_at_least_one_unit(units: int) -> None:
    with pytest.raises(DomainError) as caught:
        AssetCapacity("x", "trust", (), units=units)
    assert caught.value.code == "invalid_units"


# -- properties ------------------------------------------------------------------------------------------------

BASE = datetime(2025, 6, 25, tzinfo=UTC)  # straddles the June/July boundary
slots = st.integers(min_value=0, max_value=14 * 24 * 4)


@st.composite
def spans(draw: st.DrawFn) -> Period:
    start = draw(slots)
    length = draw(st.integers(min_value=1, max_value=48))
    return Period(BASE + timedelta(minutes=15 * start), BASE + timedelta(minutes=15 * (start + length)))


@settings(max_examples=80, deadline=None)
@given(
    opens=st.lists(spans(), max_size=8),
    booked=st.lists(st.tuples(spans(), st.sampled_from(list(BookingStatus)), st.integers(1, 4)), max_size=10),
    units=st.integers(min_value=1, max_value=3),
)
def test_utilisation_stays_between_nothing_and_everything(
    opens: list[Period], booked: list[tuple[Period, BookingStatus, int]], units: int
) -> None:
    asset = AssetCapacity("a", "o", tuple(opens), units=units)
    records = [BookingRecord("a", period, status, n) for period, status, n in booked]
    months = asset_months(asset, records, [], BASE, BASE + timedelta(days=15), UTC)
    assert [m.month for m in months] == [date(2025, 6, 1), date(2025, 7, 1)]
    for usage in months:
        assert 0 <= usage.booked_minutes <= usage.booked_minutes + usage.no_show_minutes <= usage.open_minutes
        assert 0 <= usage.utilisation_permille <= 1000
        assert 0 <= usage.utilisation <= 1
    # Nothing booked outside the range: open minutes are exactly the union of open spans, times the units.
    covered = {m for p in opens for m in range(_minute(p.start), _minute(p.end))}
    assert sum(m.open_minutes for m in months) == units * len(covered)


@settings(max_examples=50, deadline=None)
@given(
    assets=st.lists(st.tuples(st.lists(spans(), max_size=4), st.sampled_from(["o1", "o2"])), min_size=1, max_size=4),
    booked=st.lists(st.tuples(st.integers(0, 3), spans()), max_size=8),
)
def test_an_owners_totals_are_the_sums_of_their_assets(
    assets: list[tuple[list[Period], str]], booked: list[tuple[int, Period]]
) -> None:
    records = [BookingRecord(f"a{i}", period, BookingStatus.BOOKED) for i, period in booked]
    per_asset = {
        f"a{i}": asset_months(
            AssetCapacity(f"a{i}", owner, tuple(opens)), records, [], BASE, BASE + timedelta(days=15), UTC
        )
        for i, (opens, owner) in enumerate(assets)
    }
    owner_of = {f"a{i}": owner for i, (_, owner) in enumerate(assets)}
    totals = owner_months(per_asset, owner_of)
    for owner, months in totals.items():
        for index, usage in enumerate(months):
            mine = [per_asset[a][index] for a in per_asset if owner_of[a] == owner]
            assert usage.open_minutes == sum(m.open_minutes for m in mine)
            assert usage.booked_minutes == sum(m.booked_minutes for m in mine)
            assert 0 <= usage.utilisation_permille <= 1000


def _minute(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(minutes=1)
