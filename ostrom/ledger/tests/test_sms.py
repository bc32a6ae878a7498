"""The ledger by text message: Mina (07700 900101) checks her balance and pays Colin (07700 900103) for garden help
with PAY and YES, then opts out with STOP; Cora (07700 900102) coordinates. The same story runs against the file
adapter and through the generic gateway's signed webhook against the fake provider. Then what goes wrong: a name
that fits several members or none, a payment over the limit, YES twice, NO, a code that has expired."""

import itertools
import json
import re
import time
import uuid
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from ostrom.communities.domain import DomainError
from ostrom.communities.tests.factories import CommunityFactory, MemberFactory, UserFactory
from ostrom.ledger import sms
from ostrom.ledger.actions import accounts, payments, requests
from ostrom.ledger.models import Account, AccountStatus, CurrencyKind, PaymentRequest, RequestStatus, Transfer
from ostrom.notify.actions import outbox, preferences
from ostrom.notify.actions.inbound import handle_inbound
from ostrom.notify.channels.webhooks import InboundSms as ReceivedSms
from ostrom.notify.domain import sms_text
from ostrom.notify.domain.signing import sign
from ostrom.notify.models import SmsConfirmation, SmsOptOut
from ostrom.notify.tests import conftest as notify_fixtures

HOUR = 60
MINA = "+447700900101"
CORA = "+447700900102"
COLIN = "+447700900103"
SECRET = "ledger-webhook-secret"
INBOUND = "/webhooks/sms/inbound/"
provider_ids = itertools.count(1)

# notify's fixtures for the file adapter and the fake provider, shared rather than copied (ledger/tests has its
# own conftest, so they are named here for pytest to find).
fake_sms_provider = notify_fixtures.fake_sms_provider
sms_to_file = notify_fixtures.sms_to_file
sms_via_gateway = notify_fixtures.sms_via_gateway


@pytest.fixture(autouse=True)
def fresh_cache(db):
    # Each number's rate limit counts in the database cache, which a test's rollback does not always reach.
    cache.clear()
    yield
    cache.clear()


def with_phone(member, phone):
    member.user.phone = phone
    member.user.save(update_fields=["phone"])
    return member


@pytest.fixture
def mina(member):
    return with_phone(member, MINA)


@pytest.fixture
def cora(coordinator):
    return with_phone(coordinator, CORA)


@pytest.fixture
def colin(community):
    return MemberFactory(
        community=community, user=UserFactory(full_name="Colin Cole", phone=COLIN), display_name="Colin"
    )


@pytest.fixture
def mina_has_two_hours(hours, mina, cora):
    payments.send(cora, mina, hours, 2 * HOUR, uuid.uuid4(), "Ironing")


def text(phone, body):
    return handle_inbound(ReceivedSms(provider_id=f"in-{next(provider_ids)}", phone=phone, text=body))


def code_in(body):
    return re.search(r"YES (\d{4})", body).group(1)


def texts_to(path, phone):
    lines = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    return [line["body"] for line in lines if line["to"] == phone]


def refusal(call, *args):
    with pytest.raises(DomainError) as caught:
        call(*args)
    return caught.value


# The whole story, as the "done when" asks


def test_a_member_checks_her_balance_pays_with_confirmation_and_opts_out_by_text(
    mina, colin, hours, mina_has_two_hours, sms_to_file
):
    preferences.set_preference(colin, "ledger.payment_received", "sms")
    preferences.set_preference(mina, "ledger.payment_received", "sms")

    text(MINA, "bal")
    question = text(MINA, "PAY colin 1:30 garden help").body
    text(MINA, f"yes {code_in(question)}")
    text(MINA, "STOP")
    payments.send(colin, mina, hours, 15, uuid.uuid4(), "Thanks for the tea")  # told nothing: Mina sent STOP
    outbox.drain()

    code = code_in(question)
    assert texts_to(sms_to_file, MINA) == [
        "Your balance is 2 h, you can pay up to 12 h.",
        f"Pay Colin 1 h 30 min for 'garden help'? Your balance after: 30 min. Reply YES {code} to confirm or "
        f"NO {code} to cancel.",
        "Paid Colin 1 h 30 min. Your balance is now 30 min.",
        "You will get no more texts from Ostrom. Reply START to turn them back on.",
    ]
    assert texts_to(sms_to_file, COLIN) == [
        "Mina paid you 1 h 30 min for 'garden help'. Your balance is now 1 h 30 min."
    ]
    assert Account.objects.get(currency=hours, member=mina).balance == 2 * HOUR - 90 + 15
    assert SmsOptOut.objects.filter(phone=MINA).exists()


