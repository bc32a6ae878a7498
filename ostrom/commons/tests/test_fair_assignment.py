"""Fair assignment: the allotment committee (one plot each) and the community kitchen (several sessions a group).

Ana, Ben and Cai score plots; property tests draw random instances and hold the rule to its promises: EF1
(weighted by need), each slot at most once, capacities respected, the unit-demand total equal to the optimum of
linear_sum_assignment, and the same result for the same seed in whatever order the requests arrive."""

import itertools
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from ostrom.commons.domain.certificates import verify
from ostrom.commons.domain.fair_assignment import (
    SCORE_MAX,
    SlotRequest,
    assign_fairly,
    is_complete,
    is_ef1,
    is_weighted_ef1,
    rerun,
    scores_from_ranking,
)
from ostrom.communities.domain import DomainError

PROPERTY_SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- instances ---------------------------------------------------------------------------------------------------


@st.composite
def instances(draw, *, unit=False, weighted=False, equal_capacity=False, roomy=False):
    """Random requests: up to 6 members and 10 slots; scores often tie (a few popular values) or are 0."""
    members = draw(st.integers(1, 6))
    slots = [f"slot-{k}" for k in range(draw(st.integers(1, 10)))]
    score = st.one_of(st.sampled_from([0, 1, 50, SCORE_MAX]), st.integers(0, SCORE_MAX))
    shared_capacity = draw(st.integers(1, 4))
    requests = []
    for m in range(members):
        if unit:
            capacity = 1
        elif roomy:
            capacity = len(slots)
        else:
            capacity = shared_capacity if equal_capacity else draw(st.integers(1, 4))
        need = draw(st.integers(1, 5)) if weighted else 1
        requests.append(SlotRequest(f"member-{m}", {s: draw(score) for s in slots}, capacity, need))
    return requests, slots, draw(st.integers(0, 2**32))


def scores_of(requests):
    return {request.member: dict(request.scores) for request in requests}


def capacities_of(requests, slots):
    return {request.member: min(request.capacity, len(slots)) for request in requests}


def assert_well_formed(result, requests, slots):
    held = [slot for outcome in result.outcomes for slot in outcome.slots]
    assert len(held) == len(set(held)), "a slot went to two members"
    assert set(held) | set(result.unassigned) == set(slots) and not set(held) & set(result.unassigned)
    by_member = {request.member: request for request in requests}
    for outcome in result.outcomes:
        request = by_member[outcome.member]
        assert len(outcome.slots) <= request.capacity
        assert all(request.scores[slot] > 0 for slot in outcome.slots), "someone got a slot they scored 0"
        assert outcome.value == sum(request.scores[slot] for slot in outcome.slots)
    assert result.total_value == sum(outcome.value for outcome in result.outcomes)


# --- property tests ----------------------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(instances(unit=True, weighted=True))
def test_one_slot_each_reaches_the_optimal_total_of_linear_sum_assignment(instance):
    requests, slots, seed = instance
    result = assign_fairly(requests, slots, seed)

    matrix = np.array([[request.scores[slot] for slot in slots] for request in requests])
    rows, columns = linear_sum_assignment(matrix, maximize=True)
    assert result.path == "unit_demand"
    assert result.total_value == int(matrix[rows, columns].sum())
    assert_well_formed(result, requests, slots)
    assert result.properties == {"ef1": True, "weighted_ef1": True, "complete": True}


@PROPERTY_SETTINGS
@given(instances())
def test_several_slots_each_is_ef1_within_capacities_and_complete(instance):
    requests, slots, seed = instance
    result = assign_fairly(requests, slots, seed)

    assert_well_formed(result, requests, slots)
    scores = scores_of(requests)
    assert is_ef1(result.allocation, scores, capacities_of(requests, slots))
    assert is_complete(result.allocation, scores, slots, capacities_of(requests, slots))
    assert result.properties == {"ef1": True, "weighted_ef1": True, "complete": True}
    assert result.total_value >= result.turns_total_value


