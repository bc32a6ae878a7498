"""Rotation, as the fishers of Alanya share their named fishing sites (Ostrom, Governing the Commons, 1990, ch. 1).

Each season the participants draw lots for starting sites; then every period each moves one site along the
coast, cyclically, east until a turning period and west after it. Everyone walks the same path from a place
chosen by lot, so nobody keeps the best site and nobody is stuck with the worst: over T periods with n sites
and n participants (one direction) each participant gets each site floor(T/n) or ceil(T/n) times.

More participants than sites: the sites and m - n waiting places form one ring of m places, the waiting places
spread as evenly as possible between the sites (Bresenham's rule), and everyone moves one place a period, so the
queue rotates with everyone else. In one direction each participant then gets each site floor(T/m) or ceil(T/m)
times and the numbers of turns differ by at most one. A change of direction retraces part of the path, which can
cost someone one more turn than another: turns then differ by at most two (the east and the west stretch each
round differently), and everyone still walks the same path.
Fewer participants than sites: some sites stay idle; the idle places move along with everyone else."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ostrom.communities.domain import DomainError

from .certificates import Certificate, Id, certify

METHOD = "rotation"
# Bounds, so a mistyped form cannot ask for a schedule no one could read or store (about ten years of days).
MAX_PERIODS = 4_000
MAX_PARTICIPANTS = 5_000
MAX_SITES = 5_000
MAX_SCHEDULE_CELLS = 1_000_000  # periods x sites: a season of days for a thousand pitches, or years of weeks
EAST = -1  # sites are listed east to west, so moving east is one place back in the list
WEST = 1


@dataclass(frozen=True)
class Rotation:
    """A rotation's schedule and its counts. `schedule[t]` maps each site in use in period t to its participant;
    `turns` is how many periods each participant had a site; `visits` how many periods at each site (sites never
    visited left out); `inputs` are what the certificate hashed, to publish beside it."""

    inputs: dict[str, object]
    starting_order: tuple[Id, ...]
    schedule: tuple[dict[Id, Id], ...]
    turns: dict[Id, int]
    visits: dict[Id, dict[Id, int]]
    certificate: Certificate


def rotate(
    participants: Sequence[Id], sites: Sequence[Id], periods: int, seed: int, turning_period: int | None = None
) -> Rotation:
    """Draw starting sites by lot (seeded), then move everyone one site per period: east (towards the start of
    `sites`, which runs east to west) before `turning_period`, west from it on. None: east all the time."""
    inputs = _inputs(participants, sites, periods, turning_period)
    order, rows = _run(list(participants), list(sites), periods, seed, turning_period)
    schedule = tuple({site: who for site, who in zip(sites, row, strict=True) if who is not None} for row in rows)
    turns = dict.fromkeys(participants, 0)
    visits: dict[Id, dict[Id, int]] = {who: {} for who in participants}
    for period in schedule:
        for site, who in period.items():
            turns[who] += 1
            visits[who][site] = visits[who].get(site, 0) + 1
    properties = _properties(rows, turns, visits, len(sites), periods, turning_period)
    certificate = certify(METHOD, seed, inputs, _record(rows), properties)
    return Rotation(inputs, tuple(order), schedule, turns, visits, certificate)


def rerun(seed: int, inputs: Mapping[str, object]) -> Mapping[str, object]:
    """The result record of a rotation re-run from its certificate's seed and published inputs (for `verify`)."""
    participants, sites = inputs.get("participants"), inputs.get("sites")
    periods, turning_period = inputs.get("periods"), inputs.get("turning_period")
    if not isinstance(participants, list | tuple) or not isinstance(sites, list | tuple):
        raise DomainError("invalid_inputs", "The published inputs do not describe a rotation.")
    if not isinstance(periods, int) or not (turning_period is None or isinstance(turning_period, int)):
        raise DomainError("invalid_inputs", "The published inputs do not describe a rotation.")
    _inputs(participants, sites, periods, turning_period)
    return _record(_run(list(participants), list(sites), periods, seed, turning_period)[1])


