"""`manage.py demo`: load, reset or describe the Millbrook demo data. Demo passwords: never on a real installation."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db.models import ProtectedError

from ostrom.communities import demo
from ostrom.communities.domain import DomainError


class Command(BaseCommand):
    help = (
        "Load the Millbrook demo town (three communities, about sixty people) built through the real actions. "
        f"Every demo login's password is '{demo.DEMO_PASSWORD}': for trying Ostrom out, never for a real installation."
    )

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--if-empty", action="store_true", help="Load only if no demo community exists yet (safe to repeat)."
        )
        mode.add_argument(
            "--reset", action="store_true", help="Delete the demo communities and demo people, then load again."
        )
        parser.add_argument(
            "--personas",
            action="store_true",
            help="Print how to log in as each demo persona (on its own, loads nothing).",
        )
        parser.add_argument(
            "--seed", type=int, default=demo.DEFAULT_SEED, help=f"Random seed (default {demo.DEFAULT_SEED})."
        )

    def handle(self, *args, if_empty=False, reset=False, personas=False, seed=demo.DEFAULT_SEED, **options):
        if personas and not (if_empty or reset):
            self.stdout.write(demo.personas_text())
            return
        if not reset and demo.is_loaded():
            if not if_empty:
                raise CommandError("Demo data already loaded. Run `manage.py demo --reset` to build it again.")
            self.stdout.write("Demo data already loaded.")
        else:
            self._load(seed, reset)
        if personas:
            self.stdout.write("")
            self.stdout.write(demo.personas_text())

    def _load(self, seed: int, reset: bool) -> None:
        started = time.perf_counter()
        try:
            summary = demo.reset(seed) if reset else demo.load(seed)
        except DomainError as error:
            # Nothing was written: loading is one transaction.
            raise CommandError(f"Could not load the demo data: {error.message} ({error.code})") from error
        except ProtectedError as error:
            raise CommandError(f"Could not delete the demo data: other rows still refer to it ({error})") from error
        elapsed_seconds = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"{'Reloaded' if reset else 'Loaded'} the {demo.TOWN} demo (seed {seed}) in {elapsed_seconds:.1f} s: "
                f"{summary.communities} communities, {summary.memberships} memberships of {summary.people} people, "
                f"{summary.organisations} partner organisations, {summary.pending} join requests waiting, "
                f"{summary.invitations_open} open invitations."
            )
        )
