"""The worker: claims due messages with a lease, sends each once, retries with backoff, gives up into the dead
letters, and never loses a message or delivers it twice when a worker dies at the worst moment.

Texts go to the file adapter (one JSON line per delivery, which, like a provider honouring our reference, never
writes a reference twice) or to the fake gateway on 127.0.0.1 (which counts deliveries and requests apart)."""

from __future__ import annotations

import contextlib
import io
import json
import threading
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import hypothesis
import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from ostrom.communities.domain import DomainError
from ostrom.communities.models import AuditEntry
from ostrom.notify import tasks
from ostrom.notify.actions import outbox
from ostrom.notify.channels import PermanentFailure, SendResult, TemporaryFailure, sms_channel
from ostrom.notify.channels.webhooks import StatusUpdate
from ostrom.notify.models import Message, MessageStatus, SmsOptOut

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
LEASE = timedelta(seconds=120)
PHONE = "+447700900123"


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside: nothing in the worker catches it."""


class Recording:
    """An adapter for tests: counts what it is asked to send, and answers (or fails) as told."""

    name = "recording"

    def __init__(self, *outcomes: Exception | None) -> None:
        self.outcomes = list(outcomes)
        self.sent: list[str] = []

    def send(self, message):
        self.sent.append(message.reference)
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if outcome is not None:
            raise outcome
        return SendResult(provider_reference=f"rec-{len(self.sent)}", status="sent")


class KillsAfterSending:
    """The real adapter, then the worker dies before it can record that the provider accepted the message."""

    name = "kills"

    def __init__(self, real) -> None:
        self.real = real

    def send(self, message):
        self.real.send(message)
        raise WorkerKilled


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def text(body: str = "Your pickup is tomorrow.", **fields) -> Message:
    return outbox.enqueue(channel="sms", to_address=PHONE, kind="test.alert", body=body, **fields)


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def use(monkeypatch, channel) -> None:
    monkeypatch.setattr(outbox, "sms_channel", lambda: channel)


def test_it_sends_a_queued_text_and_records_the_provider_reference(db, clock, sms_to_file):
    message = text()

    assert outbox.drain() == 1

    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED  # the file adapter is the phone: nothing more will report
    assert message.provider_reference == f"file:{message.reference}"
    assert (message.sent_at, message.attempts, message.claim_token, message.claimed_until) == (START, 1, None, None)
    assert [(line["reference"], line["to"]) for line in lines(sms_to_file)] == [(str(message.reference), PHONE)]


def test_a_worker_that_claims_and_dies_before_sending_loses_nothing(db, clock, sms_to_file):
    message = text()
    [claimed] = outbox.claim_batch()  # ... and the worker is killed here

    assert outbox.drain() == 0  # still leased to the dead worker
    clock.shift(LEASE + timedelta(seconds=1))
    assert outbox.drain() == 1

    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED and message.attempts == 2
    assert claimed.claim_token != message.claim_token
    assert [line["reference"] for line in lines(sms_to_file)] == [str(message.reference)]


def test_a_worker_that_dies_after_the_file_got_the_text_does_not_send_it_twice(db, clock, sms_to_file, monkeypatch):
    message = text()
    use(monkeypatch, KillsAfterSending(sms_channel()))
    with pytest.raises(WorkerKilled):
        outbox.drain()
    assert Message.objects.get().status == MessageStatus.SENDING

    monkeypatch.undo()
    clock.shift(LEASE + timedelta(seconds=1))
    outbox.drain()

    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    assert [line["reference"] for line in lines(sms_to_file)] == [str(message.reference)]


def test_a_worker_that_dies_after_the_gateway_took_the_text_does_not_deliver_it_twice(
    db, clock, sms_via_gateway, monkeypatch
):
    message = text()
    use(monkeypatch, KillsAfterSending(sms_channel()))
    with pytest.raises(WorkerKilled):
        outbox.drain()

    monkeypatch.undo()
    clock.shift(LEASE + timedelta(seconds=1))
    outbox.drain()

    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    # The resend carried the same reference, so the gateway answered with its first id and delivered nothing new.
    assert len(sms_via_gateway.requests) == 2
    assert [d.reference for d in sms_via_gateway.deliveries] == [str(message.reference)]
    assert message.provider_reference == sms_via_gateway.deliveries[0].provider_id


def test_a_gateway_that_delivers_but_never_answers_gets_the_same_reference_again(db, clock, sms_via_gateway):
    message = text()
    sms_via_gateway.hang_next(after_delivering=True)

    outbox.drain()
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED and message.last_error
    clock.move_to(message.next_attempt_at)
    outbox.drain()

    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert [d.reference for d in sms_via_gateway.deliveries] == [str(message.reference)]


def test_a_worker_whose_lease_ran_out_cannot_overwrite_the_next_workers_result(db, clock):
    text()
    [slow] = outbox.claim_batch()
    taken_over = []

    class Stalls(Recording):
        """The provider takes longer than the lease; meanwhile another worker claims the message."""

        def send(self, outgoing):
            clock.shift(LEASE + timedelta(seconds=1))
            taken_over.extend(outbox.claim_batch())
            return super().send(outgoing)

    assert outbox.deliver(slow, slow.claim_token, channel=Stalls(TemporaryFailure("late"))) == "lost"
    [fast] = taken_over
    row = Message.objects.get()
    assert (row.status, row.claim_token, row.last_error) == (MessageStatus.SENDING, fast.claim_token, "")
    assert outbox.deliver(fast, fast.claim_token, channel=Recording()) == "sent"

    row.refresh_from_db()
    assert (row.status, row.last_error, row.provider_reference) == (MessageStatus.SENT, "", "rec-1")


def test_a_claimed_message_is_not_claimed_again_while_its_lease_holds(db, clock):
    text()
    text("Second")

    first = outbox.claim_batch(limit=1)
    second = outbox.claim_batch(limit=5)
    third = outbox.claim_batch(limit=5)

    assert len(first) == len(second) == 1 and third == []
    assert first[0].pk != second[0].pk and first[0].claim_token != second[0].claim_token


def test_a_temporary_failure_is_retried_later_with_a_growing_wait(db, clock, monkeypatch):
    message = text()
    use(monkeypatch, Recording(TemporaryFailure("503 from the gateway"), TemporaryFailure("timeout")))
    waits = []
    for _ in range(2):
        outbox.drain()
        message.refresh_from_db()
        assert message.status == MessageStatus.QUEUED
        waits.append(message.next_attempt_at - timezone.now())
        assert outbox.drain() == 0  # not yet due
        clock.move_to(message.next_attempt_at)

    outbox.drain()

    message.refresh_from_db()
    assert timedelta(seconds=30) <= waits[0] < waits[1] <= timedelta(seconds=150)
    assert (message.status, message.attempts, message.last_error) == (MessageStatus.SENT, 3, "")


def test_a_message_that_keeps_failing_ends_in_the_dead_letters_with_the_last_error(db, clock, monkeypatch, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 4
    message = text()
    use(monkeypatch, Recording(*[TemporaryFailure(f"outage {n}") for n in range(1, 10)]))

    for _ in range(10):
        outbox.drain()
        message.refresh_from_db()
        if message.status != MessageStatus.QUEUED:
            break
        clock.move_to(message.next_attempt_at)

    assert (message.status, message.attempts, message.last_error) == (MessageStatus.DEAD, 4, "outage 4")


def test_a_permanent_failure_goes_to_the_dead_letters_at_once(db, clock, monkeypatch):
    message = text()
    use(monkeypatch, Recording(PermanentFailure("400: not a mobile number")))

    outbox.drain()

    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (MessageStatus.DEAD, 1, "400: not a mobile number")


def test_an_adapter_bug_does_not_stop_the_worker(db, clock, monkeypatch):
    broken, fine = text("First"), text("Second")
    use(monkeypatch, Recording(ValueError("unexpected answer"), None))

    assert outbox.drain() == 2

    broken.refresh_from_db()
    fine.refresh_from_db()
    assert (broken.status, broken.last_error) == (MessageStatus.QUEUED, "unexpected answer")
    assert fine.status == MessageStatus.SENT


def test_a_message_that_kills_every_worker_that_claims_it_is_given_up(db, clock, monkeypatch, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    message = text()
    for _ in range(3):
        outbox.claim_batch()  # and the worker dies
        clock.shift(LEASE + timedelta(seconds=1))
    recording = Recording()
    use(monkeypatch, recording)

    outbox.drain()

    message.refresh_from_db()
    assert message.status == MessageStatus.DEAD and recording.sent == []


def test_a_number_that_sent_stop_after_the_text_was_queued_gets_nothing(db, clock, sms_to_file):
    queued = text("New offers near you")
    essential = text("Your code is 123456", essential=True)
    SmsOptOut.objects.create(phone=PHONE)

    outbox.drain()

    queued.refresh_from_db()
    essential.refresh_from_db()
    assert queued.status == MessageStatus.CANCELLED
    assert essential.status == MessageStatus.DELIVERED
    assert [line["body"] for line in lines(sms_to_file)] == ["Your code is 123456"]


def test_a_coordinator_retries_a_dead_letter_with_a_fresh_set_of_attempts(community, coordinator, clock, monkeypatch):
    message = text(community=community)
    use(monkeypatch, Recording(PermanentFailure("402: out of credit")))
    outbox.drain()

    retried = outbox.retry_dead(Message.objects.get(pk=message.pk), by=coordinator)

    assert (retried.status, retried.attempts, retried.last_error) == (MessageStatus.QUEUED, 0, "")
    entry = AuditEntry.objects.get(action="notify.message_retried")
    assert (entry.actor, entry.community) == (coordinator.user, community)
    assert entry.details["last_error"] == "402: out of credit"
    use(monkeypatch, Recording())
    outbox.drain()
    assert Message.objects.get(pk=message.pk).status == MessageStatus.SENT


def test_only_a_coordinator_of_the_community_may_retry_and_only_a_dead_letter(community, member, coordinator, outsider):
    message = text(community=community)
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.DEAD)

    for who in (member, outsider):
        with pytest.raises(DomainError) as refused:
            outbox.retry_dead(message, by=who)
        assert refused.value.code == "not_allowed"
    outbox.retry_dead(message, by=coordinator)
    with pytest.raises(DomainError) as refused:
        outbox.retry_dead(message, by=coordinator)
    assert refused.value.code == "not_dead"
    assert AuditEntry.objects.filter(action="notify.message_retried").count() == 1


def test_a_delivery_receipt_marks_a_sent_message_delivered_and_a_late_failure_does_not_undo_it(db, clock, monkeypatch):
    message = text()
    use(monkeypatch, Recording())
    outbox.drain()

    assert outbox.record_status(StatusUpdate(str(message.reference), "", "delivered"))
    assert not outbox.record_status(StatusUpdate(str(message.reference), "", "failed", "expired"))

    message.refresh_from_db()
    assert (message.status, message.delivered_at) == (MessageStatus.DELIVERED, START)


def test_a_failure_receipt_found_by_the_providers_id_marks_the_message_failed(db, clock, monkeypatch):
    message = text()
    use(monkeypatch, Recording())
    outbox.drain()

    assert outbox.record_status(StatusUpdate("", "rec-1", "failed", "permanent-failure"))
    assert not outbox.record_status(StatusUpdate(str(uuid.uuid4()), "nobody", "delivered"))

    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and "permanent-failure" in message.last_error


def test_a_receipt_that_beats_the_worker_to_it_is_not_overwritten_by_sent(db, clock):
    message = text()
    [claimed] = outbox.claim_batch()

    class ReceiptFirst(Recording):
        def send(self, outgoing):
            result = super().send(outgoing)
            outbox.record_status(StatusUpdate(outgoing.reference, "", "delivered"))
            return result

    assert outbox.deliver(claimed, claimed.claim_token, channel=ReceiptFirst()) == "sent"

    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED and message.provider_reference == "rec-1"


MOVES = st.lists(
    st.sampled_from(["drain", "claim_and_die", "die_after_sending", "wait_out_lease", "enqueue"]), max_size=12
)


@given(moves=MOVES, first=st.integers(min_value=1, max_value=4))
@hypothesis.settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_whatever_workers_die_where_every_text_reaches_the_file_exactly_once(
    db, moves, first, settings, tmp_path, monkeypatch
):
    Message.objects.all().delete()
    path = tmp_path / f"{uuid.uuid4()}.jsonl"  # one file per example
    settings.SMS_BACKEND, settings.SMS_FILE_PATH = "file", str(path)
    settings.OUTBOX_MAX_ATTEMPTS = 100  # this test is about crashes, not about giving up
    with time_machine.travel(START, tick=False) as clock:
        for n in range(first):
            text(f"Text {n}")
        for move in moves:
            if move == "drain":
                outbox.drain()
            elif move == "claim_and_die":
                outbox.claim_batch(limit=2)
            elif move == "die_after_sending":
                with monkeypatch.context() as patch:
                    patch.setattr(outbox, "sms_channel", lambda: KillsAfterSending(sms_channel()))
                    with contextlib.suppress(WorkerKilled):
                        outbox.drain(limit=1)
            elif move == "wait_out_lease":
                clock.shift(LEASE + timedelta(seconds=1))
            else:
                text("Another")
        clock.shift(LEASE + timedelta(seconds=1))
        outbox.drain()

    written = Counter(line["reference"] for line in lines(path))
    references = {str(r) for r in Message.objects.values_list("reference", flat=True)}
    assert set(written) == references and set(written.values()) == {1}
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.DELIVERED}


# --- two workers on PostgreSQL --------------------------------------------------------------------------------

MESSAGES = 1_000


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="Two connections racing for row locks need PostgreSQL; SQLite has a single writer.",
)
def test_two_workers_drain_a_thousand_texts_with_no_duplicate_and_no_loss(sms_to_file, monkeypatch):
    """Each worker is a thread with its own connection, draining in small batches so their claims interleave.
    Every send is counted before the file adapter (which would hide a duplicate by refusing a known reference)."""
    Message.objects.bulk_create(
        Message(channel="sms", to_address=f"+4477009{n:05d}", kind="test.alert", body=f"Text {n}")
        for n in range(MESSAGES)
    )
    file_adapter = sms_channel()
    attempts: Counter[str] = Counter()
    lock = threading.Lock()

    class Counting:
        name = "counting"

        def send(self, message):
            with lock:
                attempts[message.reference] += 1
            return file_adapter.send(message)

    use(monkeypatch, Counting())
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def work() -> None:
        try:
            start.wait()
            while outbox.drain(limit=25):
                pass
        except BaseException as error:
            failures.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)

    assert not failures, failures
    references = {str(r) for r in Message.objects.values_list("reference", flat=True)}
    assert len(references) == MESSAGES
    assert set(attempts) == references and set(attempts.values()) == {1}
    assert Counter(line["reference"] for line in lines(sms_to_file)) == attempts
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.DELIVERED}
    assert set(Message.objects.values_list("attempts", flat=True)) == {1}


# --- the tasks and the tick ------------------------------------------------------------------------------------


def test_the_tick_enqueues_the_drain_and_the_digests_once_however_often_cron_runs_it(db):
    call_command("tick", stdout=io.StringIO())
    call_command("tick", stdout=io.StringIO())

    waiting = Counter(p for p in DBTaskResult.objects.values_list("task_path", flat=True) if ".notify." in p)
    assert waiting == {"ostrom.notify.tasks.drain_outbox": 1, "ostrom.notify.tasks.send_digests": 1}


def test_the_drain_task_sends_what_is_due(db, sms_to_file):
    message = text()

    assert tasks.drain_outbox.call() == 1

    assert [line["reference"] for line in lines(sms_to_file)] == [str(message.reference)]