@pytest.mark.urls("ostrom.notify.tests.urls")
def test_the_same_story_works_through_the_gateways_signed_webhook(
    client, settings, mina, colin, hours, mina_has_two_hours, sms_via_gateway
):
    settings.SMS_WEBHOOK_SECRET = SECRET

    def text_in(body):
        payload = sms_via_gateway.inbound_body(MINA, body)
        timestamp = int(time.time())
        headers = {
            "X-Ostrom-Timestamp": str(timestamp),
            "X-Ostrom-Signature": sign(SECRET.encode(), timestamp, payload),
        }
        response = client.post(INBOUND, payload, content_type="application/json", headers=headers)
        assert response.status_code == 200
        outbox.drain()
        return [d.body for d in sms_via_gateway.deliveries if d.to == MINA][-1]

    balance = text_in("BALANCE")
    question = text_in("pay Colin 90m garden help")
    paid = text_in(f"YES {code_in(question)}")
    stopped = text_in("stop")
    payments.send(colin, mina, hours, 15, uuid.uuid4(), "Thanks for the tea")
    outbox.drain()

    assert balance == "Your balance is 2 h, you can pay up to 12 h."
    assert question.startswith("Pay Colin 1 h 30 min for 'garden help'? Your balance after: 30 min.")
    assert paid == "Paid Colin 1 h 30 min. Your balance is now 30 min."
    assert "no more texts" in stopped
    assert len([d for d in sms_via_gateway.deliveries if d.to == MINA]) == 4
    assert Transfer.objects.filter(memo="garden help").count() == 1


# Balances


def test_it_shows_every_currency_and_what_is_left_to_pay(mina, hours, community, mina_has_two_hours):
    accounts.create_currency(community, code="river", name="River credits", kind=CurrencyKind.CREDIT, scale=100,
                             symbol="RC", default_debit_limit=2000)  # fmt: skip

    reply = text(MINA, "BAL").body

    assert reply == (
        "Your balances: River credits: 0.00 RC, you can pay up to 20.00 RC. "
        "Timebank hours: 2 h, you can pay up to 12 h."
    )


def test_it_says_when_an_account_is_frozen(mina, cora, hours, mina_has_two_hours):
    accounts.set_status(cora, Account.objects.get(member=mina), AccountStatus.FROZEN, "Checking a mistake")

    assert text(MINA, "BAL").body == "Your balance is 2 h (account frozen: ask a coordinator)."


def test_it_says_so_when_the_community_has_no_currency(mina):
    assert "no currency yet" in text(MINA, "BAL").body


# Paying


def test_it_finds_the_payee_by_phone_number(mina, colin, hours):
    question = text(MINA, "PAY 07700900103 1 hedge").body

    assert question.startswith("Pay Colin 1 h for 'hedge'?")


def test_it_finds_the_payee_by_one_word_of_their_name(mina, community, hours):
    MemberFactory(community=community, display_name="Priya Shah")

    assert text(MINA, "PAY shah 1 hedge").body.startswith("Pay Priya Shah 1 h for 'hedge'?")


def test_it_lists_the_members_a_name_could_mean_and_writes_nothing(mina, community, hours):
    for name in ("Sam Smith", "Sam Jones", "Samira", "Samuel"):
        MemberFactory(community=community, display_name=name)

    reply = text(MINA, "PAY sam 1").body

    assert reply == (
        '"sam" could be Sam Jones, Sam Smith, Samira and others. Send a name only one of them has, or their '
        "phone number."
    )
    assert not SmsConfirmation.objects.exists() and not Transfer.objects.exists()


def test_a_whole_name_wins_over_names_it_starts(mina, community, hours):
    MemberFactory(community=community, display_name="Sam")
    MemberFactory(community=community, display_name="Samira")

    assert text(MINA, "PAY SAM 1 hedge").body.startswith("Pay Sam 1 h for 'hedge'?")


def test_it_says_clearly_when_no_member_has_that_name(mina, outsider, hours):
    reply = text(MINA, "PAY otto 1").body  # Otto is in another community

    assert (
        reply
        == 'No member here is called "otto". Check the name, or send their phone number instead, e.g. PAY 07700900123 1:30'
    )
    assert not SmsConfirmation.objects.exists()


def test_it_refuses_a_payment_over_the_limit_in_the_webs_words_and_writes_nothing(mina, colin, hours):
    web = refusal(payments.preview, mina, colin, hours, 11 * HOUR, "hedge")

    reply = text(MINA, "PAY colin 11 hedge").body

    assert reply == web.message == "That is more than you can pay now: at most 10 h, counting amounts on hold."
    assert not SmsConfirmation.objects.exists() and not Transfer.objects.exists()
    assert not Account.objects.filter(member__in=[mina, colin]).exists()


