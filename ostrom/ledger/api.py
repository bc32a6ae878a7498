"""The ledger's JSON API: currencies, accounts, transfers, holds, statements and payment requests.

Thin adapters over ledger.access (who may see what) and ledger.actions (every change). A token belongs to one
membership, so every endpoint sees only that community. Amounts are whole numbers in the currency's smallest
unit (minutes for time); each answer carries the currency's kind and scale, and a ``display`` text, so a client
can show "1 h 30 min" without knowing the rules."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Strict,
    StrictBool,
)

from ostrom.communities.api import (
    MAX_ID,
    NOT_BLANK,
    SLUG,
    PageQuery,
    StrictQuery,
    Text,
    error_responses,
    page_of,
    whole,
)
from ostrom.communities.domain import DomainError, Role
from ostrom.communities.models import Member

from . import access, statements
from .actions import accounts, payments, transfers
from .actions import requests as request_actions
from .actions.posting import Posted
from .domain.amounts import MAX_AMOUNT, format_amount
from .models import (
    Account,
    AccountKind,
    AccountStatus,
    Currency,
    CurrencyKind,
    PaymentRequest,
    RequestStatus,
    Transfer,
    TransferKind,
)

router = Router(tags=["ledger"])

AccountId = Annotated[int, Path(ge=1, le=MAX_ID)]
TransferId = Annotated[int, Path(ge=1, le=MAX_ID)]


# Strict: 1.5, "60" and true are refused rather than rounded or converted, so nobody pays what they did not mean.
Amount = Annotated[
    int, Strict(), Field(gt=0, le=MAX_AMOUNT, description="In the currency's smallest unit."), BeforeValidator(whole)
]
BodyId = Annotated[int, Strict(), Field(ge=1, le=MAX_ID), BeforeValidator(whole)]
CurrencyCode = Text(20, SLUG)


def _uuid(value: Any) -> uuid.UUID:
    """Pydantic's own message for a bad UUID lists the parser's expectations; people need an example."""
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str) and len(value) <= 45:
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise ValueError("Give a UUID you made for this request, e.g. 3f2b1c9e-8d4a-4f6b-9a1e-2c7d5e8f0a1b.")


def _aware(value: datetime) -> datetime:
    """A time with its zone, within the years a hold can sensibly have."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("Give the time with its time zone, e.g. 2026-03-02T18:00:00Z.")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("Give a time in the coming weeks.") from None


def _plausible_day(value: date) -> date:
    """Move a day at the far ends of the calendar (where time zone sums overflow) to the nearest day anyone
    could have traded on: the statement is the same, as nothing was traded before 1900 or after 9000."""
    return min(max(value, FIRST_DAY), LAST_DAY)


FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9000, 12, 31)
Day = Annotated[date, AfterValidator(_plausible_day)]

IdempotencyKey = Annotated[
    uuid.UUID,
    BeforeValidator(_uuid),
    Field(description="A UUID the client makes up for this request; sending it again never pays twice."),
]
AwareDatetime = Annotated[datetime, AfterValidator(_aware)]

# Ledger errors that are about who is asking (403) or about how things stand now (409) are listed with the
# API's other codes in config/api.py (DOMAIN_ERROR_STATUS); every other refusal of a request is a 400 or 422.
LEDGER_ERRORS = (400, 401, 403, 404, 409, 422)


# --- Schemas -----------------------------------------------------------------------------------------------------


class CurrencyRef(Schema):
    """Enough to format an amount: ``kind`` time is in minutes; a credit has ``scale`` smallest units per unit."""

    code: str
    name: str
    kind: CurrencyKind = Field(description="time (amounts in minutes) or credit.")
    scale: int = Field(description="Smallest units in one whole unit: 60 for hours, 100 for pence-like credits.")
    symbol: str


class CurrencyDisplay(Schema):
    default_debit_limit: str
    default_credit_limit: str | None


class CurrencyOut(CurrencyRef):
    default_debit_limit: int = Field(description="How far below zero a new account may go.")
    default_credit_limit: int | None = Field(description="How far above zero a new account may go; null: no limit.")
    display: CurrencyDisplay


class CurrencyPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CurrencyOut]


class AccountDisplay(Schema):
    balance: str
    available: str | None
    debit_limit: str | None
    credit_limit: str | None
    debits_pending: str
    credits_pending: str


class AccountOut(Schema):
    id: int
    kind: AccountKind
    status: AccountStatus
    holder: str = Field(description="Whose account it is, as people see it.")
    member: int | None = Field(description="The member's id, for a member's account.")
    organisation: str | None = Field(description="The organisation's slug, for an organisation's account.")
    currency: CurrencyRef
    balance: int = Field(description="Posted balance: above zero the account holds value, below zero it owes.")
    available: int | None = Field(description="How much more it can pay now, counting holds; null: no limit.")
    debit_limit: int | None = Field(description="How far below zero it may go; null: no limit.")
    credit_limit: int | None = Field(description="How far above zero it may go; null: no limit.")
    debits_pending: int = Field(description="Held to be paid out (counts against the debit limit).")
    credits_pending: int = Field(description="Held to be paid in.")
    display: AccountDisplay


class AccountPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AccountOut]


class AccountQuery(PageQuery):
    all: bool = Field(False, description="Coordinators: every account of the community, not only your own.")


class AccountRef(Schema):
    id: int
    kind: AccountKind
    holder: str


class TransferDisplay(Schema):
    amount: str
    from_balance_after: str | None
    to_balance_after: str | None


class TransferOut(Schema):
    id: int
    key: uuid.UUID
    kind: TransferKind = Field(
        description="transfer (paid at once), pending (a hold), post (a hold taken) or void (a hold released)."
    )
    currency: CurrencyRef
    amount: int
    from_account: AccountRef
    to_account: AccountRef
    from_balance_after: int | None = Field(description="The payer's posted balance just after; null if not yours.")
    to_balance_after: int | None = Field(description="The payee's posted balance just after; null if not yours.")
    memo: str
    category: str
    reference: str
    reason: str
    created_at: datetime
    expires_at: datetime | None = Field(description="For a hold: when it is released if nobody takes it.")
    hold_status: Literal["open", "taken", "released"] | None = Field(description="For a hold; null otherwise.")
    hold: int | None = Field(description="For a post or void: the hold it resolves.")
    resolved_by: int | None = Field(description="For a resolved hold: the transfer that took or released it.")
    reverses: int | None = Field(description="For a reversal: the transfer it corrects.")
    reversed_by: int | None = Field(description="The reversal that corrected this transfer, if any.")
    on_behalf_of: int | None = Field(description="The member a coordinator paid for, if any.")
    replayed: bool = Field(description="True when this key was already used and nothing new was written.")
    display: TransferDisplay


class PostHoldIn(Schema):
    model_config = ConfigDict(extra="forbid")

    key: IdempotencyKey
    amount: Amount | None = Field(None, description="Take less than was held; the rest is released. Default: all.")


class VoidHoldIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Text(500) = Field("", description="Why it is released; required from a coordinator.")


class ReverseIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Text(500, NOT_BLANK) = Field(description="Why the transfer is corrected; kept in the audit log.")


class TransferIn(Schema):
    model_config = ConfigDict(extra="forbid")

    key: IdempotencyKey
    from_account: BodyId | None = Field(None, description="Pay from this account. Default: your own in the currency.")
    to_account: BodyId = Field(description="The account of the member or organisation being paid.")
    currency: CurrencyCode = Field(description="The currency's code, e.g. hours; both accounts must use it.")
    amount: Amount
    memo: Text(500, NOT_BLANK) = Field(description="What the payment is for, as both parties will see it.")
    category: Text(40) = Field("", description="For reports, e.g. gardening.")
    pending: StrictBool = Field(False, description="Hold the amount for the payee to take later, instead of paying.")
    expires_at: AwareDatetime | None = Field(
        None, description="For a hold: when it is released if the payee has not taken it (within 90 days)."
    )
    reason: Text(500) = Field(
        "", description="Required when a coordinator pays from someone else's account; kept in the audit log."
    )


# --- Turning rows into answers ---------------------------------------------------------------------------------


