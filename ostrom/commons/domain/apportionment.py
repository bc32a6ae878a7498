"""Fair access to travelling services (mobile library, GP outreach, community transport).

Residents register needs in their village; each need carries integer weight points with a recorded reason. A
season's limited visits are apportioned across places in proportion to weighted need, by a divisor method
(Sainte-Laguë/Webster or D'Hondt) or by largest remainders (Hamilton), with exact integer and Fraction arithmetic
so every machine gets the same answer. `schedule` then spreads each place's visits over the periods (weeks) as
evenly as possible, within what the service can do in a period, giving a timetable that can be published.

Tie-breaking is fixed and published: when two places have an equal claim to the next visit, the place with the
larger weighted need gets it, and between equal needs the smaller place id."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from math import gcd
from typing import Generic, TypeVar

import numpy as np

from ostrom.communities.domain import DomainError

# Place ids are database keys or slugs; one kind per call, so they sort.
K = TypeVar("K", int, str)

SAINTE_LAGUE = "sainte_lague"
DHONDT = "dhondt"
LARGEST_REMAINDER = "largest_remainder"
METHODS = (SAINTE_LAGUE, DHONDT, LARGEST_REMAINDER)

# Need tiers, in integer points. A resident who can get to the nearest town anyway counts 2; one whose household
# has no car, so the visit is their only way to the service, counts 3 (half as much again); one who cannot travel
# at all (housebound, or caring for someone who cannot be left) counts 4. Points rather than permille keep the
# published arithmetic small enough to check by hand.
NEED_TIERS: Mapping[str, int] = {"standard": 2, "no_car": 3, "housebound": 4}
NEED_TIER_REASONS: Mapping[str, str] = {
    "standard": "Registered resident who can also travel to the service",
    "no_car": "No car in the household: the visit is the only way to the service",
    "housebound": "Cannot travel at all, or cares for someone who cannot be left",
}

# Limits on everything: a mobile library makes a few hundred stops a year, a need is never worth more than a few
# tiers, and a timetable longer than a year of days (or eight years of weeks) is a typo.
MAX_VISITS = 10_000
MAX_PLACES = 1_000
MAX_NEED_POINTS = 100
MAX_REASON_CHARS = 200
MAX_PERIODS = 400
# Rounds of re-choosing phases before falling back to the running-total promise; each round is cheap.
STAGGER_ROUNDS = 8
MAX_PHASES = 64


@dataclass(frozen=True)
class Need(Generic[K]):
    """One registered need in one place: its weight in points and the reason the coordinator recorded."""

    place_id: K
    weight_points: int
    reason: str


def tier_need(place_id: K, tier: str) -> Need[K]:
    """A need weighted by one of the published tiers, with the tier's description as its reason."""
    if tier not in NEED_TIERS:
        raise DomainError(
            "unknown_need_tier",
            f"“{tier}” is not a need tier. The tiers are: {', '.join(NEED_TIERS)}.",
            field="tier",
        )
    return Need(place_id, NEED_TIERS[tier], NEED_TIER_REASONS[tier])


def weighted_need(needs: Iterable[Need[K]], places: Iterable[K] = ()) -> dict[K, int]:
    """Total weight points per place, in place order; `places` adds villages where nobody has registered yet."""
    totals: dict[K, int] = dict.fromkeys(places, 0)
    for need in needs:
        _check_need(need)
        totals[need.place_id] = totals.get(need.place_id, 0) + need.weight_points
    return {place: totals[place] for place in sorted(totals)}


def _check_need(need: Need[K]) -> None:
    if not need.reason.strip():
        raise DomainError(
            "need_reason_missing",
            "Every need weight must have a reason recorded, so residents can see why one need counts more.",
            field="reason",
        )
    if len(need.reason) > MAX_REASON_CHARS:
        raise DomainError(
            "need_reason_too_long", f"Keep the reason under {MAX_REASON_CHARS} characters.", field="reason"
        )
    if not _is_int(need.weight_points) or not 1 <= need.weight_points <= MAX_NEED_POINTS:
        raise DomainError(
            "need_weight_invalid",
            f"A need's weight must be a whole number of points from 1 to {MAX_NEED_POINTS}.",
            field="weight_points",
        )


def ideal_shares(total_visits: int, weighted_need_by_place: Mapping[K, int]) -> dict[K, Fraction]:
    """Each place's exact share of the visits (its quota), before any rounding: what "fair" means exactly."""
    _check_places(weighted_need_by_place)
    total_need = sum(weighted_need_by_place.values())
    return {place: Fraction(total_visits * need, total_need) for place, need in sorted(weighted_need_by_place.items())}