def test_it_refuses_a_payment_to_yourself(mina, hours):
    assert text(MINA, "PAY mina 1 hedge").body == "You can't pay yourself."


def test_it_refuses_a_payment_to_a_frozen_account(mina, colin, cora, hours):
    accounts.set_status(cora, accounts.open_account(hours, member=colin), AccountStatus.FROZEN, "Checking")

    assert text(MINA, "PAY colin 1 hedge").body == "The account of Colin is frozen."


def test_yes_twice_pays_once(mina, colin, hours):
    code = code_in(text(MINA, "PAY colin 1:30 hedge").body)

    first = text(MINA, f"YES {code}").body
    second = text(MINA, f"YES {code}").body

    assert first == "Paid Colin 1 h 30 min. Your balance is now -1 h 30 min."
    assert second == f"Code {code} was already confirmed. Nothing more was done."
    assert Transfer.objects.count() == 1


def test_no_cancels_the_payment(mina, colin, hours):
    code = code_in(text(MINA, "PAY colin 1:30 hedge").body)

    cancelled = text(MINA, f"NO {code}").body
    late_yes = text(MINA, f"YES {code}").body

    assert cancelled.startswith("Cancelled: Pay Colin 1 h 30 min for 'hedge'?")
    assert late_yes == f"Code {code} was already cancelled. Nothing more was done."
    assert not Transfer.objects.exists()


def test_an_expired_code_pays_nothing(mina, colin, hours, time_machine):
    time_machine.move_to(timezone.now())
    code = code_in(text(MINA, "PAY colin 1:30 hedge").body)
    time_machine.shift(timedelta(minutes=16))

    assert text(MINA, f"YES {code}").body == f"Code {code} has expired. Send the command again for a new code."
    assert not Transfer.objects.exists()


def test_yes_checks_the_limit_again_and_pays_nothing_if_it_no_longer_fits(mina, colin, cora, hours):
    code = code_in(text(MINA, "PAY colin 6 hedge").body)
    payments.send(mina, cora, hours, 5 * HOUR, uuid.uuid4(), "Ironing")  # on the web, before the YES

    reply = text(MINA, f"YES {code}").body

    assert reply == "That is more than you can pay now: at most 5 h, counting amounts on hold."
    assert not Transfer.objects.filter(memo="hedge").exists()
    assert SmsConfirmation.objects.get(code=code).resolved_at is None  # she may say YES once she can pay


def test_a_payment_without_a_note_says_it_was_paid_by_text(mina, colin, hours):
    text(MINA, f"YES {code_in(text(MINA, 'PAY colin 2').body)}")

    assert Transfer.objects.get().memo == sms.DEFAULT_MEMO


def test_the_question_fits_one_text_however_long_the_note(mina, colin, hours):
    reply = text(MINA, "PAY colin 1:30 " + "weeding the long border by the allotment gate " * 5).body

    assert len(sms_text.segments(reply)) == 1
    assert "weeding the long border" in reply and "...'?" in reply


def test_pay_answers_the_request_it_matches_so_it_is_never_paid_twice(mina, cora, hours):
    asked = requests.request_payment(cora, mina, hours, 90, "Ironing", uuid.uuid4())

    question = text(MINA, "PAY cora 1:30").body
    paid = text(MINA, f"YES {code_in(question)}").body

    assert question.startswith("Pay Cora's request of 1 h 30 min for 'Ironing'? Your balance after: -1 h 30 min.")
    assert paid == "Paid Cora 1 h 30 min. Your balance is now -1 h 30 min."
    assert PaymentRequest.objects.get(pk=asked.pk).status == RequestStatus.ACCEPTED
    assert Transfer.objects.count() == 1


def test_a_community_with_only_credits_pays_in_credits(community, mina, colin):
    accounts.create_currency(community, code="river", name="River credits", kind=CurrencyKind.CREDIT, scale=100,
                             symbol="RC", default_debit_limit=2000)  # fmt: skip

    code = code_in(text(MINA, "PAY colin 2.50 apples").body)
    text(MINA, f"YES {code}")

    assert Transfer.objects.get().amount == 250


def test_a_text_pays_in_the_first_time_currency(community, mina, colin, hours):
    accounts.create_currency(community, code="river", name="River credits", kind=CurrencyKind.CREDIT, scale=100)

    assert sms.main_currency(community.pk) == hours
    assert sms.main_currency(CommunityFactory().pk) is None
