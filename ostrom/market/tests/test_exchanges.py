"""The exchange workflow through its actions, as stories about the cast (see test_exchange_cast.py): Mina offers
gardening help, Colin contacts her, they agree two hours, she does it, he confirms and one transfer moves the two
hours from him to her. Then everything that must be refused, each writing nothing at all."""

import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from ostrom.communities.domain import DomainError
from ostrom.communities.models import AuditEntry
from ostrom.communities.tests.factories import CoordinatorFactory, MemberFactory, StaffFactory
from ostrom.ledger import actions as ledger
from ostrom.ledger.models import Account, AccountStatus, CurrencyKind, Transfer
from ostrom.market.access import exchanges as access
from ostrom.market.actions import exchanges as actions
from ostrom.market.models import Block, Exchange, ExchangeStatus, ListingKind, ListingStatus
from ostrom.market.notices import exchanges as notices
from ostrom.market.tests import test_exchange_cast as cast
from ostrom.market.tests.factories import ListingFactory
from ostrom.market.tests.test_exchange_cast import FIRST_MESSAGE, HOUR, balance, everything, fresh, outbox_to, soon
from ostrom.notify.models import Message

hours, colin, tess = cast.hours, cast.colin, cast.tess
enquiry, agreed, done = cast.enquiry, cast.agreed, cast.done


