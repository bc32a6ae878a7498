"""notify's background tasks, run by the worker (``manage.py db_worker``). Each is safe to run twice, or on two
workers at once: draining claims rows with a compare-and-set update, and a digest is keyed by member and period.

django-tasks has no scheduler: ``manage.py tick`` enqueues both every minute (cron or a systemd timer, see
the README), and ``actions.outbox.enqueue`` asks for a drain as soon as a message's transaction commits, so a
message does not wait for the next tick. Tests call the plain functions in ``notify.actions`` directly."""

from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from .actions import digests, outbox


@task()
def drain_outbox() -> int:
    """Send what is due. A drain that reached its limit asks for another rather than running unbounded."""
    handled = outbox.drain()
    if handled >= outbox.DRAIN_LIMIT:
        enqueue_once(drain_outbox)
    return handled


@task()
def send_digests() -> int:
    """Write the digests that have come due."""
    return digests.send_digests(timezone.now())


PERIODIC = (drain_outbox, send_digests)


def enqueue_once(periodic) -> bool:
    """Enqueue ``periodic`` unless one is already waiting to start (a running one may have missed new rows, so it
    does not count); True if enqueued."""
    if DBTaskResult.objects.filter(task_path=periodic.module_path, status=TaskResultStatus.READY).exists():
        return False
    periodic.enqueue()
    return True


def enqueue_drain() -> bool:
    """Ask the worker for a drain soon; nothing new if one is already waiting."""
    return enqueue_once(drain_outbox)