def _format(currency: Currency, units: int | None) -> str | None:
    return None if units is None else format_amount(units, currency.kind, currency.scale, currency.symbol)


def currency_ref(currency: Currency) -> dict[str, Any]:
    return {
        "code": currency.code,
        "name": currency.name,
        "kind": currency.kind,
        "scale": currency.scale,
        "symbol": currency.symbol,
    }


def currency_out(currency: Currency) -> dict[str, Any]:
    return {
        **currency_ref(currency),
        "default_debit_limit": currency.default_debit_limit,
        "default_credit_limit": currency.default_credit_limit,
        "display": {
            "default_debit_limit": _format(currency, currency.default_debit_limit),
            "default_credit_limit": _format(currency, currency.default_credit_limit),
        },
    }


def account_out(account: Account) -> dict[str, Any]:
    """An account with its balance; load it with currency, member and organisation."""
    currency = account.currency
    amounts = {
        "balance": account.balance,
        "available": payments.account_state(account, currency).available,
        "debit_limit": account.debit_limit,
        "credit_limit": account.credit_limit,
        "debits_pending": account.debits_pending,
        "credits_pending": account.credits_pending,
    }
    return {
        "id": account.pk,
        "kind": account.kind,
        "status": account.status,
        "holder": account.holder_name,
        "member": account.member_id,
        "organisation": account.organisation.slug if account.organisation_id else None,
        "currency": currency_ref(currency),
        **amounts,
        "display": {name: _format(currency, value) for name, value in amounts.items()},
    }


def account_ref(account: Account) -> dict[str, Any]:
    return {"id": account.pk, "kind": account.kind, "holder": account.holder_name}


TRANSFER_RELATIONS = (
    "currency",
    "debit_account__member",
    "debit_account__organisation",
    "credit_account__member",
    "credit_account__organisation",
    "resolution",
    "reversal",
)


def _related_id(transfer: Transfer, name: str) -> int | None:
    """The id behind a reverse one-to-one link (a hold's resolution, a transfer's reversal), or None."""
    try:
        return getattr(transfer, name).pk
    except Transfer.DoesNotExist:
        return None


def _hold_status(transfer: Transfer, resolved_by: int | None) -> str | None:
    if transfer.kind != TransferKind.PENDING:
        return None
    if resolved_by is None:
        return "open"
    return "taken" if transfer.resolution.kind == TransferKind.POST else "released"


def transfer_out(viewer: Member, transfer: Transfer, *, replayed: bool = False) -> dict[str, Any]:
    """A transfer as the viewer may see it: the other party's balance stays private unless the viewer coordinates."""
    currency = transfer.currency
    mine = _own_account_ids(viewer)
    from_after = transfer.debit_balance_after if mine is None or transfer.debit_account_id in mine else None
    to_after = transfer.credit_balance_after if mine is None or transfer.credit_account_id in mine else None
    resolved_by = _related_id(transfer, "resolution") if transfer.kind == TransferKind.PENDING else None
    return {
        "id": transfer.pk,
        "key": transfer.key,
        "kind": transfer.kind,
        "currency": currency_ref(currency),
        "amount": transfer.amount,
        "from_account": account_ref(transfer.debit_account),
        "to_account": account_ref(transfer.credit_account),
        "from_balance_after": from_after,
        "to_balance_after": to_after,
        "memo": transfer.memo,
        "category": transfer.category,
        "reference": transfer.reference,
        "reason": transfer.reason,
        "created_at": transfer.created_at,
        "expires_at": transfer.expires_at,
        "hold_status": _hold_status(transfer, resolved_by),
        "hold": transfer.pending_id,
        "resolved_by": resolved_by,
        "reverses": transfer.reverses_id,
        "reversed_by": _related_id(transfer, "reversal"),
        "on_behalf_of": transfer.on_behalf_of_id,
        "replayed": replayed,
        "display": {
            "amount": _format(currency, transfer.amount),
            "from_balance_after": _format(currency, from_after),
            "to_balance_after": _format(currency, to_after),
        },
    }


