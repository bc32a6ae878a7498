"""Texts from residents: Mina (a member, 07700 900101) and Cora (a coordinator, 07700 900102) text the community;
a stranger (07700 900999) texts from a number no one has registered."""

import itertools
import json
import re
import threading
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection, connections
from django.utils import timezone
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from ostrom.communities.domain import DomainError, Status
from ostrom.communities.tests.factories import CommunityFactory, MemberFactory
from ostrom.notify import registry
from ostrom.notify.actions import inbound, outbox
from ostrom.notify.actions.inbound import handle_inbound
from ostrom.notify.channels.webhooks import InboundSms as ReceivedSms
from ostrom.notify.domain.sms_commands import ArgKind, ArgSpec, CommandSpec, help_text
from ostrom.notify.models import InboundSms, Message, SmsConfirmation, SmsOptOut
from ostrom.notify.registry import MessageKind, SmsCommand, SmsReply

MINA = "+447700900101"
CORA = "+447700900102"
STRANGER = "+447700900999"
provider_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def fresh_cache(db):
    # The rate limit counts in the database cache, which a test's rollback does not always reach.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def clean_registry():
    with registry.isolated():
        yield


@pytest.fixture
def mina(member):
    member.user.phone = MINA
    member.user.save(update_fields=["phone"])
    return member


@pytest.fixture
def cora(coordinator):
    coordinator.user.phone = CORA
    coordinator.user.save(update_fields=["phone"])
    return coordinator


@pytest.fixture
def echo():
    """ECHO <words>: answers with what it was sent."""
    spec = CommandSpec("ECHO", args=(ArgSpec("words", ArgKind.TEXT),), summary="say it back")
    registry.register_command(SmsCommand(spec, lambda context, command: SmsReply(command.args["words"])))


@pytest.fixture
def gifts():
    """GIFT <amount>: asks for a YES first; the confirmer records each gift it made."""
    made = []

    def ask(context, command):
        amount = command.args["amount"]
        return SmsReply(f"Give {amount} hours to the fund?", confirm=("test.gift", {"amount": amount}))

    def confirm(context, payload):
        made.append((context.member.pk, payload["amount"]))
        return f"Done: you gave {payload['amount']} hours."

    registry.register_command(SmsCommand(CommandSpec("GIFT", args=(ArgSpec("amount", ArgKind.AMOUNT),)), ask))
    registry.register_confirmer("test.gift", confirm)
    return made


def text(phone, body, provider_id=None, now=None):
    received = ReceivedSms(provider_id=provider_id or f"in-{next(provider_ids)}", phone=phone, text=body)
    return handle_inbound(received, now=now)


def code_in(reply):
    return re.search(r"YES (\d{4})", reply.body).group(1)


def test_it_stops_every_non_essential_text_after_stop(mina, sms_to_file):
    reply = text(MINA, "STOP")

    assert "no more texts" in reply.body and reply.essential
    assert SmsOptOut.objects.filter(phone=MINA).exists()
    assert outbox.enqueue(channel="sms", to_address=MINA, kind="test.news", body="Fair on Saturday") is None
    registry.register_kind(MessageKind("test.news", "News", default_channel="sms"))
    assert outbox.notify(mina, "test.news", subject="Fair", body="Fair on Saturday") == []
    outbox.drain()
    sent = [json.loads(line) for line in sms_to_file.read_text().splitlines()]
    assert [line["body"] for line in sent] == [reply.body]


def test_it_cancels_a_text_already_queued_when_the_number_sends_stop(mina, sms_to_file):
    queued = outbox.enqueue(channel="sms", to_address=MINA, kind="test.news", body="Fair on Saturday")

    text(MINA, "stop")
    outbox.drain()

    queued.refresh_from_db()
    assert queued.status == "cancelled"
    assert "Fair" not in sms_to_file.read_text()


def test_it_lets_texts_through_again_after_start(mina):
    text(MINA, "STOP")
    reply = text(MINA, "Start")

    assert "back on" in reply.body
    assert not SmsOptOut.objects.filter(phone=MINA).exists()
    assert outbox.enqueue(channel="sms", to_address=MINA, kind="test.news", body="Fair on Saturday") is not None


@pytest.mark.parametrize("words", ["unsubscribe", "Cancel", "  END  ", "quit.", "Stop texting me", "STOPALL", "stpo"])
def test_it_understands_the_usual_ways_of_saying_stop(mina, words):
    text(MINA, words)

    assert SmsOptOut.objects.filter(phone=MINA).exists()


