"""What the ledger tells people: Colin is paid and hears of it, Cora asks Mina to pay and hears her answer. Each
notice is written in the same transaction as what it reports, so nothing refused or rolled back is ever told, and
each follows the member's choice of channel. Then the two digest sections: "Your balance" and "Waiting for you"."""

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ostrom.communities.domain import DomainError
from ostrom.communities.tests.factories import MemberFactory, UserFactory
from ostrom.ledger import notices
from ostrom.ledger.actions import accounts, payments, requests, transfers
from ostrom.ledger.models import RequestHandling, Transfer
from ostrom.notify import registry
from ostrom.notify.actions import digests, outbox, preferences
from ostrom.notify.domain import sms_text
from ostrom.notify.models import Message

HOUR = 60
MINA = "+447700900101"
COLIN = "+447700900103"
START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def colin(community):
    user = UserFactory(full_name="Colin Cole", email="colin@example.org", phone=COLIN)
    return MemberFactory(community=community, user=user, display_name="Colin")


def notices_to(member, kind=None):
    rows = Message.objects.filter(member=member).exclude(kind="notify.sms_reply").order_by("pk")
    return list(rows.filter(kind=kind) if kind else rows)


def pay(payer, payee, currency, amount=HOUR, memo="Garden help", key=None):
    return payments.send(payer, payee, currency, amount, key or uuid.uuid4(), memo)


def section(key):
    return next(s for s in registry.digest_sections() if s.key == key)


# Someone paid you


def test_it_tells_the_payee_by_email_who_paid_them_and_their_balance(member, colin, hours):
    pay(member, colin, hours, 90)

    (notice,) = notices_to(colin)
    assert notice.kind == "ledger.payment_received" and notice.channel == "email"
    assert notice.to_address == "colin@example.org"
    assert notice.subject == "Mina paid you 1 h 30 min"
    assert "Mina paid you 1 h 30 min for “Garden help”." in notice.body
    assert "Your Timebank hours balance is now 1 h 30 min." in notice.body
    assert notices_to(member) == []  # the payer knows


def test_it_texts_a_payee_who_chose_texts(member, colin, hours):
    preferences.set_preference(colin, "ledger.payment_received", "sms")

    pay(member, colin, hours, 90)

    (notice,) = notices_to(colin)
    assert (notice.channel, notice.to_address) == ("sms", COLIN)
    assert notice.body == "Mina paid you 1 h 30 min for 'Garden help'. Your balance is now 1 h 30 min."


@pytest.mark.parametrize("channel", ["off", "digest"])
def test_it_tells_nothing_now_to_a_payee_who_chose_off_or_the_digest(member, colin, hours, channel):
    preferences.set_preference(colin, "ledger.payment_received", channel)

    pay(member, colin, hours)

    assert notices_to(colin) == []
    assert Transfer.objects.count() == 1


def test_a_refused_payment_tells_nobody(member, colin, hours):
    with pytest.raises(DomainError):
        pay(member, colin, hours, 11 * HOUR)

    assert not Message.objects.exists()


