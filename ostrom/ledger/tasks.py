"""The ledger's background tasks, run by the worker (``manage.py db_worker``). Each is idempotent and safe to run
twice, or by two workers at once: it only calls an action that re-checks every row under its own lock.

django-tasks has no scheduler: ``manage.py tick`` enqueues all three, and cron or a systemd timer runs it
every minute (see the README). Tests call the plain functions in ``ledger.actions`` directly."""

from django_tasks import task

from .actions import requests as payment_requests
from .actions import transfers


@task()
def expire_requests() -> int:
    """Lapse payment requests nobody answered in time."""
    return payment_requests.expire_requests()


@task()
def auto_accept_requests() -> int:
    """Pay requests whose payers chose to pay automatically after the community's timeout."""
    return payment_requests.auto_accept_requests()


@task()
def expire_holds() -> int:
    """Release holds whose time has passed."""
    return transfers.expire_holds()


PERIODIC = (expire_requests, auto_accept_requests, expire_holds)