def refused(call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value


def refused_quietly(call, *args, **kwargs) -> DomainError:
    """Refused, and nothing at all written."""
    before = everything()
    error = refused(call, *args, **kwargs)
    assert everything() == before
    return error


# --- The whole story ----------------------------------------------------------------------------------------------


def test_the_whole_story_moves_the_agreed_two_hours_once_from_colin_to_mina(member, colin, minas_offer, hours):
    started = actions.start(colin, minas_offer, FIRST_MESSAGE)
    exchange = started.exchange
    actions.post_message(member, exchange, "Happy to! Saturday at ten?")
    actions.propose_terms(
        member, exchange, what="Weeding the front garden", scheduled_for=soon(), currency=hours, amount=2 * HOUR
    )
    actions.accept_terms(colin, exchange)
    actions.mark_done(member, exchange)
    actions.confirm(colin, exchange)
    actions.thank(colin, exchange, "The garden looks lovely, thank you!")

    exchange = fresh(exchange)
    assert started.created
    assert (exchange.giver, exchange.receiver, exchange.status) == (member, colin, ExchangeStatus.CONFIRMED)
    transfer = Transfer.objects.get()
    assert transfer == exchange.transfer
    assert transfer.key == exchange.transfer_key
    assert (transfer.amount, transfer.memo, transfer.category, transfer.reference) == (
        2 * HOUR, "Weeding the front garden", "exchange", f"exchange:{exchange.pk}",
    )  # fmt: skip
    assert transfer.debit_account.member == colin and transfer.credit_account.member == member
    assert (balance(member, hours), balance(colin, hours)) == (2 * HOUR, -2 * HOUR)
    assert exchange.confirmed_by == colin and exchange.done_by == member
    assert exchange.thanks_note == "The garden looks lovely, thank you!"


def test_the_thread_tells_the_story_in_order(done, member, colin):
    actions.confirm(colin, done)

    bodies = [m.body for m in done.messages.order_by("created_at", "pk")]
    assert bodies[0] == FIRST_MESSAGE
    assert bodies[1].startswith("Mina proposed: “Weeding the front garden”, 2 h, on ")
    assert bodies[2].startswith("Colin accepted: ")
    assert bodies[3:] == [
        "Mina marked it as done.",
        "Mina asked Colin to confirm.",
        "Colin confirmed: 2 h transferred.",
    ]


def test_each_step_tells_the_other_person_through_the_outbox(enquiry, member, colin, hours):
    actions.post_message(member, enquiry, "Saturday at ten?")
    actions.propose_terms(member, enquiry, what="Weeding", scheduled_for=soon(), currency=hours, amount=HOUR)
    actions.accept_terms(colin, enquiry)
    actions.mark_done(member, enquiry)
    actions.confirm(colin, enquiry)
    actions.thank(colin, enquiry, "Thanks!")

    to_mina = [(m.kind, m.subject) for m in outbox_to(member)]
    to_colin = [(m.kind, m.subject) for m in outbox_to(colin)]
    assert to_mina == [
        ("market.exchange_message", "Colin wrote about “Gardening help”"),
        ("market.exchange_update", "Colin accepted the terms for “Weeding”"),
        ("market.exchange_update", "“Weeding” is confirmed: 1 h came to you"),
        ("market.exchange_update", "Colin says thank you"),
    ]
    assert to_colin == [
        ("market.exchange_message", "Mina wrote about “Gardening help”"),
        ("market.exchange_update", "Mina proposed terms for “Weeding”"),
        ("market.exchange_confirm", "Mina asks you to confirm “Weeding”"),
    ]
    confirmed = outbox_to(member, "market.exchange_update")[1]
    assert "Your Timebank hours balance is now 1 h." in confirmed.body
    assert f"/c/riverside/market/exchanges/{enquiry.pk}/" in confirmed.body


def test_the_request_to_confirm_names_the_code_to_text_back(done, colin):
    asked = outbox_to(colin, "market.exchange_confirm")[0]
    code = fresh(done).confirm_code

    assert len(code) == 6 and code.isdigit()
    assert f"text YES {code} to confirm or NO {code}" in asked.body


def test_asking_again_the_same_day_sends_nothing_more(done, member, colin):
    actions.ask_for_confirmation(member, done)
    actions.ask_for_confirmation(member, done)

    assert len(outbox_to(colin, "market.exchange_confirm")) == 1


def test_a_receiver_can_confirm_straight_from_agreed(agreed, member, colin, hours):
    actions.confirm(colin, agreed)

    exchange = fresh(agreed)
    assert exchange.status == ExchangeStatus.CONFIRMED
    assert exchange.done_by == colin
    assert balance(member, hours) == 2 * HOUR


# --- Starting -----------------------------------------------------------------------------------------------------


def test_contacting_again_adds_to_the_open_thread(enquiry, minas_offer, colin):
    again = actions.start(colin, minas_offer, "Any Saturday works for me.")

    assert not again.created
    assert again.exchange == enquiry
    assert Exchange.objects.count() == 1
    assert [m.body for m in enquiry.messages.order_by("pk")] == [FIRST_MESSAGE, "Any Saturday works for me."]


def test_after_a_cancelled_exchange_a_new_contact_opens_a_new_one(enquiry, minas_offer, colin):
    actions.cancel(colin, enquiry, "Sorted it myself")

    again = actions.start(colin, minas_offer, "Could we try again?")

    assert again.created and again.exchange != enquiry


def test_for_a_request_the_poster_receives(member, colin, gardening):
    wanted = ListingFactory(community=member.community, member=member, category=gardening, kind=ListingKind.REQUEST)

    exchange = actions.start(colin, wanted, "I can help you with that.").exchange

    assert (exchange.giver, exchange.receiver, exchange.started_by) == (colin, member, colin)


def test_contacting_your_own_listing_is_refused(minas_offer, member):
    error = refused_quietly(actions.start, member, minas_offer, "Hello me")

    assert error.code == "same_person"


@pytest.mark.parametrize("change", [{"status": ListingStatus.PAUSED}, {"hidden_at": timezone.now()}])
def test_a_listing_not_open_for_contact_is_refused(minas_offer, colin, change):
    for field, value in change.items():
        setattr(minas_offer, field, value)
    minas_offer.save()

    assert refused_quietly(actions.start, colin, minas_offer, "Hello").code == "listing_unavailable"


@pytest.mark.parametrize("direction", ["mina blocked colin", "colin blocked mina"])
def test_nobody_contacts_someone_in_a_block_either_way(minas_offer, member, colin, direction):
    blocker, blocked = (member, colin) if direction == "mina blocked colin" else (colin, member)
    Block.objects.create(community=member.community, blocker=blocker, blocked=blocked)

    assert refused_quietly(actions.start, colin, minas_offer, "Hello").code == "member_blocked"


def test_after_a_block_no_more_messages_go_either_way(enquiry, member, colin):
    Block.objects.create(community=member.community, blocker=member, blocked=colin)

    assert refused_quietly(actions.post_message, colin, enquiry, "Hello?").code == "member_blocked"
    assert refused_quietly(actions.post_message, member, enquiry, "Go away").code == "member_blocked"


def test_another_communitys_listing_cannot_be_contacted(minas_offer, outsider):
    assert refused_quietly(actions.start, outsider, minas_offer, "Hello").code == "listing_unknown"


# --- Messages -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"), [("", "message_empty"), ("   \n ", "message_empty"), ("x" * 2001, "message_too_long")]
)
def test_an_empty_or_overlong_message_is_refused(enquiry, minas_offer, colin, body, code):
    assert refused_quietly(actions.post_message, colin, enquiry, body).code == code
    assert refused_quietly(actions.start, colin, minas_offer, body).code == code


