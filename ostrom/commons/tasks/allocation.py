"""Background tasks: request windows that have closed are allocated by the rule chosen for them."""

from django_tasks import task

from ..actions import allocation


@task()
def allocate_closed_windows() -> int:
    """Allocate request windows that have closed and have requests; safe to run twice (the window row is locked
    and a window allocates once)."""
    return allocation.allocate_due_windows()


PERIODIC = (allocate_closed_windows,)
