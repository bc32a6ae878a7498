"""Sharing a travelling service's visits between villages (commons/domain/apportionment.py), and timetabling them.

The properties hold for any needs hypothesis can think of: the visits always add up, a bigger need never gets
fewer visits, largest remainders keep every village within one of its exact share, divisor methods never take a
visit away when the season grows, and every timetable spreads each village's visits evenly within capacity."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ostrom.commons.domain.apportionment import (
    DHONDT,
    LARGEST_REMAINDER,
    METHODS,
    SAINTE_LAGUE,
    Need,
    apportion,
    ideal_shares,
    schedule,
    tier_need,
    weighted_need,
)
from ostrom.communities.domain import DomainError

VILLAGES = ["ashby", "brill", "crowle", "dunstan", "elham", "fenby", "goxhill", "hutton"]

needs = st.dictionaries(
    st.sampled_from(VILLAGES), st.integers(min_value=0, max_value=60), min_size=1, max_size=len(VILLAGES)
).filter(lambda need: sum(need.values()) > 0)
methods = st.sampled_from(METHODS)
divisor_methods = st.sampled_from([SAINTE_LAGUE, DHONDT])


@st.composite
def apportion_cases(draw, method_strategy=methods):
    need = draw(needs)
    minimum = draw(st.integers(min_value=0, max_value=3))
    total = draw(st.integers(min_value=max(1, minimum * len(need)), max_value=80))
    return total, need, draw(method_strategy), minimum


def shuffled(mapping, seed):
    items = list(mapping.items())
    random.Random(seed).shuffle(items)
    return dict(items)


def divisor(method, seats):
    return 2 * seats + 1 if method == SAINTE_LAGUE else seats + 1


# --- apportioning visits ---------------------------------------------------------------------------------------


@given(apportion_cases())
def test_the_visits_always_add_up_and_every_village_gets_its_minimum(case):
    total, need, method, minimum = case
    visits = apportion(total, need, method, minimum)
    assert sum(visits.values()) == total
    assert set(visits) == set(need)
    assert all(count >= minimum for count in visits.values())


@given(needs, st.integers(min_value=1, max_value=80))
def test_largest_remainder_gives_every_village_its_exact_share_rounded_down_or_up(need, total):
    visits = apportion(total, need, LARGEST_REMAINDER)
    for village, share in ideal_shares(total, need).items():
        assert share - 1 < visits[village] < share + 1


@given(apportion_cases(divisor_methods))
def test_a_divisor_method_never_takes_a_visit_away_when_the_season_grows(case):
    total, need, method, minimum = case
    before = apportion(total, need, method, minimum)
    after = apportion(total + 1, need, method, minimum)
    assert all(after[village] >= before[village] for village in need)


@given(apportion_cases(divisor_methods))
def test_a_divisor_method_result_is_need_per_divisor_rounded_for_one_common_divisor(case):
    # The defining property of a divisor method: the weakest claim to a visit a village was given is at least as
    # strong as the strongest claim to a visit nobody was given (visits above the minimum only).
    total, need, method, minimum = case
    visits = apportion(total, need, method, minimum)
    given_claims = [Fraction(need[v], divisor(method, visits[v] - 1)) for v in need if visits[v] > minimum]
    refused_claims = [Fraction(need[v], divisor(method, visits[v])) for v in need]
    if given_claims:
        assert min(given_claims) >= max(refused_claims)


@given(apportion_cases())
def test_a_village_with_more_need_never_gets_fewer_visits(case):
    total, need, method, minimum = case
    visits = apportion(total, need, method, minimum)
    for a in need:
        for b in need:
            if need[a] > need[b]:
                assert visits[a] >= visits[b]


@given(apportion_cases(), st.integers(min_value=0, max_value=1000))
def test_the_result_is_the_same_whatever_order_the_villages_come_in(case, seed):
    total, need, method, minimum = case
    first = apportion(total, need, method, minimum)
    again = apportion(total, shuffled(need, seed), method, minimum)
    assert first == again
    assert list(again) == sorted(need)


@given(st.integers(min_value=1, max_value=60), st.integers(min_value=1, max_value=5), methods)
def test_villages_with_equal_need_get_visits_differing_by_at_most_one(total, villages, method):
    visits = apportion(total, dict.fromkeys(VILLAGES[:villages], 7), method)
    assert max(visits.values()) - min(visits.values()) <= 1


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        (DHONDT, {"ashby": 4, "brill": 3, "crowle": 1, "dunstan": 0}),
        (SAINTE_LAGUE, {"ashby": 3, "brill": 3, "crowle": 1, "dunstan": 1}),
        (LARGEST_REMAINDER, {"ashby": 3, "brill": 3, "crowle": 1, "dunstan": 1}),
    ],
)
def test_it_matches_the_textbook_example(method, expected):
    # The standard worked example (100,000 / 80,000 / 30,000 / 20,000 votes for 8 seats), scaled down.
    assert apportion(8, {"ashby": 100, "brill": 80, "crowle": 30, "dunstan": 20}, method) == expected


def test_a_minimum_is_a_floor_not_a_bonus():
    need = {"ashby": 90, "brill": 9, "crowle": 1}
    assert apportion(10, need, SAINTE_LAGUE) == {"ashby": 9, "brill": 1, "crowle": 0}
    assert apportion(10, need, SAINTE_LAGUE, minimum_per_place=1) == {"ashby": 8, "brill": 1, "crowle": 1}
    assert apportion(10, need, LARGEST_REMAINDER, minimum_per_place=1) == {"ashby": 8, "brill": 1, "crowle": 1}


def test_a_village_with_no_registered_need_gets_only_its_minimum():
    need = {"ashby": 5, "brill": 0}
    for method in METHODS:
        assert apportion(6, need, method) == {"ashby": 6, "brill": 0}
        assert apportion(6, need, method, minimum_per_place=2) == {"ashby": 4, "brill": 2}


def test_a_tie_goes_to_the_larger_need_then_to_the_smaller_place_id():
    # Sainte-Laguë: ashby's claim to a second visit (3/3) equals brill's claim to a first (1/1).
    assert apportion(2, {"brill": 1, "ashby": 3}, SAINTE_LAGUE) == {"ashby": 2, "brill": 0}
    assert apportion(2, {"brill": 3, "ashby": 1}, SAINTE_LAGUE) == {"ashby": 0, "brill": 2}
    # Largest remainder: both remainders are one half.
    assert apportion(2, {"ashby": 1, "brill": 3}, LARGEST_REMAINDER) == {"ashby": 0, "brill": 2}
    for method in METHODS:
        assert apportion(1, {"brill": 4, "ashby": 4}, method) == {"ashby": 1, "brill": 0}
        assert apportion(1, {2: 4, 1: 4}, method) == {1: 1, 2: 0}


def test_largest_remainder_can_take_a_visit_away_when_the_season_grows():
    # The Alabama paradox: why a divisor method is the default. Hamilton with 10 then 11 visits.
    need = {"ashby": 6, "brill": 6, "crowle": 2}
    assert apportion(10, need, LARGEST_REMAINDER)["crowle"] == 2
    assert apportion(11, need, LARGEST_REMAINDER)["crowle"] == 1
    assert apportion(11, need, SAINTE_LAGUE)["crowle"] >= apportion(10, need, SAINTE_LAGUE)["crowle"]


def test_tiers_give_integer_points_with_their_reason():
    registered = [tier_need("ashby", "standard"), tier_need("ashby", "no_car"), tier_need("brill", "housebound")]
    assert weighted_need(registered, places=["crowle"]) == {"ashby": 5, "brill": 4, "crowle": 0}
    assert all(need.reason for need in registered)


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda: apportion(0, {"ashby": 3}), "visits_not_positive"),
        (lambda: apportion(-4, {"ashby": 3}), "visits_not_positive"),
        (lambda: apportion(True, {"ashby": 3}), "visits_not_positive"),
        (lambda: apportion(10_001, {"ashby": 3}), "too_many_visits"),
        (lambda: apportion(5, {}), "no_places"),
        (lambda: apportion(5, {"ashby": -1, "brill": 4}), "need_negative"),
        (lambda: apportion(5, {"ashby": 0, "brill": 0}), "no_registered_need"),
        (lambda: apportion(5, {"ashby": 3}, method="loudest"), "unknown_method"),
        (lambda: apportion(5, {"ashby": 3}, minimum_per_place=-1), "minimum_negative"),
        (lambda: apportion(5, {"ashby": 3, "brill": 1, "crowle": 1}, minimum_per_place=2), "minimums_exceed_visits"),
        (lambda: weighted_need([Need("ashby", 3, "  ")]), "need_reason_missing"),
        (lambda: weighted_need([Need("ashby", 0, "no car")]), "need_weight_invalid"),
        (lambda: weighted_need([Need("ashby", 101, "no car")]), "need_weight_invalid"),
        (lambda: tier_need("ashby", "loud"), "unknown_need_tier"),
        (lambda: schedule({}, 4), "no_places"),
        (lambda: schedule({"ashby": 2}, 0), "periods_invalid"),
        (lambda: schedule({"ashby": -2}, 4), "visits_negative"),
        (lambda: schedule({"ashby": 2}, 4, capacity_per_period=0), "capacity_not_positive"),
        (lambda: schedule({"ashby": 5, "brill": 4}, 4, capacity_per_period=2), "schedule_over_capacity"),
    ],
)
def test_it_refuses_bad_input_with_a_sentence(call, code):
    with pytest.raises(DomainError) as refusal:
        call()
    assert refusal.value.code == code
    assert refusal.value.message.endswith(".")


def test_the_refusal_for_too_many_minimums_says_what_is_missing():
    with pytest.raises(DomainError, match="needs 6 visits, but only 5 are available"):
        apportion(5, {"ashby": 3, "brill": 1, "crowle": 1}, minimum_per_place=2)


# --- timetabling the visits ------------------------------------------------------------------------------------


@st.composite
def schedule_cases(draw):
    periods = draw(st.integers(min_value=1, max_value=26))
    visits = draw(
        st.dictionaries(st.sampled_from(VILLAGES), st.integers(min_value=0, max_value=2 * periods), min_size=1)
    )
    total = sum(visits.values())
    floor_capacity = max(1, -(-total // periods))
    capacity = draw(st.one_of(st.none(), st.integers(min_value=floor_capacity, max_value=floor_capacity + 2)))
    return visits, periods, capacity


def running_totals_are_within_one(visits, periods, per_period):
    done = 0
    for t, count in enumerate(per_period, start=1):
        done += count
        if abs(done * periods - visits * t) >= periods:
            return False
    return True


def every_window_is_within_one(visits, periods, per_period):
    for start in range(periods):
        done = 0
        for end in range(start, periods):
            done += per_period[end]
            if abs(done * periods - visits * (end - start + 1)) >= periods:
                return False
    return True


@settings(max_examples=150)
@given(schedule_cases())
def test_a_timetable_holds_every_visit_within_capacity_spread_evenly(case):
    visits, periods, capacity = case
    timetable = schedule(visits, periods, capacity)
    assert len(timetable.periods) == periods
    if capacity is not None:
        assert all(len(visited) <= capacity for visited in timetable.periods)
    else:
        assert timetable.every_window_even
    for village, count in visits.items():
        per_period = timetable.visits_per_period(village)
        assert sum(per_period) == count
        assert running_totals_are_within_one(count, periods, per_period)
        if timetable.every_window_even:
            assert every_window_is_within_one(count, periods, per_period)


@settings(max_examples=60)
@given(schedule_cases(), st.integers(min_value=0, max_value=1000))
def test_a_timetable_is_the_same_whatever_order_the_villages_come_in(case, seed):
    visits, periods, capacity = case
    assert schedule(visits, periods, capacity) == schedule(shuffled(visits, seed), periods, capacity)


def test_staggering_keeps_a_full_van_even_in_every_window():
    timetable = schedule({"ashby": 6, "brill": 6, "crowle": 4, "dunstan": 2}, 6, capacity_per_period=3)
    assert timetable.every_window_even
    assert [len(visited) for visited in timetable.periods] == [3] * 6


def test_when_even_windows_cannot_fit_the_capacity_running_totals_still_stay_within_one():
    # Visiting every other week, every third week and every sixth week cannot share one slot a week: the
    # every-other-week pattern meets every every-third-week pattern (a known impossibility).
    visits = {"ashby": 3, "brill": 2, "crowle": 1}
    timetable = schedule(visits, 6, capacity_per_period=1)
    assert not timetable.every_window_even
    assert all(len(visited) == 1 for visited in timetable.periods)
    for village, count in visits.items():
        assert running_totals_are_within_one(count, 6, timetable.visits_per_period(village))


def test_apportioned_visits_can_be_timetabled_for_a_season():
    need = weighted_need(
        [tier_need("ashby", "no_car")] * 9 + [tier_need("brill", "standard")] * 4 + [tier_need("crowle", "housebound")]
    )
    visits = apportion(26, need, SAINTE_LAGUE, minimum_per_place=2)
    timetable = schedule(visits, 13, capacity_per_period=2)
    assert visits == {"ashby": 18, "brill": 5, "crowle": 3}  # 27, 8 and 4 points: quotas 18, 5⅓, 2⅔
    assert sum(len(visited) for visited in timetable.periods) == 26
