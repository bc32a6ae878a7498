"""The marketplace's background tasks, run by the worker (``manage.py db_worker``). Each is idempotent and safe to
run twice, or on two workers at once: it only calls an action whose update re-checks every row it changes.

django-tasks has no scheduler: ``manage.py tick`` enqueues ``PERIODIC`` every minute (see the README). Other parts
of the marketplace add their periodic tasks to ``PERIODIC``. Tests call the plain functions in ``market.actions``."""

from django_tasks import task

from ostrom.notify.tasks import enqueue_once

from .actions import listings


@task()
def expire_listings() -> int:
    """Expire offers and requests whose end date has passed, a batch at a time; a full batch asks for another run
    at once rather than waiting for the next tick."""
    expired = listings.expire_due()
    if expired >= listings.EXPIRE_BATCH:
        enqueue_once(expire_listings)
    return expired


PERIODIC = (expire_listings,)
