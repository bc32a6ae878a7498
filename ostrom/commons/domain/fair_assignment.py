"""Fair assignment of contested slots (allotment plots, kitchen sessions): members score or rank the slots, and the
allocation is envy-free up to one slot (EF1; weighted by need when needs differ) while adding up to as much value
as practical.

Two paths, chosen by the requests themselves:

- Unit demand (every member may hold one slot): the assignment of greatest total score, found exactly with
  ``scipy.optimize.linear_sum_assignment``. EF1 holds trivially: nobody holds more than one slot, and once that one
  slot is set aside the other holds nothing left to envy. The real fairness question is who gets nothing when slots
  are scarce and which of two equal choices wins; a lottery weighted by need decides both (see ``assign_fairly``).
- Several slots a member: a weighted picking sequence (Chakraborty, Igarashi, Suksompong and Zick, "Weighted
  envy-freeness in indivisible item allocation", 2021): the next turn goes to the member with the fewest picks per
  unit of need so far, ties to the one drawn earlier, and each takes their favourite slot left. With equal needs
  this is round-robin and the result is EF1; with needs it is weighted EF1 (plain EF1 is then not the aim: twice
  the need should bring about twice the share). Where capacities differ, a member compares their share only with
  as many of another's slots as they may hold, and a member already at capacity compares without weights (no need
  could get them more); the checkers define this and the property tests hold the sequence to it. Then exchanges
  that raise the total score are kept only if every property that held still holds (a bounded local search, not
  a proof of optimality: on small random instances it reached the best such total 94% of the time).

Scores are whole numbers from 0 to SCORE_MAX; 0 means "I do not want this slot", and nobody is given a slot they
scored 0. Every random choice comes from ``random.Random(seed)``; requests and slots are sorted by key first, so
the same requests and seed give the same result in any order, on any machine.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, cast

import numpy as np
from scipy.optimize import linear_sum_assignment

from ostrom.commons.domain.certificates import Certificate, certify
from ostrom.commons.domain.lottery import draw_order, ordinal
from ostrom.communities.domain import DomainError

METHOD = "fair_assignment"
SCORE_MAX = 100
NEED_MAX = 1_000_000
# linear_sum_assignment holds a members x slots matrix; 5,000 x 5,000 is 200 MB, the most we let one run take.
MAX_MEMBERS = 5_000
MAX_SLOTS = 5_000
KEY_MAX_CHARS = 200
# The exchange search after the picking turns stops after this many steps of work (a candidate move looked at, a
# pair of members re-checked for envy, a free slot checked against a member), a couple of seconds at most: the
# usual runs (tens of groups, a hundred sessions) finish long before it.
MAX_EXCHANGE_WORK = 3_000_000


@dataclass(frozen=True)
class SlotRequest:
    """What one member asked for: a score per slot (unlisted slots score 0), how many slots they may hold, and
    their need weight (1 unless a coordinator set it, with a recorded reason, elsewhere)."""

    member: str
    scores: Mapping[str, int]
    capacity: int = 1
    need: int = 1


@dataclass(frozen=True)
class MemberOutcome:
    """What one member received, its worth to them (the sum of their scores) and why, in plain words."""

    member: str
    slots: tuple[str, ...]
    value: int
    explanation: str


@dataclass(frozen=True)
class FairAssignment:
    """The result: one outcome per member (sorted by member key), slots nobody received, the lottery order, the
    totals before and after the exchange search, and the certificate (with the fairness properties checked on the
    final allocation). ``inputs_record`` is what to publish beside the certificate so anyone can re-run it."""

    path: str  # "unit_demand" or "picking_sequence"
    outcomes: tuple[MemberOutcome, ...]
    unassigned: tuple[str, ...]
    draw_order: tuple[str, ...]
    total_value: int
    turns_total_value: int  # the picking sequence's total before exchanges; equal to total_value for unit demand
    exchanges: int
    certificate: Certificate
    inputs_record: Mapping[str, object]

    @property
    def properties(self) -> Mapping[str, bool]:
        return self.certificate.properties

    @property
    def allocation(self) -> dict[str, tuple[str, ...]]:
        return {outcome.member: outcome.slots for outcome in self.outcomes}


def scores_from_ranking(ranking: Sequence[str]) -> dict[str, int]:
    """Scores for a ranking, best first: 1st scores SCORE_MAX (100), each place one less, down to 1 from the 100th
    place on; unranked slots score 0 (not wanted). Greatest total score then means smallest sum of places."""
    if len(set(ranking)) != len(ranking):
        raise DomainError("duplicate_rank", "Each slot can appear only once in a ranking.", field="ranking")
    return {slot: max(SCORE_MAX + 1 - place, 1) for place, slot in enumerate(ranking, start=1)}


def assign_fairly(requests: Sequence[SlotRequest], slots: Sequence[str], seed: int) -> FairAssignment:
    """Allocate ``slots`` among the members who sent ``requests``: EF1 (weighted by need), each slot at most once,
    nobody over their capacity, as much total score as practical; ties and scarcity settled by a seeded lottery.

    The lottery draws every member into an order without replacement, each draw in proportion to need; then the
    slots are shuffled. With unit demand, among the assignments of greatest total score, the one that serves members
    drawn earlier is preferred (it maximises the sum of draw points n, n-1, ..., 1 over members served), and the
    slot shuffle settles which of two equal slots someone gets. With several slots each, the draw orders turns that
    fall together and the shuffle breaks a member's ties between equally scored slots."""
    run = _validated(requests, slots)
    rng = random.Random(seed)
    order = draw_order(run.needs, rng)
    tie_order = list(range(len(run.slots)))
    rng.shuffle(tie_order)
    if all(capacity == 1 for capacity in run.capacities):
        bundles = _assign_unit_demand(run.matrix, order, tie_order)
        total = _total(run.matrix, bundles)
        no_turns: list[list[int]] = [[] for _ in bundles]
        plan = _Plan("unit_demand", order, bundles, no_turns, bundles, picks=0, turns_total=total, exchanges=0)
    else:
        plan = _pick_in_turns(run.matrix.tolist(), run.capacities, run.needs, order, tie_order)
    return _result(run, plan, seed)


