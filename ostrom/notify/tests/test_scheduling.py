"""Scheduled reminders (the API other apps use for "the day before your booking") and quiet hours.

Riverside is on London time; in March 2026 that is GMT, in July BST (UTC+1). Mina's phone is set and
"test.alert" goes by SMS unless she chooses otherwise."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine

from ostrom.notify.actions import outbox, preferences
from ostrom.notify.channels import SendResult
from ostrom.notify.models import Message, MessageStatus

MONDAY_NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class Recording:
    name = "recording"

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, message):
        self.sent.append(message.body)
        return SendResult(provider_reference=f"rec-{len(self.sent)}", status="sent")


@pytest.fixture(autouse=True)
def kinds(test_kinds):
    """news by email, alerts by text, urgent (essential) by text, beside notify's own kinds."""


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def phone(monkeypatch):
    recording = Recording()
    monkeypatch.setattr(outbox, "sms_channel", lambda: recording)
    return recording


def test_a_reminder_waits_until_its_time_and_then_goes(mina, clock, phone):
    at = MONDAY_NOON + timedelta(days=1)

    reminder = outbox.schedule(mina, "test.alert", body="Your booking is tomorrow at 10:00.", at=at, key="booking:7")

    assert (reminder.status, reminder.next_attempt_at) == (MessageStatus.SCHEDULED, at)
    clock.move_to(at - timedelta(seconds=1))
    assert outbox.drain() == 0
    clock.move_to(at)
    assert outbox.drain() == 1
    assert phone.sent == ["Your booking is tomorrow at 10:00."]
    assert Message.objects.get().status == MessageStatus.SENT


def test_a_cancelled_reminder_never_goes(mina, clock, phone):
    at = MONDAY_NOON + timedelta(hours=3)
    outbox.schedule(mina, "test.alert", body="Pickup at 15:00", at=at, key="pickup:3")

    assert outbox.cancel_scheduled("pickup:3") is True
    assert outbox.cancel_scheduled("pickup:3") is False
    clock.move_to(at + timedelta(days=1))
    assert outbox.drain() == 0

    assert phone.sent == [] and Message.objects.get().status == MessageStatus.CANCELLED


def test_scheduling_the_same_key_again_moves_the_reminder(mina, clock, phone):
    outbox.schedule(mina, "test.alert", body="Pickup on Tuesday", at=MONDAY_NOON + timedelta(days=1), key="pickup:3")
    later = MONDAY_NOON + timedelta(days=2)

    moved = outbox.schedule(mina, "test.alert", body="Pickup on Wednesday", at=later, key="pickup:3")

    assert Message.objects.count() == 1
    assert (moved.status, moved.next_attempt_at, moved.body) == (MessageStatus.SCHEDULED, later, "Pickup on Wednesday")
    clock.move_to(MONDAY_NOON + timedelta(days=1, hours=1))
    assert outbox.drain() == 0


def test_a_cancelled_reminder_can_be_scheduled_again(mina, clock, phone):
    at = MONDAY_NOON + timedelta(hours=1)
    outbox.schedule(mina, "test.alert", body="Pickup", at=at, key="pickup:3")
    outbox.cancel_scheduled("pickup:3")

    revived = outbox.schedule(mina, "test.alert", body="Pickup after all", at=at, key="pickup:3")

    assert revived.status == MessageStatus.SCHEDULED
    clock.move_to(at)
    outbox.drain()
    assert phone.sent == ["Pickup after all"]


def test_a_reminder_that_has_gone_is_neither_moved_nor_cancelled(mina, clock, phone):
    outbox.schedule(mina, "test.alert", body="Pickup", at=MONDAY_NOON, key="pickup:3")
    outbox.drain()

    assert outbox.schedule(mina, "test.alert", body="Again", at=MONDAY_NOON + timedelta(days=1), key="pickup:3") is None
    assert outbox.cancel_scheduled("pickup:3") is False
    assert Message.objects.get().status == MessageStatus.SENT and phone.sent == ["Pickup"]


def test_a_reminder_of_a_kind_the_member_turned_off_is_not_scheduled(mina, clock):
    preferences.set_preference(mina, "test.alert", "off")

    assert outbox.schedule(mina, "test.alert", body="Pickup", at=MONDAY_NOON, key="pickup:3") is None
    assert not Message.objects.exists()


def test_quiet_hours_hold_a_text_until_they_end_in_the_communitys_time(mina, clock, phone):
    preferences.set_quiet_hours(mina, time(21, 0), time(8, 0))
    clock.move_to(datetime(2026, 7, 6, 21, 30, tzinfo=UTC))  # 22:30 in London (BST)

    [held] = outbox.notify(mina, "test.alert", subject="", body="A new offer near you")
    [email] = outbox.notify(mina, "test.news", subject="News", body="A new offer near you")
    [urgent] = outbox.notify(mina, "test.urgent", subject="", body="Your code is 1234")

    morning = datetime(2026, 7, 7, 7, 0, tzinfo=UTC)  # 08:00 in London
    assert (held.status, held.next_attempt_at) == (MessageStatus.SCHEDULED, morning)
    assert email.status == urgent.status == MessageStatus.QUEUED  # email is silent; essential texts cannot wait
    outbox.drain()
    assert phone.sent == ["Your code is 1234"]
    clock.move_to(morning)
    outbox.drain()
    assert phone.sent == ["Your code is 1234", "A new offer near you"]


def test_a_text_outside_quiet_hours_goes_at_once(mina, clock):
    preferences.set_quiet_hours(mina, time(21, 0), time(8, 0))

    [message] = outbox.notify(mina, "test.alert", subject="", body="Hello")

    assert (message.status, message.next_attempt_at) == (MessageStatus.QUEUED, MONDAY_NOON)


def test_a_reminder_due_in_quiet_hours_goes_when_they_end(mina, clock):
    preferences.set_quiet_hours(mina, time(22, 0), time(7, 30))
    at = datetime(2026, 3, 3, 6, 0, tzinfo=UTC)  # 06:00 in London (GMT)

    reminder = outbox.schedule(mina, "test.alert", body="Bins out today", at=at, key="bins:1")

    assert reminder.next_attempt_at == datetime(2026, 3, 3, 7, 30, tzinfo=UTC)