def apportion(
    total_visits: int,
    weighted_need_by_place: Mapping[K, int],
    method: str = SAINTE_LAGUE,
    minimum_per_place: int = 0,
) -> dict[K, int]:
    """Whole visits per place, summing exactly to `total_visits`, in proportion to weighted need.

    Every place gets at least `minimum_per_place`; a place whose proportional share is already above the minimum
    is not given extra (the minimum is a floor, not a bonus)."""
    _check_apportion_input(total_visits, weighted_need_by_place, method, minimum_per_place)
    if method == LARGEST_REMAINDER:
        visits = _largest_remainder(total_visits, weighted_need_by_place, minimum_per_place)
    else:
        visits = _highest_averages(total_visits, weighted_need_by_place, method, minimum_per_place)
    assert sum(visits.values()) == total_visits
    assert all(count >= minimum_per_place for count in visits.values())
    return {place: visits[place] for place in sorted(visits)}


def _is_int(value: object) -> bool:
    # bool is an int in Python; True visits or True points are a bug upstream, not a number.
    return isinstance(value, int) and not isinstance(value, bool)


def _check_places(weighted_need_by_place: Mapping[K, int]) -> None:
    if not weighted_need_by_place:
        raise DomainError(
            "no_places", "There are no places to share the visits between. Add at least one place.", field="places"
        )
    if len(weighted_need_by_place) > MAX_PLACES:
        raise DomainError("too_many_places", f"A service can cover at most {MAX_PLACES} places.", field="places")
    for place, need in weighted_need_by_place.items():
        if not _is_int(need) or need < 0:
            raise DomainError(
                "need_negative",
                f"The weighted need of {place} must be a whole number of points, zero or more.",
                field="weighted_need",
            )
    if sum(weighted_need_by_place.values()) == 0:
        raise DomainError(
            "no_registered_need",
            "Nobody has registered a need yet, so there is nothing to share the visits by.",
            field="weighted_need",
        )


def _check_apportion_input(
    total_visits: int, weighted_need_by_place: Mapping[K, int], method: str, minimum_per_place: int
) -> None:
    if not _is_int(total_visits) or total_visits < 1:
        raise DomainError(
            "visits_not_positive", "The number of visits to share must be a whole number, 1 or more.", field="visits"
        )
    if total_visits > MAX_VISITS:
        raise DomainError("too_many_visits", f"At most {MAX_VISITS} visits can be shared in one run.", field="visits")
    if method not in METHODS:
        raise DomainError(
            "unknown_method",
            f"“{method}” is not a sharing method. Choose one of: {', '.join(METHODS)}.",
            field="method",
        )
    if not _is_int(minimum_per_place) or minimum_per_place < 0:
        raise DomainError(
            "minimum_negative", "The minimum visits per place must be a whole number, zero or more.", field="minimum"
        )
    _check_places(weighted_need_by_place)
    promised = minimum_per_place * len(weighted_need_by_place)
    if promised > total_visits:
        raise DomainError(
            "minimums_exceed_visits",
            f"Every place is promised at least {minimum_per_place} visits, which needs {promised} visits, "
            f"but only {total_visits} are available. Lower the minimum or add visits.",
            field="minimum",
        )


def _divisor(method: str, seats: int) -> int:
    # Sainte-Laguë divides by 1, 3, 5, …: the same order as Webster's s + 1/2, in integers.
    return 2 * seats + 1 if method == SAINTE_LAGUE else seats + 1


def _highest_averages(total_visits: int, need_by_place: Mapping[K, int], method: str, minimum: int) -> dict[K, int]:
    # One visit at a time to the highest need-per-divisor. Giving visits one by one is what makes divisor methods
    # house-monotone: a season with one more visit is the same sequence, one step longer. Starting everyone at the
    # minimum gives exactly max(minimum, rounded share) for a common divisor.
    visits = dict.fromkeys(need_by_place, minimum)
    heap = [(-Fraction(need, _divisor(method, minimum)), -need, place) for place, need in need_by_place.items()]
    heapq.heapify(heap)
    for _ in range(total_visits - minimum * len(need_by_place)):
        _, negative_need, place = heapq.heappop(heap)
        visits[place] += 1
        heapq.heappush(heap, (-Fraction(-negative_need, _divisor(method, visits[place])), negative_need, place))
    return visits