def rerun(seed: int, inputs: Mapping[str, object]) -> Mapping[str, object]:
    """Run again from a published ``inputs_record`` and return the result record the certificate hashes: what
    ``certificates.verify`` calls to check a certificate."""
    record = cast(Mapping[str, Any], inputs)  # checked by use: anything malformed fails below
    try:
        slots = list(record["slots"])
        requests = [
            SlotRequest(m["member"], dict(zip(slots, m["scores"], strict=True)), m["capacity"], m["need"])
            for m in record["members"]
        ]
    except (KeyError, TypeError, ValueError) as error:
        raise DomainError("invalid_inputs", "These inputs are not a fair assignment's published record.") from error
    assignment = assign_fairly(requests, slots, seed)
    return _result_record(assignment.path, assignment.draw_order, assignment.allocation, assignment.total_value)


# --- fairness checkers -----------------------------------------------------------------------------------------


def is_ef1(
    allocation: Mapping[str, Collection[str]],
    scores: Mapping[str, Mapping[str, int]],
    capacities: Mapping[str, int] | None = None,
) -> bool:
    """Envy-free up to one slot: each member values their own slots at least as much as anyone else's once the
    other's best slot (to them) is set aside. With ``capacities``, a member weighs only as many of another's slots
    as they may hold themselves (with equal capacities that changes nothing)."""
    return is_weighted_ef1(allocation, scores, dict.fromkeys(_people(allocation, scores), 1), capacities)


def is_weighted_ef1(
    allocation: Mapping[str, Collection[str]],
    scores: Mapping[str, Mapping[str, int]],
    weights: Mapping[str, int],
    capacities: Mapping[str, int] | None = None,
) -> bool:
    """Weighted EF1 (Chakraborty et al. 2021): for every i and j, after setting aside one of j's slots,
    v_i(own) / w_i >= v_i(j's) / w_j. With ``capacities``, i weighs only the best cap_i of j's slots, and a member
    who already holds their capacity may instead pass unweighted (they could not be given more, whatever their
    need); equal weights make this exactly ``is_ef1``."""
    people = _people(allocation, scores)
    # Nobody can be envied beyond one slot while holding one or none: in the usual one-slot-each run, that is all.
    crowded = [person for person in people if len(allocation.get(person, ())) > 1]
    empty: Mapping[str, int] = {}
    for envier in people:
        values = scores.get(envier, empty)
        own_slots = allocation.get(envier, ())
        own = sum(values.get(slot, 0) for slot in own_slots)
        capacity = None if capacities is None else capacities[envier]
        full = capacity is not None and len(own_slots) >= capacity
        for other in crowded:
            if other == envier:
                continue
            seen = [values.get(slot, 0) for slot in allocation[other]]
            if not _envy_bounded(own, seen, capacity, weights[envier], weights[other], full):
                return False
    return True