def test_it_reads_cancel_with_more_words_as_a_command_not_an_opt_out(mina):
    text(MINA, "cancel my booking")

    assert not SmsOptOut.objects.filter(phone=MINA).exists()


def test_it_understands_unstop(mina):
    text(MINA, "STOP")
    text(MINA, "unstop")

    assert not SmsOptOut.objects.filter(phone=MINA).exists()


def test_it_honours_stop_and_start_from_a_number_it_does_not_know(db):
    stopped = text(STRANGER, "STOP")
    assert SmsOptOut.objects.filter(phone=STRANGER).exists()
    started = text(STRANGER, "START")

    assert not SmsOptOut.objects.filter(phone=STRANGER).exists()
    assert "no more texts" in stopped.body and "back on" in started.body


def test_a_second_stop_keeps_the_date_of_the_first(mina):
    first = timezone.now() - timedelta(days=3)
    text(MINA, "STOP", now=first)
    text(MINA, "STOP")

    assert SmsOptOut.objects.get(phone=MINA).opted_out_at == first


def test_it_tells_a_stranger_how_to_join(db, echo):
    reply = text(STRANGER, "ECHO hello")

    assert "To join" in reply.body
    assert InboundSms.objects.get().outcome == "unknown_number"


def test_it_tells_someone_who_left_how_to_join(mina, echo):
    mina.status = Status.LEFT
    mina.save(update_fields=["status"])

    assert "To join" in text(MINA, "ECHO hello").body


def test_it_gives_a_stranger_the_joining_text_for_help_and_for_gibberish(db):
    assert "To join" in text(STRANGER, "HELP").body
    assert "To join" in text(STRANGER, "what is this").body


def test_it_forgives_a_typo_in_the_command_word(mina, echo):
    assert text(MINA, "EHCO hello there").body == "hello there"


def test_it_answers_text_it_cannot_read_with_the_help(mina, echo):
    reply = text(MINA, "what is this")

    assert "ECHO" in reply.body and "HELP" in reply.body
    assert InboundSms.objects.get().outcome == "unknown_command"


def test_it_lists_the_commands_for_help(mina, echo):
    reply = text(MINA, "help")

    assert reply.body == help_text(registry.command_specs())
    assert {"HELP", "STOP", "START", "YES", "NO", "ECHO"} <= set(re.findall(r"^([A-Z]+)", reply.body, re.M))


def test_it_answers_an_over_long_command_clearly(mina, echo):
    reply = text(MINA, "ECHO " + "very " * 120)

    assert "too long" in reply.body
    assert InboundSms.objects.get().outcome == "too_long"


def test_it_fits_a_long_reply_into_at_most_four_sms_parts(mina):
    registry.register_command(SmsCommand(CommandSpec("ESSAY"), lambda context, command: SmsReply("word " * 300)))

    reply = text(MINA, "ESSAY")

    assert len(reply.body) <= 4 * 153
    assert reply.body.endswith("...")


def test_it_asks_a_number_over_the_rate_limit_to_wait_once_then_stays_silent(mina, echo, settings):
    settings.SMS_RATE_LIMIT = 3
    settings.SMS_RATE_WINDOW_SECONDS = 600
    start = timezone.now().replace(minute=0, second=0, microsecond=0)

    answered = [text(MINA, f"ECHO {n}", now=start + timedelta(seconds=n)) for n in range(3)]
    told_to_wait = text(MINA, "ECHO 3", now=start + timedelta(seconds=3))
    ignored = text(MINA, "ECHO 4", now=start + timedelta(seconds=4))
    next_window = text(MINA, "ECHO 5", now=start + timedelta(seconds=600))

    assert [r.body for r in answered] == ["0", "1", "2"]
    assert "Please wait 10 minutes" in told_to_wait.body
    assert ignored is None
    assert next_window.body == "5"
    assert InboundSms.objects.filter(outcome="rate_limited").count() == 2


def test_it_counts_each_number_separately(mina, cora, echo, settings):
    settings.SMS_RATE_LIMIT = 1
    text(MINA, "ECHO 1")

    assert text(CORA, "ECHO 2").body == "2"


def test_it_still_honours_stop_over_the_rate_limit(mina, echo, settings):
    settings.SMS_RATE_LIMIT = 1
    text(MINA, "ECHO 1")
    text(MINA, "ECHO 2")

    assert text(MINA, "STOP") is None
    assert SmsOptOut.objects.filter(phone=MINA).exists()


