"""A team's rota (commons/domain/rota.py): who does which shift, how the load is shared, swaps and alerts.

The story is a care circle around one person: Ann, Bob, Cat, Dev and Eve cover mornings, evenings and nights.
Properties hold for any shifts and availability hypothesis can think of: nobody is on two shifts at once or on a
shift they did not offer, a shift is unfilled only when nobody could take it, the same seed gives the same rota,
and when everyone can do everything (and shifts do not overlap) loads stay within one shift of the fair share."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ostrom.commons.domain.rota import (
    EVERYONE_AT_MAXIMUM,
    EVERYONE_AT_MAXIMUM_OR_ON_ANOTHER_SHIFT,
    EVERYONE_ON_ANOTHER_SHIFT,
    MINUTES_PER_DAY,
    MINUTES_PER_WEEK,
    NOBODY_AVAILABLE,
    SOMEONE_IS_FREE,
    Availability,
    Member,
    RecurringShift,
    Shift,
    UnfilledShift,
    Window,
    occurrences,
    schedule_rota,
    swap,
    unfilled,
)
from ostrom.communities.domain import DomainError

FIRST_MONDAY = date(2025, 3, 3)
ANN, BOB, CAT, DEV, EVE = 1, 2, 3, 4, 5
ANYTIME = Availability(windows=(Window(0, MINUTES_PER_WEEK),))


def shift(shift_id, start_minute, duration_minutes):
    day = FIRST_MONDAY + timedelta(days=start_minute // MINUTES_PER_DAY)
    return Shift(shift_id, shift_id, day, start_minute, duration_minutes)


def hhmm(day, hours, minutes=0):
    return day * MINUTES_PER_DAY + hours * 60 + minutes


CARE_WEEK = [
    RecurringShift("morning", hhmm(0, 8), 120),
    RecurringShift("evening", hhmm(0, 18), 90),
    RecurringShift("wed-night", hhmm(2, 22), 600),
    RecurringShift("sat-day", hhmm(5, 9), 480),
]


# --- strategies ------------------------------------------------------------------------------------------------

durations = st.integers(min_value=30, max_value=600)


@st.composite
def any_shifts(draw):
    count = draw(st.integers(min_value=1, max_value=14))
    return [
        shift(f"s{i}", draw(st.integers(min_value=0, max_value=3 * MINUTES_PER_DAY)), draw(durations))
        for i in range(count)
    ]


@st.composite
def back_to_back_shifts(draw):
    # Shifts one after another, with gaps of zero or more minutes: none overlaps another.
    start, shifts = 0, []
    for i in range(draw(st.integers(min_value=1, max_value=16))):
        start += draw(st.integers(min_value=0, max_value=240))
        shifts.append(shift(f"s{i}", start, draw(durations)))
        start = shifts[-1].end_minute
    return shifts


@st.composite
def teams(draw):
    shifts = draw(any_shifts())
    size = draw(st.integers(min_value=1, max_value=5))
    members = [
        Member(member_id, draw(st.one_of(st.none(), st.integers(min_value=0, max_value=1200))))
        for member_id in range(1, size + 1)
    ]
    ids = [s.shift_id for s in shifts]
    windows = st.builds(
        lambda start, length: Window(start, start + length),
        st.integers(min_value=0, max_value=3 * MINUTES_PER_DAY),
        st.integers(min_value=60, max_value=2 * MINUTES_PER_DAY),
    )
    availability = {
        member.member_id: Availability(
            frozenset(draw(st.lists(st.sampled_from(ids), unique=True))), tuple(draw(st.lists(windows, max_size=2)))
        )
        for member in members
        if draw(st.booleans()) or member.member_id == 1
    }
    return shifts, members, availability, draw(st.integers(min_value=0, max_value=10**6))


def everyone_for_everything(shifts, size):
    return [Member(member_id) for member_id in range(1, size + 1)], dict.fromkeys(range(1, size + 1), ANYTIME)


# --- what always holds -----------------------------------------------------------------------------------------


@settings(max_examples=150)
@given(teams())
def test_nobody_is_on_two_shifts_at_once_or_on_a_shift_they_did_not_offer(team):
    shifts, members, availability, seed = team
    rota = schedule_rota(shifts, members, availability, seed)
    maxima = {member.member_id: member.max_minutes for member in members}
    for member in members:
        mine = rota.shifts_of(member.member_id)
        assert all(availability[member.member_id].can_do(s) for s in mine)
        assert not any(a.overlaps(b) for i, a in enumerate(mine) for b in mine[i + 1 :])
        if maxima[member.member_id] is not None:
            assert rota.loads_minutes[member.member_id] <= maxima[member.member_id]


@settings(max_examples=150)
@given(teams())
def test_a_shift_is_unfilled_only_when_nobody_can_take_it(team):
    shifts, members, availability, seed = team
    rota = schedule_rota(shifts, members, availability, seed)
    missing = {entry.shift.shift_id for entry in unfilled(rota)}
    assert missing | set(rota.assignments) == {s.shift_id for s in shifts}
    assert not missing & set(rota.assignments)
    for entry in unfilled(rota):
        for member in members:
            offered = member.member_id in availability and availability[member.member_id].can_do(entry.shift)
            busy = any(s.overlaps(entry.shift) for s in rota.shifts_of(member.member_id))
            full = (
                member.max_minutes is not None
                and rota.loads_minutes[member.member_id] + entry.shift.duration_minutes > member.max_minutes
            )
            assert not offered or busy or full
            assert (member.member_id in entry.at_maximum) == (offered and full)
            assert (member.member_id in entry.on_another_shift) == (offered and busy)
        assert entry.reason != SOMEONE_IS_FREE
        assert entry.message.endswith(".")


@settings(max_examples=100)
@given(teams())
def test_fair_shares_add_up_to_the_filled_minutes_and_respect_caps(team):
    shifts, members, availability, seed = team
    rota = schedule_rota(shifts, members, availability, seed)
    filled_minutes = sum(rota.shift(shift_id).duration_minutes for shift_id in rota.assignments)
    assert sum(rota.fair_share_minutes.values()) == filled_minutes
    for member in members:
        share = rota.fair_share_minutes[member.member_id]
        assert share >= 0
        if member.max_minutes is not None:
            assert share <= member.max_minutes


@settings(max_examples=100)
@given(teams(), st.randoms(use_true_random=False))
def test_the_same_seed_gives_the_same_rota_whatever_order_the_input_comes_in(team, shuffler):
    shifts, members, availability, seed = team
    first = schedule_rota(shifts, members, availability, seed)
    shuffled_shifts, shuffled_members = list(shifts), list(members)
    shuffler.shuffle(shuffled_shifts)
    shuffler.shuffle(shuffled_members)
    assert schedule_rota(shuffled_shifts, shuffled_members, availability, seed) == first


# --- fairness --------------------------------------------------------------------------------------------------


@settings(max_examples=150)
@given(back_to_back_shifts(), st.integers(min_value=1, max_value=6), st.integers(min_value=0, max_value=10**6))
def test_when_everyone_can_do_everything_loads_stay_within_one_shift_of_the_fair_share(shifts, size, seed):
    members, availability = everyone_for_everything(shifts, size)
    rota = schedule_rota(shifts, members, availability, seed)
    longest = max(s.duration_minutes for s in shifts)
    total = sum(s.duration_minutes for s in shifts)
    loads = rota.loads_minutes.values()
    assert not unfilled(rota)
    assert max(loads) - min(loads) <= longest
    assert all(share == Fraction(total, size) for share in rota.fair_share_minutes.values())
    assert all(abs(load - Fraction(total, size)) <= longest for load in loads)
    assert rota.within_fair_bound


def test_a_care_circle_month_is_shared_evenly():
    shifts = occurrences(CARE_WEEK, FIRST_MONDAY, 4)
    members, availability = everyone_for_everything(shifts, 5)
    rota = schedule_rota(shifts, members, availability, seed=7)
    assert rota.within_fair_bound
    assert max(rota.loads_minutes.values()) - min(rota.loads_minutes.values()) <= 600


def test_the_fair_share_counts_shifts_only_one_person_can_do_and_people_s_maxima():
    shifts = [shift("night", hhmm(0, 22), 600), shift("morning", hhmm(1, 8), 120), shift("evening", hhmm(1, 18), 120)]
    members = [Member(ANN), Member(BOB, max_minutes=60), Member(CAT)]
    days = Availability(frozenset({"morning", "evening"}))
    availability = {ANN: Availability(frozenset({"night"})), BOB: days, CAT: days}
    rota = schedule_rota(shifts, members, availability)
    # Only Ann can do the night; Bob's maximum is below every shift he offered, so Cat does the rest.
    assert rota.fair_share_minutes == {ANN: 600, BOB: 0, CAT: 240}
    assert rota.loads_minutes == {ANN: 600, BOB: 0, CAT: 240}
    assert rota.within_fair_bound


def test_overlapping_shifts_can_force_loads_apart_and_the_rota_says_by_how_much():
    # Long and short shifts each overlapping the next: with two people they must alternate, one taking all the
    # long ones. No rota can do better, so the rota reports the distance beyond the bound instead of hiding it.
    chain = [
        shift("long-1", 0, 600),
        shift("short-1", 590, 20),
        shift("long-2", 600, 600),
        shift("short-2", 1190, 20),
        shift("long-3", 1200, 600),
    ]
    members, availability = everyone_for_everything(chain, 2)
    rota = schedule_rota(chain, members, availability)
    assert sorted(rota.loads_minutes.values()) == [40, 1800]
    assert not rota.within_fair_bound
    assert sorted(rota.excess_minutes.values()) == [280, 280]  # 920 is the fair share, 600 the longest shift


def test_ties_go_by_the_seed_so_nobody_always_wins_them():
    winners = {
        schedule_rota(
            [shift("only", 0, 60)], [Member(ANN), Member(BOB)], {ANN: ANYTIME, BOB: ANYTIME}, seed
        ).assignments["only"]
        for seed in range(20)
    }
    assert winners == {ANN, BOB}


# --- unfilled shifts -------------------------------------------------------------------------------------------


def reasons_for(shifts, members, availability):
    return {entry.shift.shift_id: entry for entry in unfilled(schedule_rota(shifts, members, availability))}


def test_a_shift_nobody_offered_says_nobody_is_available():
    entries = reasons_for([shift("night", hhmm(0, 22), 600)], [Member(ANN)], {ANN: Availability(frozenset({"x"}))})
    assert entries["night"].reason == NOBODY_AVAILABLE
    assert entries["night"].message == "Nobody in the team has said they can do this shift."


def test_a_shift_beyond_everyone_s_maximum_says_so_and_names_them():
    members = [Member(ANN, max_minutes=240), Member(BOB, max_minutes=120)]
    entries = reasons_for([shift("long", 0, 300)], members, {ANN: ANYTIME, BOB: ANYTIME})
    assert entries["long"].reason == EVERYONE_AT_MAXIMUM
    assert entries["long"].at_maximum == (ANN, BOB)


def test_a_shift_clashing_with_everyone_s_other_shift_says_so():
    shifts = [shift("am", hhmm(0, 8), 120), shift("clash", hhmm(0, 9), 120)]
    entries = reasons_for(shifts, [Member(ANN)], {ANN: ANYTIME})
    assert entries["clash"].reason == EVERYONE_ON_ANOTHER_SHIFT
    assert entries["clash"].on_another_shift == (ANN,)


def test_a_shift_blocked_both_by_maxima_and_by_other_shifts_says_so():
    # Shifts only one person can do are placed first; then Ann is busy and Bob is at his maximum.
    shifts = [shift("ann-only", 0, 120), shift("bob-only", 500, 100), shift("either", 30, 60)]
    availability = {
        ANN: Availability(frozenset({"ann-only", "either"})),
        BOB: Availability(frozenset({"bob-only", "either"})),
    }
    entries = reasons_for(shifts, [Member(ANN), Member(BOB, max_minutes=100)], availability)
    assert list(entries) == ["either"]
    assert entries["either"].reason == EVERYONE_AT_MAXIMUM_OR_ON_ANOTHER_SHIFT
    assert (entries["either"].at_maximum, entries["either"].on_another_shift) == ((BOB,), (ANN,))


def test_unfilled_shifts_are_listed_in_time_order():
    shifts = [shift(f"s{i}", hhmm(6 - i, 8), 60) for i in range(4)]
    rota = schedule_rota(shifts, [Member(ANN)], {ANN: Availability(frozenset({"s0"}))})
    assert [entry.shift.shift_id for entry in unfilled(rota)] == ["s3", "s2", "s1"]


# --- swaps -----------------------------------------------------------------------------------------------------


def care_circle():
    shifts = [shift("mon-am", hhmm(0, 8), 120), shift("mon-pm", hhmm(0, 18), 120), shift("tue-am", hhmm(1, 8), 120)]
    members = [Member(ANN), Member(BOB), Member(CAT, max_minutes=120)]
    availability = {ANN: ANYTIME, BOB: ANYTIME, CAT: Availability(frozenset({"tue-am"}))}
    return schedule_rota(shifts, members, availability, seed=3)


def test_two_people_who_can_do_each_other_s_shifts_can_swap_and_swap_back():
    rota = care_circle()
    ann_shift = rota.shifts_of(ANN)[0].shift_id
    bob_shift = rota.shifts_of(BOB)[0].shift_id
    swapped = swap(rota, ann_shift, bob_shift)
    assert swapped.assignments[ann_shift] == BOB
    assert swapped.assignments[bob_shift] == ANN
    assert swap(swapped, ann_shift, bob_shift).assignments == rota.assignments


def test_a_swap_is_refused_when_someone_has_not_offered_the_other_shift():
    rota = care_circle()
    cat_shift = rota.shifts_of(CAT)[0].shift_id
    assert cat_shift == "tue-am"
    other = rota.shifts_of(ANN)[0].shift_id
    with pytest.raises(DomainError) as refusal:
        swap(rota, cat_shift, other)
    assert refusal.value.code == "swap_not_available"


@pytest.mark.parametrize(
    ("first", "second", "code"),
    [
        ("nope", "mon-am", "shift_not_found"),
        ("mon-am", "unfilled", "shift_unfilled"),
        ("mon-am", "mon-am-too", "already_on_both_shifts"),
        ("mon-am", "overlap", "swap_overlap"),
        ("mon-am", "long", "swap_over_maximum"),
    ],
)
def test_a_swap_that_breaks_a_rule_is_refused_with_a_sentence(first, second, code):
    shifts = [
        shift("mon-am", hhmm(0, 8), 60),
        shift("mon-am-too", hhmm(0, 10), 60),
        shift("overlap", hhmm(0, 10, 30), 60),
        shift("long", hhmm(1, 8), 240),
        shift("unfilled", hhmm(2, 8), 60),
    ]
    members = [Member(ANN, max_minutes=200), Member(BOB)]
    availability = {
        ANN: Availability(frozenset({"mon-am", "mon-am-too", "overlap", "long"})),
        BOB: Availability(frozenset({"mon-am", "overlap", "long"})),
    }
    rota = schedule_rota(shifts, members, availability)
    rota = _with(rota, {"mon-am": ANN, "mon-am-too": ANN, "overlap": BOB, "long": BOB})
    with pytest.raises(DomainError) as refusal:
        swap(rota, first, second)
    assert refusal.value.code == code
    assert refusal.value.message.endswith(".")


def _with(rota, assignments):
    # Set a rota's assignments by hand, so a swap test starts from a known rota whatever the scheduler chose.
    return replace(rota, assignments=assignments)


def test_a_swap_that_takes_someone_beyond_their_fair_share_says_by_how_much_unless_both_agree():
    shifts = [
        shift("short", hhmm(0, 8), 60),
        shift("a", hhmm(1, 8), 600),
        shift("b", hhmm(2, 8), 600),
        shift("long", hhmm(3, 8), 600),
        shift("c", hhmm(4, 8), 300),
    ]
    members, availability = everyone_for_everything(shifts, 2)
    assignments = {"short": ANN, "a": ANN, "b": ANN, "long": BOB, "c": BOB}
    rota = _with(schedule_rota(shifts, members, availability), assignments)
    assert rota.loads_minutes == {ANN: 1260, BOB: 900}
    assert rota.within_fair_bound  # 1080 each; 180 away is within one 600-minute shift
    with pytest.raises(DomainError, match="person now on long 120 minutes beyond one shift") as refusal:
        swap(rota, "short", "long")  # Ann would have 1800: 720 above the fair 1080, 120 beyond the bound
    assert refusal.value.code == "swap_over_fair_share"
    agreed = swap(rota, "short", "long", accept_over_fair_share=True)
    assert agreed.loads_minutes == {ANN: 1800, BOB: 360}
    assert agreed.excess_minutes == {ANN: 120, BOB: 120}


def test_a_swap_that_frees_someone_turns_an_unfilled_shift_s_alert_into_an_offer():
    # Ann was on the morning when the 9 o'clock visit was raised, so it went unfilled; after she swaps her morning
    # for Bob's afternoon she is free at 9, and the alert says to offer it to her.
    shifts = [shift("am", hhmm(0, 8), 120), shift("pm", hhmm(0, 14), 120), shift("nine", hhmm(0, 9), 60)]
    availability = {ANN: ANYTIME, BOB: Availability(frozenset({"am", "pm"}))}
    rota = _with(schedule_rota(shifts, [Member(ANN), Member(BOB)], availability), {"am": ANN, "pm": BOB})
    rota = replace(rota, unfilled=(UnfilledShift(shifts[2], EVERYONE_ON_ANOTHER_SHIFT, (), (ANN,)),))
    (entry,) = unfilled(swap(rota, "am", "pm"))
    assert entry.reason == SOMEONE_IS_FREE
    assert entry.free == (ANN,)


# --- recurring shifts and availability -------------------------------------------------------------------------


def test_recurring_shifts_become_dated_shifts_for_the_weeks_ahead():
    shifts = occurrences(CARE_WEEK, FIRST_MONDAY, 2)
    assert len(shifts) == 8
    assert [s.shift_id for s in shifts[:4]] == [
        "morning@2025-03-03",
        "evening@2025-03-03",
        "wed-night@2025-03-05",
        "sat-day@2025-03-08",
    ]
    assert shifts[4].start_minute == MINUTES_PER_WEEK + hhmm(0, 8)
    assert shifts[2].end_minute == hhmm(3, 8)  # Wednesday 22:00 for ten hours ends Thursday 08:00


def test_availability_by_name_or_by_weekly_window_including_one_past_sunday_midnight():
    sunday_night = shift("sun-night", hhmm(6, 22), 600)  # Sunday 22:00 to Monday 08:00
    next_monday_early = shift("early", MINUTES_PER_WEEK + hhmm(0, 6), 60)
    weekend = Availability(windows=(Window(hhmm(5, 0), MINUTES_PER_WEEK + hhmm(0, 9)),))
    assert weekend.can_do(sunday_night)
    assert weekend.can_do(next_monday_early)  # inside the part of the window that runs into Monday
    assert not weekend.can_do(shift("tuesday", hhmm(1, 9), 60))
    assert not ANYTIME.can_do(sunday_night)  # a window that stops at Sunday midnight does not cover it
    assert Availability(frozenset({"sun-night"})).can_do(sunday_night)


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda: schedule_rota([shift("a", 0, 60)], [], {}), "no_members"),
        (lambda: schedule_rota([], [Member(ANN)], {}), "no_shifts"),
        (lambda: schedule_rota([shift("a", 0, 60), shift("a", 90, 60)], [Member(ANN)], {}), "duplicate_shift"),
        (lambda: schedule_rota([shift("a", 0, 60)], [Member(ANN), Member(ANN)], {}), "duplicate_member"),
        (lambda: schedule_rota([shift("a", 0, 0)], [Member(ANN)], {}), "shift_duration_invalid"),
        (lambda: schedule_rota([shift("a", 0, MINUTES_PER_DAY + 1)], [Member(ANN)], {}), "shift_duration_invalid"),
        (lambda: schedule_rota([shift("a", -5, 60)], [Member(ANN)], {}), "shift_start_invalid"),
        (lambda: schedule_rota([shift("a", 0, 60)], [Member(ANN, -1)], {}), "max_minutes_negative"),
        (lambda: schedule_rota([shift("a", 0, 60)], [Member(ANN)], {BOB: ANYTIME}), "unknown_member"),
        (
            lambda: schedule_rota([shift("a", 0, 60)], [Member(ANN)], {ANN: Availability(windows=(Window(90, 30),))}),
            "window_invalid",
        ),
        (lambda: occurrences(CARE_WEEK, FIRST_MONDAY + timedelta(days=1), 2), "not_a_monday"),
        (lambda: occurrences(CARE_WEEK, FIRST_MONDAY, 0), "weeks_invalid"),
        (lambda: occurrences([*CARE_WEEK, CARE_WEEK[0]], FIRST_MONDAY, 2), "duplicate_shift"),
        (lambda: occurrences([RecurringShift("x", MINUTES_PER_WEEK, 60)], FIRST_MONDAY, 2), "shift_start_invalid"),
    ],
)
def test_it_refuses_bad_input_with_a_sentence(call, code):
    with pytest.raises(DomainError) as refusal:
        call()
    assert refusal.value.code == code
    assert refusal.value.message.endswith(".")


def test_a_month_for_a_full_team_is_quick_and_fair():
    # Twelve people (Buurtzorg's team size), three shifts a day for four weeks, each free for a random two-thirds.
    rng = random.Random(11)
    week = [
        RecurringShift(f"{day}-{part}", hhmm(day, hour), 480) for day in range(7) for part, hour in ((0, 6), (1, 14))
    ]
    week += [RecurringShift(f"{day}-night", hhmm(day, 22), 480) for day in range(7)]
    shifts = occurrences(week, FIRST_MONDAY, 4)
    members = [Member(member_id) for member_id in range(1, 13)]
    availability = {
        m.member_id: Availability(frozenset(t.template_id for t in week if rng.random() < 2 / 3)) for m in members
    }
    rota = schedule_rota(shifts, members, availability, seed=1)
    assert not unfilled(rota)
    assert rota.within_fair_bound