def is_complete(
    allocation: Mapping[str, Collection[str]],
    scores: Mapping[str, Mapping[str, int]],
    slots: Collection[str],
    capacities: Mapping[str, int],
) -> bool:
    """No slot is left over that a member with room to spare scored above zero (nothing wanted is wasted)."""
    given = {slot for held in allocation.values() for slot in held}
    for member, values in scores.items():
        if len(allocation.get(member, ())) >= capacities[member]:
            continue
        if any(score > 0 and slot not in given for slot, score in values.items() if slot in slots):
            return False
    return True


def _envy_bounded(own: int, seen: list[int], capacity: int | None, w_own: int, w_other: int, own_full: bool) -> bool:
    """The single definition behind both checkers and the exchange search. Setting aside the other's slot worth
    most to the envier lowers their bundle's value the most, so checking that one slot is enough."""
    if len(seen) <= 1:
        return True
    ordered = sorted(seen, reverse=True)
    rest = sum(ordered[1:] if capacity is None else ordered[1 : capacity + 1])
    if own * w_other >= rest * w_own:  # cross-multiplied: exact in integers
        return True
    return own_full and own >= rest


def _people(allocation: Mapping[str, Collection[str]], scores: Mapping[str, Mapping[str, int]]) -> list[str]:
    return sorted(set(allocation) | set(scores))


# --- validation ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Run:
    """Validated inputs, members and slots sorted by key; ``capacities`` capped at the number of slots."""

    members: list[str]
    slots: list[str]
    matrix: np.ndarray  # members x slots scores
    asked: list[int]  # capacities as requested, for the record
    capacities: list[int]
    needs: list[int]


def _validated(requests: Sequence[SlotRequest], slots: Sequence[str]) -> _Run:
    """Check everything a person could get wrong (the seed is checked by ``certify``)."""
    if not requests:
        raise DomainError("no_participants", "Nobody has asked for a slot, so there is nothing to allocate.")
    if not slots:
        raise DomainError("no_slots", "There are no slots to allocate.", field="slots")
    if len(requests) > MAX_MEMBERS:
        raise DomainError("too_many_participants", f"One run can share slots among at most {MAX_MEMBERS:,} members.")
    if len(slots) > MAX_SLOTS:
        raise DomainError("too_many_slots", f"One run can share at most {MAX_SLOTS:,} slots.", field="slots")
    slot_keys = sorted(_checked_keys(slots, "slot"))
    ordered = sorted(requests, key=lambda request: request.member if isinstance(request.member, str) else "")
    members = _checked_keys([request.member for request in ordered], "member")
    slot_index = {slot: column for column, slot in enumerate(slot_keys)}
    matrix = np.zeros((len(members), len(slot_keys)), dtype=np.int64)
    for row, request in enumerate(ordered):
        _fill_row(matrix, row, request, slot_index)
    asked = [_whole(request.capacity, 1, MAX_SLOTS, request.member, "capacity") for request in ordered]
    needs = [_whole(request.need, 1, NEED_MAX, request.member, "need") for request in ordered]
    return _Run(members, slot_keys, matrix, asked, [min(c, len(slot_keys)) for c in asked], needs)


def _checked_keys(keys: Sequence[str], kind: str) -> list[str]:
    for key in keys:
        if not isinstance(key, str) or not key or len(key) > KEY_MAX_CHARS:
            raise DomainError(f"invalid_{kind}", f"Each {kind} needs a name of 1 to {KEY_MAX_CHARS} characters.")
    if len(set(keys)) != len(keys):
        twice = sorted(key for key in set(keys) if keys.count(key) > 1)[0]
        raise DomainError(f"duplicate_{kind}", f"The {kind} {twice!r} is listed more than once.", field=f"{kind}s")
    return list(keys)