def test_a_message_of_exactly_2000_characters_is_kept(enquiry, colin):
    message = actions.post_message(colin, enquiry, "x" * 2000)

    assert len(message.body) == 2000


def test_someone_outside_the_exchange_cannot_write_in_it(enquiry, tess, coordinator, outsider):
    assert refused_quietly(actions.post_message, tess, enquiry, "Hi").code == "exchange_not_yours"
    assert refused_quietly(actions.post_message, outsider, enquiry, "Hi").code == "exchange_not_yours"
    # A coordinator writes only while resolving a dispute.
    assert refused_quietly(actions.post_message, coordinator, enquiry, "Hi").code == "wrong_status"


# --- Terms --------------------------------------------------------------------------------------------------------


def test_the_proposer_cannot_accept_their_own_terms(enquiry, member, hours):
    actions.propose_terms(member, enquiry, what="Weeding", scheduled_for=soon(), currency=hours, amount=HOUR)

    assert refused_quietly(actions.accept_terms, member, enquiry).code == "own_proposal"


def test_terms_are_accepted_only_once_proposed(enquiry, colin):
    assert refused_quietly(actions.accept_terms, colin, enquiry).code == "no_proposal"


def test_an_exchange_with_yourself_is_impossible_even_in_the_database(enquiry, member):
    with pytest.raises(IntegrityError), transaction.atomic():
        Exchange.objects.filter(pk=enquiry.pk).update(receiver=member)


@pytest.mark.parametrize(
    ("terms", "code"),
    [
        ({"scheduled_for": timezone.now() - timedelta(hours=1)}, "date_in_past"),
        ({"scheduled_for": timezone.now() + timedelta(days=800)}, "date_too_far"),
        ({"scheduled_for": None}, "when_required"),
        ({"amount": 0}, "amount_not_positive"),
        ({"amount": -HOUR}, "amount_not_positive"),
        ({"what": "  "}, "what_required"),
        ({"what": "x" * 201}, "what_too_long"),
    ],
)
def test_bad_terms_are_refused(enquiry, member, hours, terms, code):
    proposed = {"what": "Weeding", "scheduled_for": soon(), "currency": hours, "amount": HOUR, **terms}

    assert refused_quietly(actions.propose_terms, member, enquiry, **proposed).code == code


def test_another_communitys_currency_is_refused(enquiry, member, other_community):
    hillside = ledger.create_currency(other_community, code="hours", name="Hillside hours", kind=CurrencyKind.TIME)

    error = refused_quietly(
        actions.propose_terms, member, enquiry, what="Weeding", scheduled_for=soon(), currency=hillside, amount=HOUR
    )
    assert error.code == "currency_unknown"


def test_changing_agreed_terms_undoes_the_agreement(agreed, colin, hours):
    actions.propose_terms(
        colin, agreed, what="Weeding and mowing", scheduled_for=soon(4), currency=hours, amount=3 * HOUR
    )

    exchange = fresh(agreed)
    assert (exchange.status, exchange.agreed_at, exchange.proposed_by) == (ExchangeStatus.ENQUIRY, None, colin)
    assert refused(actions.mark_done, colin, exchange).code == "wrong_status"


def test_terms_whose_time_has_passed_cannot_be_accepted(enquiry, member, colin, hours, time_machine):
    actions.propose_terms(member, enquiry, what="Weeding", scheduled_for=soon(1), currency=hours, amount=HOUR)
    time_machine.move_to(timezone.now() + timedelta(days=2))

    assert refused_quietly(actions.accept_terms, colin, enquiry).code == "date_in_past"


