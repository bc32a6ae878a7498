"""Rotas and care circles: a self-managed team (Buurtzorg-style) or a family's care circle shares recurring shifts.

Times are whole minutes of local wall-clock time: a recurring shift starts some minutes after Monday 00:00 and lasts
some minutes; `occurrences` lays it out over a horizon of weeks from a given Monday, and each concrete shift counts
its start in minutes from that Monday (a later layer turns these into UTC). Minutes stay integers so they can be
logged to the timebank as they are.

What `schedule_rota` promises, always: every filled shift goes to someone who said they can do it, who is not on
another shift at that time and who stays within their maximum; a shift is left unfilled only when nobody can take
it, and the rota says why. What it aims for: everyone's minutes within one (longest) shift of their fair share.

The fair share splits the filled minutes equally, except that nobody's share is more than their cap (their
maximum, or the minutes of the shifts they can do) nor less than their floor (the minutes of shifts nobody else
can do); what those people cannot take, or must take, is evened out among the rest (water-filling).

The aim is a promise when every member can do every shift, nobody has a maximum and no two shifts overlap: then
giving each shift to whoever has least so far keeps all loads within one shift of each other, and the repair pass
never widens that. Otherwise it can fail for reasons no scheduler can beat (with two people, a chain of long and
short shifts each overlapping the next forces them to alternate, one taking every long shift), and a greedy pass
with local repairs can also miss a fairer rota that exists; so the rota reports each person's distance beyond the
bound (`excess_minutes`) instead of hiding it."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from fractions import Fraction
from functools import cached_property

from ostrom.communities.domain import DomainError

MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY

# Limits on everything: a live-in shift is at most a day, a rota is planned at most half a year ahead, and a
# self-managed team is a dozen people (Buurtzorg caps teams at 12), so these bounds leave room without inviting
# runaway inputs that would make the repair pass slow.
MAX_SHIFT_MINUTES = MINUTES_PER_DAY
MAX_WEEKS = 26
MAX_SHIFTS = 1_000
MAX_MEMBERS = 100
MAX_WINDOWS = 50
MAX_ID_CHARS = 60

NOBODY_AVAILABLE = "nobody_available"
EVERYONE_AT_MAXIMUM = "everyone_at_maximum"
EVERYONE_ON_ANOTHER_SHIFT = "everyone_on_another_shift"
EVERYONE_AT_MAXIMUM_OR_ON_ANOTHER_SHIFT = "everyone_at_maximum_or_on_another_shift"
SOMEONE_IS_FREE = "someone_is_free"
UNFILLED_MESSAGES: Mapping[str, str] = {
    NOBODY_AVAILABLE: "Nobody in the team has said they can do this shift.",
    EVERYONE_AT_MAXIMUM: "Everyone who can do this shift has reached the most hours they asked for.",
    EVERYONE_ON_ANOTHER_SHIFT: "Everyone who can do this shift is already on another shift at that time.",
    EVERYONE_AT_MAXIMUM_OR_ON_ANOTHER_SHIFT: (
        "Everyone who can do this shift has either reached the most hours they asked for or is on another shift "
        "at that time."
    ),
    # Only after a swap: the swap freed someone, and the team should offer them the shift.
    SOMEONE_IS_FREE: "Someone who can do this shift is now free: offer it to them.",
}


@dataclass(frozen=True)
class RecurringShift:
    """A shift that repeats every week, starting `start_minute_of_week` minutes after Monday 00:00."""

    template_id: str
    start_minute_of_week: int
    duration_minutes: int


@dataclass(frozen=True)
class Shift:
    """One concrete shift: `start_minute` counts from 00:00 on the rota's first Monday."""

    shift_id: str
    template_id: str
    day: date
    start_minute: int
    duration_minutes: int

    @property
    def end_minute(self) -> int:
        """The minute the shift ends (not part of the shift: back-to-back shifts do not overlap)."""
        return self.start_minute + self.duration_minutes

    def overlaps(self, other: Shift) -> bool:
        """Whether the two shifts share any minute."""
        return self.start_minute < other.end_minute and other.start_minute < self.end_minute


@dataclass(frozen=True)
class Window:
    """A weekly time someone can work: minutes after Monday 00:00; it may run past Sunday midnight into Monday."""

    start_minute_of_week: int
    end_minute_of_week: int


