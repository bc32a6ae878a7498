"""What people do with the ledger through its pages: pay someone, pay on a member's behalf, release a hold,
reverse a mistake, set up a currency.

Each function checks who may do it and explains a refusal before the engine (actions.transfers) sees
anything; the engine then enforces limits again, atomically, so a check here never races with a payment.
A payee is an account, or a member or organisation whose account is opened by their first payment."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import transaction

from ostrom.communities.actions import audit
from ostrom.communities.domain import DomainError, Role
from ostrom.communities.models import Member, Organisation

from .. import access, notices
from ..domain import amounts
from ..domain.limits import AccountState, apply_credit, apply_debit
from ..models import Account, AccountKind, AccountStatus, Currency, CurrencyKind, Transfer
from . import accounts, transfers
from .posting import Posted

MAX_MEMO = 500
MAX_CATEGORY = 40
# Per 1,000 units received, at most 1,000 more units of debit limit: the limit never grows faster than help given.
MAX_GROWTH_PERMILLE = 1000
HOLDER_KINDS = (AccountKind.MEMBER, AccountKind.ORGANISATION)

Payee = Account | Member | Organisation


@dataclass(frozen=True)
class Party:
    """One side of a payment: the holder and their account (None until their first payment opens it)."""

    account: Account | None
    member: Member | None
    organisation: Organisation | None
    name: str

    @property
    def holder(self) -> tuple[str, int]:
        return ("member", self.member.pk) if self.member else ("organisation", self.organisation.pk)


@dataclass(frozen=True)
class Preview:
    """What a payment would do, shown on the confirmation step before anything is written."""

    payer: Party
    payee: Party
    currency: Currency
    amount: int
    balance_after: int
    available_after: int | None


def preview(
    payer: Member, payee: Payee, currency: Currency, amount: int, memo: str, *, for_organisation: bool = False
) -> Preview:
    """Check a payment the member wants to make and work out their balance after it. Writes nothing."""
    source = _payer_party(payer, currency, for_organisation)
    return _preview(source, _payee_party(payer, currency, payee), currency, amount, memo, on_behalf=False)


def send(
    payer: Member,
    payee: Payee,
    currency: Currency,
    amount: int,
    key: uuid.UUID,
    memo: str,
    category: str = "",
    *,
    for_organisation: bool = False,
) -> Posted:
    """Pay from the member's own account (or, for staff, their organisation's). Resubmitting the key never pays twice."""
    memo, category = memo.strip(), category.strip()
    source = _payer_party(payer, currency, for_organisation)
    if _key_used(currency, key):
        # A confirm pressed twice: the engine hands back the first payment, or says which field differs.
        debit, credit = source.account, _existing_account(payee, currency)
        if debit is None or credit is None:
            raise _used_for_another("debit_account" if debit is None else "credit_account")
        return transfers.transfer(
            debit=debit, credit=credit, amount=amount, key=key, memo=memo, category=category, actor=payer.user
        )
    target = _payee_party(payer, currency, payee)
    _check(source, target, currency, amount, memo, category)
    _check_limits(source, target, currency, amount, on_behalf=False)
    # One transaction for the accounts opened, the payment and the payee's notice: a refused payment leaves no
    # new account behind and tells nobody anything.
    with transaction.atomic():
        posted = transfers.transfer(
            debit=_open(source, currency),
            credit=_open(target, currency),
            amount=amount,
            key=key,
            memo=memo,
            category=category,
            actor=payer.user,
        )
        _tell_payee(posted, source, target, currency, memo)
    return posted


def preview_on_behalf(
    coordinator: Member, payer_account: Account, payee: Payee, amount: int, memo: str, reason: str
) -> Preview:
    """What a payment a coordinator makes for a member would do. Writes nothing."""
    source = _on_behalf_party(coordinator, payer_account)
    _require_reason(reason, "Say why you are paying on their behalf.")
    return _preview(source, _payee_party(coordinator, payer_account.currency, payee), payer_account.currency,
                    amount, memo, on_behalf=True)  # fmt: skip


def send_on_behalf(
    coordinator: Member,
    payer_account: Account,
    payee: Payee,
    amount: int,
    key: uuid.UUID,
    memo: str,
    reason: str,
    category: str = "",
) -> Posted:
    """A coordinator pays from a member's or organisation's account, for someone who can't do it themselves. Audited."""
    source = _on_behalf_party(coordinator, payer_account)
    _require_reason(reason, "Say why you are paying on their behalf.")
    currency = payer_account.currency
    memo, category, reason = memo.strip(), category.strip(), reason.strip()
    target: Party | None = None
    if _key_used(currency, key):  # pressed twice: the engine hands back the first payment
        credit = _existing_account(payee, currency)
        if credit is None:
            raise _used_for_another("credit_account")
    else:
        target = _payee_party(coordinator, currency, payee)
        _check(source, target, currency, amount, memo, category)
        _check_limits(source, target, currency, amount, on_behalf=True)
    with transaction.atomic():
        if target is not None:
            credit = _open(target, currency)
        posted = transfers.transfer(
            debit=payer_account, credit=credit, amount=amount, key=key, memo=memo,
            category=category, actor=coordinator.user, on_behalf_of=payer_account.member, reason=reason,
        )  # fmt: skip
        if not posted.replayed:
            audit(
                coordinator.community, coordinator.user, "ledger.paid_on_behalf", payer_account.member, reason,
                transfer=posted.id, account=payer_account.pk, payee_account=posted.credit_account_id,
                amount=amount, currency=currency.code,
            )  # fmt: skip
        if target is not None:
            _tell_payee(posted, source, target, currency, memo)
    return posted