def _own_account_ids(viewer: Member) -> set[int] | None:
    """The accounts whose balances the viewer may see in a transfer; None means all of them (coordinators)."""
    if access.can_coordinate(viewer):
        return None
    return set(access.own_accounts(viewer).values_list("pk", flat=True))


def _load_transfer(transfer_id: int) -> Transfer:
    return Transfer.objects.select_related(*TRANSFER_RELATIONS).get(pk=transfer_id)


def _answer(viewer: Member, transfer_id: int, replayed: bool) -> Status:
    """201 with a newly written transfer; 200 when the key had been used and nothing new was written."""
    return Status(200 if replayed else 201, transfer_out(viewer, _load_transfer(transfer_id), replayed=replayed))


# --- Currencies and accounts -----------------------------------------------------------------------------------


@router.get("/currencies", response={200: CurrencyPage, **error_responses(401, 422)})
def list_currencies(request: HttpRequest, page: Query[PageQuery]) -> dict[str, Any]:
    """The currencies the token's community trades in, with how to format their amounts."""
    result = page_of(access.currencies(request.auth), page)
    result["items"] = [currency_out(currency) for currency in result["items"]]
    return result


def _accounts_for(viewer: Member, every: bool) -> QuerySet[Account]:
    if not every:
        return access.own_accounts(viewer).select_related("member", "organisation")
    access.require_coordinator(viewer)
    return access.visible_accounts(viewer)


@router.get("/accounts", response={200: AccountPage, **error_responses(401, 403, 422)})
def list_accounts(request: HttpRequest, filters: Query[AccountQuery]) -> dict[str, Any]:
    """Your accounts (and your organisation's, for its staff). Coordinators add ``all=true`` for every account."""
    result = page_of(_accounts_for(request.auth, filters.all).order_by("currency__name", "pk"), filters)
    result["items"] = [account_out(account) for account in result["items"]]
    return result


@router.get("/accounts/{account_id}", response={200: AccountOut, **error_responses(401, 404, 422)})
def get_account(request: HttpRequest, account_id: AccountId) -> dict[str, Any]:
    """One account you hold (or any of the community's, for coordinators): balance, what is available, limits."""
    return account_out(access.get_account_or_404(request.auth, account_id))


# --- Transfers -------------------------------------------------------------------------------------------------


TRANSFER_ANSWERS = {201: TransferOut, 200: TransferOut, **error_responses(*LEDGER_ERRORS)}


@router.get("/transfers/{transfer_id}", response={200: TransferOut, **error_responses(401, 404, 422)})
def get_transfer(request: HttpRequest, transfer_id: TransferId) -> dict[str, Any]:
    """A transfer you took part in (any of the community's, for coordinators)."""
    viewer = request.auth
    transfer = access.get_transfer_or_404(viewer, transfer_id)
    return transfer_out(viewer, _load_transfer(transfer.pk))


@router.post("/transfers", response=TRANSFER_ANSWERS)
def create_transfer(request: HttpRequest, payload: TransferIn) -> Status:
    """Pay a member or an organisation, or (``pending: true``) hold an amount for them to take later.

    Answers 201 with the new transfer and the balances after it. Sending the same ``key`` again answers 200 with
    the first transfer (``replayed: true``) and writes nothing; the same key with other details is refused with
    409 ``exists_with_different_<field>``. Members pay from their own account, staff also from their
    organisation's; a coordinator may pay from a member's or organisation's account on their behalf, giving a
    ``reason`` (audited). Going past a limit is refused with 409 ``debit_limit_exceeded`` or
    ``credit_limit_exceeded`` -- a conflict with the balance as it stands, as the same payment may succeed
    later -- and so is a frozen or closed account (``account_frozen``, ``account_closed``). An account or
    currency that is not the community's is 404, whether or not it exists elsewhere."""
    viewer = request.auth
    currency = _currency(viewer, payload.currency)
    payee = _account(viewer, payload.to_account, "to_account")
    source = _account(viewer, payload.from_account, "from_account") if payload.from_account else None
    for account, field in ((source, "from_account"), (payee, "to_account")):
        if account is not None and account.currency_id != currency.pk:
            raise DomainError("currency_mismatch", f"That account does not use {currency.name}.", field)
    if payload.expires_at is not None and not payload.pending:
        raise DomainError(
            "expiry_without_hold", "Only a hold expires: send pending true, or leave expires_at out.", "expires_at"
        )
    posted = (
        _hold(viewer, source, payee, currency, payload)
        if payload.pending
        else _pay(viewer, source, payee, currency, payload)
    )
    return _answer(viewer, posted.id, posted.replayed)


