"""Writing to the outbox: actions only insert rows, in their own transaction; nothing is sent until the worker runs.

Mina (``member``) has an email address and, in these tests, a phone number. Kinds: "test.news" goes by email by
default, "test.alert" by SMS, and "test.urgent" is an essential SMS."""

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from ostrom.communities.domain import DomainError
from ostrom.notify.actions import outbox
from ostrom.notify.domain import sms_text
from ostrom.notify.models import Message, MessageStatus, SmsOptOut
from ostrom.notify.tests.conftest import MINA_PHONE


@pytest.fixture(autouse=True)
def kinds(test_kinds):
    """news by email, alerts by text, urgent (essential) by text, beside notify's own kinds."""


def test_it_writes_a_queued_row_and_sends_nothing(mina, sms_to_file):
    with transaction.atomic():
        [message] = outbox.notify(mina, "test.alert", subject="", body="Your pickup is tomorrow.")

    row = Message.objects.get()
    assert row == message
    assert (row.status, row.channel, row.to_address, row.attempts) == (MessageStatus.QUEUED, "sms", MINA_PHONE, 0)
    assert (row.community, row.member, row.user) == (mina.community, mina, mina.user)
    assert not sms_to_file.exists()


def test_a_rolled_back_action_leaves_no_message(mina):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.notify(mina, "test.news", subject="Hello", body="Welcome")
        raise RuntimeError("the action failed after writing its message")

    assert not Message.objects.exists()


def test_the_worker_is_asked_for_once_a_transaction_commits_and_once_only(mina, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for n in range(5):
            outbox.notify(mina, "test.news", subject=f"News {n}", body="Something happened.")
    assert len(callbacks) == 1
    with django_capture_on_commit_callbacks(execute=True):
        outbox.notify(mina, "test.news", subject="More", body="Something else happened.")

    # The second request finds the first drain still waiting to start and adds none.
    assert DBTaskResult.objects.filter(task_path="ostrom.notify.tasks.drain_outbox").count() == 1


def test_a_non_essential_sms_to_a_number_that_sent_stop_is_not_written(mina):
    SmsOptOut.objects.create(phone=MINA_PHONE)

    assert outbox.notify(mina, "test.alert", subject="", body="New offers near you") == []
    assert outbox.enqueue(channel="sms", to_address=MINA_PHONE, kind="test.alert", body="Hi") is None
    assert not Message.objects.exists()


def test_an_essential_sms_still_goes_to_a_number_that_sent_stop(mina):
    SmsOptOut.objects.create(phone=MINA_PHONE)

    [message] = outbox.notify(mina, "test.urgent", subject="", body="Your code is 1234")

    assert message.essential and message.status == MessageStatus.QUEUED


def test_a_repeated_dedupe_key_writes_nothing(mina):
    first = outbox.enqueue(channel="email", to_address="mina@example.org", kind="test.news", body="A", dedupe_key="k")
    again = outbox.enqueue(channel="email", to_address="mina@example.org", kind="test.news", body="B", dedupe_key="k")

    assert first is not None and again is None
    assert list(Message.objects.values_list("body", flat=True)) == ["A"]


def test_a_repeated_dedupe_key_inside_a_transaction_does_not_break_it(mina):
    with transaction.atomic():
        outbox.notify(mina, "test.news", subject="Once", body="Once", dedupe_key="once")
        assert outbox.notify(mina, "test.news", subject="Once", body="Once", dedupe_key="once") == []
        outbox.notify(mina, "test.news", subject="Other", body="Other")

    assert Message.objects.count() == 2


def test_a_long_sms_is_cut_to_the_most_parts_we_pay_for(mina):
    [message] = outbox.notify(mina, "test.alert", subject="", body="word " * 400)

    parts = sms_text.segments(message.body)
    assert len(parts) == sms_text.MAX_SEGMENTS
    assert message.body.endswith("...")


def test_an_email_uses_the_subject_and_the_sms_its_own_shorter_text(mina):
    [email] = outbox.notify(mina, "test.news", subject="Your exchange", body="A long email body.", sms_body="Short")
    outbox.notify(mina, "test.alert", subject="Unused", body="A long email body.", sms_body="Short")

    sms = Message.objects.get(channel="sms")
    assert (email.subject, email.body, email.to_address) == ("Your exchange", "A long email body.", "mina@example.org")
    assert sms.body == "Short"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"channel": "pigeon"}, "unknown_channel"),
        ({"to_address": "  "}, "address_required"),
        ({"body": ""}, "message_empty"),
        ({"body": "x" * (outbox.MAX_BODY_CHARS + 1)}, "message_too_long"),
        ({"dedupe_key": "k" * (outbox.MAX_KEY_CHARS + 1)}, "key_too_long"),
    ],
)
def test_it_refuses_a_message_it_cannot_send(db, fields, code):
    message = {"channel": "email", "to_address": "a@example.org", "kind": "test.news", "body": "Hi", **fields}

    with pytest.raises(DomainError) as refused:
        outbox.enqueue(**message)

    assert refused.value.code == code
    assert not Message.objects.exists()


def test_an_over_long_subject_is_shortened_rather_than_refused(db):
    message = outbox.enqueue(
        channel="email", to_address="a@example.org", kind="test.news", body="Hi", subject="s" * 300
    )

    assert len(message.subject) == outbox.MAX_SUBJECT_CHARS and message.subject.endswith("…")


def test_an_unregistered_kind_is_a_programming_error(mina):
    with pytest.raises(KeyError):
        outbox.notify(mina, "test.nobody_registered_this", subject="", body="Hi")
