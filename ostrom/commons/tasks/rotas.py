"""Rotas' background tasks: the day-before reminders and the unfilled-shift alerts. Each is idempotent: the action
marks each row (reminded_at, unfilled_alerted_at) with a conditional update before it writes the message, so two
runs or two workers send each once. ``manage.py tick`` enqueues them every minute."""

from django_tasks import task

from ostrom.notify.tasks import enqueue_once

from ..actions import rotas as actions


@task()
def remind_shifts() -> int:
    """Remind people of their shifts starting within a day; a full batch asks for another run at once."""
    sent = actions.send_reminders()
    if sent >= actions.BATCH:
        enqueue_once(remind_shifts)
    return sent


@task()
def alert_unfilled_shifts() -> int:
    """Tell teams about shifts within a week that are short of people."""
    alerted = actions.alert_unfilled()
    if alerted >= actions.BATCH:
        enqueue_once(alert_unfilled_shifts)
    return alerted


PERIODIC = (remind_shifts, alert_unfilled_shifts)
