"""Quiet hours and digest periods in the community's own time, across midnight and the clock changes."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ostrom.notify.domain.quiet_hours import digest_period, is_quiet, next_allowed

LONDON = ZoneInfo("Europe/London")
NIGHT = (time(21, 0), time(8, 0))
LUNCH = (time(12, 0), time(13, 30))


def _london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def test_it_sends_at_once_outside_quiet_hours():
    now = _london(2025, 6, 3, 10, 0)
    assert next_allowed(now, *NIGHT) == now


def test_it_waits_until_the_morning_after_a_late_evening():
    assert next_allowed(_london(2025, 6, 3, 22, 15), *NIGHT) == _london(2025, 6, 4, 8, 0)


def test_it_waits_until_the_same_morning_after_midnight():
    assert next_allowed(_london(2025, 6, 4, 2, 0), *NIGHT) == _london(2025, 6, 4, 8, 0)


def test_it_treats_the_start_as_quiet_and_the_end_as_allowed():
    assert next_allowed(_london(2025, 6, 3, 21, 0), *NIGHT) == _london(2025, 6, 4, 8, 0)
    assert next_allowed(_london(2025, 6, 4, 8, 0), *NIGHT) == _london(2025, 6, 4, 8, 0)


def test_it_handles_quiet_hours_within_one_day():
    assert next_allowed(_london(2025, 6, 3, 12, 45), *LUNCH) == _london(2025, 6, 3, 13, 30)
    assert next_allowed(_london(2025, 6, 3, 14, 0), *LUNCH) == _london(2025, 6, 3, 14, 0)


@pytest.mark.parametrize(("start", "end"), [(None, None), (time(21, 0), None), (None, time(8, 0)), (time(9), time(9))])
def test_it_sends_at_any_time_without_quiet_hours(start, end):
    now = _london(2025, 6, 3, 23, 0)
    assert next_allowed(now, start, end) == now


def test_it_ends_quiet_hours_at_eight_local_time_on_the_night_the_clocks_go_forward():
    # 30 March 2025: at 01:00 GMT the clocks go to 02:00 BST, so that night is one hour shorter.
    now = _london(2025, 3, 29, 22, 0)
    allowed = next_allowed(now, *NIGHT)
    assert allowed == _london(2025, 3, 30, 8, 0)
    assert allowed.astimezone(UTC) == datetime(2025, 3, 30, 7, 0, tzinfo=UTC)
    assert allowed.astimezone(UTC) - now.astimezone(UTC) == timedelta(hours=9)


def test_it_ends_quiet_hours_at_eight_local_time_on_the_night_the_clocks_go_back():
    now = _london(2025, 10, 25, 22, 0)
    allowed = next_allowed(now, *NIGHT)
    assert allowed.astimezone(UTC) == datetime(2025, 10, 26, 8, 0, tzinfo=UTC)
    assert allowed.astimezone(UTC) - now.astimezone(UTC) == timedelta(hours=11)


def test_it_ends_quiet_hours_at_the_second_half_past_one_when_the_clocks_go_back_during_them():
    # 26 October 2025: 01:00-02:00 happens twice. At 01:15 GMT the 01:30 BST has passed; wait for 01:30 GMT.
    now = datetime(2025, 10, 26, 1, 15, tzinfo=UTC).astimezone(LONDON)
    allowed = next_allowed(now, time(0, 0), time(1, 30))
    assert allowed.astimezone(UTC) == datetime(2025, 10, 26, 1, 30, tzinfo=UTC)


def test_it_moves_an_end_the_clocks_skip_to_a_time_that_exists():
    now = _london(2025, 3, 30, 0, 30)
    allowed = next_allowed(now, time(0, 0), time(1, 30))
    assert allowed.astimezone(UTC) == datetime(2025, 3, 30, 1, 30, tzinfo=UTC)
    assert (allowed.hour, allowed.minute) == (2, 30)


times = st.times()
# Both readings of an hour the clocks repeat (fold 0 and 1), and hours they skip.
moments = st.builds(
    lambda moment, fold: moment.replace(fold=fold),
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(LONDON)),
    st.sampled_from([0, 1]),
)
# Instants within three hours of the 2025 clock changes, where wall-clock arithmetic goes wrong.
CLOCK_CHANGES = [datetime(2025, 3, 30, 1, 0, tzinfo=UTC), datetime(2025, 10, 26, 1, 0, tzinfo=UTC)]
near_clock_changes = st.builds(
    lambda change, minutes: (change + timedelta(minutes=minutes)).astimezone(LONDON),
    st.sampled_from(CLOCK_CHANGES),
    st.integers(-180, 180),
)
night_times = st.builds(time, st.integers(0, 3), st.sampled_from([0, 15, 30, 45]))


@given(
    st.one_of(moments, near_clock_changes),
    st.one_of(st.none(), times, night_times),
    st.one_of(st.none(), times, night_times),
)
def test_it_never_sends_in_quiet_hours_and_never_sends_earlier_than_now(now, start, end):
    allowed = next_allowed(now, start, end)
    waited = allowed.astimezone(UTC) - now.astimezone(UTC)
    # Within a day, unless a clock change skips the whole allowed window that day (e.g. quiet 01:15-01:00).
    assert timedelta(0) <= waited <= timedelta(days=2)
    assert not is_quiet(allowed, start, end)


def test_it_puts_a_day_from_midnight_to_midnight_local_time():
    start, end, label = digest_period(_london(2025, 6, 3, 18, 30), "daily")
    assert (start, end, label) == (_london(2025, 6, 3), _london(2025, 6, 4), "2025-06-03")


def test_it_puts_a_week_from_monday_midnight_and_labels_it_with_the_iso_week():
    start, end, label = digest_period(_london(2025, 6, 8, 23, 59), "weekly")  # a Sunday
    assert (start, end, label) == (_london(2025, 6, 2), _london(2025, 6, 9), "2025-W23")


def test_it_labels_a_week_across_new_year_with_its_iso_year():
    start, _end, label = digest_period(_london(2025, 1, 1, 9, 0), "weekly")
    assert start == _london(2024, 12, 30)
    assert label == "2025-W01"


def test_it_makes_the_day_the_clocks_go_forward_23_hours_long():
    start, end, _label = digest_period(_london(2025, 3, 30, 12, 0), "daily")
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=23)
    start, end, _label = digest_period(_london(2025, 3, 30, 12, 0), "weekly")
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=7 * 24 - 1)


@given(moments, st.sampled_from(["daily", "weekly"]))
def test_it_puts_every_moment_in_exactly_one_period_and_periods_touch(now, frequency):
    start, end, label = digest_period(now, frequency)
    assert start <= now < end
    # The same period from any moment in it, and the next one starts where this one ends.
    assert digest_period(start, frequency) == (start, end, label)
    assert digest_period(end - timedelta(microseconds=1), frequency) == (start, end, label)
    assert digest_period(end, frequency)[0] == end
    assert digest_period(end, frequency)[2] != label


def test_it_refuses_a_frequency_that_has_no_period():
    with pytest.raises(ValueError):
        digest_period(_london(2025, 6, 3), "off")