def _currency(viewer: Member, code: str) -> Currency:
    currency = access.currencies(viewer).filter(code=code).first()
    if currency is None:
        raise DomainError("currency_unknown", "This community has no such currency.", "currency")
    return currency


def _account(viewer: Member, account_id: int, field: str) -> Account:
    account = access.community_account(viewer, account_id)
    if account is None:
        raise DomainError("account_unknown", "There is no such account in this community.", field)
    return account


def _pay(viewer: Member, source: Account | None, payee: Account, currency: Currency, payload: TransferIn) -> Posted:
    """From the viewer's own account, their organisation's (staff), or a holder's on their behalf (coordinators)."""
    paying = {"amount": payload.amount, "key": payload.key, "memo": payload.memo, "category": payload.category}
    if source is None or source.member_id == viewer.pk:
        return payments.send(viewer, payee, currency, **paying)
    if viewer.role == Role.STAFF and source.organisation_id and source.organisation_id == viewer.organisation_id:
        return payments.send(viewer, payee, currency, **paying, for_organisation=True)
    if not access.can_pay_from(viewer, source):
        raise PermissionDenied("You can only pay from your own account.")
    return payments.send_on_behalf(viewer, source, payee, **paying, reason=payload.reason)


def _hold(viewer: Member, source: Account | None, payee: Account, currency: Currency, payload: TransferIn) -> Posted:
    """A hold from the viewer's own account (or their organisation's). Coordinators do not hold on others' behalf:
    the engine keeps no record of whom a hold was placed for."""
    if source is not None and not access.own_accounts(viewer).filter(pk=source.pk).exists():
        raise PermissionDenied("You can only hold an amount from your own account.")
    if payee.kind not in (AccountKind.MEMBER, AccountKind.ORGANISATION):
        raise DomainError("payee_unknown", "Holds are for members and organisations.", "to_account")
    with transaction.atomic():  # an account opened for this hold disappears again if the hold is refused
        payer = source or accounts.open_account(currency, member=viewer)
        return transfers.hold(
            debit=payer, credit=payee, amount=payload.amount, key=payload.key, expires_at=payload.expires_at,
            memo=payload.memo, category=payload.category, actor=viewer.user,
        )  # fmt: skip


@router.post("/transfers/{transfer_id}/post", response=TRANSFER_ANSWERS)
def post_hold(request: HttpRequest, transfer_id: TransferId, payload: PostHoldIn) -> Status:
    """The payee takes a hold: all of it, or a smaller ``amount`` (the rest goes back to the payer).

    Only the one being paid (or, for an organisation's account, its staff) takes a hold. Answers 201 with the
    transfer that took it; the same ``key`` again answers 200 with that transfer. A hold is taken or released at
    most once: another attempt is refused with 409 ``hold_already_resolved``."""
    viewer = request.auth
    held = access.get_transfer_or_404(viewer, transfer_id)
    if not access.can_take_hold(viewer, held):
        raise PermissionDenied("Only the person being paid can take a hold.")
    posted = transfers.post_hold(held, key=payload.key, amount=payload.amount, actor=viewer.user)
    return _answer(viewer, posted.id, posted.replayed)


@router.post("/transfers/{transfer_id}/void", response=TRANSFER_ANSWERS)
def void_hold(request: HttpRequest, transfer_id: TransferId, payload: VoidHoldIn) -> Status:
    """Release a hold without paying. The one it is held for may give it up; a coordinator may release it,
    saying why (audited). The payer may not: a hold is the payee's assurance that they will be paid.

    No key is needed: a hold is released at most once, so releasing it again answers 200 with the first release
    (``replayed: true``); once it has been taken, 409 ``hold_already_resolved``."""
    viewer = request.auth
    held = access.get_transfer_or_404(viewer, transfer_id)
    posted = payments.release_hold(viewer, held, payload.reason)
    return _answer(viewer, posted.id, posted.replayed)