def _largest_remainder(total_visits: int, need_by_place: Mapping[K, int], minimum: int) -> dict[K, int]:
    # A place whose exact share falls below the minimum is held at the minimum and the rest is shared again among
    # the others, until every remaining share is at least the minimum; then Hamilton's rule: everyone gets the
    # whole part of their share, and the visits left go to the largest fractions.
    pinned: dict[K, int] = {}
    free = dict(need_by_place)
    while True:
        left = total_visits - minimum * len(pinned)
        free_need = sum(free.values())
        below = [place for place, need in free.items() if free_need == 0 or Fraction(left * need, free_need) < minimum]
        if not below:
            break
        for place in below:
            pinned[place] = minimum
            del free[place]
    quotas = {place: Fraction(left * need, free_need) for place, need in free.items()}
    visits = {place: int(quota) for place, quota in quotas.items()}
    spare = left - sum(visits.values())
    by_remainder = sorted(free, key=lambda place: (-(quotas[place] - visits[place]), -free[place], place))
    for place in by_remainder[:spare]:
        visits[place] += 1
    return pinned | visits


@dataclass(frozen=True)
class Schedule(Generic[K]):
    """A publishable timetable: `periods[p]` lists the places visited in period p (a place twice if visited twice).

    `every_window_even` is True when, for every place and every run of consecutive periods, the place's visits in
    that run are its ideal share rounded down or up. It is always True without a capacity; with one, it is True
    whenever staggering the places fits the capacity. When False, the weaker promise holds: at the end of every
    period each place's running total is its ideal running total rounded down or up (so any run is within two),
    and a place with no more visits than periods is still kept to one visit a period whenever that can be done."""

    periods: tuple[tuple[K, ...], ...]
    every_window_even: bool

    def visits_per_period(self, place: K) -> tuple[int, ...]:
        """How many times `place` is visited in each period."""
        return tuple(period.count(place) for period in self.periods)


def schedule(visits_by_place: Mapping[K, int], periods: int, capacity_per_period: int | None = None) -> Schedule[K]:
    """Spread each place's visits over `periods` as evenly as possible, with at most `capacity_per_period` a period.

    Deterministic: the same visits, periods and capacity give the same timetable, whatever order places come in."""
    _check_schedule_input(visits_by_place, periods, capacity_per_period)
    capacity = capacity_per_period if capacity_per_period is not None else sum(visits_by_place.values())
    places = sorted(
        (place for place, count in visits_by_place.items() if count), key=lambda p: (-visits_by_place[p], p)
    )
    counts = _staggered(visits_by_place, places, periods, capacity)
    every_window_even = (
        all(sum(column) <= capacity for column in zip(*counts.values(), strict=True)) if counts else True
    )
    if not every_window_even:
        spaced = _earliest_deadline_first(visits_by_place, places, periods, capacity, spaced=True)
        plain = spaced or _earliest_deadline_first(visits_by_place, places, periods, capacity, spaced=False)
        assert plain is not None
        counts = plain
    timetable = tuple(
        tuple(place for place in sorted(counts) for _ in range(counts[place][period])) for period in range(periods)
    )
    assert all(len(visited) <= capacity for visited in timetable)
    return Schedule(timetable, every_window_even)


def _check_schedule_input(visits_by_place: Mapping[K, int], periods: int, capacity_per_period: int | None) -> None:
    if not visits_by_place:
        raise DomainError("no_places", "There are no places to schedule visits for.", field="places")
    if not _is_int(periods) or not 1 <= periods <= MAX_PERIODS:
        raise DomainError(
            "periods_invalid", f"The number of periods must be a whole number from 1 to {MAX_PERIODS}.", field="periods"
        )
    for place, count in visits_by_place.items():
        if not _is_int(count) or count < 0:
            raise DomainError(
                "visits_negative", f"The visits for {place} must be a whole number, zero or more.", field="visits"
            )
    total = sum(visits_by_place.values())
    if total > MAX_VISITS:
        raise DomainError("too_many_visits", f"At most {MAX_VISITS} visits can be scheduled.", field="visits")
    if capacity_per_period is None:
        return
    if not _is_int(capacity_per_period) or capacity_per_period < 1:
        raise DomainError(
            "capacity_not_positive",
            "The visits possible in a period must be a whole number, 1 or more.",
            field="capacity",
        )
    if total > capacity_per_period * periods:
        raise DomainError(
            "schedule_over_capacity",
            f"The plan has {total} visits, but {periods} periods of at most {capacity_per_period} visits "
            f"hold only {capacity_per_period * periods}. Add periods or capacity, or share fewer visits.",
            field="capacity",
        )


