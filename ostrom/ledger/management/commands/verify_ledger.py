"""manage.py verify_ledger [--community SLUG]: rebuild every balance from the transfers and check the
ledger's invariants. Prints what it checked and each violation; exits with status 1 on any violation."""

import time

from django.core.management.base import BaseCommand, CommandError

from ostrom.communities.models import Community
from ostrom.ledger import verify


class Command(BaseCommand):
    help = "Rebuild every account's totals from the transfers and check zero-sum, limits, holds and reversals."

    def add_arguments(self, parser):
        parser.add_argument("--community", metavar="SLUG", help="Check one community's ledger only.")

    def handle(self, *args, **options):
        community = None
        if options["community"]:
            community = Community.objects.filter(slug=options["community"]).first()
            if community is None:
                raise CommandError(f"There is no community with the address {options['community']!r}.")
        counts = verify.counts(community)
        where = f"the {community.name} ledger" if community else "the ledger of every community"
        self.stdout.write(
            f"Checking {where}: {counts.currencies:,} currencies, {counts.accounts:,} accounts, "
            f"{counts.transfers:,} transfers."
        )
        started = time.monotonic()
        findings = verify.verify_ledger(community)
        elapsed = time.monotonic() - started
        failed = {f.check for f in findings}
        for check in verify.CHECKS:
            mark = "FAIL" if check.name in failed else "ok"
            self.stdout.write(f"  {mark:4}  {check.name}: {check.description}")
        if not findings:
            self.stdout.write(self.style.SUCCESS(f"No violations ({elapsed:.1f} s)."))
            return
        for finding in findings:
            self.stdout.write(self.style.ERROR(verify.describe(finding)))
        if any(sum(1 for f in findings if f.check == name) >= verify.MAX_FINDINGS_PER_CHECK for name in failed):
            self.stdout.write(f"(Each check names at most {verify.MAX_FINDINGS_PER_CHECK} violations.)")
        raise CommandError(f"{len(findings)} violation(s) found ({elapsed:.1f} s).", returncode=1)
