"""The exchange workflow's JSON API: contact a poster, list and read your exchanges, write in the thread, propose
and accept terms, mark done, confirm (one ledger transfer), cancel, dispute, resolve, thank, share contact details.

Thin adapters over market.access.exchanges and market.actions.exchanges, the same ones the pages use. Amounts
are whole numbers in the currency's smallest unit (minutes for time), as in the ledger's API. Someone who is not
one of the two people (nor a coordinator of the community) gets 404 for an exchange, as if it did not exist.
Every answer carries ``steps``: what the caller can do with the exchange now."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import ConfigDict, StrictBool

from ostrom.communities.api import MAX_ID, NOT_BLANK, PageQuery, Text, error_responses, page_of
from ostrom.communities.domain import DomainError
from ostrom.communities.models import Member
from ostrom.ledger import access as ledger_access
from ostrom.ledger.api import Amount, AwareDatetime, CurrencyCode, CurrencyRef, currency_ref
from ostrom.ledger.notices import money
from ostrom.ledger.sms import main_currency

from ..access import exchanges as access
from ..actions import exchanges as actions
from ..domain import exchanges as domain
from ..domain.exchanges import Role
from ..models import Exchange, ExchangeMessage, ExchangeStatus

router = Router()

ExchangeId = Annotated[int, Path(ge=1, le=MAX_ID)]
ListingId = Annotated[int, Path(ge=1, le=MAX_ID)]
# DomainErrors about who is asking are 403, about how things stand now 409 (config/api.py, DOMAIN_ERROR_STATUS);
# an exchange or listing the caller may not see is 404.
ERROR_STATUS = {
    "exchange_not_yours": 403,
    "wrong_party": 403,
    "own_proposal": 403,
    "member_blocked": 403,
    "listing_unknown": 404,
    "already_confirmed": 409,
    "already_thanked": 409,
    "no_proposal": 409,
    "no_terms": 409,
    "listing_unavailable": 409,
    "contact_rate_limited": 429,
    "message_rate_limited": 429,
}
ERRORS = (400, 401, 403, 404, 409, 422)


# --- Schemas -----------------------------------------------------------------------------------------------------


class ExchangePerson(Schema):
    id: int
    display_name: str


class ExchangeMessageOut(Schema):
    id: int
    author: ExchangePerson | None = Field(description='Null for the notes Ostrom adds ("Mina accepted the terms").')
    body: str
    created_at: datetime
    hidden: bool = Field(description="Hidden by a coordinator; only coordinators see such messages.")


class ExchangeContactOut(Schema):
    name: str
    email: str
    phone: str


class ExchangeDisplay(Schema):
    amount: str | None
    transferred: str | None


class ExchangeOut(Schema):
    id: int
    status: ExchangeStatus = Field(
        description="enquiry (talking), agreed, done (waiting for confirmation), confirmed (transferred), "
        "cancelled, disputed (a coordinator decides)."
    )
    listing: int | None = Field(description="The offer or request it started from.")
    what: str
    giver: ExchangePerson
    receiver: ExchangePerson
    your_role: Literal["giver", "receiver", "coordinator"]
    scheduled_for: datetime | None
    currency: CurrencyRef | None
    amount: int | None = Field(description="Agreed (or proposed), in the currency's smallest unit.")
    proposed_by: int | None = Field(description="Who proposed the current terms; the other one accepts them.")
    proposed_at: datetime | None
    agreed_at: datetime | None
    done_at: datetime | None
    confirmed_at: datetime | None
    confirmed_by: int | None
    transfer: int | None = Field(description="The ledger transfer, once confirmed.")
    transferred: int | None = Field(description="What the transfer moved; differs from amount only when a "
                                    "coordinator resolved a dispute for another amount.")  # fmt: skip
    cancelled_at: datetime | None
    cancel_reason: str
    disputed_at: datetime | None
    dispute_reason: str
    resolved_at: datetime | None
    resolution: str
    thanks_note: str
    you_share_contact: bool
    contact: ExchangeContactOut | None = Field(description="The other person's details, once both chose to share them.")
    steps: list[str] = Field(description="What you can do now: write, propose, accept, done, ask, confirm, "
                             "confirm_for, decline, cancel, dispute, resolve, thank, share.")  # fmt: skip
    created_at: datetime
    updated_at: datetime
    display: ExchangeDisplay


class ExchangeDetail(ExchangeOut):
    messages: list[ExchangeMessageOut] = Field(description=f"The newest {access.THREAD_SIZE} messages, oldest first.")


ANSWERS = {200: ExchangeDetail, **error_responses(*ERRORS)}


class ExchangePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ExchangeOut]


class ExchangeQuery(PageQuery):
    state: Literal["open", "past"] | None = Field(
        None, description="open: still going on; past: confirmed or cancelled. Default: both."
    )


class ExchangeContactIn(Schema):
    model_config = ConfigDict(extra="forbid")

    message: Text(domain.MESSAGE_MAX_CHARS, NOT_BLANK) = Field(description="Your first message to the poster.")


class ExchangeMessageIn(Schema):
    model_config = ConfigDict(extra="forbid")

    body: Text(domain.MESSAGE_MAX_CHARS, NOT_BLANK)


class ExchangeTermsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    what: Text(domain.WHAT_MAX_CHARS, NOT_BLANK)
    scheduled_for: AwareDatetime = Field(description="When, with its time zone; not in the past.")
    currency: CurrencyCode | None = Field(None, description="A currency's code. Default: the timebank hours.")
    amount: Amount


class ExchangeCancelIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Text(domain.CANCEL_REASON_MAX_CHARS, NOT_BLANK) = Field(description="Why; the other person sees it.")


class ExchangeDisputeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Text(domain.DISPUTE_REASON_MAX_CHARS, NOT_BLANK) = Field(
        description="What went wrong; the other person and the coordinators see it."
    )


class ExchangeConfirmIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Text(domain.ON_BEHALF_REASON_MAX_CHARS) = Field(
        "", description="Required when a coordinator confirms on the receiver's behalf; kept in the audit log."
    )


class ExchangeDeclineIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Text(domain.CANCEL_REASON_MAX_CHARS) = Field("", description="Why not (yet), for the giver.")


class ExchangeResolveIn(Schema):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["confirm", "cancel"]
    note: Text(domain.RESOLUTION_MAX_CHARS, NOT_BLANK) = Field(description="What you decided and why; both see it.")
    amount: Amount | None = Field(None, description="To confirm another amount than the one agreed (recorded).")


class ExchangeThanksIn(Schema):
    model_config = ConfigDict(extra="forbid")

    note: Text(domain.THANKS_MAX_CHARS, NOT_BLANK)


class ExchangeShareIn(Schema):
    model_config = ConfigDict(extra="forbid")

    share: StrictBool = Field(description="True to share your email and phone with the other person.")


# --- Turning rows into answers -----------------------------------------------------------------------------------


def exchange_out(viewer: Member, exchange: Exchange) -> dict[str, Any]:
    currency = exchange.currency
    transferred = exchange.transfer.amount if exchange.transfer_id else None
    roles = access.roles_of(viewer, exchange)
    contact = access.contact_details(viewer, exchange)
    return {
        "id": exchange.pk,
        "status": exchange.status,
        "listing": exchange.listing_id,
        "what": exchange.what,
        "giver": _person(exchange.giver),
        "receiver": _person(exchange.receiver),
        "your_role": next((role.value for role in (Role.GIVER, Role.RECEIVER) if role in roles), "coordinator"),
        "scheduled_for": exchange.scheduled_for,
        "currency": currency_ref(currency) if currency else None,
        "amount": exchange.amount,
        "proposed_by": exchange.proposed_by_id,
        "proposed_at": exchange.proposed_at,
        "agreed_at": exchange.agreed_at,
        "done_at": exchange.done_at,
        "confirmed_at": exchange.confirmed_at,
        "confirmed_by": exchange.confirmed_by_id,
        "transfer": exchange.transfer_id,
        "transferred": transferred,
        "cancelled_at": exchange.cancelled_at,
        "cancel_reason": exchange.cancel_reason,
        "disputed_at": exchange.disputed_at,
        "dispute_reason": exchange.dispute_reason,
        "resolved_at": exchange.resolved_at,
        "resolution": exchange.resolution,
        "thanks_note": exchange.thanks_note,
        "you_share_contact": access.shares_contact(viewer, exchange),
        "contact": contact.__dict__ if contact else None,
        "steps": sorted(step.value for step in access.steps_for(viewer, exchange)),
        "created_at": exchange.created_at,
        "updated_at": exchange.updated_at,
        "display": {
            "amount": money(exchange.amount, currency) if currency and exchange.amount is not None else None,
            "transferred": money(transferred, currency) if currency and transferred is not None else None,
        },
    }


def exchange_detail(viewer: Member, exchange_id: int) -> dict[str, Any]:
    exchange = access.get_exchange_or_404(viewer, exchange_id)
    return {**exchange_out(viewer, exchange), "messages": [_message(m) for m in access.thread(viewer, exchange)]}


def _person(member: Member) -> dict[str, Any]:
    return {"id": member.pk, "display_name": member.display_name}


def _message(message: ExchangeMessage) -> dict[str, Any]:
    author = _person(message.author) if message.author else None
    return {
        "id": message.pk,
        "author": author,
        "body": message.body,
        "created_at": message.created_at,
        "hidden": message.hidden_at is not None,
    }


# --- Endpoints ---------------------------------------------------------------------------------------------------


@router.get("/market/exchanges", response={200: ExchangePage, **error_responses(401, 422)})
def list_exchanges(request: HttpRequest, filters: Query[ExchangeQuery]) -> dict[str, Any]:
    """Exchanges you give or receive in, most recently changed first."""
    viewer = request.auth
    mine = access.my_exchanges(viewer)
    if filters.state == "open":
        mine = mine.filter(status__in=domain.OPEN_STATUSES)
    elif filters.state == "past":
        mine = mine.exclude(status__in=domain.OPEN_STATUSES)
    page = page_of(mine.order_by("-updated_at", "-pk"), filters)
    page["items"] = [exchange_out(viewer, exchange) for exchange in page["items"]]
    return page


@router.post(
    "/market/listings/{listing_id}/contact",
    response={201: ExchangeDetail, 200: ExchangeDetail, **error_responses(*ERRORS)},
)
def contact_poster(request: HttpRequest, listing_id: ListingId, payload: ExchangeContactIn) -> Status:
    """Write to the poster of an offer or request you can see. Answers 201 with the new exchange; when you
    already have an open exchange about it, 200 with that one and your message added to its thread. For an offer
    the poster gives and you receive; for a request, the other way round. Your own listing (400 ``same_person``)
    and someone in a block with you (403 ``member_blocked``) are refused."""
    viewer = request.auth
    listing = access.get_listing_to_contact_or_404(viewer, listing_id)
    started = actions.start(viewer, listing, payload.message)
    return Status(201 if started.created else 200, exchange_detail(viewer, started.exchange.pk))


@router.get("/market/exchanges/{exchange_id}", response={200: ExchangeDetail, **error_responses(401, 404, 422)})
def get_exchange(request: HttpRequest, exchange_id: ExchangeId) -> dict[str, Any]:
    """An exchange you are part of (or any of the community's, for coordinators), with its thread."""
    return exchange_detail(request.auth, exchange_id)


def _step(request: HttpRequest, exchange_id: int, act) -> dict[str, Any]:
    viewer = request.auth
    act(viewer, access.get_exchange_or_404(viewer, exchange_id))
    return exchange_detail(viewer, exchange_id)


@router.post("/market/exchanges/{exchange_id}/messages", response={201: ExchangeDetail, **error_responses(*ERRORS)})
def post_message(request: HttpRequest, exchange_id: ExchangeId, payload: ExchangeMessageIn) -> Status:
    """Write in the thread; the other person is told. Coordinators write only while resolving a dispute."""
    return Status(201, _step(request, exchange_id, lambda v, e: actions.post_message(v, e, payload.body)))


@router.post("/market/exchanges/{exchange_id}/terms", response=ANSWERS)
def propose_terms(request: HttpRequest, exchange_id: ExchangeId, payload: ExchangeTermsIn) -> dict[str, Any]:
    """Propose what, when and how much (the other side accepts). Changing agreed terms undoes the agreement."""
    viewer = request.auth
    currency = _currency(viewer, payload.currency)

    def propose(viewer: Member, exchange: Exchange) -> None:
        actions.propose_terms(
            viewer, exchange, what=payload.what, scheduled_for=payload.scheduled_for, currency=currency,
            amount=payload.amount,
        )  # fmt: skip

    return _step(request, exchange_id, propose)


def _currency(viewer: Member, code: str | None):
    currency = (
        ledger_access.currencies(viewer).filter(code=code).first() if code else main_currency(viewer.community_id)
    )
    if currency is None:
        raise DomainError("currency_unknown", "This community has no such currency.", "currency")
    return currency


@router.post("/market/exchanges/{exchange_id}/accept", response=ANSWERS)
def accept_terms(request: HttpRequest, exchange_id: ExchangeId) -> dict[str, Any]:
    """Accept the terms the other side proposed: the exchange is agreed."""
    return _step(request, exchange_id, actions.accept_terms)


@router.post("/market/exchanges/{exchange_id}/done", response=ANSWERS)
def mark_done(request: HttpRequest, exchange_id: ExchangeId) -> dict[str, Any]:
    """Say the help was given. When the giver says so, the receiver is asked to confirm."""
    return _step(request, exchange_id, actions.mark_done)


@router.post("/market/exchanges/{exchange_id}/ask", response=ANSWERS)
def ask_for_confirmation(request: HttpRequest, exchange_id: ExchangeId) -> dict[str, Any]:
    """The giver asks the receiver to confirm (by message, and by text with YES <code>); at most once a day."""
    return _step(request, exchange_id, actions.ask_for_confirmation)


@router.post("/market/exchanges/{exchange_id}/confirm", response=ANSWERS)
def confirm(request: HttpRequest, exchange_id: ExchangeId, payload: ExchangeConfirmIn) -> dict[str, Any]:
    """The receiver confirms: one transfer of the agreed amount to the giver. A coordinator confirms on the
    receiver's behalf with a ``reason`` (audited). Confirming again is refused with 409 ``already_confirmed`` and
    writes nothing; a ledger refusal (a limit, a frozen account) is 409 with the ledger's words, and the exchange
    stays as it was."""

    def settle(viewer: Member, exchange: Exchange) -> None:
        if Role.COORDINATOR in access.roles_of(viewer, exchange):
            actions.confirm_on_behalf(viewer, exchange, payload.reason)
        else:
            actions.confirm(viewer, exchange)

    return _step(request, exchange_id, settle)


@router.post("/market/exchanges/{exchange_id}/decline", response=ANSWERS)
def decline(request: HttpRequest, exchange_id: ExchangeId, payload: ExchangeDeclineIn) -> dict[str, Any]:
    """The receiver says it is not (yet) confirmed: it stays done, and the giver is told."""
    return _step(request, exchange_id, lambda v, e: actions.decline_confirmation(v, e, payload.reason))


@router.post("/market/exchanges/{exchange_id}/cancel", response=ANSWERS)
def cancel(request: HttpRequest, exchange_id: ExchangeId, payload: ExchangeCancelIn) -> dict[str, Any]:
    """Either side calls it off before confirmation, saying why."""
    return _step(request, exchange_id, lambda v, e: actions.cancel(v, e, payload.reason))


@router.post("/market/exchanges/{exchange_id}/dispute", response=ANSWERS)
def dispute(request: HttpRequest, exchange_id: ExchangeId, payload: ExchangeDisputeIn) -> dict[str, Any]:
    """Either side says something went wrong after agreeing; the community's coordinators are told."""
    return _step(request, exchange_id, lambda v, e: actions.dispute(v, e, payload.reason))


@router.post("/market/exchanges/{exchange_id}/resolve", response=ANSWERS)
def resolve(request: HttpRequest, exchange_id: ExchangeId, payload: ExchangeResolveIn) -> dict[str, Any]:
    """A coordinator (not one of the two) confirms a disputed exchange -- for the agreed amount, or ``amount``
    -- or cancels it, with a note both see. Audited."""
    confirm_it = payload.outcome == "confirm"

    def settle(viewer: Member, exchange: Exchange) -> None:
        actions.resolve(viewer, exchange, confirm_it=confirm_it, note=payload.note, amount=payload.amount)

    return _step(request, exchange_id, settle)


@router.post("/market/exchanges/{exchange_id}/thanks", response=ANSWERS)
def thank(request: HttpRequest, exchange_id: ExchangeId, payload: ExchangeThanksIn) -> dict[str, Any]:
    """After confirmation the receiver leaves one thank-you note for the giver."""
    return _step(request, exchange_id, lambda v, e: actions.thank(v, e, payload.note))


@router.post("/market/exchanges/{exchange_id}/contact-details", response=ANSWERS)
def share_contact(request: HttpRequest, exchange_id: ExchangeId, payload: ExchangeShareIn) -> dict[str, Any]:
    """Share (or stop sharing) your email and phone; each sees the other's once both share."""
    return _step(request, exchange_id, lambda v, e: actions.share_contact(v, e, payload.share))