def test_it_handles_a_redelivered_text_once(mina, echo):
    first = text(MINA, "ECHO once", provider_id="gw-42")
    again = text(MINA, "ECHO once", provider_id="gw-42")

    assert first is not None and again is None
    assert InboundSms.objects.count() == 1
    assert Message.objects.filter(to_address=MINA).count() == 1


def test_it_records_a_text_from_a_number_it_cannot_reply_to_without_replying(db):
    assert text("not a number", "HELP") is None
    assert InboundSms.objects.get().outcome == "invalid_phone"


def test_it_refuses_a_text_without_a_provider_id(db):
    with pytest.raises(DomainError) as refused:
        handle_inbound(ReceivedSms(provider_id=" ", phone=MINA, text="HELP"))

    assert refused.value.code == "provider_id_missing"


def test_it_asks_for_a_yes_before_acting_and_acts_once(mina, gifts):
    asked = text(MINA, "GIFT 2")
    code = code_in(asked)
    done = text(MINA, f"YES {code}")
    again = text(MINA, f"yes {code}")

    assert asked.body == f"Give 2 hours to the fund? Reply YES {code} to confirm or NO {code} to cancel."
    assert done.body == "Done: you gave 2 hours."
    assert "already confirmed" in again.body
    assert gifts == [(mina.pk, "2")]
    assert SmsConfirmation.objects.get().outcome == "confirmed"


def test_no_cancels_and_a_later_yes_does_nothing(mina, gifts):
    code = code_in(text(MINA, "GIFT 2"))

    cancelled = text(MINA, f"NO {code}")
    late = text(MINA, f"YES {code}")

    assert cancelled.body == "Cancelled: Give 2 hours to the fund?"
    assert "already cancelled" in late.body
    assert gifts == []


def test_an_expired_code_does_nothing(mina, gifts, time_machine):
    time_machine.move_to("2026-03-02 10:00:00Z", tick=False)
    code = code_in(text(MINA, "GIFT 2"))
    time_machine.move_to("2026-03-02 10:15:01Z", tick=False)

    reply = text(MINA, f"YES {code}")

    assert "expired" in reply.body
    assert gifts == []


def test_an_expired_code_stays_expired_after_a_new_request(mina, gifts, time_machine):
    time_machine.move_to("2026-03-02 10:00:00Z", tick=False)
    old = code_in(text(MINA, "GIFT 2"))
    time_machine.move_to("2026-03-02 10:20:00Z", tick=False)
    text(MINA, "GIFT 3")

    assert "expired" in text(MINA, f"YES {old}").body
    assert gifts == []


def test_a_second_yes_long_after_still_says_it_was_done(mina, gifts, time_machine):
    time_machine.move_to("2026-03-02 10:00:00Z", tick=False)
    code = code_in(text(MINA, "GIFT 2"))
    text(MINA, f"YES {code}")
    time_machine.move_to("2026-03-02 11:00:00Z", tick=False)

    assert "already confirmed" in text(MINA, f"YES {code}").body
    assert len(gifts) == 1


def test_a_code_sent_from_another_phone_does_nothing(mina, cora, gifts):
    code = code_in(text(MINA, "GIFT 2"))

    reply = text(CORA, f"YES {code}")

    assert f"No request with code {code}" in reply.body
    assert gifts == []
    assert SmsConfirmation.objects.get().resolved_at is None


def test_each_waiting_request_gets_its_own_code_up_to_a_limit(mina, gifts):
    codes = [code_in(text(MINA, f"GIFT {n}")) for n in range(1, inbound.MAX_WAITING_CONFIRMATIONS + 1)]
    refused = text(MINA, "GIFT 9")

    assert len(set(codes)) == inbound.MAX_WAITING_CONFIRMATIONS
    assert "requests waiting" in refused.body
    assert SmsConfirmation.objects.count() == inbound.MAX_WAITING_CONFIRMATIONS


def test_a_confirmer_that_refuses_leaves_the_request_open(mina):
    def refuse(context, payload):
        raise DomainError("insufficient_balance", "You do not have enough hours for that.")

    registry.register_command(SmsCommand(CommandSpec("GIFT"), lambda c, p: SmsReply("Sure?", confirm=("t.no", {}))))
    registry.register_confirmer("t.no", refuse)
    code = code_in(text(MINA, "GIFT"))

    assert text(MINA, f"YES {code}").body == "You do not have enough hours for that."
    assert SmsConfirmation.objects.get().resolved_at is None


