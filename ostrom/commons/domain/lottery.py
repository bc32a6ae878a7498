"""Weighted lottery by need: names are drawn one at a time, without replacement, each with a chance proportional
to its weight, so greater need means better odds but never a certain place, and nobody is ever shut out.

Weights are whole points. Everyone starts at DEFAULT_POINTS; a coordinator may set other points, always with a
recorded reason, or use a tier (no car, disability, carer) that adds points and says why. Each draw in a row that
someone loses adds BOOST_PERCENT of their points for the next draw, up to MAX_BOOSTED_ROUNDS in a row, and a win
resets it: the same people cannot keep losing by bad luck alone.

The draw is exact integer arithmetic: each pick takes a ticket `random.Random(seed).randrange(total weight left)`
and finds whose band of tickets it falls in (a Fenwick tree keeps that O(log n)). So the first name drawn is
participant i with probability exactly weight_i / total, and the whole order is reproducible from the seed."""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from ostrom.communities.domain import DomainError

from .certificates import Certificate, Id, certify

METHOD = "weighted_lottery"
DEFAULT_POINTS = 10  # ten points each, so +50% and tier points stay whole numbers
MAX_POINTS = 1_000  # a hundred times the default: enough for any need, small enough to stay a lottery
BOOST_PERCENT = 50  # each draw lost in a row adds half the person's points for the next draw...
MAX_BOOSTED_ROUNDS = 2  # ...at most twice, so a long losing streak doubles the odds, no more
MAX_PARTICIPANTS = 10_000
MAX_REASON_CHARS = 200

# Tiers a coordinator can tick instead of typing points: points added to the default, and the reason recorded.
NEED_TIERS: Mapping[str, tuple[str, int]] = {
    "no_car": ("no car", 5),
    "disability": ("disability", 10),
    "carer": ("carer", 5),
}


@dataclass(frozen=True)
class Need:
    """One participant's entry: need `points` (with the `reason` for anything but the default) and how many
    draws in a row they have lost, which boosts their weight."""

    participant: Id
    points: int = DEFAULT_POINTS
    reason: str = ""
    lost_rounds: int = 0

    @property
    def weight(self) -> int:
        """Points plus BOOST_PERCENT for each draw lost in a row (capped), rounded down to a whole number."""
        boost_percent = BOOST_PERCENT * min(self.lost_rounds, MAX_BOOSTED_ROUNDS)
        return self.points * (100 + boost_percent) // 100


@dataclass(frozen=True)
class Explanation:
    """Why someone was drawn where they were: their weight, how it was made up, and their place in the draw."""

    participant: Id
    points: int
    reason: str
    lost_rounds: int
    weight: int
    share_permille: int  # their chance of being the first name drawn, in thousandths (rounded)
    position: int  # 1 = drawn first
    won: bool

    @property
    def sentence(self) -> str:
        """The explanation in plain words, for the person it is about."""
        why = f"{self.points} points ({self.reason})" if self.reason else f"the usual {self.points} points"
        if self.lost_rounds:
            draws = "draw" if self.lost_rounds == 1 else f"{self.lost_rounds} draws"
            why += f", more because you lost the last {draws}"
        outcome = "you have a place" if self.won else "you did not get a place this time"
        chance = f"a {self.share_permille / 10:g}% chance of being drawn first"
        return f"Your weight was {self.weight}: {why}; {chance}. You were drawn {ordinal(self.position)}: {outcome}."


@dataclass(frozen=True)
class LotteryResult:
    """The drawn order (everyone, first drawn first), the winners of the `slots` places, and why."""

    inputs: dict[str, object]
    order: tuple[Id, ...]
    winners: tuple[Id, ...]
    losers: tuple[Id, ...]
    total_weight: int
    explanations: dict[Id, Explanation]
    certificate: Certificate


def need_from_tiers(participant: Id, tiers: Collection[str]) -> Need:
    """A need built from tiers: the default points plus each tier's points, the tiers named as the reason."""
    unknown = [tier for tier in tiers if tier not in NEED_TIERS]
    if unknown:
        raise DomainError(
            "unknown_need_tier", f"There is no need tier called {unknown[0]!r}; use one of {', '.join(NEED_TIERS)}."
        )
    chosen = sorted(set(tiers))
    points = DEFAULT_POINTS + sum(NEED_TIERS[tier][1] for tier in chosen)
    return Need(participant, points, "; ".join(NEED_TIERS[tier][0] for tier in chosen))