@PROPERTY_SETTINGS
@given(instances(equal_capacity=True))
def test_with_equal_capacities_it_is_plain_ef1(instance):
    requests, slots, seed = instance
    result = assign_fairly(requests, slots, seed)

    assert is_ef1(result.allocation, scores_of(requests))


@PROPERTY_SETTINGS
@given(instances(weighted=True, roomy=True))
def test_with_needs_and_room_for_everything_it_is_weighted_ef1(instance):
    requests, slots, seed = instance
    result = assign_fairly(requests, slots, seed)

    needs = {request.member: request.need for request in requests}
    assert_well_formed(result, requests, slots)
    assert is_weighted_ef1(result.allocation, scores_of(requests), needs)
    assert result.properties["weighted_ef1"] and result.properties["complete"]


@PROPERTY_SETTINGS
@given(instances(weighted=True))
def test_with_needs_and_capacities_it_is_weighted_ef1_within_capacities(instance):
    requests, slots, seed = instance
    result = assign_fairly(requests, slots, seed)

    needs = {request.member: request.need for request in requests}
    assert_well_formed(result, requests, slots)
    assert is_weighted_ef1(result.allocation, scores_of(requests), needs, capacities_of(requests, slots))
    assert result.properties["weighted_ef1"] and result.properties["complete"]


@PROPERTY_SETTINGS
@given(instances(weighted=True), st.randoms(use_true_random=False))
def test_the_same_seed_gives_the_same_result_whatever_the_order_of_requests(instance, shuffler):
    requests, slots, seed = instance
    first = assign_fairly(requests, slots, seed)
    shuffled_requests, shuffled_slots = list(requests), list(slots)
    shuffler.shuffle(shuffled_requests)
    shuffler.shuffle(shuffled_slots)

    assert assign_fairly(shuffled_requests, shuffled_slots, seed) == first
    assert verify(first.certificate, first.inputs_record, rerun)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_the_checkers_agree_with_the_definition_by_brute_force(data):
    """Against the definition itself: some slot g of j's, and every set of j's other slots that i could hold."""
    members = [f"m{k}" for k in range(data.draw(st.integers(2, 3)))]
    slots = [f"s{k}" for k in range(data.draw(st.integers(0, 6)))]
    owner = {slot: data.draw(st.sampled_from([*members, None])) for slot in slots}
    allocation = {m: [s for s in slots if owner[s] == m] for m in members}
    scores = {m: {s: data.draw(st.integers(0, 5)) for s in slots} for m in members}
    weights = {m: data.draw(st.integers(1, 4)) for m in members}
    capacities = {m: max(len(allocation[m]), data.draw(st.integers(1, 4))) for m in members}

    def holds(i, j, capacity, weighted):
        own = sum(scores[i][s] for s in allocation[i])
        w_i, w_j = (weights[i], weights[j]) if weighted else (1, 1)
        full = capacity is not None and len(allocation[i]) >= capacity
        for g in allocation[j] or [None]:
            rest = [s for s in allocation[j] if s != g]
            sizes = range(len(rest) + 1) if capacity is None else range(min(capacity, len(rest)) + 1)
            values = [
                sum(scores[i][s] for s in subset) for size in sizes for subset in itertools.combinations(rest, size)
            ]
            if all(own * w_j >= v * w_i or (full and own >= v) for v in values):
                return True
        return False

    for caps in (None, capacities):
        plain = all(holds(i, j, caps and caps[i], False) for i in members for j in members if i != j)
        weighted = all(holds(i, j, caps and caps[i], True) for i in members for j in members if i != j)
        assert is_ef1(allocation, scores, caps) == plain
        assert is_weighted_ef1(allocation, scores, weights, caps) == weighted


# --- examples ----------------------------------------------------------------------------------------------------


def plots(*names):
    return [f"plot-{name}" for name in names]


def test_each_plot_goes_where_the_total_is_greatest():
    requests = [
        SlotRequest("ana", {"plot-1": 100, "plot-2": 90}),
        SlotRequest("ben", {"plot-1": 100, "plot-2": 10}),
    ]
    result = assign_fairly(requests, plots(1, 2), seed=1)

    assert result.allocation == {"ana": ("plot-2",), "ben": ("plot-1",)}
    assert result.total_value == 190