@router.post("/transfers/{transfer_id}/reverse", response=TRANSFER_ANSWERS)
def reverse_transfer(request: HttpRequest, transfer_id: TransferId, payload: ReverseIn) -> Status:
    """Correct a mistake with a transfer the other way (coordinators; audited). No key is needed: a transfer is
    reversed at most once, and any second attempt is refused with 409 ``already_reversed`` (the transfer's
    ``reversed_by`` names the reversal)."""
    viewer = request.auth
    access.require_coordinator(viewer)
    original = access.get_transfer_or_404(viewer, transfer_id)
    posted = payments.reverse_transfer(viewer, original, payload.reason)
    return _answer(viewer, posted.id, posted.replayed)


# --- Statements and holds --------------------------------------------------------------------------------------


class StatementQuery(StrictQuery):
    before: int | None = Field(None, ge=1, le=MAX_ID, description="Lines older than this transfer: a next_cursor.")
    after: int | None = Field(None, ge=1, le=MAX_ID, description="Lines newer than this transfer: a previous_cursor.")
    limit: int = Field(
        statements.DEFAULT_PAGE_SIZE, ge=1, le=statements.MAX_PAGE_SIZE, description="How many lines to return."
    )
    date_from: Day | None = Field(None, alias="from", description="First day, in the community's time zone.")
    date_to: Day | None = Field(None, alias="to", description="Last day (included), in the community's time zone.")
    category: Text(40) = Field("", description="Only lines with exactly this category.")


class OtherParty(Schema):
    id: int
    holder: str


class StatementLineDisplay(Schema):
    amount: str
    balance_after: str


class StatementLineOut(Schema):
    transfer: int
    created_at: datetime
    kind: str = Field(description="transfer, or post for a hold taken.")
    amount: int = Field(description="Above zero when received, below zero when paid.")
    balance_after: int = Field(description="The account's posted balance just after this line.")
    other_account: OtherParty
    memo: str
    category: str
    reference: str
    reverses: int | None
    hold: int | None
    display: StatementLineDisplay


class StatementOut(Schema):
    account: AccountOut
    lines: list[StatementLineOut] = Field(description="Posted movements, newest first.")
    next_cursor: int | None = Field(description="Pass as ``before`` for older lines; null on the last page.")
    previous_cursor: int | None = Field(description="Pass as ``after`` for newer lines; null on the newest page.")


class HoldDisplay(Schema):
    amount: str


class HoldOut(Schema):
    transfer: int
    created_at: datetime
    expires_at: datetime | None
    amount: int = Field(description="Below zero when this account pays, above zero when it will receive.")
    other_account: OtherParty
    memo: str
    category: str
    display: HoldDisplay


class HoldList(Schema):
    items: list[HoldOut]


@router.get("/accounts/{account_id}/statement", response={200: StatementOut, **error_responses(400, 401, 404, 422)})
def account_statement(request: HttpRequest, account_id: AccountId, filters: Query[StatementQuery]) -> dict[str, Any]:
    """An account's posted movements, newest first, with the running balance after each line.

    Pages by cursor, never by offset, so a long history stays fast: follow ``next_cursor`` with ``before``."""
    account = access.get_account_or_404(request.auth, account_id)
    if filters.before is not None and filters.after is not None:
        raise DomainError("one_cursor", "Give before or after, not both.", "before")
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise DomainError("dates_reversed", "The first day must not be after the last day.", "from")
    page = statements.statement_page(
        account,
        filters.before,
        filters.limit,
        filters.date_from,
        filters.date_to,
        filters.category or None,
        after_id=filters.after,
    )
    currency = account.currency
    return {
        "account": account_out(account),
        "lines": [
            {
                "transfer": line.transfer_id,
                "created_at": line.created_at,
                "kind": line.kind,
                "amount": line.amount,
                "balance_after": line.balance_after,
                "other_account": {"id": line.other_account_id, "holder": line.other_party},
                "memo": line.memo,
                "category": line.category,
                "reference": line.reference,
                "reverses": line.reverses_id,
                "hold": line.hold_id,
                "display": {
                    "amount": _format(currency, line.amount),
                    "balance_after": _format(currency, line.balance_after),
                },
            }
            for line in page.lines
        ],
        "next_cursor": page.older_cursor,
        "previous_cursor": page.newer_cursor,
    }


