"""Booking the community hall, the drills and the books (commons/domain/booking_rules.py).

The hall is in London, open Monday to Friday 09:00–17:00 and Saturday 10:00–14:00. Ann is a member who books it.
Properties: a booking the rules accept never comes within the buffer of another; free slots shown in the day view
are bookable; items out never exceed the stock; the overdue fee is zero on time and only grows with lateness."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ostrom.commons.domain.booking_rules import (
    BookingRules,
    OpeningHours,
    Period,
    UnitBooking,
    WhoMayBook,
    Window,
    available_units,
    check_booking,
    check_items_out,
    check_may_book,
    check_stock_quantity,
    check_units,
    free_slots,
    hold_expired,
    open_periods,
    overdue_days,
    overdue_fee,
)
from ostrom.communities.domain import DomainError

LONDON = ZoneInfo("Europe/London")
HALL_HOURS = OpeningHours(LONDON, (*(Window(day, 9 * 60, 17 * 60) for day in range(5)), Window(5, 10 * 60, 14 * 60)))
RULES = BookingRules(lead_time_minutes=60, max_duration_minutes=4 * 60, max_bookings_per_month=3, buffer_minutes=15)
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=LONDON)  # a Sunday
MONDAY = date(2025, 6, 2)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def book(start: datetime, end: datetime, **overrides: object) -> None:
    arguments: dict[str, object] = {
        "rules": RULES,
        "hours": HALL_HOURS,
        "start": start,
        "end": end,
        "now": NOW,
        "existing_intervals": (),
        "maintenance": (),
        "member_bookings_this_month": 0,
        "member_has_overdue": False,
        "block_when_overdue": True,
    }
    arguments.update(overrides)
    check_booking(**arguments)  # type: ignore[arg-type]


def refused_with(code: str, start: datetime, end: datetime, **overrides: object) -> DomainError:
    with pytest.raises(DomainError) as caught:
        book(start, end, **overrides)
    assert caught.value.code == code
    assert caught.value.message.endswith(".")
    return caught.value


# -- opening hours ---------------------------------------------------------------------------------------------


def test_it_rejects_overlapping_windows_on_a_day() -> None:
    with pytest.raises(DomainError) as caught:
        OpeningHours(LONDON, (Window(0, 9 * 60, 12 * 60), Window(0, 11 * 60, 13 * 60)))
    assert caught.value.code == "opening_hours_overlap"
    assert "Monday" in caught.value.message


def test_the_same_times_on_different_days_do_not_overlap() -> None:
    OpeningHours(LONDON, (Window(0, 9 * 60, 12 * 60), Window(1, 9 * 60, 12 * 60)))


def test_a_window_must_close_after_it_opens() -> None:
    with pytest.raises(DomainError) as caught:
        Window(2, 12 * 60, 9 * 60)
    assert caught.value.code == "opening_hours_ends_before_start"


def test_a_window_may_not_run_past_midnight() -> None:
    with pytest.raises(DomainError) as caught:
        Window(4, 22 * 60, 26 * 60)
    assert caught.value.code == "opening_hours_cross_midnight"


@pytest.mark.parametrize(("weekday", "start", "end"), [(7, 0, 60), (-1, 0, 60), (0, -5, 60), (0, 1440, 1500)])
def test_it_rejects_a_window_outside_the_week(weekday: int, start: int, end: int) -> None:
    with pytest.raises(DomainError) as caught:
        Window(weekday, start, end)
    assert caught.value.code in {"invalid_opening_hours", "opening_hours_cross_midnight"}


def test_a_late_opening_split_at_midnight_can_be_booked_across_it() -> None:
    late = OpeningHours(LONDON, (Window(4, 22 * 60, 24 * 60), Window(5, 0, 2 * 60)))
    friday = date(2025, 6, 6)
    book(at(friday, 23), at(friday + timedelta(days=1), 1), hours=late)
    assert open_periods(late, at(friday, 0), at(friday, 0) + timedelta(days=2)) == (
        Period(at(friday, 22), at(friday + timedelta(days=1), 2)),
    )


@pytest.mark.parametrize("day", [date(2025, 3, 30), date(2025, 10, 26)])  # British Summer Time starts / ends
def test_a_nine_to_five_window_is_eight_hours_on_the_days_the_clocks_change(day: date) -> None:
    sundays = OpeningHours(LONDON, (Window(6, 9 * 60, 17 * 60),))
    (period,) = open_periods(sundays, at(day, 0), at(day + timedelta(days=1), 0))
    assert period.minutes == 8 * 60
    assert period.start.astimezone(LONDON).hour == 9
    assert period.end.astimezone(LONDON).hour == 17


def test_a_window_across_the_clock_change_is_the_real_elapsed_time() -> None:
    night = OpeningHours(LONDON, (Window(6, 0, 3 * 60),))
    spring, autumn = date(2025, 3, 30), date(2025, 10, 26)
    (short,) = open_periods(night, at(spring, 0), at(spring, 12))
    (long,) = open_periods(night, at(autumn, 0), at(autumn, 12))
    assert (short.minutes, long.minutes) == (2 * 60, 4 * 60)


def test_a_closure_takes_a_day_out_of_the_opening_hours() -> None:
    bank_holiday = Period(at(MONDAY, 0), at(MONDAY + timedelta(days=1), 0))
    closed = OpeningHours(HALL_HOURS.zone, HALL_HOURS.windows, (bank_holiday,))
    assert open_periods(closed, at(MONDAY, 0), at(MONDAY, 23)) == ()
    refused_with("outside_opening_hours", at(MONDAY, 10), at(MONDAY, 11), hours=closed)


# -- booking rules ---------------------------------------------------------------------------------------------


def test_ann_books_the_hall_on_monday_morning() -> None:
    book(at(MONDAY, 10), at(MONDAY, 12))


def test_each_broken_rule_gives_its_own_code() -> None:
    refused_with("ends_before_start", at(MONDAY, 12), at(MONDAY, 10))
    refused_with("ends_before_start", at(MONDAY, 12), at(MONDAY, 12))
    refused_with("in_the_past", NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    refused_with("lead_time", NOW + timedelta(minutes=30), NOW + timedelta(minutes=90), hours=_always_open())
    error = refused_with("too_long", at(MONDAY, 9), at(MONDAY, 13, 1))
    assert "4 hours" in error.message
    refused_with("monthly_limit", at(MONDAY, 10), at(MONDAY, 12), member_bookings_this_month=3)
    refused_with("overdue_block", at(MONDAY, 10), at(MONDAY, 12), member_has_overdue=True)
    refused_with("outside_opening_hours", at(MONDAY, 16), at(MONDAY, 18))
    next_sunday = MONDAY + timedelta(days=6)
    refused_with("outside_opening_hours", at(next_sunday, 10), at(next_sunday, 11))
    repairs = (Period(at(MONDAY, 11), at(MONDAY, 15)),)
    refused_with("under_maintenance", at(MONDAY, 10), at(MONDAY, 12), maintenance=repairs)


def test_the_rules_a_member_is_under_can_be_switched_off() -> None:
    book(at(MONDAY, 10), at(MONDAY, 12), member_has_overdue=True, block_when_overdue=False)
    book(at(MONDAY, 10), at(MONDAY, 12), member_bookings_this_month=50, rules=BookingRules())


def test_naive_times_are_refused() -> None:
    refused_with("naive_time", datetime(2025, 6, 2, 10), datetime(2025, 6, 2, 12))


def test_the_buffer_keeps_fifteen_minutes_between_bookings() -> None:
    bob = (Period(at(MONDAY, 10), at(MONDAY, 12)),)
    error = refused_with("overlaps_booking", at(MONDAY, 12, 10), at(MONDAY, 13), existing_intervals=bob)
    assert "15 minutes" in error.message
    refused_with("overlaps_booking", at(MONDAY, 9), at(MONDAY, 9, 50), existing_intervals=bob)
    book(at(MONDAY, 12, 15), at(MONDAY, 13), existing_intervals=bob)
    book(at(MONDAY, 9), at(MONDAY, 9, 45), existing_intervals=bob)


def test_back_to_back_bookings_are_fine_without_a_buffer() -> None:
    bob = (Period(at(MONDAY, 10), at(MONDAY, 12)),)
    book(at(MONDAY, 12), at(MONDAY, 13), existing_intervals=bob, rules=BookingRules())


@pytest.mark.parametrize(
    "bad",
    [
        {"lead_time_minutes": -1},
        {"buffer_minutes": -5},
        {"max_duration_minutes": 0},
        {"max_bookings_per_month": 0},
        {"max_duration_minutes": 400 * 24 * 60},
    ],
)
def test_it_rejects_nonsense_rules(bad: dict[str, int]) -> None:
    with pytest.raises(DomainError) as caught:
        BookingRules(**bad)  # type: ignore[arg-type]
    assert caught.value.code == "invalid_booking_rules"
    assert caught.value.field == next(iter(bad))


def test_only_trained_members_may_book_the_chainsaw() -> None:
    chainsaw = BookingRules(who_may_book=WhoMayBook.TRAINED_MEMBERS)
    with pytest.raises(DomainError) as caught:
        check_may_book(chainsaw, WhoMayBook.ANY_MEMBER)
    assert caught.value.code == "not_allowed_to_book"
    check_may_book(chainsaw, WhoMayBook.TRAINED_MEMBERS)
    check_may_book(chainsaw, WhoMayBook.COORDINATORS)
    check_may_book(BookingRules(), WhoMayBook.ANY_MEMBER)


def _always_open() -> OpeningHours:
    return OpeningHours(LONDON, tuple(Window(day, 0, 24 * 60) for day in range(7)))


ALWAYS_OPEN = _always_open()
# A small grid of quarter hours over two days keeps collisions (and so refusals) frequent.
quarter_hours = st.integers(min_value=0, max_value=2 * 96)


@st.composite
def periods(draw: st.DrawFn) -> Period:
    start = draw(quarter_hours)
    length = draw(st.integers(min_value=1, max_value=16))
    base = at(MONDAY, 0)
    return Period(base + timedelta(minutes=15 * start), base + timedelta(minutes=15 * (start + length)))


@settings(max_examples=80, deadline=None)
@given(existing=st.lists(periods(), max_size=6), asked=periods(), buffer=st.sampled_from([0, 10, 15, 30, 60]))
def test_an_accepted_booking_never_comes_within_the_buffer_of_another(
    existing: list[Period], asked: Period, buffer: int
) -> None:
    rules = BookingRules(max_duration_minutes=24 * 60, buffer_minutes=buffer)
    try:
        book(asked.start, asked.end, rules=rules, hours=ALWAYS_OPEN, existing_intervals=existing)
    except DomainError as error:
        assert error.code == "overlaps_booking"
        return
    gap = timedelta(minutes=buffer)
    for other in existing:
        assert asked.end + gap <= other.start or other.end + gap <= asked.start


@settings(max_examples=60, deadline=None)
@given(
    existing=st.lists(periods(), max_size=5),
    repairs=st.lists(periods(), max_size=2),
    buffer=st.sampled_from([0, 15, 45]),
    offset=st.integers(min_value=0, max_value=1000),
    length=st.integers(min_value=1, max_value=600),
)
def test_every_stretch_inside_a_free_slot_can_be_booked(
    existing: list[Period], repairs: list[Period], buffer: int, offset: int, length: int
) -> None:
    rules = BookingRules(max_duration_minutes=24 * 60, buffer_minutes=buffer)
    slots = free_slots(HALL_HOURS, rules, MONDAY, existing, repairs)
    for slot in slots:
        assert slot.start.astimezone(LONDON).date() == MONDAY
        start = slot.start + timedelta(minutes=offset % slot.minutes)
        end = min(slot.end, start + timedelta(minutes=length))
        book(start, end, rules=rules, existing_intervals=existing, maintenance=repairs)


def test_the_day_view_shows_the_gaps_around_bobs_booking() -> None:
    bob = (Period(at(MONDAY, 10), at(MONDAY, 12)),)
    assert free_slots(HALL_HOURS, RULES, MONDAY, bob, ()) == (
        Period(at(MONDAY, 9), at(MONDAY, 9, 45)),
        Period(at(MONDAY, 12, 15), at(MONDAY, 17)),
    )
    assert free_slots(HALL_HOURS, RULES, MONDAY - timedelta(days=1), (), ()) == ()


# -- stock and membership caps ---------------------------------------------------------------------------------


def test_stock_cannot_be_negative() -> None:
    with pytest.raises(DomainError) as caught:
        check_stock_quantity(-1)
    assert caught.value.code == "negative_stock"
    with pytest.raises(DomainError):
        available_units(-3, [])


def test_bookings_one_after_another_do_not_add_up() -> None:
    drills = [
        UnitBooking(Period(at(MONDAY, 9), at(MONDAY, 11)), 2),
        UnitBooking(Period(at(MONDAY, 11), at(MONDAY, 13)), 2),
    ]
    assert available_units(3, drills) == 1
    assert available_units(3, drills, Period(at(MONDAY, 12), at(MONDAY, 14))) == 1
    assert available_units(3, drills, Period(at(MONDAY, 13), at(MONDAY, 14))) == 3
    with pytest.raises(DomainError) as caught:
        check_units(3, 2, drills, Period(at(MONDAY, 10), at(MONDAY, 12)))
    assert caught.value.code == "not_enough_stock"
    assert "Only 1" in caught.value.message


@settings(max_examples=80, deadline=None)
@given(
    stock=st.integers(min_value=0, max_value=5),
    requests=st.lists(st.tuples(periods(), st.integers(min_value=1, max_value=4)), max_size=12),
)
def test_the_items_out_never_exceed_the_stock(stock: int, requests: list[tuple[Period, int]]) -> None:
    accepted: list[UnitBooking] = []
    for period, units in requests:
        try:
            check_units(stock, units, accepted, period)
        except DomainError as error:
            assert error.code == "not_enough_stock"
            continue
        accepted.append(UnitBooking(period, units))
        assert available_units(stock, accepted) >= 0
    for moment in {b.period.start for b in accepted}:
        assert sum(b.units for b in accepted if b.period.start <= moment < b.period.end) <= stock


def test_a_membership_caps_the_items_out() -> None:
    check_items_out(3, 1, 2)
    check_items_out(None, 50, 10)
    with pytest.raises(DomainError) as caught:
        check_items_out(3, 2, 2)
    assert caught.value.code == "items_out_cap"
    for cap, out_now, asking in [(3, -1, 1), (3, 0, 0), (-1, 0, 1)]:
        with pytest.raises(DomainError) as bad:
            check_items_out(cap, out_now, asking)
        assert bad.value.code == "invalid_units"


# -- overdue fees and holds ------------------------------------------------------------------------------------

DUE = datetime(2025, 6, 2, 17, 0, tzinfo=LONDON)


def test_no_fee_when_returned_on_time() -> None:
    assert overdue_fee(DUE, DUE, 5, LONDON) == 0
    assert overdue_fee(DUE, DUE - timedelta(days=3), 5, LONDON) == 0


def test_every_started_day_late_costs_the_daily_fee() -> None:
    assert overdue_fee(DUE, DUE + timedelta(minutes=1), 5, LONDON) == 5
    assert overdue_fee(DUE, DUE + timedelta(days=1), 5, LONDON) == 5
    assert overdue_fee(DUE, DUE + timedelta(days=1, minutes=1), 5, LONDON) == 10
    assert overdue_fee(DUE, DUE + timedelta(days=10), 5, LONDON) == 50


def test_the_short_day_of_the_clock_change_counts_as_one_day() -> None:
    # Arithmetic in UTC: adding to a London time would add wall-clock hours, which is what we are testing.
    due = datetime(2025, 3, 29, 12, 0, tzinfo=LONDON).astimezone(UTC)
    sunday_noon = datetime(2025, 3, 30, 12, 0, tzinfo=LONDON)
    assert sunday_noon - due == timedelta(hours=23)
    assert overdue_days(due, sunday_noon, LONDON) == 1
    assert overdue_days(due, sunday_noon + timedelta(minutes=1), LONDON) == 2
    autumn_due = datetime(2025, 10, 25, 12, 0, tzinfo=LONDON).astimezone(UTC)
    assert overdue_days(autumn_due, autumn_due + timedelta(hours=25), LONDON) == 1
    assert overdue_days(autumn_due, autumn_due + timedelta(hours=25, minutes=1), LONDON) == 2


def test_the_fee_cannot_be_negative() -> None:
    with pytest.raises(DomainError) as caught:
        overdue_fee(DUE, DUE + timedelta(days=2), -1, LONDON)
    assert caught.value.code == "negative_fee"


lateness = st.integers(min_value=-3 * 24 * 60, max_value=400 * 24 * 60)


@settings(max_examples=100, deadline=None)
@given(
    due_minute=st.integers(min_value=0, max_value=366 * 24 * 60),
    first=lateness,
    second=lateness,
    fee=st.integers(min_value=0, max_value=100),
)
def test_the_fee_grows_with_lateness_and_is_zero_on_time(due_minute: int, first: int, second: int, fee: int) -> None:
    due = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=due_minute)
    early, late = sorted((first, second))
    early_fee = overdue_fee(due, due + timedelta(minutes=early), fee, LONDON)
    late_fee = overdue_fee(due, due + timedelta(minutes=late), fee, LONDON)
    assert 0 <= early_fee <= late_fee
    if early <= 0:
        assert early_fee == 0
    days = overdue_days(due, due + timedelta(minutes=late), LONDON)
    assert late_fee == days * fee
    if late > 0:  # within an hour of the naive count either way: clock changes move a day's start by an hour
        assert (late - 60 + 24 * 60 - 1) // (24 * 60) <= days <= (late + 60 + 24 * 60 - 1) // (24 * 60)


def test_a_hold_lapses_at_its_expiry() -> None:
    expires = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
    assert not hold_expired(expires, expires - timedelta(seconds=1))
    assert hold_expired(expires, expires)
    assert hold_expired(expires, expires + timedelta(days=1))
    with pytest.raises(DomainError):
        hold_expired(datetime(2025, 6, 2, 12), expires)