@dataclass(frozen=True)
class Availability:
    """What one member can do: named shifts (recurring template ids or concrete shift ids) and weekly windows."""

    shift_ids: frozenset[str] = frozenset()
    windows: tuple[Window, ...] = ()

    def can_do(self, shift: Shift) -> bool:
        """Whether the shift is named, or lies wholly inside one of the windows."""
        if shift.template_id in self.shift_ids or shift.shift_id in self.shift_ids:
            return True
        start = shift.start_minute % MINUTES_PER_WEEK
        end = start + shift.duration_minutes
        return any(
            window.start_minute_of_week <= begin and finish <= window.end_minute_of_week
            for window in self.windows
            # A window that runs past Sunday midnight also covers shifts early the next Monday.
            for begin, finish in ((start, end), (start + MINUTES_PER_WEEK, end + MINUTES_PER_WEEK))
        )


@dataclass(frozen=True)
class Member:
    """A member of the team; `max_minutes` is the most they will do over the whole rota (None: no limit)."""

    member_id: int
    max_minutes: int | None = None


@dataclass(frozen=True)
class UnfilledShift:
    """A shift nobody could take, why, and who was at their maximum or on another shift at the time."""

    shift: Shift
    reason: str
    at_maximum: tuple[int, ...] = ()
    on_another_shift: tuple[int, ...] = ()
    free: tuple[int, ...] = ()

    @property
    def message(self) -> str:
        """The reason as a sentence for the team's alert."""
        return UNFILLED_MESSAGES[self.reason]


@dataclass(frozen=True)
class Rota:
    """Who does which shift. Loads, fair shares and the distance beyond the fairness bound are derived from it."""

    shifts: tuple[Shift, ...]
    members: tuple[Member, ...]
    availability: Mapping[int, Availability]
    assignments: Mapping[str, int]
    unfilled: tuple[UnfilledShift, ...]
    seed: int
    _shift_by_id: Mapping[str, Shift] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_shift_by_id", {shift.shift_id: shift for shift in self.shifts})

    def shift(self, shift_id: str) -> Shift:
        """The shift with this id (KeyError if there is none)."""
        return self._shift_by_id[shift_id]

    def shifts_of(self, member_id: int) -> tuple[Shift, ...]:
        """A member's shifts, in time order."""
        return tuple(shift for shift in self.shifts if self.assignments.get(shift.shift_id) == member_id)

    @cached_property
    def loads_minutes(self) -> dict[int, int]:
        """Minutes on the rota per member, zero for those with no shifts."""
        loads = {member.member_id: 0 for member in self.members}
        for shift_id, member_id in self.assignments.items():
            loads[member_id] += self.shift(shift_id).duration_minutes
        return loads

    @cached_property
    def longest_shift_minutes(self) -> int:
        """The length of the longest filled shift: the "one shift" of the fairness bound."""
        return max((self.shift(shift_id).duration_minutes for shift_id in self.assignments), default=0)

    @cached_property
    def fair_share_minutes(self) -> dict[int, Fraction]:
        """Each member's fair share of the filled minutes (exact; see the module's docstring)."""
        filled = [self.shift(shift_id) for shift_id in self.assignments]
        return _fair_shares(self.members, self.availability, filled)

    @cached_property
    def excess_minutes(self) -> dict[int, Fraction]:
        """How far each member is beyond one shift of their fair share, either way; zero when within it."""
        bound = self.longest_shift_minutes
        return {
            member_id: max(Fraction(0), abs(load - self.fair_share_minutes[member_id]) - bound)
            for member_id, load in self.loads_minutes.items()
        }

    @property
    def within_fair_bound(self) -> bool:
        """Whether everyone's minutes are within one shift of their fair share."""
        return not any(self.excess_minutes.values())


