"""Rotation (Alanya): everyone walks the same path from a starting place drawn by lot. Property tests for the
counts the rule promises, plus the schedule's shape, reproducibility, certificates and refusals."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ostrom.commons.domain import rotation
from ostrom.commons.domain.certificates import verify
from ostrom.communities.domain import DomainError

SEEDS = st.integers(min_value=0, max_value=2**63 - 1)
PROPERTY_RUNS = settings(max_examples=80, deadline=None)
UP_TO_12 = st.integers(1, 12)


def people(count: int) -> list[str]:
    return [f"p{i}" for i in range(count)]


def places(count: int) -> list[int]:
    return list(range(100, 100 + count))


@st.composite
def rotations(draw, participants=UP_TO_12, sites=UP_TO_12, turn=True, more_people=False):
    n = draw(sites)
    m = n + draw(UP_TO_12) if more_people else draw(participants)
    periods = draw(st.integers(1, 60))
    turning = draw(st.none() | st.integers(1, periods - 1)) if turn and periods > 1 else None
    seed = draw(SEEDS)
    return rotation.rotate(people(m), places(n), periods, seed, turning), m, n, periods, turning


def site_counts_between(result, low, high):
    """Every participant's count at every site (0 where never visited) lies in [low, high]."""
    sites = result.inputs["sites"]
    return all(low <= counts.get(site, 0) <= high for counts in result.visits.values() for site in sites)