def test_terms_cannot_change_once_done(done, member, hours):
    error = refused_quietly(
        actions.propose_terms, member, done, what="More weeding", scheduled_for=soon(), currency=hours, amount=HOUR
    )
    assert error.code == "wrong_status"


# --- Confirming ---------------------------------------------------------------------------------------------------


def test_confirming_twice_says_so_and_writes_nothing(done, colin):
    actions.confirm(colin, done)

    error = refused_quietly(actions.confirm, colin, done)

    assert error.code == "already_confirmed"
    assert Transfer.objects.count() == 1


def test_confirming_someone_elses_exchange_is_refused(done, tess, outsider):
    assert refused_quietly(actions.confirm, tess, done).code == "exchange_not_yours"
    assert refused_quietly(actions.confirm, outsider, done).code == "exchange_not_yours"


def test_the_giver_cannot_confirm_their_own_help(done, member):
    assert refused_quietly(actions.confirm, member, done).code == "wrong_party"


def test_nothing_is_confirmed_before_it_is_agreed(enquiry, colin):
    assert refused_quietly(actions.confirm, colin, enquiry).code == "wrong_status"


def test_over_the_limit_the_exchange_stays_done_and_colin_reads_the_ledgers_sentence(done, colin, hours):
    ledger.open_account(hours, member=colin)
    Account.objects.filter(member=colin).update(debit_limit=HOUR, debit_limit_base=HOUR)

    error = refused_quietly(actions.confirm, colin, done)

    assert error.code == "debit_limit_exceeded"
    assert error.message.startswith("Colin can go at most 1 h below zero")
    assert fresh(done).status == ExchangeStatus.DONE


def test_with_a_frozen_account_the_exchange_stays_done(done, member, colin, coordinator, hours):
    account = ledger.open_account(hours, member=member)
    ledger.set_status(coordinator, account, AccountStatus.FROZEN, "Checking a mistake")

    error = refused_quietly(actions.confirm, colin, done)

    assert (error.code, error.message) == ("account_frozen", "The account of Mina is frozen.")
    assert fresh(done).status == ExchangeStatus.DONE


def test_a_coordinator_confirms_for_colin_with_a_reason_that_is_audited(done, member, colin, coordinator, hours):
    assert refused_quietly(actions.confirm_on_behalf, coordinator, done, " ").code == "reason_required"

    actions.confirm_on_behalf(coordinator, done, "Colin has no phone; he told me at the drop-in.")

    exchange = fresh(done)
    assert (exchange.status, exchange.confirmed_by) == (ExchangeStatus.CONFIRMED, coordinator)
    assert exchange.transfer.on_behalf_of == colin
    assert exchange.transfer.created_by == coordinator.user
    entry = AuditEntry.objects.get(action="market.exchange_confirmed_on_behalf")
    assert (entry.actor, entry.member, entry.reason) == (
        coordinator.user, colin, "Colin has no phone; he told me at the drop-in."
    )  # fmt: skip
    assert entry.details == {
        "exchange": exchange.pk,
        "transfer": exchange.transfer_id,
        "amount": 120,
        "currency": "hours",
    }
    assert balance(member, hours) == 2 * HOUR
    told = outbox_to(colin, "market.exchange_update")[-1]
    assert told.subject == "“Weeding the front garden” was confirmed for you"


def test_a_coordinator_has_no_coordinators_rights_on_her_own_exchange(minas_offer, coordinator, hours, member):
    exchange = actions.start(coordinator, minas_offer, "Could you help me too?").exchange
    actions.propose_terms(member, exchange, what="Weeding", scheduled_for=soon(), currency=hours, amount=HOUR)
    actions.accept_terms(coordinator, exchange)

    assert refused_quietly(actions.confirm_on_behalf, coordinator, exchange, "Me").code == "wrong_party"


# --- Cancelling ---------------------------------------------------------------------------------------------------