def release_hold(actor: Member, held: Transfer, reason: str = "") -> Posted:
    """Release a hold without paying: the one it was held for may give it up; a coordinator may, with a reason."""
    if held.community_id != actor.community_id or not actor.is_active:
        raise DomainError("transfer_unknown", "There is no such hold in this community.")
    is_payee = access.own_accounts(actor).filter(pk=held.credit_account_id).exists()
    if not is_payee and not access.can_coordinate(actor):
        raise DomainError("not_allowed", "Only the person the amount is held for, or a coordinator, can release it.")
    if not is_payee:
        _require_reason(reason, "Say why you are releasing this hold.")
    # One key per hold, so pressing the button twice releases it once and the second press is a replay.
    key = uuid.uuid5(held.key, "released")
    with transaction.atomic():
        posted = transfers.void_hold(held, key=key, actor=actor.user, reason=reason.strip())
        if not posted.replayed and not is_payee:
            audit(
                actor.community, actor.user, "ledger.hold_released", held.debit_account.member, reason,
                hold=held.pk, release=posted.id, account=held.debit_account_id, amount=held.amount,
            )  # fmt: skip
    return posted


def reverse_transfer(coordinator: Member, original: Transfer, reason: str) -> Posted:
    """A coordinator corrects a mistaken payment with a transfer the other way (audited by the engine)."""
    if not coordinator.is_coordinator or coordinator.community_id != original.community_id:
        raise DomainError("not_coordinator", "Only this community's coordinators can reverse a transfer.")
    return transfers.reverse(original, actor=coordinator.user, reason=reason)


def set_up_currency(
    coordinator: Member,
    *,
    code: str,
    name: str,
    kind: str,
    symbol: str = "",
    scale: int = 1,
    default_debit_limit: int = 0,
    default_credit_limit: int | None = None,
    limit_growth_permille: int = 0,
    limit_growth_cap: int | None = None,
    issuance_limit: int = 0,
) -> Currency:
    """A coordinator starts a new currency for their community, with its system accounts. Audited."""
    if not coordinator.is_coordinator:
        raise DomainError("not_coordinator", "Only coordinators can set up a currency.")
    if not name.strip() or not code.strip():
        raise DomainError("name_required", "Give the currency a name and a short code.", "name")
    if kind not in CurrencyKind.values:
        raise DomainError("invalid_kind", "Choose time or credits.", "kind")
    if not 0 <= limit_growth_permille <= MAX_GROWTH_PERMILLE:
        raise DomainError(
            "invalid_growth", f"The growth must be between 0 and {MAX_GROWTH_PERMILLE:,}.", "limit_growth_permille"
        )
    for value, field in ((limit_growth_cap, "limit_growth_cap"), (issuance_limit, "issuance_limit")):
        if value is not None and not 0 <= value <= accounts.MAX_LIMIT:
            raise DomainError("invalid_limit", "A limit must be a whole number from zero upwards.", field)
    if limit_growth_cap is not None and limit_growth_cap < default_debit_limit:
        # grown_debit_limit takes the smaller of the two, so a lower cap would cut every new account's limit.
        raise DomainError(
            "cap_below_limit", "The cap must be at least the default limit below zero.", "limit_growth_cap"
        )
    with transaction.atomic():
        currency = accounts.create_currency(
            coordinator.community, code=code.strip(), name=name.strip(), kind=kind, symbol=symbol.strip(),
            scale=scale, default_debit_limit=default_debit_limit, default_credit_limit=default_credit_limit,
            limit_growth_permille=limit_growth_permille, limit_growth_cap=limit_growth_cap,
            issuance_limit=issuance_limit,
        )  # fmt: skip
        audit(
            coordinator.community, coordinator.user, "ledger.currency_created", None, "",
            currency=currency.code, kind=kind, default_debit_limit=default_debit_limit,
            default_credit_limit=default_credit_limit, issuance_limit=issuance_limit,
        )  # fmt: skip
    return currency