def draw(needs: Sequence[Need], slots: int, seed: int) -> LotteryResult:
    """Draw every name in turn (chance proportional to weight, without replacement); the first `slots` win."""
    inputs = _inputs(needs, slots)
    order = draw_order([need.weight for need in needs], random.Random(seed))
    total = sum(need.weight for need in needs)
    drawn = tuple(needs[i].participant for i in order)
    explanations = {
        needs[i].participant: Explanation(
            participant=needs[i].participant,
            points=needs[i].points,
            reason=needs[i].reason,
            lost_rounds=needs[i].lost_rounds,
            weight=needs[i].weight,
            share_permille=(needs[i].weight * 1000 + total // 2) // total,
            position=position,
            won=position <= slots,
        )
        for position, i in enumerate(order, start=1)
    }
    properties = {
        "everyone_drawn_exactly_once": sorted(order) == list(range(len(needs))),
        "winners_are_the_first_drawn": sum(e.won for e in explanations.values()) == min(slots, len(needs)),
        "every_changed_weight_has_a_reason": all(n.points == DEFAULT_POINTS or n.reason for n in needs),
    }
    certificate = certify(METHOD, seed, inputs, _record(drawn), properties)
    return LotteryResult(inputs, drawn, drawn[:slots], drawn[slots:], total, explanations, certificate)


def next_round_needs(needs: Sequence[Need], losers: Collection[Id]) -> tuple[Need, ...]:
    """The needs for the next draw: each loser has lost one more draw in a row (so weighs more), each winner
    starts again from their points. Points and reasons carry over unchanged."""
    known = {need.participant for need in needs}
    stray = [who for who in losers if who not in known]
    if stray:
        raise DomainError("unknown_participant", f"{stray[0]!r} did not take part in this draw.")
    lost = set(losers)
    return tuple(
        replace(need, lost_rounds=min(need.lost_rounds + 1, MAX_BOOSTED_ROUNDS) if need.participant in lost else 0)
        for need in needs
    )


def rerun(seed: int, inputs: Mapping[str, object]) -> Mapping[str, object]:
    """The result record of a draw re-run from its certificate's seed and published inputs (for `verify`)."""
    rows, slots = inputs.get("needs"), inputs.get("slots")
    if not isinstance(rows, list | tuple) or not isinstance(slots, int):
        raise DomainError("invalid_inputs", "The published inputs do not describe a lottery.")
    try:
        needs = [Need(*row) for row in rows]
    except TypeError as error:
        raise DomainError("invalid_inputs", "The published inputs do not describe a lottery.") from error
    _inputs(needs, slots)
    order = draw_order([need.weight for need in needs], random.Random(seed))
    return _record(tuple(needs[i].participant for i in order))


def _inputs(needs: Sequence[Need], slots: int) -> dict[str, object]:
    if not needs:
        raise DomainError("no_participants", "There is nobody in the draw: add at least one person.")
    if len(needs) > MAX_PARTICIPANTS:
        raise DomainError("too_many_participants", f"A draw can take at most {MAX_PARTICIPANTS:,} people.")
    if isinstance(slots, bool) or not isinstance(slots, int) or slots < 1:
        raise DomainError("invalid_slots", "A draw needs at least one place to give.", field="slots")
    seen: set[Id] = set()
    for need in needs:
        _check_need(need)
        if need.participant in seen:
            raise DomainError("duplicate_participant", "The same person is in the draw twice; list each once.")
        seen.add(need.participant)
    return {
        "needs": [[n.participant, n.points, n.reason, n.lost_rounds] for n in needs],
        "slots": slots,
    }


def _check_need(need: Need) -> None:
    if isinstance(need.participant, bool) or not isinstance(need.participant, int | str):
        raise DomainError("invalid_participant", "Each person in the draw must be named by a number or a text.")
    if isinstance(need.points, bool) or not isinstance(need.points, int) or not 1 <= need.points <= MAX_POINTS:
        raise DomainError(
            "invalid_weight",
            f"A need weight is a whole number of points from 1 to {MAX_POINTS:,} (the usual is {DEFAULT_POINTS}).",
            field="points",
        )
    if not isinstance(need.reason, str) or len(need.reason) > MAX_REASON_CHARS:
        raise DomainError(
            "invalid_reason", f"Give the reason in at most {MAX_REASON_CHARS} characters.", field="reason"
        )
    if need.points != DEFAULT_POINTS and not need.reason.strip():
        raise DomainError(
            "need_reason_required",
            f"Say why this person's need weight differs from the usual {DEFAULT_POINTS} points.",
            field="reason",
        )
    lost = need.lost_rounds
    if isinstance(lost, bool) or not isinstance(lost, int) or not 0 <= lost <= MAX_BOOSTED_ROUNDS:
        raise DomainError(
            "invalid_lost_rounds", f"Draws lost in a row count from 0 to {MAX_BOOSTED_ROUNDS}.", field="lost_rounds"
        )


def draw_order(weights: Sequence[int], rng: random.Random) -> list[int]:
    """Every index of ``weights`` once, drawn without replacement, each draw in proportion to weight among those
    left: a uniform integer ticket below the weight left, found in a Fenwick tree (O(n log n)), no floating point,
    so every machine draws the same order. Fair assignment's lottery uses it too."""
    tree = _FenwickTree(list(weights))
    left = sum(weights)
    order = []
    for _ in weights:
        index = tree.find(rng.randrange(left))
        tree.add(index, -weights[index])
        left -= weights[index]
        order.append(index)
    return order


class _FenwickTree:
    """Prefix sums of the weights still in the draw: who holds ticket t, and removing someone, in O(log n)."""

    def __init__(self, weights: list[int]) -> None:
        self.size = len(weights)
        self.tree = [0, *weights]
        for i in range(1, self.size + 1):
            parent = i + (i & -i)
            if parent <= self.size:
                self.tree[parent] += self.tree[i]

    def add(self, index: int, amount: int) -> None:
        i = index + 1
        while i <= self.size:
            self.tree[i] += amount
            i += i & -i

    def find(self, ticket: int) -> int:
        """The index whose band [prefix before it, prefix through it) holds `ticket` (0 <= ticket < total)."""
        position, step = 0, 1 << self.size.bit_length()
        while step:
            nxt = position + step
            if nxt <= self.size and self.tree[nxt] <= ticket:
                position = nxt
                ticket -= self.tree[nxt]
            step >>= 1
        return position


def _record(drawn: tuple[Id, ...]) -> dict[str, object]:
    # The whole drawn order: winners and the waiting list both follow from it and the number of places.
    return {"order": list(drawn)}


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st…"""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"