def _inputs(
    participants: Sequence[Id], sites: Sequence[Id], periods: int, turning_period: int | None
) -> dict[str, object]:
    if not participants:
        raise DomainError("no_participants", "There is nobody to share the sites among: add at least one person.")
    if not sites:
        raise DomainError("no_sites", "There are no sites or slots to share: add at least one.")
    _check_ids(participants, "participant", MAX_PARTICIPANTS)
    _check_ids(sites, "site", MAX_SITES)
    if isinstance(periods, bool) or not isinstance(periods, int) or not 1 <= periods <= MAX_PERIODS:
        raise DomainError("invalid_periods", f"A rotation runs for 1 to {MAX_PERIODS:,} periods.", field="periods")
    if periods * len(sites) > MAX_SCHEDULE_CELLS:
        raise DomainError(
            "rotation_too_large",
            f"A rotation's schedule can hold at most {MAX_SCHEDULE_CELLS:,} site-periods: use fewer periods.",
            field="periods",
        )
    if turning_period is not None and (
        isinstance(turning_period, bool) or not isinstance(turning_period, int) or not 1 <= turning_period < periods
    ):
        raise DomainError(
            "invalid_turning_period",
            "The direction can only change after the first period and before the last one.",
            field="turning_period",
        )
    return {
        "participants": list(participants),
        "sites": list(sites),
        "periods": periods,
        "turning_period": turning_period,
    }


def _check_ids(ids: Sequence[Id], kind: str, limit: int) -> None:
    if len(ids) > limit:
        raise DomainError(f"too_many_{kind}s", f"A rotation can share among at most {limit:,} {kind}s.")
    if any(isinstance(i, bool) or not isinstance(i, int | str) for i in ids):
        raise DomainError(f"invalid_{kind}", f"Each {kind} must be named by a number or a text.")
    if len(set(ids)) != len(ids):
        raise DomainError(f"duplicate_{kind}", f"The same {kind} is listed twice; list each {kind} once.")


def _run(
    participants: list[Id], sites: list[Id], periods: int, seed: int, turning_period: int | None
) -> tuple[list[Id], list[list[Id | None]]]:
    """The lottery order and, per period, the occupant of each site (in the order of `sites`; None = idle)."""
    places = max(len(participants), len(sites))
    ring_sites = _site_places(len(sites), places)
    # The lottery: one seeded shuffle, padded with empty places when sites are spare so that which sites start
    # idle is drawn by lot too. Place i of the ring goes to the i-th name drawn.
    ring: list[Id | None] = [*participants, *([None] * (places - len(participants)))]
    random.Random(seed).shuffle(ring)
    order = [who for who in ring if who is not None]
    rows = [[ring[place] for place in ring_sites]]
    for period in range(1, periods):
        step = EAST if turning_period is None or period < turning_period else WEST
        ring = [ring[(place - step) % places] for place in range(places)]
        rows.append([ring[place] for place in ring_sites])
    return order, rows


def _site_places(n_sites: int, places: int) -> list[int]:
    """Which places of the ring are sites, east to west: place j is a site when floor((j+1)n/m) > floor(jn/m).
    That spreads the m - n waiting places as evenly as possible, so any run of k places holds floor(kn/m) or
    ceil(kn/m) sites, whoever starts it: the reason turns differ by at most one."""
    return [j for j in range(places) if ((j + 1) * n_sites) // places > (j * n_sites) // places]


def _record(rows: list[list[Id | None]]) -> dict[str, object]:
    # The whole schedule, one list per period in the order of the sites: what a re-run must reproduce exactly.
    return {"schedule": rows}


def _properties(
    rows: list[list[Id | None]],
    turns: Mapping[Id, int],
    visits: Mapping[Id, Mapping[Id, int]],
    n_sites: int,
    periods: int,
    turning_period: int | None,
) -> dict[str, bool]:
    """Check the schedule itself (not the algorithm's intent) for the fairness properties that apply."""
    occupants = [[who for who in row if who is not None] for row in rows]
    spread = max(turns.values()) - min(turns.values())
    properties = {
        "one_site_per_participant_per_period": all(len(set(row)) == len(row) for row in occupants),
        "sites_used_as_far_as_people_allow": all(len(row) == min(n_sites, len(turns)) for row in occupants),
    }
    if turning_period is not None and len(turns) > n_sites:
        properties["turns_within_two"] = spread <= 2
    else:
        properties["turns_within_one"] = spread <= 1
    if len(turns) <= n_sites:
        # Everyone walks the same path, so everyone's visit counts are the same numbers, only at other sites
        # (sites never visited are left out of `visits`, and everyone has the same number of those too).
        profiles = {tuple(sorted(counts.values())) for counts in visits.values()}
        properties["same_visit_counts_for_everyone"] = len(profiles) == 1
    if turning_period is None:
        places = max(len(turns), n_sites)
        low, high = periods // places, -(-periods // places)
        properties["each_site_floor_or_ceil_times"] = all(
            (low == 0 or len(counts) == n_sites) and all(low <= count <= high for count in counts.values())
            for counts in visits.values()
        )
    return properties