# Who pays and who is paid


def _payer_party(payer: Member, currency: Currency, for_organisation: bool) -> Party:
    if not payer.is_active or payer.community_id != currency.community_id or not currency.is_active:
        raise DomainError("not_allowed", "Only active members of this community can pay in this currency.")
    if not for_organisation:
        account = Account.objects.filter(currency=currency, member=payer).first()
        return Party(account, payer, None, payer.display_name)
    organisation = payer.organisation if payer.role == Role.STAFF else None
    if organisation is None or not organisation.is_active:
        raise DomainError("not_your_account", "Only an organisation's staff can pay from its account.", "pay_from")
    account = Account.objects.filter(currency=currency, organisation=organisation).first()
    if account is not None and not access.can_pay_from(payer, account):
        raise DomainError("not_your_account", "Only an organisation's staff can pay from its account.", "pay_from")
    return Party(account, None, organisation, organisation.name)


def _on_behalf_party(coordinator: Member, account: Account) -> Party:
    if not coordinator.is_coordinator or coordinator.community_id != account.community_id:
        raise DomainError("not_coordinator", "Only this community's coordinators can pay on a member's behalf.")
    if account.kind not in HOLDER_KINDS:
        raise DomainError("not_a_holder", "Pay on behalf of members and organisations only.", "account")
    return Party(account, account.member, account.organisation, account.holder_name)


def _payee_party(viewer: Member, currency: Currency, payee: Payee) -> Party:
    if isinstance(payee, Account):
        account = access.payable_accounts(viewer, currency).filter(pk=payee.pk).first()  # as it is now
        if account is None:
            raise _unpayable(payee)
        return Party(account, account.member, account.organisation, account.holder_name)
    if isinstance(payee, Member):
        if payee.community_id != currency.community_id or not payee.is_active:
            raise DomainError("payee_unknown", "Choose an active member of this community.", "payee")
        party = Party(Account.objects.filter(currency=currency, member=payee).first(), payee, None, payee.display_name)
    elif isinstance(payee, Organisation):
        if payee.community_id != currency.community_id or not payee.is_active:
            raise DomainError("payee_unknown", "Choose a partner organisation of this community.", "payee")
        party = Party(Account.objects.filter(currency=currency, organisation=payee).first(), None, payee, payee.name)
    else:
        raise DomainError("payee_unknown", "Choose who to pay.", "payee")
    if party.account is not None and party.account.status != AccountStatus.ACTIVE:
        raise _unpayable(party.account)
    return party


def _unpayable(account: Account) -> DomainError:
    if account.status == AccountStatus.FROZEN:
        return DomainError("account_frozen", f"The account of {account.holder_name} is frozen.", "payee")
    if account.status == AccountStatus.CLOSED:
        return DomainError("account_closed", f"The account of {account.holder_name} is closed.", "payee")
    return DomainError("payee_unknown", "There is no such account in this community.", "payee")