@PROPERTY_RUNS
@given(st.integers(1, 12), st.integers(1, 60), SEEDS)
def test_with_as_many_people_as_sites_each_gets_each_site_floor_or_ceil_of_t_over_n_times(n, periods, seed):
    result = rotation.rotate(people(n), places(n), periods, seed)
    assert site_counts_between(result, periods // n, -(-periods // n))
    assert result.certificate.properties["each_site_floor_or_ceil_times"]


@PROPERTY_RUNS
@given(rotations(turn=False))
def test_in_one_direction_each_gets_each_site_floor_or_ceil_of_t_over_the_ring_times(case):
    # The ring has max(m, n) places: n sites plus, when people outnumber sites, m - n waiting places.
    result, m, n, periods, _ = case
    ring = max(m, n)
    assert site_counts_between(result, periods // ring, -(-periods // ring))


@PROPERTY_RUNS
@given(rotations(turn=False, more_people=True))
def test_with_more_people_than_sites_numbers_of_turns_differ_by_at_most_one(case):
    result, _, _, _, _ = case
    assert max(result.turns.values()) - min(result.turns.values()) <= 1
    assert result.certificate.properties["turns_within_one"]


@PROPERTY_RUNS
@given(rotations(more_people=True))
def test_with_more_people_than_sites_a_change_of_direction_costs_at_most_one_more_turn(case):
    # The east stretch and the west stretch of the path each share out turns within one.
    result, _, _, _, turning = case
    assert max(result.turns.values()) - min(result.turns.values()) <= (1 if turning is None else 2)


@PROPERTY_RUNS
@given(rotations())
def test_every_period_gives_each_site_and_each_person_at_most_once_and_leaves_no_site_idle_needlessly(case):
    result, m, n, periods, _ = case
    assert len(result.schedule) == periods
    for period in result.schedule:
        assert set(period) <= set(places(n))  # each site at most once: one occupant per key
        assert len(set(period.values())) == len(period)  # each person at most once
        assert len(period) == min(m, n)
    assert sum(result.turns.values()) == periods * min(m, n)


@PROPERTY_RUNS
@given(rotations(participants=st.integers(1, 8), sites=st.integers(8, 12)))
def test_with_people_to_spare_no_one_ever_sits_out_and_everyone_walks_the_same_path(case):
    result, _, _, periods, _ = case
    assert set(result.turns.values()) == {periods}
    assert len({tuple(sorted(counts.values())) for counts in result.visits.values()}) == 1


@PROPERTY_RUNS
@given(rotations(participants=st.integers(2, 10), sites=st.just(10)))
def test_everyone_moves_one_site_east_until_the_turn_then_west(case):
    result, _, n, periods, turning = case
    sites = places(n)
    for period in range(1, periods):
        step = rotation.EAST if turning is None or period < turning else rotation.WEST
        before = {who: sites.index(site) for site, who in result.schedule[period - 1].items()}
        after = {who: sites.index(site) for site, who in result.schedule[period].items()}
        assert all(after[who] == (before[who] + step) % n for who in before)


@PROPERTY_RUNS
@given(rotations())
def test_it_is_reproducible_from_the_seed_and_its_certificate_verifies(case):
    result, m, n, periods, turning = case
    again = rotation.rotate(people(m), places(n), periods, result.certificate.seed, turning)
    assert again.schedule == result.schedule
    assert again.certificate == result.certificate
    assert result.certificate.holds
    assert verify(result.certificate, result.inputs, rotation.rerun)


def test_the_lottery_decides_the_starting_places():
    starts = {rotation.rotate(people(6), places(6), 1, seed).starting_order for seed in range(40)}
    assert len(starts) > 30
    assert all(sorted(order) == people(6) for order in starts)


def test_an_alanya_season_in_miniature():
    # Four fishers, four sites listed east to west; two days east, then back west.
    result = rotation.rotate(["ali", "bora", "cem", "deniz"], ["A", "B", "C", "D"], 5, seed=1, turning_period=3)
    day0 = result.schedule[0]
    start = {who: "ABCD".index(site) for site, who in day0.items()}
    for day, offset in enumerate([0, -1, -2, -1, 0]):
        assert result.schedule[day] == {"ABCD"[(start[who] + offset) % 4]: who for who in start}
    assert result.turns == {"ali": 5, "bora": 5, "cem": 5, "deniz": 5}


def test_with_more_people_than_sites_the_waiting_places_sit_between_the_sites():
    # Five people, three sites: a ring of five places, of which places 1, 3 and 4 are sites (evenly spread),
    # so the people drawn 1st and 3rd start by waiting.
    result = rotation.rotate(people(5), places(3), 10, seed=2)
    order = result.starting_order
    assert result.schedule[0] == {100: order[1], 101: order[3], 102: order[4]}
    assert set(result.turns.values()) == {6}  # 10 periods x 3 sites over 5 people


def test_tampered_inputs_fail_verification():
    result = rotation.rotate(people(4), places(4), 8, seed=3)
    tampered = {**result.inputs, "periods": 9}
    assert not verify(result.certificate, tampered, rotation.rerun)
    assert not verify(result.certificate, {**result.inputs, "sites": "abcd"}, rotation.rerun)


@pytest.mark.parametrize(
    ("participants", "sites", "periods", "turning", "code"),
    [
        ([], places(3), 5, None, "no_participants"),
        (people(3), [], 5, None, "no_sites"),
        (["a", "a"], places(3), 5, None, "duplicate_participant"),
        (people(2), [1, 1], 5, None, "duplicate_site"),
        ([1.5], places(2), 5, None, "invalid_participant"),
        (people(2), places(2), 0, None, "invalid_periods"),
        (people(2), places(2), rotation.MAX_PERIODS + 1, None, "invalid_periods"),
        (people(2), places(rotation.MAX_SITES), rotation.MAX_PERIODS, None, "rotation_too_large"),
        (people(2), places(2), 5, 0, "invalid_turning_period"),
        (people(2), places(2), 5, 5, "invalid_turning_period"),
    ],
)
def test_it_refuses_a_rotation_that_cannot_run(participants, sites, periods, turning, code):
    with pytest.raises(DomainError) as error:
        rotation.rotate(participants, sites, periods, seed=1, turning_period=turning)
    assert error.value.code == code
    assert error.value.message
