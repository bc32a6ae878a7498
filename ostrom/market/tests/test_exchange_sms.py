"""Confirming an exchange by text: Mina marks the weeding done, Colin (07700 900103) gets "Reply YES <code> to
confirm" and answers from his phone. YES confirms once, however often it comes; NO leaves it done and tells Mina;
someone else's code confirms nothing; and notify's own YES (the ledger's PAY) still works beside ours."""

import itertools
import re
import uuid

import pytest
from django.core.cache import cache

from ostrom.ledger import actions as ledger
from ostrom.ledger.models import Account, Transfer
from ostrom.market.actions import exchanges as actions
from ostrom.market.domain import exchanges as domain
from ostrom.market.models import Exchange, ExchangeStatus
from ostrom.market.sms import exchanges as exchange_sms
from ostrom.market.tests import test_exchange_cast as cast
from ostrom.market.tests.test_exchange_cast import COLIN_PHONE, HOUR, TESS_PHONE, balance, everything, fresh, outbox_to
from ostrom.notify import registry
from ostrom.notify.actions import outbox, preferences
from ostrom.notify.actions.inbound import handle_inbound
from ostrom.notify.channels.webhooks import InboundSms
from ostrom.notify.tests import conftest as notify_fixtures

hours, colin, tess = cast.hours, cast.colin, cast.tess
enquiry, agreed = cast.enquiry, cast.agreed
sms_to_file = notify_fixtures.sms_to_file
provider_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def fresh_cache(db):
    # Each number's rate limit counts in the database cache, which a test's rollback does not always reach.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def colin_reads_texts(colin):
    preferences.set_preference(colin, "market.exchange_confirm", "sms")
    preferences.set_preference(colin, "market.exchange_update", "sms")
    return colin


@pytest.fixture
def done(agreed, member, colin_reads_texts):
    return actions.mark_done(member, agreed)


def text(phone: str, body: str) -> str:
    reply = handle_inbound(InboundSms(provider_id=f"in-{next(provider_ids)}", phone=phone, text=body))
    return reply.body if reply else ""


def code_in(body: str) -> str:
    return re.search(r"YES (\d{6})", body).group(1)


def test_colin_is_asked_by_text_and_confirms_with_yes_and_the_code(done, member, colin, hours):
    asked = outbox_to(colin, "market.exchange_confirm")[0]
    code = code_in(asked.body)

    reply = text(COLIN_PHONE, f"yes {code}")

    assert asked.channel == "sms" and asked.to_address == COLIN_PHONE
    assert asked.body == (
        f"Mina asks you to confirm 'Weeding the front garden', 2 h. Reply YES {code} to confirm or NO {code} if it "
        "did not happen."
    )
    assert reply == "Confirmed: 'Weeding the front garden' from Mina. 2 h went to them. Your balance is now -2 h."
    assert fresh(done).status == ExchangeStatus.CONFIRMED
    assert (balance(member, hours), balance(colin, hours)) == (2 * HOUR, -2 * HOUR)


def test_the_texts_go_out_through_the_worker(done, sms_to_file):
    outbox.drain()

    assert "Reply YES" in sms_to_file.read_text()


def test_a_second_yes_says_it_is_already_confirmed_and_moves_nothing(done):
    code = fresh(done).confirm_code
    text(COLIN_PHONE, f"YES {code}")
    before = everything()

    reply = text(COLIN_PHONE, f"YES {code}")

    assert reply == "This exchange is already confirmed and the transfer made. Nothing more was done."
    assert Transfer.objects.count() == 1
    assert everything()["transfers"] == before["transfers"]
    assert everything()["exchanges"] == before["exchanges"]


def test_no_leaves_it_done_and_tells_mina(done, member):
    code = fresh(done).confirm_code

    reply = text(COLIN_PHONE, f"NO {code}")

    assert reply == "Not confirmed. We told Mina; nothing was transferred. Write to them on the marketplace."
    assert fresh(done).status == ExchangeStatus.DONE
    assert outbox_to(member, "market.exchange_update")[-1].subject == "Colin did not confirm “Weeding the front garden”"
    assert Transfer.objects.count() == 0


def test_someone_elses_code_confirms_nothing(done, tess):
    before = everything()

    reply = text(TESS_PHONE, f"YES {fresh(done).confirm_code}")

    assert reply.startswith("No request with code")
    assert fresh(done).status == ExchangeStatus.DONE
    after = everything()
    assert (after["exchanges"], after["transfers"]) == (before["exchanges"], before["transfers"])


def test_a_code_nobody_was_sent_is_answered_by_notify(done):
    unsent = next(code for code in ("999999", "999998") if code != fresh(done).confirm_code)

    assert text(COLIN_PHONE, f"YES {unsent}") == f"No request with code {unsent} is waiting for this number."


def test_over_the_limit_the_reply_is_the_ledgers_sentence_and_it_stays_done(done, colin, hours):
    ledger.open_account(hours, member=colin)
    Account.objects.filter(member=colin).update(debit_limit=HOUR, debit_limit_base=HOUR)

    reply = text(COLIN_PHONE, f"YES {fresh(done).confirm_code}")

    assert reply.startswith("Colin can go at most 1 h below zero")
    assert fresh(done).status == ExchangeStatus.DONE


def test_notifys_own_yes_still_confirms_a_payment_by_text(done, member, colin, hours):
    ledger.transfer(
        debit=ledger.system_account(hours, "issuance"), credit=ledger.open_account(hours, member=colin),
        amount=3 * HOUR, key=uuid.uuid4(), memo="Welcome hours",
    )  # fmt: skip
    question = text(COLIN_PHONE, "PAY Mina 1:00 tea")
    code = re.search(r"YES (\d{4})", question).group(1)

    paid = text(COLIN_PHONE, f"YES {code}")

    assert paid.startswith("Paid Mina 1 h.")
    assert fresh(done).status == ExchangeStatus.DONE  # the exchange is untouched


def test_the_marketplace_answers_its_own_codes_before_notifys_stored_confirmations():
    assert exchange_sms.answer_code in registry.code_answerers()


def test_a_new_exchange_takes_over_a_closed_ones_code(done, colin, minas_offer, member, hours, monkeypatch):
    code = fresh(done).confirm_code
    text(COLIN_PHONE, f"YES {code}")
    second = actions.start(colin, minas_offer, "Again next month?").exchange
    actions.propose_terms(member, second, what="More weeding", scheduled_for=cast.soon(), currency=hours, amount=HOUR)
    actions.accept_terms(colin, second)
    actions.mark_done(member, second)
    # Make the next draw the old code, to show the hand-over.
    Exchange.objects.filter(pk=second.pk).update(confirm_code="")
    monkeypatch.setattr(domain, "new_confirm_code", lambda: code)

    actions.ask_for_confirmation(member, fresh(second))

    assert fresh(second).confirm_code == code
    assert fresh(done).confirm_code == ""
    assert text(COLIN_PHONE, f"YES {code}").startswith("Confirmed: 'More weeding'")
