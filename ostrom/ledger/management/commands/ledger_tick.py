"""Enqueue the ledger's periodic tasks. django-tasks has no scheduler of its own, so cron or a systemd timer runs
this every few minutes and the worker (``manage.py db_worker``) does the work.

A task already waiting in the queue is not enqueued again, so a stopped worker does not come back to a pile of
identical jobs; the tasks are idempotent anyway."""

from django.core.management.base import BaseCommand
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from ostrom.ledger.tasks import PERIODIC


class Command(BaseCommand):
    help = "Enqueue the ledger's periodic tasks: lapse and auto-accept payment requests, release expired holds."

    def handle(self, *args, **options) -> None:
        for periodic in PERIODIC:
            if DBTaskResult.objects.filter(task_path=periodic.module_path, status=TaskResultStatus.READY).exists():
                self.stdout.write(f"{periodic.name}: already waiting in the queue")
                continue
            result = periodic.enqueue()
            self.stdout.write(f"{periodic.name}: enqueued as {result.id}")
