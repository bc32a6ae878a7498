"""Alanya benchmark (issue 7): how equal rotation leaves a season's catch, against the two lotteries of the same run.

- commons.alanya.maxmin: the ratio between the best-off and the worst-off fisher's season total under rotation
  (draw the starting sites, then one site a day, east until January, west after), with the simulation's defaults
  (100 fishers, 100 sites worth 10-100 kg a day, 273 days, seed 1983). The reference, from the same simulated
  season: the season lottery's and the daily lottery's ratios.
"""

from __future__ import annotations

import time

from bench.results import Result

NAME = "commons.alanya.maxmin"
GOAL = ("ratio", "<=", 1.10)


def run() -> list[Result]:
    from ostrom.commons.domain import alanya

    start = time.perf_counter()
    season = alanya.simulate()
    elapsed = time.perf_counter() - start
    season_ratio = season.outcome(alanya.SEASON_LOTTERY).ratio
    daily_ratio = season.outcome(alanya.DAILY_LOTTERY).ratio
    detail = (
        f"season lottery {season_ratio:.3f}, daily lottery {daily_ratio:.3f} (same run: {season.fishers} fishers, "
        f"{season.sites} sites, {season.days} days, seed {season.seed}; {elapsed:.2f} s)"
    )
    return [Result(NAME, season.outcome(alanya.ROTATION).ratio, *GOAL, detail)]