def test_either_side_cancels_before_confirmation_saying_why(agreed, member, colin):
    assert refused_quietly(actions.cancel, colin, agreed, "").code == "reason_required"

    actions.cancel(colin, agreed, "I found someone nearer")

    exchange = fresh(agreed)
    assert (exchange.status, exchange.cancelled_by, exchange.cancel_reason) == (
        ExchangeStatus.CANCELLED, colin, "I found someone nearer"
    )  # fmt: skip
    assert outbox_to(member)[-1].subject == "“Weeding the front garden” was cancelled"
    assert refused_quietly(actions.confirm, colin, exchange).code == "wrong_status"


def test_a_confirmed_exchange_cannot_be_cancelled(done, colin):
    actions.confirm(colin, done)

    assert refused_quietly(actions.cancel, colin, done, "Changed my mind").code == "already_confirmed"


# --- Declining, disputes and their resolution ----------------------------------------------------------------------


def test_saying_no_keeps_it_done_and_tells_mina(done, member, colin):
    actions.decline_confirmation(colin, done, "She has not come yet")

    assert fresh(done).status == ExchangeStatus.DONE
    told = outbox_to(member, "market.exchange_update")[-1]
    assert told.subject == "Colin did not confirm “Weeding the front garden”"
    assert "They said: “She has not come yet”" in told.body
    assert Transfer.objects.count() == 0


def test_a_dispute_stops_confirmation_and_tells_mina_and_the_coordinators(done, member, colin, coordinator):
    actions.dispute(colin, done, "Only half the garden was weeded")

    exchange = fresh(done)
    assert (exchange.status, exchange.disputed_by) == (ExchangeStatus.DISPUTED, colin)
    assert refused_quietly(actions.confirm, colin, exchange).code == "wrong_status"
    assert outbox_to(member)[-1].subject == "Colin disputed “Weeding the front garden”"
    assert [m.kind for m in outbox_to(coordinator)] == ["market.exchange_dispute"]


def test_a_dispute_needs_a_reason(done, colin):
    assert refused_quietly(actions.dispute, colin, done, "").code == "reason_required"


def test_only_an_agreement_can_be_disputed(enquiry, colin):
    assert refused_quietly(actions.dispute, colin, enquiry, "Rude").code == "wrong_status"


def test_a_coordinator_resolves_a_dispute_for_another_amount_which_is_recorded(done, member, colin, coordinator, hours):
    actions.dispute(colin, done, "Only half the garden was weeded")

    actions.resolve(coordinator, done, confirm_it=True, note="Half done, so one hour.", amount=HOUR)

    exchange = fresh(done)
    assert (exchange.status, exchange.resolved_by, exchange.resolution) == (
        ExchangeStatus.CONFIRMED, coordinator, "Half done, so one hour."
    )  # fmt: skip
    assert (exchange.amount, exchange.transfer.amount) == (2 * HOUR, HOUR)
    assert exchange.transfer.key == exchange.transfer_key
    assert (balance(member, hours), balance(colin, hours)) == (HOUR, -HOUR)
    entry = AuditEntry.objects.get(action="market.exchange_dispute_resolved")
    assert entry.details == {
        "exchange": exchange.pk, "outcome": "confirmed", "transfer": exchange.transfer_id, "amount": HOUR,
        "agreed_amount": 2 * HOUR,
    }  # fmt: skip
    assert exchange.messages.order_by("-pk").first().body == (
        "Cora (coordinator) resolved the dispute by confirming 1 h instead of the agreed 2 h. Half done, so one hour."
    )
    assert refused_quietly(actions.resolve, coordinator, exchange, confirm_it=True, note="Again").code == (
        "already_confirmed"
    )


def test_a_coordinator_resolves_a_dispute_by_cancelling(done, member, colin, coordinator):
    actions.dispute(member, done, "Colin was never home")

    actions.resolve(coordinator, done, confirm_it=False, note="It never happened; cancelled.")

    exchange = fresh(done)
    assert (exchange.status, exchange.cancelled_by) == (ExchangeStatus.CANCELLED, coordinator)
    assert Transfer.objects.count() == 0
    assert {m.kind for m in outbox_to(colin)[-1:] + outbox_to(member)[-1:]} == {"market.exchange_update"}