def _fill_row(matrix: np.ndarray, row: int, request: SlotRequest, slot_index: Mapping[str, int]) -> None:
    """One member's scores into the matrix; the checks run over whole rows at once because a 1,000-slot run has a
    million scores, and a readable error names the first bad one."""
    if not isinstance(request.scores, Mapping):
        raise DomainError("invalid_scores", f"The scores of {request.member!r} must map each slot to a whole number.")
    if not request.scores:
        return
    slots_named, values = list(request.scores), list(request.scores.values())
    unknown = set(slots_named) - slot_index.keys()
    if unknown:
        raise DomainError(
            "unknown_slot",
            f"{request.member!r} scored {sorted(map(str, unknown))[0]!r}, which is not one of the slots.",
        )
    scores = np.fromiter(values, dtype=np.int64, count=len(values)) if set(map(type, values)) == {int} else None
    if scores is None or scores.min() < 0 or scores.max() > SCORE_MAX:
        slot, score = next((s, v) for s, v in request.scores.items() if type(v) is not int or not 0 <= v <= SCORE_MAX)
        raise DomainError(
            "invalid_score",
            f"Scores are whole numbers from 0 to {SCORE_MAX}; {request.member!r} gave {slot!r} the score {score!r}.",
            field="scores",
        )
    matrix[row, [slot_index[slot] for slot in slots_named]] = scores


def _whole(value: int, low: int, high: int, member: str, what: str) -> int:
    if type(value) is not int or not low <= value <= high:
        raise DomainError(
            f"invalid_{what}",
            f"The {what} of {member!r} must be a whole number from {low} to {high:,}; it was {value!r}.",
            field=what,
        )
    return value


# --- unit demand ----------------------------------------------------------------------------------------------