@router.get("/accounts/{account_id}/holds", response={200: HoldList, **error_responses(401, 404, 422)})
def account_holds(request: HttpRequest, account_id: AccountId) -> dict[str, Any]:
    """Holds on an account not yet taken or released, newest first (at most 200): the payee takes one with
    ``POST /transfers/{id}/post``; either party releases it with ``POST /transfers/{id}/void``."""
    account = access.get_account_or_404(request.auth, account_id)
    currency = account.currency
    return {
        "items": [
            {
                "transfer": hold.transfer_id,
                "created_at": hold.created_at,
                "expires_at": hold.expires_at,
                "amount": hold.amount,
                "other_account": {"id": hold.other_account_id, "holder": hold.other_party},
                "memo": hold.memo,
                "category": hold.category,
                "display": {"amount": _format(currency, hold.amount)},
            }
            for hold in statements.pending_holds(account)
        ]
    }


# --- Payment requests -------------------------------------------------------------------------------------------


class MemberRef(Schema):
    id: int
    display_name: str


class PaymentRequestDisplay(Schema):
    amount: str


class PaymentRequestOut(Schema):
    id: int
    key: uuid.UUID
    status: RequestStatus = Field(description="open, accepted (paid), declined, expired or cancelled (withdrawn).")
    payee: MemberRef = Field(description="Who asked to be paid.")
    payer: MemberRef = Field(description="Who was asked to pay.")
    currency: CurrencyRef
    amount: int
    memo: str
    category: str
    created_at: datetime
    expires_at: datetime = Field(description="An open request lapses at this time.")
    auto_accept_at: datetime | None = Field(description="Paid automatically at this time, if the payer chose so.")
    resolved_at: datetime | None
    decline_reason: str
    transfer: int | None = Field(description="The payment, once accepted.")
    replayed: bool = Field(description="True when this key was already used and nothing new was written.")
    display: PaymentRequestDisplay


class PaymentRequestPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[PaymentRequestOut]


class PaymentRequestQuery(PageQuery):
    role: Literal["made", "received"] | None = Field(
        None, description="made: you asked to be paid; received: you were asked to pay. Default: both."
    )
    status: RequestStatus | None = Field(None, description="Only requests with this status.")


class PaymentRequestIn(Schema):
    model_config = ConfigDict(extra="forbid")

    key: IdempotencyKey
    payer: BodyId = Field(description="The member asked to pay (an active member of your community).")
    currency: CurrencyCode
    amount: Amount
    memo: Text(500, NOT_BLANK) = Field(description="What the payment is for.")
    category: Text(40) = Field("", description="For reports, e.g. gardening.")


class DeclineIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Text(500) = Field("", description="Why not, for the one who asked.")


RequestId = Annotated[int, Path(ge=1, le=MAX_ID)]
REQUEST_ANSWERS = {200: PaymentRequestOut, **error_responses(400, 401, 403, 404, 409, 422)}


def payment_request_out(payment: PaymentRequest, *, replayed: bool = False) -> dict[str, Any]:
    """A request with both members named; load it with payee, payer and currency."""
    return {
        "id": payment.pk,
        "key": payment.key,
        "status": payment.status,
        "payee": {"id": payment.payee_id, "display_name": payment.payee.display_name},
        "payer": {"id": payment.payer_id, "display_name": payment.payer.display_name},
        "currency": currency_ref(payment.currency),
        "amount": payment.amount,
        "memo": payment.memo,
        "category": payment.category,
        "created_at": payment.created_at,
        "expires_at": payment.expires_at,
        "auto_accept_at": payment.auto_accept_at,
        "resolved_at": payment.resolved_at,
        "decline_reason": payment.decline_reason,
        "transfer": payment.transfer_id,
        "replayed": replayed,
        "display": {"amount": _format(payment.currency, payment.amount)},
    }