def test_only_an_outside_coordinator_resolves_and_only_with_a_note(done, member, colin, coordinator):
    actions.dispute(colin, done, "Half done")

    assert refused_quietly(actions.resolve, member, done, confirm_it=True, note="Mine").code == "wrong_party"
    assert refused_quietly(actions.resolve, coordinator, done, confirm_it=True, note=" ").code == "reason_required"


def test_resolving_with_an_amount_over_the_limit_leaves_it_disputed(done, colin, coordinator, hours):
    actions.dispute(colin, done, "Half done")

    error = refused_quietly(actions.resolve, coordinator, done, confirm_it=True, note="Lots", amount=20 * HOUR)

    assert error.code == "debit_limit_exceeded"
    assert fresh(done).status == ExchangeStatus.DISPUTED


# --- Thanks, contact details, partners ----------------------------------------------------------------------------


def test_a_thank_you_note_comes_once_and_only_from_the_receiver(done, member, colin):
    assert refused_quietly(actions.thank, colin, done, "Thanks!").code == "wrong_status"
    actions.confirm(colin, done)
    assert refused_quietly(actions.thank, member, done, "Thanks!").code == "wrong_party"
    assert refused_quietly(actions.thank, colin, done, "x" * 501).code == "thanks_too_long"

    actions.thank(colin, done, "Thanks!")

    assert refused_quietly(actions.thank, colin, done, "Thanks again!").code == "already_thanked"


def test_contact_details_are_shared_only_when_both_tick_the_box(enquiry, member, colin):
    actions.share_contact(colin, enquiry, True)
    assert access.contact_details(member, fresh(enquiry)) is None
    assert access.contact_details(colin, fresh(enquiry)) is None

    actions.share_contact(member, enquiry, True)

    assert access.contact_details(member, fresh(enquiry)) == access.Contact(
        "Colin", "colin@example.org", "+44 7700 900103"
    )
    assert access.contact_details(colin, fresh(enquiry)).email == "mina@example.org"

    actions.share_contact(colin, enquiry, False)
    assert access.contact_details(member, fresh(enquiry)) is None


def test_a_partners_priced_offer_is_paid_to_the_partner(community, organisation, member, gardening):
    credits = ledger.create_currency(community, code="credits", name="Riverside credits", kind=CurrencyKind.CREDIT)
    sam = StaffFactory(community=community, organisation=organisation, display_name="Sam")
    swim = ListingFactory(
        community=community, member=sam, organisation=organisation, category=gardening, title="A swimming session",
        price_amount=1, price_currency=credits,
    )  # fmt: skip
    ledger.transfer(
        debit=ledger.system_account(credits, "issuance"), credit=ledger.open_account(credits, member=member),
        amount=5, key=uuid.uuid4(), memo="Welcome credits",
    )  # fmt: skip
    exchange = actions.start(member, swim, "One session please").exchange
    actions.propose_terms(sam, exchange, what="A swimming session", scheduled_for=soon(), currency=credits, amount=1)
    actions.accept_terms(member, exchange)

    actions.confirm(member, exchange)

    assert Account.objects.get(organisation=organisation, currency=credits).balance == 1
    assert balance(member, credits) == 4
    assert balance(sam, credits) == 0


# --- The digest ---------------------------------------------------------------------------------------------------


def test_the_digest_lists_what_waits_on_each_person(enquiry, member, colin, hours):
    actions.propose_terms(member, enquiry, what="Weeding", scheduled_for=soon(), currency=hours, amount=HOUR)
    now = timezone.now()

    assert notices.waiting_lines(colin, now, now) == ["Mina proposed terms for 'Weeding': accept or change them."]
    assert notices.waiting_lines(member, now, now) == []

    actions.accept_terms(colin, enquiry)
    actions.mark_done(member, enquiry)

    assert notices.waiting_lines(colin, now, now) == ["Confirm 'Weeding' from Mina (1 h)."]


def test_coordinators_told_of_a_dispute_are_bounded(done, colin, community):
    CoordinatorFactory.create_batch(notices.MAX_COORDINATORS_TOLD + 3, community=community)
    MemberFactory(community=community)

    actions.dispute(colin, done, "Half done")

    assert Message.objects.filter(kind="market.exchange_dispute").count() == notices.MAX_COORDINATORS_TOLD