def test_nobody_is_given_a_plot_they_scored_zero():
    requests = [SlotRequest("ana", {"plot-1": 0, "plot-2": 0}), SlotRequest("ben", {"plot-1": 5})]
    result = assign_fairly(requests, plots(1, 2), seed=3)

    assert result.allocation == {"ana": (), "ben": ("plot-1",)}
    assert result.unassigned == ("plot-2",)
    assert result.outcomes[0].explanation == "You did not score any slot above zero, so none was given to you."


def test_the_last_plot_is_drawn_by_lottery_weighted_by_need():
    """Two equal claims to one plot; Ben's need weight is 3 against Ana's 1, so he should win about 3 draws in 4."""
    requests = [SlotRequest("ana", {"plot-1": 100}, need=1), SlotRequest("ben", {"plot-1": 100}, need=3)]
    draws = 2_000
    ben_wins = sum(assign_fairly(requests, plots(1), seed).allocation["ben"] == ("plot-1",) for seed in range(draws))

    # 1,500 expected, standard deviation 19.4: five deviations either side; an unweighted draw gives about 1,000.
    assert 1_400 < ben_wins < 1_600


def test_who_goes_without_when_plots_are_scarce_is_an_even_draw():
    """Three equal claims to two identical plots: each member goes without about a third of the time."""
    requests = [SlotRequest(name, {"plot-1": 60, "plot-2": 60}) for name in ("ana", "ben", "cai")]
    draws = 1_200
    left_out = {"ana": 0, "ben": 0, "cai": 0}
    for seed in range(draws):
        result = assign_fairly(requests, plots(1, 2), seed)
        (nobody,) = [member for member, held in result.allocation.items() if not held]
        left_out[nobody] += 1

    expected = draws / 3
    chi_square = sum((count - expected) ** 2 / expected for count in left_out.values())
    assert chi_square < 13.8, left_out  # 2 degrees of freedom, p = 0.001


def test_which_of_two_equal_plots_someone_gets_is_drawn_not_alphabetical():
    requests = [SlotRequest("ana", {"plot-1": 70, "plot-2": 70})]
    got = {assign_fairly(requests, plots(1, 2), seed).allocation["ana"] for seed in range(200)}

    assert got == {("plot-1",), ("plot-2",)}


def test_a_run_is_reproducible_from_its_certificate_and_a_changed_score_is_caught():
    requests = [SlotRequest(name, {"plot-1": 80, "plot-2": 40, "plot-3": 60}) for name in ("ana", "ben")]
    result = assign_fairly(requests, plots(1, 2, 3), seed=42)

    assert result.certificate.method == "fair_assignment" and result.certificate.seed == 42
    assert verify(result.certificate, result.inputs_record, rerun)
    tampered = {**result.inputs_record, "members": [dict(m) for m in result.inputs_record["members"]]}
    tampered["members"][0]["scores"] = [100, 0, 0]
    assert not verify(result.certificate, tampered, rerun)
    with pytest.raises(DomainError) as error:
        rerun(42, {"slots": ["plot-1"]})
    assert error.value.code == "invalid_inputs"


def test_the_explanation_says_how_the_member_ranked_their_plot_and_where_they_were_drawn():
    requests = [
        SlotRequest("ana", scores_from_ranking(["plot-1", "plot-2"])),
        SlotRequest("ben", scores_from_ranking(["plot-1"])),
        SlotRequest("cai", scores_from_ranking(["plot-1"])),
    ]
    result = assign_fairly(requests, plots(1, 2), seed=5)
    by_member = {outcome.member: outcome for outcome in result.outcomes}

    assert by_member["ana"].explanation.startswith(
        "You received plot-2 (you scored it 99 of 100, your 2nd choice). Slots went to the arrangement with the "
        "greatest total score for everyone"
    )
    (lucky,) = [m for m in ("ben", "cai") if by_member[m].slots]
    (unlucky,) = [m for m in ("ben", "cai") if not by_member[m].slots]
    assert result.draw_order.index(lucky) < result.draw_order.index(unlucky)
    assert by_member[unlucky].explanation.startswith("You received no slot.")
    assert f"you were drawn {result.draw_order.index(unlucky) + 1}" in by_member[unlucky].explanation