def test_it_answers_a_domain_error_with_its_message(mina):
    def refuse(context, command):
        raise DomainError("not_now", "The fund is closed today.")

    registry.register_command(SmsCommand(CommandSpec("FUND"), refuse))

    assert text(MINA, "FUND").body == "The fund is closed today."
    assert InboundSms.objects.get().outcome == "refused:not_now"


def test_a_handler_that_crashes_gets_a_generic_reply_and_leaves_nothing_half_done(mina, caplog):
    def crash(context, command):
        SmsOptOut.objects.create(phone="+447700900555")
        raise RuntimeError("bug")

    registry.register_command(SmsCommand(CommandSpec("BOOM"), crash))

    reply = text(MINA, "BOOM")

    assert reply.body == inbound.FAILED_TEXT
    assert InboundSms.objects.get().outcome == "error"
    assert not SmsOptOut.objects.filter(phone="+447700900555").exists()
    assert "SMS command BOOM failed" in caplog.text


def test_a_handler_asking_for_an_unknown_confirmer_gets_the_generic_reply(mina):
    registry.register_command(SmsCommand(CommandSpec("GIFT"), lambda c, p: SmsReply("Sure?", confirm=("nope", {}))))

    assert text(MINA, "GIFT").body == inbound.FAILED_TEXT
    assert not SmsConfirmation.objects.exists()


def test_a_member_of_two_communities_acts_in_the_oldest_membership(mina, echo):
    hillside = CommunityFactory(name="Hillside Network", slug="hillside")
    MemberFactory(community=hillside, user=mina.user, joined_at=mina.joined_at - timedelta(days=30))
    text(MINA, "ECHO hi")

    assert InboundSms.objects.get().community == hillside


def test_a_member_of_two_communities_keeps_the_community_they_last_texted_about(mina, echo):
    hillside = CommunityFactory(name="Hillside Network", slug="hillside")
    older = MemberFactory(
        community=hillside, user=mina.user, joined_at=mina.joined_at - timedelta(days=30), status=Status.SUSPENDED
    )
    text(MINA, "ECHO while suspended")
    older.status = Status.ACTIVE
    older.save(update_fields=["status"])
    text(MINA, "ECHO after")

    assert [row.community for row in InboundSms.objects.order_by("pk")] == [mina.community, mina.community]


@given(body=st.text(max_size=600))
@example(body="ECHO a\x00b")  # PostgreSQL cannot store NUL in text
@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_text_from_a_member_is_recorded_once_and_never_raises(mina, echo, gifts, settings, body):
    settings.SMS_RATE_LIMIT = 10_000
    provider_id = f"fuzz-{next(provider_ids)}"

    text(MINA, body, provider_id=provider_id)

    row = InboundSms.objects.get(provider_id=provider_id)
    assert row.outcome


RACERS = 8


def racing_on_postgres(test):
    """Separate connections racing for row locks need PostgreSQL; SQLite has a single writer."""
    test = pytest.mark.postgres(pytest.mark.django_db(transaction=True)(test))
    return pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")(test)


def race(texts):
    """Hand each (provider id, body) to its own thread and connection, all at once; the replies come back."""
    start = threading.Barrier(len(texts))
    replies, failures = [], []
    lock = threading.Lock()

    def work(provider_id, body):
        try:
            start.wait()
            reply = text(MINA, body, provider_id=provider_id)
            with lock:
                replies.append(reply)
        except BaseException as error:  # a deadlock or any database error fails the test
            with lock:
                failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=pair) for pair in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    return replies


@racing_on_postgres
def test_yes_sent_many_times_at_once_acts_once(mina, gifts, settings):
    settings.SMS_RATE_LIMIT = 100
    code = code_in(text(MINA, "GIFT 2"))

    replies = race([(f"race-yes-{n}", f"YES {code}") for n in range(RACERS)])

    assert gifts == [(mina.pk, "2")]
    assert sorted(r.body.startswith("Done") for r in replies) == [False] * (RACERS - 1) + [True]


@racing_on_postgres
def test_one_text_delivered_many_times_at_once_is_answered_once(mina, echo, settings):
    settings.SMS_RATE_LIMIT = 100

    replies = race([("race-same-id", "ECHO once")] * RACERS)

    assert [r.body for r in replies if r is not None] == ["once"]
    assert InboundSms.objects.count() == 1