def _staggered(visits_by_place: Mapping[K, int], places: list[K], periods: int, capacity: int) -> dict[K, list[int]]:
    # Each place follows a Bresenham (Christoffel) pattern: in period p it gets floor(((p+1)v + o)/P) -
    # floor((pv + o)/P) visits. Any run of periods then holds floor(x+d) - floor(x) visits for d = v*run/P, which
    # is d rounded down or up, whatever the phase o. The phase is free, so each place (busiest first) takes the
    # phase that keeps the periods within capacity, then the busiest period lowest, then the load flattest; ties go
    # to the smallest phase. While some period is still over capacity, each place in turn re-chooses its phase
    # against all the others (a few rounds of coordinate descent; each change strictly improves the score).
    loads = np.zeros(periods, dtype=np.int64)
    index = np.arange(periods, dtype=np.int64)
    chosen: dict[K, np.ndarray] = {}
    for round_number in range(STAGGER_ROUNDS):
        changed = False
        for place in places:
            if place in chosen:
                loads -= chosen[place]
            visits = visits_by_place[place]
            # Phases within the same multiple of gcd(v, P) give the same pattern; trying one of each is enough, and
            # at most MAX_PHASES of them, evenly spread, bounds the work on long calendars.
            step = gcd(visits, periods)
            step *= -(-periods // (step * MAX_PHASES))
            phases = np.arange(0, periods, step, dtype=np.int64)[:, None]
            patterns = ((index + 1) * visits + phases) // periods - (index * visits + phases) // periods
            candidate_loads = loads[None, :] + patterns
            overflow = np.maximum(candidate_loads - capacity, 0).sum(axis=1)
            peak = candidate_loads.max(axis=1)
            spread = (candidate_loads * candidate_loads).sum(axis=1)
            order = np.lexsort((phases[:, 0], spread, peak, overflow))
            best = patterns[int(order[0])]
            if place in chosen and _score(loads + chosen[place], capacity) <= _score(loads + best, capacity):
                best = chosen[place]  # keep the current phase unless another is strictly better
            changed = changed or place not in chosen or not np.array_equal(best, chosen[place])
            chosen[place] = best
            loads += best
        if int(loads.max(initial=0)) <= capacity or (round_number and not changed):
            break
    return {place: [int(count) for count in pattern] for place, pattern in chosen.items()}


def _score(loads: np.ndarray, capacity: int) -> tuple[int, int, int]:
    return (int(np.maximum(loads - capacity, 0).sum()), int(loads.max(initial=0)), int((loads * loads).sum()))


def _earliest_deadline_first(
    visits_by_place: Mapping[K, int], places: list[K], periods: int, capacity: int, spaced: bool
) -> dict[K, list[int]] | None:
    # The j-th visit to a place with v visits keeps its running total within one of the ideal v*t/P at every period
    # end t exactly when it falls in periods floor((j-1)P/v) … ceil(jP/v) - 1. Such timetables always exist when
    # the total fits the capacity (Tijdeman's chairman-assignment theorem, with an idle "place" filling the rest),
    # and earliest-deadline-first finds one whenever one exists for unit jobs with release times and deadlines.
    # `spaced` also keeps a place with no more visits than periods to one visit a period; that extra rule can
    # make a deadline unreachable, and then the caller runs the plain version (None means "try again without").
    releases: dict[int, list[tuple[int, K, int]]] = {}
    for place in places:
        visits = visits_by_place[place]
        for j in range(1, visits + 1):
            release = (j - 1) * periods // visits
            deadline = -(-j * periods // visits) - 1
            releases.setdefault(release, []).append((deadline, place, j))
    counts = {place: [0] * periods for place in places}
    waiting: list[tuple[int, K, int]] = []
    for period in range(periods):
        for job in releases.get(period, ()):
            heapq.heappush(waiting, job)
        held_back: list[tuple[int, K, int]] = []
        taken = 0
        while waiting and taken < capacity:
            job = heapq.heappop(waiting)
            place = job[1]
            if spaced and counts[place][period] and visits_by_place[place] <= periods:
                held_back.append(job)
                continue
            counts[place][period] += 1
            taken += 1
        for job in held_back:
            heapq.heappush(waiting, job)
        if waiting and waiting[0][0] <= period:
            assert spaced, "a visit missed its deadline"
            return None
    return counts