def test_kitchen_sessions_are_taken_in_turns_in_proportion_to_need():
    """20 sessions, 8 groups; groups 0-3 have need 2, the rest need 1, and all like every session alike."""
    sessions = [f"session-{k:02d}" for k in range(20)]
    requests = [
        SlotRequest(f"group-{g}", dict.fromkeys(sessions, 50), capacity=20, need=2 if g < 4 else 1) for g in range(8)
    ]
    result = assign_fairly(requests, sessions, seed=11)

    counts = {outcome.member: len(outcome.slots) for outcome in result.outcomes}
    assert result.path == "picking_sequence" and sum(counts.values()) == 20
    assert all(counts[f"group-{g}"] in (3, 4) for g in range(4))  # twice the share of the others, give or take one
    assert all(counts[f"group-{g}"] in (1, 2) for g in range(4, 8))
    assert result.properties["weighted_ef1"] and result.properties["complete"]
    assert "your turns were the" in result.outcomes[0].explanation


def test_turns_follow_the_fewest_picks_per_unit_of_need():
    """Need 1 against need 5, eight sessions both like alike: turns go to the fewest picks per unit of need (Adams'
    order, which makes the weighted picking sequence weighted-EF1), so 2 and 6. Handing the next turn to the fewest
    picks-plus-one per need (D'Hondt's order) would give 1 and 7, and Ana, with one where Ben less one has 6/5 of
    hers per unit of need, would envy."""
    sessions = [f"session-{k}" for k in range(8)]
    requests = [
        SlotRequest("ana", dict.fromkeys(sessions, 10), 8, 1),
        SlotRequest("ben", dict.fromkeys(sessions, 10), 8, 5),
    ]
    for seed in range(5):
        result = assign_fairly(requests, sessions, seed)

        assert [len(outcome.slots) for outcome in result.outcomes] == [2, 6]
        assert result.properties == {"ef1": False, "weighted_ef1": True, "complete": True}


def test_exchanges_after_the_turns_raise_the_total_and_keep_ef1():
    """Ana and Ben may hold two sessions each. In turns, one of Ana's two favourites goes to Ben, and Ana takes a
    session worth 10 to her or nothing; handing Ana both favourites and Ben the other two raises the total to 250,
    the most possible, and Ben (70 against 80 + 70 less one) still does not envy her."""
    requests = [
        SlotRequest("ana", {"s0": 90, "s1": 10, "s2": 90, "s3": 0}, capacity=2),
        SlotRequest("ben", {"s0": 70, "s1": 40, "s2": 80, "s3": 30}, capacity=2),
    ]
    for seed in range(5):
        result = assign_fairly(requests, ["s0", "s1", "s2", "s3"], seed)

        assert result.turns_total_value < 250 and result.total_value == 250
        assert result.allocation == {"ana": ("s0", "s2"), "ben": ("s1", "s3")}
        assert result.properties == {"ef1": True, "weighted_ef1": True, "complete": True}
        assert "After the turns, some slots changed hands" in result.outcomes[1].explanation


def test_a_ranking_scores_100_for_first_and_one_less_each_place_down_to_1():
    ranking = [f"plot-{k}" for k in range(150)]
    scores = scores_from_ranking(ranking)

    assert scores["plot-0"] == 100 and scores["plot-1"] == 99 and scores["plot-99"] == 1 and scores["plot-149"] == 1
    with pytest.raises(DomainError) as error:
        scores_from_ranking(["plot-1", "plot-2", "plot-1"])
    assert error.value.code == "duplicate_rank"


