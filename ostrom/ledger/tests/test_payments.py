"""Paying through actions.payments, the functions behind the send and coordinator pages: who may pay whom,
what a refusal says, and that a refused payment writes nothing."""

import uuid

import pytest

from ostrom.communities.domain import DomainError
from ostrom.communities.models import AuditEntry
from ostrom.communities.tests.factories import MemberFactory
from ostrom.ledger.actions import accounts, payments, transfers
from ostrom.ledger.models import Account, AccountKind, AccountStatus, Currency, CurrencyKind, Transfer

HOUR = 60


def fresh(account):
    return Account.objects.get(pk=account.pk)


def refused(call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value


def pay(payer, payee, hours, amount=HOUR, **extra):
    return payments.send(payer, payee, hours, amount, extra.pop("key", uuid.uuid4()), extra.pop("memo", "Gardening"),
                         **extra)  # fmt: skip


@pytest.fixture
def council_account(hours, organisation):
    return accounts.open_account(hours, organisation=organisation)


@pytest.fixture
def hillside_hours(other_community):
    return accounts.create_currency(
        other_community, code="hours", name="Hillside hours", kind=CurrencyKind.TIME, default_debit_limit=10 * HOUR
    )


# Paying


def test_a_first_payment_opens_both_accounts_at_the_currencys_limits(hours, member, coordinator):
    posted = pay(member, coordinator, hours, 90, memo="Lift to the clinic", category="transport")

    mina, cora = Account.objects.get(member=member), Account.objects.get(member=coordinator)
    assert (posted.debit_account_id, posted.credit_account_id) == (mina.pk, cora.pk)
    assert (mina.balance, cora.balance) == (-90, 90)
    assert mina.debit_limit == 10 * HOUR
    transfer = Transfer.objects.get(pk=posted.id)
    assert (transfer.memo, transfer.category, transfer.created_by) == ("Lift to the clinic", "transport", member.user)


def test_a_member_can_pay_an_account_or_an_organisation(hours, member, cora_account, organisation):
    pay(member, cora_account, hours)
    pay(member, organisation, hours)

    assert fresh(cora_account).balance == HOUR
    assert Account.objects.get(organisation=organisation).balance == HOUR


def test_paying_yourself_is_refused(hours, member, mina_account):
    assert refused(pay, member, member, hours).code == "same_account"
    assert refused(pay, member, mina_account, hours).code == "same_account"
    assert Transfer.objects.count() == 0


def test_staff_cannot_pay_their_organisation_from_its_own_account(hours, staff, organisation, council_account):
    error = refused(pay, staff, organisation, hours, for_organisation=True)

    assert error.code == "same_account"


def test_a_payment_needs_to_say_what_it_is_for(hours, member, coordinator):
    error = refused(pay, member, coordinator, hours, memo="   ")

    assert (error.code, error.field) == ("memo_required", "memo")
    assert not Account.objects.filter(member__in=[member, coordinator]).exists()


def test_a_memo_with_a_nul_character_is_refused_in_words_not_by_the_database(hours, member, coordinator):
    error = refused(pay, member, coordinator, hours, memo="Garden\x00ing")

    assert error.code == "text_has_null_character"
    assert Transfer.objects.count() == 0


@pytest.mark.parametrize("amount", [0, -60, 10**13])
def test_zero_negative_and_absurd_amounts_are_refused(hours, member, coordinator, amount):
    error = refused(pay, member, coordinator, hours, amount)

    assert error.field == "amount"
    assert Transfer.objects.count() == 0


def test_a_payment_over_the_limit_is_refused_and_opens_no_accounts(hours, member, coordinator):
    error = refused(pay, member, coordinator, hours, 11 * HOUR)

    assert error.code == "debit_limit_exceeded"
    assert error.message == "That is more than you can pay now: at most 10 h, counting amounts on hold."
    assert Transfer.objects.count() == 0
    assert not Account.objects.filter(member__in=[member, coordinator]).exists()


def test_a_frozen_payee_is_named_in_the_refusal(hours, member, coordinator, cora_account):
    accounts.set_status(coordinator, cora_account, AccountStatus.FROZEN, "Moving house")

    error = refused(pay, member, coordinator, hours)

    assert (error.code, error.message, error.field) == ("account_frozen", "The account of Cora is frozen.", "payee")
    assert Transfer.objects.count() == 0


def test_a_frozen_payer_is_told_to_ask_a_coordinator(hours, member, coordinator, mina_account):
    accounts.set_status(coordinator, mina_account, AccountStatus.FROZEN, "Checking a dispute")

    assert "Ask a coordinator" in refused(pay, member, coordinator, hours).message


def test_system_accounts_cannot_be_paid_from_the_send_page(hours, member, fees):
    assert refused(pay, member, fees, hours).code == "payee_unknown"


def test_another_communitys_member_or_account_cannot_be_paid(hours, hillside_hours, member, outsider):
    otto_account = accounts.open_account(hillside_hours, member=outsider)

    assert refused(pay, member, outsider, hours).code == "payee_unknown"
    assert refused(pay, member, otto_account, hours).code == "payee_unknown"
    assert Transfer.objects.count() == 0


def test_a_member_who_has_left_cannot_be_paid(hours, member, community):
    gone = MemberFactory(community=community, status="left")

    assert refused(pay, member, gone, hours).code == "payee_unknown"


def test_an_outsider_cannot_pay_in_another_communitys_currency(hours, outsider, member):
    assert refused(pay, outsider, member, hours).code == "not_allowed"


# Staff and their organisation


def test_staff_pay_from_their_organisations_account(hours, staff, member, organisation):
    posted = pay(staff, member, hours, 2 * HOUR, for_organisation=True)

    council = Account.objects.get(organisation=organisation)
    assert posted.debit_account_id == council.pk
    assert council.balance == -2 * HOUR
    assert not Account.objects.filter(member=staff).exists()


def test_a_member_who_is_not_staff_cannot_pay_from_an_organisation(hours, member, coordinator, organisation):
    error = refused(pay, member, coordinator, hours, for_organisation=True)

    assert error.code == "not_your_account"
    assert Transfer.objects.count() == 0


# Idempotency


def test_confirming_twice_pays_once(hours, member, coordinator):
    key = uuid.uuid4()
    first = pay(member, coordinator, hours, key=key)
    second = pay(member, coordinator, hours, key=key)

    assert second.replayed and second.id == first.id
    assert Transfer.objects.count() == 1
    assert Account.objects.get(member=member).balance == -HOUR


def test_the_replay_is_recognised_even_after_the_payee_was_frozen(hours, member, coordinator):
    key = uuid.uuid4()
    first = pay(member, coordinator, hours, key=key)
    accounts.set_status(coordinator, Account.objects.get(member=coordinator), AccountStatus.FROZEN, "Holiday")

    assert pay(member, coordinator, hours, key=key).id == first.id


def test_a_key_used_for_one_payment_cannot_make_another(hours, member, coordinator, staff):
    key = uuid.uuid4()
    pay(member, coordinator, hours, key=key)

    assert refused(pay, member, coordinator, hours, 2 * HOUR, key=key).code == "exists_with_different_amount"
    assert refused(pay, member, staff, hours, key=key).code == "exists_with_different_credit_account"
    assert Transfer.objects.count() == 1


# The confirmation step


def test_the_preview_shows_the_balance_after_and_writes_nothing(hours, member, coordinator, mina_account):
    pay(member, coordinator, hours, HOUR)
    before = (Transfer.objects.count(), Account.objects.count())

    preview = payments.preview(member, coordinator, hours, 90, "Ironing")

    assert (preview.balance_after, preview.available_after) == (-150, 10 * HOUR - 150)
    assert (preview.payer.name, preview.payee.name) == ("Mina", "Cora")
    assert (Transfer.objects.count(), Account.objects.count()) == before


def test_the_preview_of_a_first_payment_uses_the_default_limits(hours, member, coordinator):
    preview = payments.preview(member, coordinator, hours, HOUR, "Ironing")

    assert (preview.balance_after, preview.available_after) == (-HOUR, 9 * HOUR)
    assert not Account.objects.filter(member=member).exists()


def test_the_preview_counts_holds_and_says_how_much_can_be_paid(hours, member, mina_account, cora_account):
    transfers.hold(debit=mina_account, credit=cora_account, amount=8 * HOUR, key=uuid.uuid4())

    error = refused(payments.preview, member, cora_account, hours, 3 * HOUR, "Cooking")

    assert error.code == "debit_limit_exceeded"
    assert error.message == "That is more than you can pay now: at most 2 h, counting amounts on hold."


def test_the_preview_refuses_what_the_payee_may_not_hold(hours, member, coordinator, cora_account):
    accounts.set_limits(coordinator, cora_account, debit_limit=0, credit_limit=HOUR, reason="Trial")

    error = refused(payments.preview, member, cora_account, hours, 2 * HOUR, "Cooking")

    assert error.code == "credit_limit_exceeded"
    assert "Cora" in error.message


# Coordinators paying on a member's behalf


def test_a_coordinator_pays_on_a_members_behalf_and_it_is_audited(hours, coordinator, mina_account, staff):
    key = uuid.uuid4()
    posted = payments.send_on_behalf(coordinator, mina_account, staff, HOUR, key, "Shopping", "Mina has no internet")
    again = payments.send_on_behalf(coordinator, mina_account, staff, HOUR, key, "Shopping", "Mina has no internet")

    transfer = Transfer.objects.get(pk=posted.id)
    assert (transfer.created_by, transfer.on_behalf_of, transfer.reason) == (
        coordinator.user,
        mina_account.member,
        "Mina has no internet",
    )
    assert again.replayed and Transfer.objects.count() == 1
    entry = AuditEntry.objects.get(action="ledger.paid_on_behalf")
    assert (entry.actor, entry.member, entry.reason) == (coordinator.user, mina_account.member, "Mina has no internet")
    assert entry.details["transfer"] == posted.id


def test_paying_on_behalf_needs_a_reason(hours, coordinator, mina_account, staff):
    error = refused(payments.send_on_behalf, coordinator, mina_account, staff, HOUR, uuid.uuid4(), "Shopping", " ")

    assert (error.code, error.field) == ("reason_required", "reason")
    assert not AuditEntry.objects.filter(action="ledger.paid_on_behalf").exists()


def test_only_coordinators_pay_on_someone_elses_behalf(hours, staff, mina_account, coordinator):
    error = refused(payments.send_on_behalf, staff, mina_account, coordinator, HOUR, uuid.uuid4(), "Shop", "Asked")

    assert error.code == "not_coordinator"
    assert Transfer.objects.count() == 0


def test_a_coordinator_cannot_pay_from_another_communitys_account(hillside_hours, coordinator, outsider, member):
    otto_account = accounts.open_account(hillside_hours, member=outsider)

    error = refused(payments.send_on_behalf, coordinator, otto_account, member, HOUR, uuid.uuid4(), "Shop", "Asked")

    assert error.code == "not_coordinator"


def test_a_coordinator_cannot_pay_from_a_system_account_here(hours, coordinator, fees, member):
    error = refused(payments.send_on_behalf, coordinator, fees, member, HOUR, uuid.uuid4(), "Refund", "Asked")

    assert error.code == "not_a_holder"


# Holds


@pytest.fixture
def held(hours, mina_account, organisation):
    council = accounts.open_account(hours, organisation=organisation)
    posted = transfers.hold(debit=mina_account, credit=council, amount=2 * HOUR, key=uuid.uuid4(), memo="Room booking")
    return Transfer.objects.get(pk=posted.id)


def test_a_coordinator_releases_a_hold_with_a_reason_and_it_is_audited(held, coordinator, mina_account):
    assert refused(payments.release_hold, coordinator, held, "").code == "reason_required"

    payments.release_hold(coordinator, held, "The booking was cancelled")
    again = payments.release_hold(coordinator, held, "The booking was cancelled")

    assert again.replayed
    assert fresh(mina_account).debits_pending == 0
    assert AuditEntry.objects.filter(action="ledger.hold_released").count() == 1


def test_the_one_a_hold_is_for_may_give_it_up_without_a_reason(held, staff, mina_account):
    payments.release_hold(staff, held)

    assert fresh(mina_account).debits_pending == 0


def test_the_payer_cannot_release_their_own_hold(held, member, mina_account):
    assert refused(payments.release_hold, member, held, "Changed my mind").code == "not_allowed"
    assert fresh(mina_account).debits_pending == 2 * HOUR


def test_a_taken_hold_cannot_be_released(held, coordinator):
    transfers.post_hold(held, key=uuid.uuid4())

    assert refused(payments.release_hold, coordinator, held, "Cancelled").code == "hold_already_resolved"


# Reversals


def test_only_a_coordinator_of_the_community_reverses_a_transfer(hours, member, coordinator, staff):
    posted = pay(member, coordinator, hours)
    original = Transfer.objects.get(pk=posted.id)

    assert refused(payments.reverse_transfer, staff, original, "Mistake").code == "not_coordinator"
    payments.reverse_transfer(coordinator, original, "Entered twice")

    assert Account.objects.get(member=member).balance == 0


# Setting up a currency


def set_up(coordinator, **changes):
    fields = {"code": "green", "name": "Green credits", "kind": CurrencyKind.CREDIT, "symbol": "₲", "scale": 100,
              "default_debit_limit": 0, "default_credit_limit": None, "issuance_limit": 100_000} | changes  # fmt: skip
    return payments.set_up_currency(coordinator, **fields)


def test_a_coordinator_sets_up_community_credits_with_an_issuance_limit(coordinator):
    currency = set_up(coordinator)

    issuance = accounts.system_account(currency, AccountKind.ISSUANCE)
    assert (currency.kind, currency.scale, issuance.debit_limit) == ("credit", 100, 100_000)
    entry = AuditEntry.objects.get(action="ledger.currency_created")
    assert (entry.actor, entry.details["currency"]) == (coordinator.user, "green")


def test_a_time_currency_always_counts_minutes(coordinator):
    assert set_up(coordinator, code="hours", kind=CurrencyKind.TIME, scale=100).scale == 60


def test_members_cannot_set_up_currencies(member):
    assert refused(set_up, member).code == "not_coordinator"
    assert not Currency.objects.exists()


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"limit_growth_permille": 1001}, "invalid_growth"),
        ({"default_debit_limit": 500, "limit_growth_cap": 100}, "cap_below_limit"),
        ({"issuance_limit": -1}, "invalid_limit"),
        ({"kind": "gold"}, "invalid_kind"),
        ({"name": " "}, "name_required"),
    ],
)
def test_bad_currency_settings_are_refused_and_nothing_is_written(coordinator, changes, code):
    assert refused(set_up, coordinator, **changes).code == code
    assert not Currency.objects.exists()
    assert not AuditEntry.objects.filter(action="ledger.currency_created").exists()


def test_a_currency_code_is_used_once_per_community(coordinator):
    set_up(coordinator)

    assert refused(set_up, coordinator, name="Other").code == "currency_exists"
    assert Currency.objects.count() == 1
    assert AuditEntry.objects.filter(action="ledger.currency_created").count() == 1