def _assign_unit_demand(matrix: np.ndarray, order: list[int], tie_order: list[int]) -> list[list[int]]:
    """The assignment of greatest total score; among those, the greatest sum of draw points of members served.
    Scaling scores by 1 + n(n+1)/2 (more than all draw points together) makes score strictly first; the largest
    entry, SCORE_MAX * 12.5 million for 5,000 members, keeps every sum exact in float64."""
    count = len(order)
    points = np.empty(count, dtype=np.int64)
    points[order] = np.arange(count, 0, -1)  # the first drawn gets n points
    profit = matrix * (1 + count * (count + 1) // 2) + points[:, None]
    profit[matrix == 0] = 0  # a slot scored 0 is never given, so it earns no draw points either
    rows, columns = np.asarray(order), np.asarray(tie_order)
    # Presenting rows in draw order and columns in the shuffled order makes any tie the solver still meets fall
    # the lottery's way rather than the way keys sort.
    chosen_rows, chosen_columns = linear_sum_assignment(profit[np.ix_(rows, columns)], maximize=True)
    bundles: list[list[int]] = [[] for _ in range(count)]
    for row, column in zip(rows[chosen_rows].tolist(), columns[chosen_columns].tolist(), strict=True):
        if matrix[row, column] > 0:
            bundles[row].append(column)
    return bundles


def _total(matrix: np.ndarray, bundles: list[list[int]]) -> int:
    return sum(int(matrix[member, slot]) for member, held in enumerate(bundles) for slot in held)


# --- several slots a member ------------------------------------------------------------------------------------


@dataclass
class _Plan:
    path: str
    order: list[int]  # member rows in the lottery's order
    bundles: list[list[int]]
    turns: list[list[int]]  # per member, the numbers (1-based) of the picks they made
    picked: list[list[int]]  # the bundles as the turns left them, before any exchange
    picks: int
    turns_total: int
    exchanges: int


def _pick_in_turns(
    values: list[list[int]], capacities: list[int], needs: list[int], order: list[int], tie_order: list[int]
) -> _Plan:
    """The weighted picking sequence, then the exchange search. A member leaves the sequence once full or once no
    slot they scored above zero is left; leaving cannot cost them EF1, since what they no longer take is worth
    nothing to them or is beyond what they may hold."""
    tie_rank = {slot: rank for rank, slot in enumerate(tie_order)}
    wishes = [_wish_list(row, tie_rank) for row in values]
    next_wish = [0] * len(values)
    taken = [False] * len(tie_order)
    bundles: list[list[int]] = [[] for _ in values]
    turns: list[list[int]] = [[] for _ in values]
    # Adams' divisor order: fewest picks per unit of need goes next; at equal ratios, earlier in the draw.
    queue = [(Fraction(0), position, member) for position, member in enumerate(order)]
    picks = 0
    while queue and picks < len(tie_order):
        _, position, member = heapq.heappop(queue)
        if len(bundles[member]) >= capacities[member]:
            continue
        wish = next_wish[member]
        while wish < len(wishes[member]) and taken[wishes[member][wish]]:
            wish += 1
        next_wish[member] = wish
        if wish == len(wishes[member]):
            continue
        slot = wishes[member][wish]
        taken[slot] = True
        bundles[member].append(slot)
        picks += 1
        turns[member].append(picks)
        heapq.heappush(queue, (Fraction(len(bundles[member]), needs[member]), position, member))
    picked = [list(held) for held in bundles]
    turns_total = sum(values[member][slot] for member, held in enumerate(bundles) for slot in held)
    exchanges = _Exchanges(values, capacities, needs, bundles, tie_order).improve()
    return _Plan(
        "picking_sequence", order, bundles, turns, picked, picks=picks, turns_total=turns_total, exchanges=exchanges
    )


def _wish_list(row: list[int], tie_rank: Mapping[int, int]) -> list[int]:
    """The slots a member wants, best first; equal scores in the lottery's slot order, not the keys' order."""
    return sorted((slot for slot, score in enumerate(row) if score > 0), key=lambda slot: (-row[slot], tie_rank[slot]))


class _Exchanges:
    """First-improvement local search: give a slot to a member with room (from another member or from the
    unassigned pool), or swap two slots between members (the pool counts as a member who values nothing); the giver
    then refills from the pool if it can. A move is kept only if it raises the total score and every property that
    held before still holds. Slots are visited in the lottery's shuffled order, so no key is favoured."""

    def __init__(
        self,
        values: list[list[int]],
        capacities: list[int],
        needs: list[int],
        bundles: list[list[int]],
        tie_order: list[int],
    ):
        self.values, self.capacities, self.needs, self.bundles = values, capacities, needs, bundles
        self.tie_order = tie_order
        self.tie_rank = {slot: rank for rank, slot in enumerate(tie_order)}
        self.holder = [-1] * len(tie_order)  # -1: nobody
        for member, held in enumerate(bundles):
            for slot in held:
                self.holder[slot] = member
        self.free = {slot for slot, member in enumerate(self.holder) if member < 0}
        self.own = [sum(values[member][slot] for slot in held) for member, held in enumerate(bundles)]
        everyone = range(len(values))
        self.work = 0
        self.keep = (self._pairs_hold(everyone, False), self._pairs_hold(everyone, True), self._complete())
        self.work = 0  # the budget is for the search; this first look at every pair is needed whatever the size

    def improve(self) -> int:
        done = 0
        improved = True
        while improved and self.work < MAX_EXCHANGE_WORK:
            improved = False
            for slot in self.tie_order:
                if self._improve_slot(slot):
                    done, improved = done + 1, True
                if self.work >= MAX_EXCHANGE_WORK:
                    break
        return done

    def _value(self, member: int, slot: int) -> int:
        return 0 if member < 0 else self.values[member][slot]

    def _improve_slot(self, slot: int) -> bool:
        """Try moving ``slot`` to each member who values it more than its holder, alone or in exchange for one of
        theirs; keep the first move that passes."""
        giver = self.holder[slot]
        held_value = self._value(giver, slot)
        self.work += len(self.values)
        for taker in range(len(self.values)):
            gain = self.values[taker][slot] - held_value
            if taker == giver or gain <= 0:
                continue
            if len(self.bundles[taker]) < self.capacities[taker] and self._try(slot, giver, taker, None):
                return True
            for other in list(self.bundles[taker]):
                self.work += 1
                back = self._value(giver, other)
                if giver >= 0 and back == 0:
                    continue  # nobody is handed a slot they scored 0, even in a swap that would raise the total
                if gain + back - self.values[taker][other] > 0 and self._try(slot, giver, taker, other):
                    return True
        return False

    def _try(self, slot: int, giver: int, taker: int, other: int | None) -> bool:
        """Make the move, let the giver refill from the unassigned slots if it left them room (a slot given up
        for a free one is often what keeps the shares fair), and undo it all unless every property still holds."""
        moves = [(slot, giver, taker)] + ([(other, taker, giver)] if other is not None else [])
        for move in moves:
            self._move(*move)
        if giver >= 0:
            moves += self._refill(giver)
        if self._still_fair([member for member in (giver, taker) if member >= 0]):
            return True
        for moved, source, target in reversed(moves):
            self._move(moved, target, source)
        return False

    def _refill(self, member: int) -> list[tuple[int, int, int]]:
        row, room = self.values[member], self.capacities[member] - len(self.bundles[member])
        wanted = sorted(
            (slot for slot in self.free if row[slot] > 0), key=lambda slot: (-row[slot], self.tie_rank[slot])
        )
        moves = [(slot, -1, member) for slot in wanted[:room]]
        for move in moves:
            self._move(*move)
        return moves

    def _move(self, slot: int, source: int, target: int) -> None:
        if source >= 0:
            self.bundles[source].remove(slot)
            self.own[source] -= self.values[source][slot]
        else:
            self.free.discard(slot)
        if target >= 0:
            self.bundles[target].append(slot)
            self.own[target] += self.values[target][slot]
        else:
            self.free.add(slot)
        self.holder[slot] = target

    def _still_fair(self, changed: list[int]) -> bool:
        ef1, weighted, complete = self.keep
        if ef1 and not self._pairs_hold(changed, False):
            return False
        if weighted and not self._pairs_hold(changed, True):
            return False
        return not complete or self._complete()

    def _pairs_hold(self, changed: Sequence[int] | range, weighted: bool) -> bool:
        """Every pair with a changed member on either side: their bundles and their own values are what moved."""
        everyone = range(len(self.values))
        self.work += 2 * len(changed) * len(everyone)
        return all(
            self._pair_holds(a, b, weighted) and self._pair_holds(b, a, weighted)
            for a in changed
            for b in everyone
            if a != b
        )

    def _pair_holds(self, envier: int, other: int, weighted: bool) -> bool:
        theirs = self.bundles[other]
        if len(theirs) <= 1:
            return True
        row = self.values[envier]
        w_own, w_other = (self.needs[envier], self.needs[other]) if weighted else (1, 1)
        full = len(self.bundles[envier]) >= self.capacities[envier]
        seen = [row[slot] for slot in theirs]
        return _envy_bounded(self.own[envier], seen, self.capacities[envier], w_own, w_other, full)

    def _complete(self) -> bool:
        """Nothing wanted is left over: no member with room scores a free slot above zero."""
        if not self.free:
            return True
        self.work += len(self.free) * len(self.values)
        with_room = [m for m in range(len(self.values)) if len(self.bundles[m]) < self.capacities[m]]
        return not any(self.values[member][slot] > 0 for member in with_room for slot in self.free)


# --- the result and its explanations ---------------------------------------------------------------------------


def _result(run: _Run, plan: _Plan, seed: int) -> FairAssignment:
    members, slot_keys, matrix = run.members, run.slots, run.matrix
    allocation = {member: tuple(slot_keys[s] for s in sorted(plan.bundles[row])) for row, member in enumerate(members)}
    scores = _score_maps(members, slot_keys, matrix)
    capacity_of = dict(zip(members, run.capacities, strict=True))
    properties = {
        "ef1": is_ef1(allocation, scores, capacity_of),
        "weighted_ef1": is_weighted_ef1(allocation, scores, dict(zip(members, run.needs, strict=True)), capacity_of),
        "complete": is_complete(allocation, scores, set(slot_keys), capacity_of),
    }
    explain = _Explainer(run, plan)
    outcomes = tuple(
        MemberOutcome(member, allocation[member], int(matrix[row, plan.bundles[row]].sum()), explain(row))
        for row, member in enumerate(members)
    )
    given = {slot for held in plan.bundles for slot in held}
    draw_order = tuple(members[row] for row in plan.order)
    total = sum(outcome.value for outcome in outcomes)
    # Scores go on record as one list per member in the order of ``slots``: a million scores hash about twice as
    # fast as lists than as maps, which keeps a 1,000 x 1,000 run well inside a second.
    rows = matrix.tolist()
    inputs = {
        "slots": slot_keys,
        "members": [
            {"member": member, "capacity": run.asked[row], "need": run.needs[row], "scores": rows[row]}
            for row, member in enumerate(members)
        ],
    }
    result = _result_record(plan.path, draw_order, allocation, total)
    return FairAssignment(
        path=plan.path,
        outcomes=outcomes,
        unassigned=tuple(slot for column, slot in enumerate(slot_keys) if column not in given),
        draw_order=draw_order,
        total_value=total,
        turns_total_value=plan.turns_total,
        exchanges=plan.exchanges,
        certificate=certify(METHOD, seed, inputs, result, properties),
        inputs_record=inputs,
    )


def _result_record(
    path: str, draw_order: Sequence[str], allocation: Mapping[str, Sequence[str]], total: int
) -> dict[str, object]:
    """What the certificate's result hash covers: enough to see the run came out the same."""
    return {
        "path": path,
        "draw_order": list(draw_order),
        "allocation": {member: list(held) for member, held in allocation.items()},
        "total_value": total,
    }


def _score_maps(members: list[str], slot_keys: list[str], matrix: np.ndarray) -> dict[str, Mapping[str, int]]:
    """Each member's scores as the map the checkers read, as views over the matrix rather than a million-entry
    copy: the checkers only look up the few slots members hold."""
    index = {slot: column for column, slot in enumerate(slot_keys)}
    return {member: _ScoreRow(matrix[row], slot_keys, index) for row, member in enumerate(members)}


class _ScoreRow(Mapping[str, int]):
    """One member's positive scores, read-only; a slot scored 0 is absent, as in a request."""

    def __init__(self, row: np.ndarray, slot_keys: list[str], index: Mapping[str, int]):
        self.row, self.slot_keys, self.index = row, slot_keys, index

    def __getitem__(self, slot: str) -> int:
        score = int(self.row[self.index[slot]])
        if not score:
            raise KeyError(slot)
        return score

    def __iter__(self) -> Iterator[str]:
        return (self.slot_keys[column] for column in np.flatnonzero(self.row).tolist())

    def __len__(self) -> int:
        return int(np.count_nonzero(self.row))


class _Explainer:
    """One paragraph a member can read: what they got, how they ranked it, and where the lottery placed them."""

    def __init__(self, run: _Run, plan: _Plan):
        self.slot_keys, self.matrix, self.needs, self.plan = run.slots, run.matrix, run.needs, plan
        self.position = {member: place for place, member in enumerate(plan.order, start=1)}
        self.weighted = len(set(run.needs)) > 1

    def __call__(self, row: int) -> str:
        held = sorted(self.plan.bundles[row])
        draw = f"you were drawn {ordinal(self.position[row])} of {len(self.needs)} in the lottery"
        if self.weighted:
            draw += f", which counted your need weight of {self.needs[row]}"
        if not self.matrix[row].any():
            return "You did not score any slot above zero, so none was given to you."
        if self.plan.path == "unit_demand":
            return self._unit_demand(row, held, draw)
        return self._picking(row, held, draw)

    def _describe(self, row: int, slot: int) -> str:
        score = int(self.matrix[row, slot])
        higher = int((self.matrix[row] > score).sum())
        joint = "joint " if int((self.matrix[row] == score).sum()) > 1 else ""
        return (
            f"{self.slot_keys[slot]} (you scored it {score} of {SCORE_MAX}, your {joint}{ordinal(higher + 1)} choice)"
        )

    def _unit_demand(self, row: int, held: list[int], draw: str) -> str:
        rule = (
            "Slots went to the arrangement with the greatest total score for everyone; where several arrangements "
            f"tied, the lottery decided, preferring members drawn earlier, and {draw}."
        )
        if not held:
            return f"You received no slot. {rule} In that arrangement no slot you scored above zero was left for you."
        return f"You received {self._describe(row, held[0])}. {rule}"

    def _picking(self, row: int, held: list[int], draw: str) -> str:
        turns = self.plan.turns[row]
        if turns:
            numbers = _listed([ordinal(turn) for turn in turns])
            story = (
                f"Members took turns choosing; {draw}, and your turns were the {numbers} of {self.plan.picks} picks."
            )
        else:
            story = f"Members took turns choosing; {draw}, but no slot you scored above zero was left by your turn."
        gave = [self.slot_keys[slot] for slot in sorted(set(self.plan.picked[row]) - set(held))]
        got = [self.slot_keys[slot] for slot in sorted(set(held) - set(self.plan.picked[row]))]
        changes = ([f"you gave up {_listed(gave)}"] if gave else []) + ([f"you received {_listed(got)}"] if got else [])
        if changes:
            story += (
                " After the turns, some slots changed hands because that raised the total score without making "
                f"anyone's share unfair: {' and '.join(changes)}."
            )
        if not held:
            return f"You received no slot. {story}"
        return f"You received {'; '.join(self._describe(row, slot) for slot in held)}. {story}"


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