def test_the_notice_and_the_payment_are_one_transaction(member, colin, hours, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the outbox is unwell")

    monkeypatch.setattr(outbox, "notify", broken)

    with pytest.raises(RuntimeError):
        pay(member, colin, hours)

    assert not Transfer.objects.exists()


def test_paying_twice_with_the_same_key_tells_the_payee_once(member, colin, hours):
    key = uuid.uuid4()
    pay(member, colin, hours, key=key)
    pay(member, colin, hours, key=key)

    assert len(notices_to(colin)) == 1


def test_an_organisation_has_no_one_to_tell(member, organisation, hours):
    pay(member, organisation, hours)

    assert not Message.objects.exists()


def test_a_payment_on_a_members_behalf_is_told_as_theirs(member, colin, coordinator, hours, mina_account):
    payments.send_on_behalf(coordinator, mina_account, colin, HOUR, uuid.uuid4(), "Hedge", "Mina has no computer")

    (notice,) = notices_to(colin)
    assert notice.subject == "Mina paid you 1 h"


# Someone asks you to pay, and the answer


def test_the_payer_is_asked_with_how_to_answer_on_the_web_and_by_text(member, coordinator, hours):
    member.user.phone = MINA
    member.user.save(update_fields=["phone"])
    preferences.set_preference(member, "ledger.payment_request", "sms")

    requests.request_payment(coordinator, member, hours, 90, "Ironing", uuid.uuid4())
    preferences.set_preference(member, "ledger.payment_request", "email")
    requests.request_payment(coordinator, member, hours, 30, "Buttons", uuid.uuid4())

    by_text, by_email = notices_to(member, "ledger.payment_request")
    assert by_text.body == (
        "Cora asks you to pay 1 h 30 min for 'Ironing'. To pay, reply PAY Cora 1:30 then YES with the code we send. "
        "Or answer it on the web."
    )
    assert by_email.subject == "Cora asks you to pay 30 min"
    assert "/c/riverside/exchange/requests/" in by_email.body


def test_a_request_in_a_second_currency_is_answered_on_the_web(member, coordinator, community, hours):
    member.user.phone = MINA
    member.user.save(update_fields=["phone"])
    preferences.set_preference(member, "ledger.payment_request", "sms")
    credits = accounts.create_currency(community, code="river", name="River credits", kind="credit", scale=100)

    requests.request_payment(coordinator, member, credits, 250, "Apples", uuid.uuid4())

    (notice,) = notices_to(member, "ledger.payment_request")
    assert (
        notice.body
        == "Cora asks you to pay 2.50 river for 'Apples'. Answer it on the web, on your payment requests page."
    )


def test_the_text_names_the_asker_by_a_word_that_finds_only_them(member, community, hours):
    member.user.phone = MINA
    member.user.save(update_fields=["phone"])
    preferences.set_preference(member, "ledger.payment_request", "sms")
    MemberFactory(community=community, display_name="Sam")
    sam_smith = MemberFactory(community=community, display_name="Sam Smith")

    requests.request_payment(sam_smith, member, hours, 60, "Lift", uuid.uuid4())

    (notice,) = notices_to(member, "ledger.payment_request")
    assert "To pay, reply PAY Smith 1:00 then YES" in notice.body


def test_a_request_paid_at_once_for_a_trusted_payee_asks_nothing_and_tells_the_payee(member, coordinator, hours):
    requests.set_payment_preference(member, RequestHandling.TRUSTED)
    requests.trust_payee(member, coordinator)

    requests.request_payment(coordinator, member, hours, 90, "Ironing", uuid.uuid4())

    assert notices_to(member, "ledger.payment_request") == []
    (answered,) = notices_to(coordinator, "ledger.request_answered")
    assert answered.subject == "Mina paid your request for 1 h 30 min"


def test_a_trusted_request_that_cannot_be_paid_asks_after_all(member, coordinator, hours):
    requests.set_payment_preference(member, RequestHandling.TRUSTED)
    requests.trust_payee(member, coordinator)

    requests.request_payment(coordinator, member, hours, 11 * HOUR, "A lot of ironing", uuid.uuid4())

    assert len(notices_to(member, "ledger.payment_request")) == 1
    assert notices_to(coordinator) == []


def test_the_asker_hears_the_request_was_paid_with_their_balance(member, coordinator, hours):
    asked = requests.request_payment(coordinator, member, hours, 90, "Ironing", uuid.uuid4())

    requests.accept_request(member, asked)
    requests.accept_request(member, asked)  # pressed twice: paid and told once

    (answered,) = notices_to(coordinator, "ledger.request_answered")
    assert "Mina paid your request of 1 h 30 min for “Ironing”." in answered.body
    assert "Your Timebank hours balance is now 1 h 30 min." in answered.body
    assert notices_to(coordinator, "ledger.payment_received") == []  # one notice for one event


def test_the_asker_hears_the_request_was_declined_and_why(member, coordinator, hours):
    asked = requests.request_payment(coordinator, member, hours, 90, "Ironing", uuid.uuid4())

    coordinator.user.phone = "+447700900102"
    coordinator.user.save(update_fields=["phone"])
    preferences.set_preference(coordinator, "ledger.request_answered", "sms")

    requests.decline_request(member, asked, "We agreed it was a favour")
    preferences.set_preference(coordinator, "ledger.request_answered", "email")
    second = requests.request_payment(coordinator, member, hours, 30, "Buttons", uuid.uuid4())
    requests.decline_request(member, second)

    by_text, by_email = notices_to(coordinator, "ledger.request_answered")
    assert by_text.body == "Mina declined your request of 1 h 30 min: 'We agreed it was a favour'."
    assert by_email.subject == "Mina declined your request for 30 min"
    assert by_email.body.endswith("Mina declined your request of 30 min for “Buttons”.")


def test_a_withdrawn_request_tells_nobody_more(member, coordinator, hours):
    asked = requests.request_payment(coordinator, member, hours, 90, "Ironing", uuid.uuid4())

    requests.cancel_request(coordinator, asked)

    assert notices_to(coordinator) == []
    assert len(notices_to(member)) == 1  # only the request itself


def test_a_request_that_cannot_be_paid_tells_nobody_it_was(member, coordinator, hours):
    asked = requests.request_payment(coordinator, member, hours, 11 * HOUR, "A lot of ironing", uuid.uuid4())

    with pytest.raises(DomainError):
        requests.accept_request(member, asked)

    assert notices_to(coordinator) == []


def test_a_long_note_is_cut_but_never_what_to_reply(member, coordinator, hours):
    member.user.phone = MINA
    member.user.save(update_fields=["phone"])
    preferences.set_preference(member, "ledger.payment_request", "sms")

    requests.request_payment(coordinator, member, hours, 90, "Ironing the linen " * 20, uuid.uuid4())

    (notice,) = notices_to(member, "ledger.payment_request")
    assert len(sms_text.segments(notice.body)) == 1
    assert notice.body.startswith("Cora asks you to pay 1 h 30 min for 'Ironing the linen")
    assert notice.body.endswith(
        "...'. To pay, reply PAY Cora 1:30 then YES with the code we send. Or answer it on the web."
    )


@given(before=st.text(max_size=40), memo=st.text(max_size=600), after=st.text(max_size=40))
def test_fit_memo_always_gives_one_gsm7_text_keeping_what_surrounds_the_memo(before, memo, after):
    assume(sms_text.gsm7_septets(sms_text.to_gsm7(before + after)) <= sms_text.GSM7_SINGLE_SEPTETS)

    fitted = notices.fit_memo(before, memo, after)

    assert sms_text.is_gsm7(fitted) and sms_text.gsm7_septets(fitted) <= sms_text.GSM7_SINGLE_SEPTETS
    assert fitted.startswith(sms_text.to_gsm7(before)) and fitted.endswith(sms_text.to_gsm7(after))


# Digest sections


def test_the_balance_section_counts_the_periods_payments_and_their_net(member, colin, coordinator, hours, time_machine):
    time_machine.move_to(START - timedelta(days=1))
    pay(coordinator, member, hours, 5 * HOUR)  # before the period
    time_machine.move_to(START + timedelta(hours=1))
    pay(coordinator, member, hours, 2 * HOUR)
    pay(member, colin, hours, 30)
    pay(member, colin, hours, 15)
    time_machine.move_to(START + timedelta(days=8))
    pay(member, colin, hours, HOUR)  # after it

    lines = section("ledger.balance").build(member, START, START + timedelta(days=7))

    assert lines == ["Timebank hours: 3 payments, +1 h 15 min in all. Balance now 5 h 15 min."]


def test_the_balance_section_is_empty_when_nothing_moved(member, colin, hours, time_machine):
    time_machine.move_to(START - timedelta(days=1))
    pay(member, colin, hours)

    assert section("ledger.balance").build(member, START, START + timedelta(days=7)) == []


def test_a_hold_is_not_a_balance_change_until_it_is_taken(member, colin, hours, mina_account):
    colin_account = accounts.open_account(hours, member=colin)
    held = transfers.hold(debit=mina_account, credit=colin_account, amount=HOUR, key=uuid.uuid4(), memo="Hedge")
    now = datetime.now(UTC)
    period = (now - timedelta(days=1), now + timedelta(days=1))

    before = section("ledger.balance").build(member, *period)
    transfers.post_hold(Transfer.objects.get(pk=held.id), key=uuid.uuid4())
    after = section("ledger.balance").build(member, *period)

    assert before == []
    assert after == ["Timebank hours: 1 payment, -1 h in all. Balance now -1 h."]


def test_the_waiting_section_lists_requests_to_answer_and_holds(member, colin, coordinator, hours, mina_account):
    requests.request_payment(coordinator, member, hours, 90, "Ironing", uuid.uuid4())
    requests.request_payment(member, coordinator, hours, 30, "Buttons", uuid.uuid4())  # Mina asks: not hers to answer
    colin_account = accounts.open_account(hours, member=colin)
    until = datetime.now(UTC) + timedelta(days=2)
    transfers.hold(debit=mina_account, credit=colin_account, amount=HOUR, key=uuid.uuid4(), expires_at=until)
    transfers.hold(debit=colin_account, credit=mina_account, amount=30, key=uuid.uuid4(), expires_at=until)
    now = datetime.now(UTC)

    lines = section("ledger.waiting").build(member, now - timedelta(days=1), now)

    day = until.astimezone(ZoneInfo(member.community.time_zone))
    assert len(lines) == 3
    assert lines[0].startswith("Cora asks you to pay 1 h 30 min for 'Ironing': pay or decline it by ")
    assert lines[1] == f"1 h of yours is held for Colin until {day:%A} {day.day} {day:%B}."
    assert lines[2] == f"Colin holds 30 min for you until {day:%A} {day.day} {day:%B}."


def test_the_waiting_section_is_empty_when_nothing_waits(member, hours):
    now = datetime.now(UTC)

    assert section("ledger.waiting").build(member, now - timedelta(days=1), now) == []


def test_the_ledgers_kinds_and_sections_are_registered(db):
    assert {k.key for k in registry.kinds()} >= {kind.key for kind in notices.KINDS}
    assert [s.title for s in registry.digest_sections() if s.key.startswith("ledger.")] == [
        "Your balance",
        "Waiting for you",
    ]


def test_the_weekly_digest_carries_both_sections(member, colin, coordinator, hours, time_machine):
    time_machine.move_to(START + timedelta(days=1), tick=False)  # Tuesday
    pay(coordinator, member, hours, 2 * HOUR, memo="Ironing")
    requests.request_payment(colin, member, hours, 30, "Hedge", uuid.uuid4())
    time_machine.move_to(START + timedelta(days=7), tick=False)  # the Monday after, after 07:00

    digests.send_digests()

    digest = Message.objects.get(member=member, kind="notify.digest")
    assert "Your balance\n- Timebank hours: 1 payment, +2 h in all. Balance now 2 h." in digest.body
    assert "Waiting for you\n- Colin asks you to pay 30 min for 'Hedge': pay or decline it by " in digest.body