def test_the_checkers_catch_envy_beyond_one_slot():
    scores = {"ana": {"a": 10, "b": 10, "c": 10}, "ben": {"a": 10, "b": 10, "c": 10}}

    assert is_ef1({"ana": ["a"], "ben": ["b", "c"]}, scores)
    assert not is_ef1({"ana": [], "ben": ["a", "b", "c"]}, scores)
    # Ben's need is twice Ana's: two for him and one for her is fair; the other way round is not, to him.
    assert is_weighted_ef1({"ana": ["a"], "ben": ["b", "c"]}, scores, {"ana": 1, "ben": 2})
    assert not is_weighted_ef1({"ana": ["a", "b"], "ben": ["c"]}, scores, {"ana": 1, "ben": 2})
    # Ana may hold one slot: what Ben holds beyond that is nothing she could have had.
    four = {name: {"a": 10, "b": 10, "c": 10, "d": 10} for name in ("ana", "ben")}
    shares = {"ana": ["a"], "ben": ["b", "c", "d"]}
    assert not is_ef1(shares, four)
    assert is_ef1(shares, four, {"ana": 1, "ben": 3})
    assert not is_ef1(shares, four, {"ana": 2, "ben": 3})


@pytest.mark.parametrize(
    ("requests", "slots", "seed", "code"),
    [
        ([], ["plot-1"], 1, "no_participants"),
        ([SlotRequest("ana", {})], [], 1, "no_slots"),
        ([SlotRequest("ana", {}), SlotRequest("ana", {})], ["plot-1"], 1, "duplicate_member"),
        ([SlotRequest("ana", {})], ["plot-1", "plot-1"], 1, "duplicate_slot"),
        ([SlotRequest("ana", {"plot-1": 101})], ["plot-1"], 1, "invalid_score"),
        ([SlotRequest("ana", {"plot-1": -1})], ["plot-1"], 1, "invalid_score"),
        ([SlotRequest("ana", {"plot-1": 2.5})], ["plot-1"], 1, "invalid_score"),
        ([SlotRequest("ana", {"plot-1": "7"})], ["plot-1"], 1, "invalid_score"),
        ([SlotRequest("ana", {"plot-1": True})], ["plot-1"], 1, "invalid_score"),
        ([SlotRequest("ana", {"plot-9": 5})], ["plot-1"], 1, "unknown_slot"),
        ([SlotRequest("ana", {}, capacity=0)], ["plot-1"], 1, "invalid_capacity"),
        ([SlotRequest("ana", {}, need=0)], ["plot-1"], 1, "invalid_need"),
        ([SlotRequest("ana", {}, need=1.5)], ["plot-1"], 1, "invalid_need"),
        ([SlotRequest("", {})], ["plot-1"], 1, "invalid_member"),
        ([SlotRequest("ana", {})], ["plot-1"], -1, "invalid_seed"),
        ([SlotRequest("ana", {})], [f"plot-{k}" for k in range(5_001)], 1, "too_many_slots"),
        ([SlotRequest(f"member-{k}", {}) for k in range(5_001)], ["plot-1"], 1, "too_many_participants"),
    ],
)
def test_it_refuses_bad_input_with_a_clear_reason(requests, slots, seed, code):
    with pytest.raises(DomainError) as error:
        assign_fairly(requests, slots, seed)

    assert error.value.code == code
    assert error.value.message.endswith(".")


def test_a_bad_score_is_named_in_the_message():
    with pytest.raises(DomainError) as error:
        assign_fairly([SlotRequest("ana", {"plot-1": 50, "plot-2": 250})], plots(1, 2), seed=1)

    assert error.value.message == "Scores are whole numbers from 0 to 100; 'ana' gave 'plot-2' the score 250."


def test_the_lottery_draws_the_same_order_from_the_same_seed():
    requests = [SlotRequest(f"member-{k}", {"plot-1": 10}, need=1 + k % 3) for k in range(30)]

    orders = {assign_fairly(requests, plots(1), seed=2024).draw_order for _ in range(3)}
    other = assign_fairly(requests, plots(1), seed=2025).draw_order

    assert len(orders) == 1 and other not in orders
    assert sorted(other) == sorted(request.member for request in requests)


def test_no_global_randomness_is_used():
    requests = [SlotRequest(f"member-{k}", {"plot-1": 10, "plot-2": 10}, capacity=2) for k in range(5)]
    random.seed(1)
    first = assign_fairly(requests, plots(1, 2), seed=9)
    random.seed(2)
    np.random.seed(2)

    assert assign_fairly(requests, plots(1, 2), seed=9) == first