def occurrences(recurring: Iterable[RecurringShift], first_monday: date, weeks: int) -> tuple[Shift, ...]:
    """The concrete shifts of `weeks` weeks from `first_monday`, in time order; ids are "template@YYYY-MM-DD"."""
    templates = list(recurring)
    if first_monday.weekday() != 0:
        raise DomainError("not_a_monday", "A rota starts on a Monday. Pick the Monday of the first week.", "first_day")
    if not _is_int(weeks) or not 1 <= weeks <= MAX_WEEKS:
        raise DomainError(
            "weeks_invalid", f"A rota covers from 1 to {MAX_WEEKS} weeks. Choose a number in that range.", "weeks"
        )
    _check_unique([template.template_id for template in templates], "duplicate_shift", "shift")
    shifts = []
    for template in templates:
        _check_id(template.template_id, "shift")
        if not _is_int(template.start_minute_of_week) or not 0 <= template.start_minute_of_week < MINUTES_PER_WEEK:
            raise DomainError(
                "shift_start_invalid", "A shift must start at a time between Monday 00:00 and Sunday 23:59.", "start"
            )
        _check_duration(template.duration_minutes)
        for week in range(weeks):
            start_minute = week * MINUTES_PER_WEEK + template.start_minute_of_week
            day = first_monday + timedelta(days=start_minute // MINUTES_PER_DAY)
            shift_id = f"{template.template_id}@{day.isoformat()}"
            shifts.append(Shift(shift_id, template.template_id, day, start_minute, template.duration_minutes))
    return tuple(sorted(shifts, key=_time_order))


def schedule_rota(
    shifts: Sequence[Shift],
    members: Sequence[Member],
    availability: Mapping[int, Availability],
    seed: int = 0,
) -> Rota:
    """Give each shift to an available, free member, keeping loads near the fair share; report what stays unfilled.

    Deterministic: the same shifts, members, availability and seed give the same rota, in any input order."""
    _check_rota_input(shifts, members, availability, seed)
    ordered_shifts = tuple(sorted(shifts, key=_time_order))
    ordered_members = tuple(sorted(members, key=lambda member: member.member_id))
    board = _Board(ordered_members, availability, seed)
    board.fair = _fair_shares(ordered_members, availability, ordered_shifts)
    # Most constrained first: a shift only two people can do is placed before one anybody can do.
    by_constraint = sorted(ordered_shifts, key=lambda shift: (len(board.able(shift)), *_time_order(shift)))
    waiting = [shift for shift in by_constraint if not board.place(shift)]
    filled = [shift for shift in ordered_shifts if shift.shift_id in board.assignments]
    board.fair = _fair_shares(ordered_members, availability, filled)
    board.repair()
    # The repair pass can free someone; a last sweep in the same order fills what it can. Filling only adds load
    # and busy time, so a shift the sweep cannot fill stays unfillable after later ones are filled.
    still_waiting = [shift for shift in waiting if not board.place(shift)]
    return _rota(ordered_shifts, ordered_members, availability, board, still_waiting, seed)


def swap(rota: Rota, shift_a: str, shift_b: str, *, accept_over_fair_share: bool = False) -> Rota:
    """The rota with the people on two shifts swapped, if each can do the other's shift at that time.

    A swap that takes either person further beyond one shift of their fair share is refused, saying by how many
    minutes, unless `accept_over_fair_share` (the two have agreed to it)."""
    first, second = (_filled_shift(rota, shift_id) for shift_id in (shift_a, shift_b))
    member_a, member_b = rota.assignments[first.shift_id], rota.assignments[second.shift_id]
    if member_a == member_b:
        raise DomainError(
            "already_on_both_shifts", "Both shifts are already done by the same person, so there is nothing to swap."
        )
    board = _board_of(rota)
    for taker, giving, taking in ((member_a, first, second), (member_b, second, first)):
        _check_can_swap(board, taker, giving, taking)
    assignments = dict(rota.assignments) | {first.shift_id: member_b, second.shift_id: member_a}
    swapped = replace(rota, assignments=assignments)
    # The swap can free someone for a shift nobody could take before: say so in that shift's alert.
    board = _board_of(swapped)
    swapped = replace(swapped, unfilled=tuple(board.why_unfilled(entry.shift) for entry in rota.unfilled))
    if not accept_over_fair_share:
        for member_id, shift in ((member_a, second), (member_b, first)):
            before, after = rota.excess_minutes[member_id], swapped.excess_minutes[member_id]
            if after > before:
                over = -(-after.numerator // after.denominator)
                raise DomainError(
                    "swap_over_fair_share",
                    f"This swap would put the person now on {shift.shift_id} {over} minutes beyond one shift of "
                    "their fair share. Swap only if both of you agree to it.",
                )
    return swapped


def unfilled(rota: Rota) -> tuple[UnfilledShift, ...]:
    """The shifts nobody is on, in time order, each with the reason for the team's alert."""
    return tuple(sorted(rota.unfilled, key=lambda entry: _time_order(entry.shift)))


class _Board:
    """The scheduler's working state: who is on what, loads, and the fair shares loads are steered towards."""

    def __init__(self, members: tuple[Member, ...], availability: Mapping[int, Availability], seed: int) -> None:
        self.members = {member.member_id: member for member in members}
        self.availability = availability
        self.assignments: dict[str, int] = {}
        self.shifts_of: dict[int, list[Shift]] = {member.member_id: [] for member in members}
        self.loads = {member.member_id: 0 for member in members}
        self.fair: dict[int, Fraction] = {}
        # Ties between equally loaded people go by a seeded shuffle of the ids, so nobody always wins them.
        order = [member.member_id for member in members]
        random.Random(seed).shuffle(order)
        self.rank = {member_id: position for position, member_id in enumerate(order)}

    def able(self, shift: Shift) -> list[int]:
        return [member_id for member_id in self.members if _can_do(self.availability, member_id, shift)]

    def at_maximum(self, member_id: int, shift: Shift, giving: Shift | None = None) -> bool:
        maximum = self.members[member_id].max_minutes
        given_back = giving.duration_minutes if giving else 0
        return maximum is not None and self.loads[member_id] - given_back + shift.duration_minutes > maximum

    def busy(self, member_id: int, shift: Shift, giving: Shift | None = None) -> bool:
        return any(other != giving and other.overlaps(shift) for other in self.shifts_of[member_id])

    def can_take(self, member_id: int, shift: Shift, giving: Shift | None = None) -> bool:
        return (
            _can_do(self.availability, member_id, shift)
            and not self.at_maximum(member_id, shift, giving)
            and not self.busy(member_id, shift, giving)
        )

    def deviation(self, member_id: int) -> Fraction:
        return self.loads[member_id] - self.fair[member_id]

    def place(self, shift: Shift) -> bool:
        """Give the shift to whoever is furthest below their fair share; False if nobody can take it."""
        takers = [member_id for member_id in self.members if self.can_take(member_id, shift)]
        if not takers:
            return False
        self.give(min(takers, key=lambda member_id: (self.deviation(member_id), self.rank[member_id])), shift)
        return True

    def give(self, member_id: int, shift: Shift) -> None:
        self.assignments[shift.shift_id] = member_id
        self.shifts_of[member_id].append(shift)
        self.loads[member_id] += shift.duration_minutes

    def take_back(self, member_id: int, shift: Shift) -> None:
        del self.assignments[shift.shift_id]
        self.shifts_of[member_id].remove(shift)
        self.loads[member_id] -= shift.duration_minutes

    def repair(self) -> None:
        # Move a shift, or swap two, from someone above their share to someone below whenever that strictly lowers
        # the sum of squared distances from the fair shares. Moving d minutes from a to b lowers it exactly when
        # d < deviation(a) - deviation(b), and then both end up between their old deviations, so the spread of
        # loads never widens (which keeps the greedy pass's promise). The sum falls each step, so this stops.
        for _ in range(10 * len(self.assignments) + 1):
            if not self._improve():
                return

    def _improve(self) -> bool:
        by_deviation = sorted(self.members, key=lambda member_id: (-self.deviation(member_id), self.rank[member_id]))
        for giver in by_deviation:
            for taker in reversed(by_deviation):
                gap = self.deviation(giver) - self.deviation(taker)
                if gap <= 0:
                    break
                if self._move_or_swap(giver, taker, gap):
                    return True
        return False

    def _move_or_swap(self, giver: int, taker: int, gap: Fraction) -> bool:
        for shift in sorted(self.shifts_of[giver], key=_time_order):
            if shift.duration_minutes < gap and self.can_take(taker, shift):
                self.take_back(giver, shift)
                self.give(taker, shift)
                return True
        for shift in sorted(self.shifts_of[giver], key=_time_order):
            for back in sorted(self.shifts_of[taker], key=_time_order):
                if not 0 < shift.duration_minutes - back.duration_minutes < gap:
                    continue
                if self.can_take(taker, shift, giving=back) and self.can_take(giver, back, giving=shift):
                    self.take_back(giver, shift)
                    self.take_back(taker, back)
                    self.give(taker, shift)
                    self.give(giver, back)
                    return True
        return False

    def why_unfilled(self, shift: Shift) -> UnfilledShift:
        able = self.able(shift)
        at_maximum = tuple(member_id for member_id in able if self.at_maximum(member_id, shift))
        on_another_shift = tuple(member_id for member_id in able if self.busy(member_id, shift))
        free = tuple(member_id for member_id in able if self.can_take(member_id, shift))
        if not able:
            reason = NOBODY_AVAILABLE
        elif free:
            reason = SOMEONE_IS_FREE
        elif len(at_maximum) == len(able):
            reason = EVERYONE_AT_MAXIMUM
        elif len(on_another_shift) == len(able):
            reason = EVERYONE_ON_ANOTHER_SHIFT
        else:
            reason = EVERYONE_AT_MAXIMUM_OR_ON_ANOTHER_SHIFT
        return UnfilledShift(shift, reason, at_maximum, on_another_shift, free)


def _rota(
    shifts: tuple[Shift, ...],
    members: tuple[Member, ...],
    availability: Mapping[int, Availability],
    board: _Board,
    waiting: list[Shift],
    seed: int,
) -> Rota:
    assignments = {
        shift.shift_id: board.assignments[shift.shift_id] for shift in shifts if shift.shift_id in board.assignments
    }
    missing = tuple(board.why_unfilled(shift) for shift in sorted(waiting, key=_time_order))
    assert all(entry.reason != SOMEONE_IS_FREE for entry in missing), "an unfilled shift had a free taker"
    return Rota(shifts, members, dict(availability), assignments, missing, seed)


def _board_of(rota: Rota) -> _Board:
    board = _Board(rota.members, rota.availability, rota.seed)
    for shift_id, member_id in rota.assignments.items():
        board.give(member_id, rota.shift(shift_id))
    return board


def _fair_shares(
    members: Sequence[Member], availability: Mapping[int, Availability], shifts: Sequence[Shift]
) -> dict[int, Fraction]:
    # Water-filling between a floor and a cap: everyone's share is one common level, raised to their floor (the
    # minutes of shifts only they can do) or lowered to their cap (their maximum, or the minutes of the shifts
    # they can do), with the level chosen so the shares add up to the minutes to share. Exact Fractions, so a
    # share can be a third of a minute without rounding creeping into the comparisons.
    floors: dict[int, int] = {}
    caps: dict[int, int] = {}
    # A shift longer than someone's maximum is one they can never take: it counts neither to their cap nor
    # against anyone else's floor.
    able = {
        shift.shift_id: {
            member.member_id
            for member in members
            if _can_do(availability, member.member_id, shift)
            and (member.max_minutes is None or shift.duration_minutes <= member.max_minutes)
        }
        for shift in shifts
    }
    for member in members:
        mine = [shift for shift in shifts if member.member_id in able[shift.shift_id]]
        only_mine = sum(shift.duration_minutes for shift in mine if len(able[shift.shift_id]) == 1)
        can_do_minutes = sum(shift.duration_minutes for shift in mine)
        cap = can_do_minutes if member.max_minutes is None else min(member.max_minutes, can_do_minutes)
        floors[member.member_id], caps[member.member_id] = min(only_mine, cap), cap
    level = _water_level(floors, caps, sum(shift.duration_minutes for shift in shifts))
    return {member_id: min(Fraction(caps[member_id]), max(Fraction(floors[member_id]), level)) for member_id in caps}


def _water_level(floors: Mapping[int, int], caps: Mapping[int, int], total: int) -> Fraction:
    # The shares' sum is piecewise linear and rising in the level, bending only at floors and caps: find the two
    # bends the total lies between and interpolate. If even everyone's cap or floor cannot match the total (only
    # when minutes were given to someone beyond their cap), the nearest end is the best level there is.
    def filled_at(level: Fraction) -> Fraction:
        return sum((min(Fraction(caps[m]), max(Fraction(floors[m]), level)) for m in caps), Fraction(0))

    bends = sorted({Fraction(value) for value in (*floors.values(), *caps.values())})
    previous = bends[0]
    if filled_at(previous) >= total:
        return previous
    for bend in bends[1:]:
        if filled_at(bend) >= total:
            rising = sum(1 for m in caps if floors[m] <= previous and caps[m] >= bend)
            return previous + (total - filled_at(previous)) / rising
        previous = bend
    return previous


def _can_do(availability: Mapping[int, Availability], member_id: int, shift: Shift) -> bool:
    member_availability = availability.get(member_id)
    return member_availability is not None and member_availability.can_do(shift)


def _time_order(shift: Shift) -> tuple[int, int, str]:
    return (shift.start_minute, shift.duration_minutes, shift.shift_id)


def _is_int(value: object) -> bool:
    # bool is an int in Python; True minutes are a bug upstream, not a number.
    return isinstance(value, int) and not isinstance(value, bool)


def _filled_shift(rota: Rota, shift_id: str) -> Shift:
    try:
        shift = rota.shift(shift_id)
    except KeyError:
        raise DomainError("shift_not_found", f"There is no shift {shift_id} on this rota.", "shift") from None
    if shift_id not in rota.assignments:
        raise DomainError(
            "shift_unfilled", f"Nobody is on {shift_id} yet, so it cannot be swapped. Take it up instead.", "shift"
        )
    return shift


def _check_can_swap(board: _Board, member_id: int, giving: Shift, taking: Shift) -> None:
    if not _can_do(board.availability, member_id, taking):
        raise DomainError(
            "swap_not_available",
            f"The person on {giving.shift_id} has not said they can do {taking.shift_id}, so they cannot swap.",
        )
    if board.busy(member_id, taking, giving=giving):
        raise DomainError(
            "swap_overlap",
            f"The person on {giving.shift_id} is on another shift during {taking.shift_id}, so they cannot swap.",
        )
    if board.at_maximum(member_id, taking, giving=giving):
        raise DomainError(
            "swap_over_maximum",
            f"Taking {taking.shift_id} would put the person on {giving.shift_id} over the most hours they asked for.",
        )


def _check_unique(ids: list[str] | list[int], code: str, field_name: str) -> None:
    seen: set[str | int] = set()
    for identifier in ids:
        if identifier in seen:
            raise DomainError(code, f"{identifier} appears twice. Each must appear once.", field_name)
        seen.add(identifier)


def _check_id(identifier: str, field_name: str) -> None:
    if not isinstance(identifier, str) or not identifier.strip() or len(identifier) > MAX_ID_CHARS:
        raise DomainError("shift_id_invalid", f"A shift needs a name of 1 to {MAX_ID_CHARS} characters.", field_name)


def _check_duration(duration_minutes: int) -> None:
    if not _is_int(duration_minutes) or not 1 <= duration_minutes <= MAX_SHIFT_MINUTES:
        raise DomainError(
            "shift_duration_invalid",
            f"A shift must last from 1 minute to {MAX_SHIFT_MINUTES // 60} hours, in whole minutes.",
            "duration",
        )


def _check_rota_input(
    shifts: Sequence[Shift], members: Sequence[Member], availability: Mapping[int, Availability], seed: int
) -> None:
    if not members:
        raise DomainError("no_members", "The team has no members, so there is nobody to put on the rota.", "members")
    if not shifts:
        raise DomainError("no_shifts", "There are no shifts to fill. Add the team's shifts first.", "shifts")
    if len(members) > MAX_MEMBERS:
        raise DomainError("too_many_members", f"A rota can share shifts among at most {MAX_MEMBERS} people.", "members")
    if len(shifts) > MAX_SHIFTS:
        raise DomainError("too_many_shifts", f"A rota can hold at most {MAX_SHIFTS} shifts.", "shifts")
    if not _is_int(seed):
        raise DomainError("seed_invalid", "The seed must be a whole number.", "seed")
    _check_unique([shift.shift_id for shift in shifts], "duplicate_shift", "shifts")
    _check_unique([member.member_id for member in members], "duplicate_member", "members")
    for shift in shifts:
        _check_id(shift.shift_id, "shifts")
        if not _is_int(shift.start_minute) or shift.start_minute < 0:
            raise DomainError("shift_start_invalid", "A shift cannot start before the rota does.", "start")
        _check_duration(shift.duration_minutes)
    for member in members:
        if member.max_minutes is not None and (not _is_int(member.max_minutes) or member.max_minutes < 0):
            raise DomainError(
                "max_minutes_negative", "The most hours someone will do must be zero or more, in whole minutes.", "max"
            )
    known = {member.member_id for member in members}
    for member_id, member_availability in availability.items():
        if member_id not in known:
            raise DomainError(
                "unknown_member", "Availability was given for someone who is not in the team.", "availability"
            )
        _check_windows(member_availability.windows)


def _check_windows(windows: tuple[Window, ...]) -> None:
    if len(windows) > MAX_WINDOWS:
        raise DomainError("too_many_windows", f"Give at most {MAX_WINDOWS} times a week.", "availability")
    for window in windows:
        start, end = window.start_minute_of_week, window.end_minute_of_week
        if (
            not (_is_int(start) and _is_int(end))
            or not 0 <= start < MINUTES_PER_WEEK
            or not start < end <= start + MINUTES_PER_WEEK
        ):
            raise DomainError(
                "window_invalid",
                "A time you can work must start within the week and end after it starts, at most a week later.",
                "availability",
            )
