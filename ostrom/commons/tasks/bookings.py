"""Bookings' background tasks, enqueued every minute by ``manage.py tick``: lapsed holds and waiting-list offers
expire (their time goes to the next in line), and reminders go out (the day before, before the return, daily when
overdue). Each is idempotent: every row it changes is re-checked under its lock, and every reminder is recorded on
its booking in the same transaction as the message, so a second run (or a second worker) sends nothing twice."""

from django_tasks import task

from ostrom.notify.tasks import enqueue_once

from ..actions import bookings


@task()
def expire_booking_holds() -> int:
    """Expire lapsed holds and offers, a batch at a time; a full batch asks for another run at once."""
    expired = bookings.expire_holds()
    if expired >= bookings.BATCH:
        enqueue_once(expire_booking_holds)
    return expired


@task()
def send_booking_reminders() -> int:
    """Send the reminders that are due."""
    return bookings.send_reminders()


PERIODIC = (expire_booking_holds, send_booking_reminders)
