"""Enqueue every app's periodic tasks: lapse and auto-accept payment requests, release expired holds, drain the
outbox (scheduled reminders and retries as they come due) and write the digests that are due.

django-tasks has no scheduler of its own, so cron or a systemd timer runs this every minute (``make run`` does it
for development) and the worker (``manage.py db_worker``) does the work. A task already waiting in the queue is
not enqueued again, so a stopped worker does not come back to a pile of identical jobs; every task is safe to run
twice anyway. It lives in ``web`` because only ``web`` may know every app."""

from django.core.management.base import BaseCommand

from ostrom.commons.tasks import PERIODIC as COMMONS_TASKS
from ostrom.ledger.tasks import PERIODIC as LEDGER_TASKS
from ostrom.market.tasks import PERIODIC as MARKET_TASKS
from ostrom.notify.tasks import PERIODIC as NOTIFY_TASKS
from ostrom.notify.tasks import enqueue_once

PERIODIC = (*LEDGER_TASKS, *NOTIFY_TASKS, *MARKET_TASKS, *COMMONS_TASKS)


class Command(BaseCommand):
    help = "Enqueue the periodic tasks of every app (run it every minute); the worker runs them."

    def handle(self, *args, **options) -> None:
        for periodic in PERIODIC:
            if enqueue_once(periodic):
                self.stdout.write(f"{periodic.name}: enqueued")
            else:
                self.stdout.write(f"{periodic.name}: already waiting in the queue")
