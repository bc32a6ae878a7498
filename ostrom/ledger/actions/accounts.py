"""Currencies and accounts: opening, limits, freezing and closing."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from ostrom.communities.actions import audit
from ostrom.communities.domain import DomainError
from ostrom.communities.models import Community, Member, Organisation

from ..domain.limits import AccountState, grown_debit_limit
from ..models import Account, AccountKind, AccountStatus, Currency, CurrencyKind

MAX_LIMIT = 10**12


def create_currency(
    community: Community,
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
    issuance_limit: int | None = None,
) -> Currency:
    """A new currency with its system accounts: issuance (for community credits) and fees."""
    if kind == CurrencyKind.TIME:
        scale = 60
    _check_limit(default_debit_limit, "default_debit_limit")
    if default_credit_limit is not None:
        _check_limit(default_credit_limit, "default_credit_limit")
    _check_growth_cap(default_debit_limit, limit_growth_permille, limit_growth_cap, "limit_growth_cap")
    try:
        with transaction.atomic():
            currency = Currency.objects.create(
                community=community, code=code, name=name, kind=kind, symbol=symbol, scale=scale,
                default_debit_limit=default_debit_limit, default_credit_limit=default_credit_limit,
                limit_growth_permille=limit_growth_permille, limit_growth_cap=limit_growth_cap,
            )  # fmt: skip
            Account.objects.create(
                community=community, currency=currency, kind=AccountKind.ISSUANCE, name=f"{name} issuance",
                debit_limit=issuance_limit, debit_limit_base=issuance_limit,
            )  # fmt: skip
            Account.objects.create(
                community=community,
                currency=currency,
                kind=AccountKind.FEES,
                name=f"{name} fees and levies",
                debit_limit=0,
            )
    except IntegrityError:
        raise DomainError("currency_exists", "This community already has a currency with that code.", "code") from None
    return currency


def _check_growth_cap(base: int | None, permille: int, cap: int | None, field: str) -> None:
    """A growing limit must never shrink: its cap may not be below the limit it grows from."""
    if permille and cap is not None and base is not None and cap < base:
        raise DomainError(
            "growth_cap_below_limit", "The most a limit can grow to can't be less than the limit itself.", field
        )


def _check_limit(value: int, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LIMIT:
        raise DomainError("invalid_limit", "A limit must be a whole number from zero upwards.", field)


def open_account(
    currency: Currency, *, member: Member | None = None, organisation: Organisation | None = None
) -> Account:
    """The member's or organisation's account in this currency, opened with the currency's default limits if new."""
    holder = member or organisation
    if holder is None or holder.community_id != currency.community_id:
        raise DomainError("account_unknown", "Accounts are opened for members and organisations of the same community.")
    lookup = {"member": member} if member else {"organisation": organisation}
    existing = Account.objects.filter(currency=currency, **lookup).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return Account.objects.create(
                community_id=currency.community_id, currency=currency,
                kind=AccountKind.MEMBER if member else AccountKind.ORGANISATION,
                debit_limit=currency.default_debit_limit, debit_limit_base=currency.default_debit_limit,
                credit_limit=currency.default_credit_limit, limit_growth_permille=currency.limit_growth_permille,
                limit_growth_cap=currency.limit_growth_cap, **lookup,
            )  # fmt: skip
    except IntegrityError:  # opened by a concurrent request
        return Account.objects.get(currency=currency, **lookup)


def system_account(currency: Currency, kind: str) -> Account:
    return Account.objects.get(currency=currency, kind=kind)


@transaction.atomic
def set_limits(
    coordinator: Member, account: Account, *, debit_limit: int | None, credit_limit: int | None, reason: str
) -> Account:
    """Change an account's limits. Refused if the account is already beyond the new limit."""
    _require_coordinator(coordinator, account)
    if not reason.strip():
        raise DomainError("reason_required", "Say why the limits are changing.", "reason")
    for value, field in ((debit_limit, "debit_limit"), (credit_limit, "credit_limit")):
        if value is not None:
            _check_limit(value, field)
    locked = Account.objects.select_for_update().get(pk=account.pk)
    _check_growth_cap(debit_limit, locked.limit_growth_permille, locked.limit_growth_cap, "debit_limit")
    state = AccountState(
        locked.pk, locked.debits_pending, locked.debits_posted, locked.credits_pending, locked.credits_posted,
        debit_limit, credit_limit, debit_limit, locked.limit_growth_permille, locked.limit_growth_cap,
    )  # fmt: skip
    grown = grown_debit_limit(state)
    state = AccountState(**{**state.__dict__, "debit_limit": grown})
    if not state.debit_fits():
        raise DomainError(
            "limit_below_balance", "The account is already further below zero than that limit.", "debit_limit"
        )
    if not state.credit_fits():
        raise DomainError("limit_below_balance", "The account already holds more than that limit.", "credit_limit")
    before = {"debit_limit": locked.debit_limit, "credit_limit": locked.credit_limit}
    locked.debit_limit, locked.debit_limit_base, locked.credit_limit = grown, debit_limit, credit_limit
    locked.save(update_fields=["debit_limit", "debit_limit_base", "credit_limit"])
    audit(
        coordinator.community, coordinator.user, "ledger.limits_changed", locked.member, reason,
        account=locked.pk, before=before, after={"debit_limit": grown, "credit_limit": credit_limit},
    )  # fmt: skip
    return locked


def _require_coordinator(coordinator: Member, account: Account) -> None:
    if not coordinator.is_coordinator or coordinator.community_id != account.community_id:
        raise DomainError("not_coordinator", "Only this community's coordinators can do this.")


@transaction.atomic
def set_status(coordinator: Member, account: Account, status: str, reason: str) -> Account:
    """Freeze, unfreeze or close an account. A closed account must be at zero with no holds (the database checks)."""
    _require_coordinator(coordinator, account)
    if status not in AccountStatus.values:
        raise DomainError("invalid_status", "Choose active, frozen or closed.", "status")
    if not reason.strip():
        raise DomainError("reason_required", "Say why.", "reason")
    locked = Account.objects.select_for_update().get(pk=account.pk)
    if locked.status == AccountStatus.CLOSED:
        raise DomainError("account_closed", "A closed account stays closed.")
    if status == AccountStatus.CLOSED and (locked.balance or locked.debits_pending or locked.credits_pending):
        raise DomainError("account_not_empty", "Only an account at zero with no holds can be closed.")
    before = locked.status
    locked.status = status
    locked.save(update_fields=["status"])
    audit(
        coordinator.community,
        coordinator.user,
        f"ledger.account_{status}",
        locked.member,
        reason,
        account=locked.pk,
        before=before,
    )
    return locked
