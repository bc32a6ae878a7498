"""manage.py simulate_alanya [--fishers N] [--sites N] [--days N] [--seed N]: one fishing season at Alanya under
a season lottery, a daily lottery and rotation, and how far apart the best-off and worst-off fisher end up."""

import math

from django.core.management.base import BaseCommand, CommandError

from ostrom.commons.domain import alanya
from ostrom.communities.domain import DomainError


class Command(BaseCommand):
    help = "Compare a season lottery, a daily lottery and Alanya's rotation over one simulated fishing season."

    def add_arguments(self, parser):
        parser.add_argument("--fishers", type=int, default=alanya.DEFAULT_FISHERS, help="Licensed fishers.")
        parser.add_argument("--sites", type=int, help="Named fishing sites (default: one per fisher, as at Alanya).")
        parser.add_argument(
            "--days", type=int, default=alanya.SEASON_DAYS, help="Days in the season (default: September to May)."
        )
        parser.add_argument(
            "--seed", type=int, default=alanya.DEFAULT_SEED, help="Random seed: same seed, same season."
        )

    def handle(self, *args, **options):
        try:
            season = alanya.simulate(options["fishers"], options["sites"], options["days"], options["seed"])
        except DomainError as error:
            raise CommandError(error.message) from error
        turn = f"direction changes on day {season.turning_day}" if season.turning_day else "no change of direction"
        self.stdout.write(
            f"{season.fishers} fishers, {season.sites} sites worth {min(season.site_kg)}-{max(season.site_kg)} kg a "
            f"day, {season.days} days ({turn}), seed {season.seed}."
        )
        width = max(len(o.label) for o in season.outcomes)
        self.stdout.write(f"{'method':<{width}}  {'best-off kg':>12}  {'worst-off kg':>12}  {'ratio':>7}")
        for outcome in season.outcomes:
            ratio = "inf" if math.isinf(outcome.ratio) else f"{outcome.ratio:.3f}"
            self.stdout.write(f"{outcome.label:<{width}}  {outcome.best_kg:>12,}  {outcome.worst_kg:>12,}  {ratio:>7}")
        rotation = season.outcome(alanya.ROTATION).ratio
        if season.rotation_meets_goal:
            self.stdout.write(
                self.style.SUCCESS(f"Rotation meets the goal: {rotation:.3f} <= {alanya.GOAL_RATIO:.2f}.")
            )
        else:
            self.stdout.write(
                self.style.WARNING(f"Rotation misses the goal: {rotation:.3f} > {alanya.GOAL_RATIO:.2f}.")
            )