@router.get("/payment-requests", response={200: PaymentRequestPage, **error_responses(401, 422)})
def list_payment_requests(request: HttpRequest, filters: Query[PaymentRequestQuery]) -> dict[str, Any]:
    """Requests you made and requests you were asked to pay, newest first."""
    viewer = request.auth
    payments_seen = access.payment_requests(viewer)
    if filters.role == "made":
        payments_seen = payments_seen.filter(payee=viewer)
    elif filters.role == "received":
        payments_seen = payments_seen.filter(payer=viewer)
    if filters.status:
        payments_seen = payments_seen.filter(status=filters.status)
    page = page_of(payments_seen.order_by("-created_at", "-pk"), filters)
    page["items"] = [payment_request_out(payment) for payment in page["items"]]
    return page


@router.post("/payment-requests", response={201: PaymentRequestOut, **REQUEST_ANSWERS})
def create_payment_request(request: HttpRequest, payload: PaymentRequestIn) -> Status:
    """Ask a member to pay you. Answers 201; the same ``key`` again answers 200 with the first request
    (``replayed: true``), and with other details 409 ``exists_with_different_<field>``. If the payer pays
    people they trust automatically, the answer may already be ``accepted``."""
    viewer = request.auth
    currency = _currency(viewer, payload.currency)
    payer = _payer(viewer, payload.payer)
    replayed = access.payment_requests(viewer).filter(key=payload.key).exists()
    payment = request_actions.request_payment(
        viewer, payer, currency, payload.amount, payload.memo, payload.key, category=payload.category
    )
    payment = access.get_payment_request_or_404(viewer, payment.pk)
    return Status(200 if replayed else 201, payment_request_out(payment, replayed=replayed))


def _payer(viewer: Member, member_id: int) -> Member:
    """An active member of the viewer's community, or the viewer (whom the action refuses with a reason)."""
    if member_id == viewer.pk:
        return viewer
    payer = access.payee_members(viewer).filter(pk=member_id).first()
    if payer is None:
        raise DomainError("member_unknown", "There is no such member in this community.", "payer")
    return payer


@router.get("/payment-requests/{request_id}", response={200: PaymentRequestOut, **error_responses(401, 404, 422)})
def get_payment_request(request: HttpRequest, request_id: RequestId) -> dict[str, Any]:
    """One request you made or were asked to pay."""
    return payment_request_out(access.get_payment_request_or_404(request.auth, request_id))


@router.post("/payment-requests/{request_id}/accept", response=REQUEST_ANSWERS)
def accept_payment_request(request: HttpRequest, request_id: RequestId) -> dict[str, Any]:
    """Pay what you were asked (the payer only). Accepting twice never pays twice. Refused with 409 if the
    request is no longer open (``request_closed``, ``request_expired``) or the payment would pass a limit."""
    viewer = request.auth
    payment = access.get_payment_request_or_404(viewer, request_id)
    request_actions.accept_request(viewer, payment)
    return payment_request_out(access.get_payment_request_or_404(viewer, request_id))


@router.post("/payment-requests/{request_id}/decline", response=REQUEST_ANSWERS)
def decline_payment_request(request: HttpRequest, request_id: RequestId, payload: DeclineIn) -> dict[str, Any]:
    """Say no to a request you were asked to pay (the payer only); 409 ``request_closed`` if it is not open."""
    viewer = request.auth
    payment = access.get_payment_request_or_404(viewer, request_id)
    request_actions.decline_request(viewer, payment, payload.reason)
    return payment_request_out(access.get_payment_request_or_404(viewer, request_id))


@router.post("/payment-requests/{request_id}/cancel", response=REQUEST_ANSWERS)
def cancel_payment_request(request: HttpRequest, request_id: RequestId) -> dict[str, Any]:
    """Withdraw a request you made (the one who asked only); 409 ``request_closed`` if it is not open."""
    viewer = request.auth
    payment = access.get_payment_request_or_404(viewer, request_id)
    request_actions.cancel_request(viewer, payment)
    return payment_request_out(access.get_payment_request_or_404(viewer, request_id))
