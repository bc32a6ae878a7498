"""Fair assignment benchmark (issue 7), against a reference measured in the same run.

- commons.allocate.1000x1000: seconds for ``fair_assignment.assign_fairly`` to share 1,000 slots among 1,000
  members who each may hold one (unit demand) and scored every slot 0-100 at random (a seeded generator). The time
  covers everything a run does: checking the million scores, the need-weighted lottery, the optimal assignment,
  the fairness checks, an explanation per member and the certificate (hashing the million scores). The reference
  is a bare ``scipy.optimize.linear_sum_assignment`` of the same score matrix, timed turn about with ours; the
  detail also gives the time of hashing the inputs alone (measured once after) and says whether both reached the
  same optimal total, as they must.

No database: the rule is pure domain code.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from bench.results import Result

NAME = "commons.allocate.1000x1000"
GOAL = ("s", "<=", 1.0)
MEMBERS = 1_000
SLOTS = 1_000
ROUNDS = 5
SEED = 7


def run() -> list[Result]:
    try:
        return [_measure()]
    except Exception as error:
        reason = f"could not run: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        return [Result(NAME, 0.0, *GOAL, reason)]


def _measure() -> Result:
    from scipy.optimize import linear_sum_assignment

    from ostrom.commons.domain.certificates import digest
    from ostrom.commons.domain.fair_assignment import SCORE_MAX, SlotRequest, assign_fairly

    matrix = np.random.default_rng(SEED).integers(0, SCORE_MAX + 1, size=(MEMBERS, SLOTS))
    slots = [f"plot-{k:04d}" for k in range(SLOTS)]
    requests = [
        SlotRequest(f"member-{i:04d}", dict(zip(slots, row, strict=True))) for i, row in enumerate(matrix.tolist())
    ]
    ours: list[float] = []
    theirs: list[float] = []
    totals: set[int] = set()
    for round_number in range(ROUNDS):
        if round_number % 2 == 0:
            theirs.append(_bare(linear_sum_assignment, matrix, totals))
        start = time.perf_counter()
        result = assign_fairly(requests, slots, seed=round_number)
        ours.append(time.perf_counter() - start)
        totals.add(result.total_value)
        if round_number % 2 == 1:
            theirs.append(_bare(linear_sum_assignment, matrix, totals))
    start = time.perf_counter()
    digest(result.inputs_record)
    hashing = time.perf_counter() - start
    mine, bare = statistics.median(ours), statistics.median(theirs)
    verdict = "the same optimal total" if len(totals) == 1 else f"DIFFERENT totals {sorted(totals)}"
    detail = (
        f"median of {ROUNDS}: {mine:.3f} s (min {min(ours):.3f}, max {max(ours):.3f}) vs bare linear_sum_assignment "
        f"{bare:.3f} s ({mine / bare:.0f}x); hashing the inputs for the certificate alone {hashing:.3f} s; "
        f"{verdict} ({totals.pop():,}); properties {dict(result.properties)}"
    )
    return Result(NAME, mine, *GOAL, detail)


def _bare(solve, matrix: np.ndarray, totals: set[int]) -> float:
    start = time.perf_counter()
    rows, columns = solve(matrix, maximize=True)
    elapsed = time.perf_counter() - start
    totals.add(int(matrix[rows, columns].sum()))
    return elapsed