def _check(source: Party, target: Party, currency: Currency, amount: int, memo: str, category: str) -> None:
    """The rules a payment must meet before the engine sees it."""
    if source.account is not None and source.account.status != AccountStatus.ACTIVE:
        raise DomainError(
            f"account_{source.account.status}",
            f"The account of {source.name} is {source.account.get_status_display().lower()}. Ask a coordinator.",
        )
    if source.holder == target.holder:
        raise DomainError("same_account", "You can't pay yourself.", "payee")
    amounts.check_amount(amount)
    if not memo.strip():
        raise DomainError("memo_required", "Say what the payment is for.", "memo")
    if len(memo) > MAX_MEMO:
        raise DomainError("memo_too_long", f"Keep the description to {MAX_MEMO} characters or fewer.", "memo")
    if len(category) > MAX_CATEGORY:
        raise DomainError("category_too_long", f"Keep the category to {MAX_CATEGORY} characters or fewer.", "category")
    if source.account is not None and source.account.currency_id != currency.pk:
        raise DomainError("currency_mismatch", "Both accounts must use the same currency.", "currency")


def _preview(source: Party, target: Party, currency: Currency, amount: int, memo: str, *, on_behalf: bool) -> Preview:
    _check(source, target, currency, amount, memo.strip(), "")
    after = _check_limits(source, target, currency, amount, on_behalf=on_behalf)
    return Preview(source, target, currency, amount, after.balance, after.available)


def _check_limits(source: Party, target: Party, currency: Currency, amount: int, *, on_behalf: bool) -> AccountState:
    """Explain a limit the payment would break, in the payer's terms; the database enforces the same limits."""
    before = account_state(source.account, currency)
    after = apply_debit(before, amount, pending=False)
    if not after.debit_fits():
        most = transfers.format_for(currency, max(before.available or 0, 0))
        who = f"{source.name} can" if on_behalf else "you can"
        raise DomainError(
            "debit_limit_exceeded",
            f"That is more than {who} pay now: at most {most}, counting amounts on hold.",
            "amount",
        )
    if not apply_credit(account_state(target.account, currency), amount, pending=False).credit_fits():
        raise DomainError(
            "credit_limit_exceeded",
            f"{target.name} can't receive that much: it would take them over the most they may hold.",
            "amount",
        )
    return after


def account_state(account: Account | None, currency: Currency) -> AccountState:
    """An account's totals, or those a new account would start with."""
    if account is None:
        return AccountState(
            0, debit_limit=currency.default_debit_limit, credit_limit=currency.default_credit_limit,
            debit_limit_base=currency.default_debit_limit, limit_growth_permille=currency.limit_growth_permille,
            limit_growth_cap=currency.limit_growth_cap,
        )  # fmt: skip
    return AccountState(
        account.pk, account.debits_pending, account.debits_posted, account.credits_pending, account.credits_posted,
        account.debit_limit, account.credit_limit, account.debit_limit_base, account.limit_growth_permille,
        account.limit_growth_cap,
    )  # fmt: skip


def _tell_payee(posted: Posted, source: Party, target: Party, currency: Currency, memo: str) -> None:
    """Tell a member they were paid; an organisation's account has no one to tell, and a replay was told before."""
    if target.member is not None and not posted.replayed:
        notices.payment_received(target.member, source.name, currency, posted.amount, memo, posted.credit_balance_after)


def _open(party: Party, currency: Currency) -> Account:
    if party.account is not None:
        return party.account
    return accounts.open_account(currency, member=party.member, organisation=party.organisation)


def _key_used(currency: Currency, key: uuid.UUID) -> bool:
    return Transfer.objects.filter(community_id=currency.community_id, key=key).exists()


def _existing_account(payee: Payee, currency: Currency) -> Account | None:
    """The payee's account as it is, whatever its status: a replay must find the first payment's account."""
    if isinstance(payee, Account):
        return payee if payee.currency_id == currency.pk else None
    lookup = {"member": payee} if isinstance(payee, Member) else {"organisation": payee}
    return Account.objects.filter(currency=currency, **lookup).first()


def _used_for_another(field: str) -> DomainError:
    return DomainError(
        f"exists_with_different_{field}",
        "This payment form was already used for another payment. Check the details and send again.",
        "key",
    )


def _require_reason(reason: str, message: str) -> None:
    if not reason.strip():
        raise DomainError("reason_required", message, "reason")
