"""Exchanges: contact about a listing, talk, agree terms, mark done, confirm (one ledger transfer), thank; or
cancel, dispute, and a coordinator resolves. Views, the API and SMS YES/NO all call these.

Every step runs in one transaction that locks the exchange row first (``select_for_update``), asks the state
machine in domain/exchanges.py whether this person may take it from the status found under the lock, then
writes the change, a note in the thread and the notices. So two people pressing at the same moment take turns:
the second finds the status the first left and is told so in words.

Confirming posts one ledger transfer from the receiver to the giver under the exchange's fixed ``transfer_key``.
The row lock makes a second confirmation find "confirmed" and write nothing; should anything ever get past it,
the ledger's idempotency on that key returns the same transfer instead of making another. A refusal by the
ledger (a limit, a frozen account) rolls the whole step back: the exchange stays as it was and the person sees
the ledger's sentence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from ostrom.communities.actions import audit
from ostrom.communities.domain import COORDINATING_ROLES, DomainError, Status
from ostrom.communities.models import Member, Organisation
from ostrom.ledger import actions as ledger
from ostrom.ledger.actions import Posted
from ostrom.ledger.models import Account, Currency
from ostrom.ledger.notices import money

from ..access.moderation import blocked_member_ids
from ..domain import exchanges as domain
from ..domain.exchanges import Role, Step
from ..models import Exchange, ExchangeMessage, ExchangeStatus, Listing
from ..notices import exchanges as notices

TRANSFER_CATEGORY = "exchange"
MAX_CODE_TRIES = 20
LOCKED_RELATED = ("giver__user", "receiver__user", "giver__community", "started_by", "currency", "listing",
                  "community", "proposed_by", "disputed_by")  # fmt: skip


@dataclass(frozen=True)
class Started:
    """The exchange a contact went to, and whether it is new (False: the message joined the open thread)."""

    exchange: Exchange
    created: bool


def start(member: Member, listing: Listing, first_message: str) -> Started:
    """``member`` contacts the poster about ``listing`` with a first message. One open exchange per listing and
    member: contacting again adds the message to that thread."""
    body = domain.check_message(first_message)
    _require_active(member)
    if listing.community_id != member.community_id:
        raise DomainError("listing_unknown", "There is no such offer or request here.")
    giver_id, receiver_id = domain.parties(listing.kind, listing.member_id, member.pk)
    with transaction.atomic():
        _lock_writer(member)
        # Locking the listing makes two contacts by the same member (a double click) take turns, so the second
        # finds the first one's thread instead of opening another.
        locked = Listing.objects.select_for_update().select_related("member").get(pk=listing.pk)
        if not locked.is_visible:
            raise DomainError("listing_unavailable", "This offer or request is not open for contact now.")
        if locked.member_id in blocked_member_ids(member):
            raise DomainError("member_blocked", "You can't contact this person.")
        existing = (
            Exchange.objects.select_for_update(of=("self",))
            .select_related(*LOCKED_RELATED)
            .filter(listing=locked, started_by=member, status__in=domain.OPEN_STATUSES)
            .order_by("pk")
            .first()
        )
        now = timezone.now()
        _check_message_rate(member, now)
        if existing is not None:
            _write(existing, member, body)
            return Started(existing, False)
        started = Exchange.objects.filter(started_by=member, created_at__gt=now - domain.CONTACT_WINDOW).count()
        domain.check_contact_rate(started)
        exchange = Exchange.objects.create(
            community_id=member.community_id, listing=locked, giver_id=giver_id, receiver_id=receiver_id,
            started_by=member, what=locked.title[: domain.WHAT_MAX_CHARS], created_at=now, updated_at=now,
        )  # fmt: skip
        message = ExchangeMessage.objects.create(exchange=exchange, author=member, body=body, created_at=now)
        notices.contacted(exchange, message, locked.member)
    return Started(exchange, True)


def post_message(author: Member, exchange: Exchange, body: str) -> ExchangeMessage:
    """Add a message to the thread and tell the other side (both sides, when a coordinator writes)."""
    body = domain.check_message(body)
    with transaction.atomic():
        _lock_writer(author)
        locked, roles = _lock(author, exchange)
        domain.check(Step.WRITE, roles, locked.status)
        if Role.COORDINATOR not in roles and _other(author, locked).pk in blocked_member_ids(author):
            raise DomainError("member_blocked", "You can't write to this person.")
        if Role.COORDINATOR not in roles:
            _check_message_rate(author, timezone.now())
        return _write(locked, author, body)


def propose_terms(
    member: Member, exchange: Exchange, *, what: str, scheduled_for: datetime | None, currency: Currency, amount: int
) -> Exchange:
    """Propose what, when and how much; the other side accepts. Changing agreed terms undoes the agreement."""
    terms = domain.check_terms(what, scheduled_for, amount, timezone.now())
    _check_currency(member, currency)
    with transaction.atomic():
        locked, roles = _lock(member, exchange)
        domain.check(Step.PROPOSE, roles, locked.status)
        was_agreed = locked.status == ExchangeStatus.AGREED
        now = timezone.now()
        locked.what, locked.scheduled_for, locked.currency, locked.amount = (
            terms.what, terms.scheduled_for, currency, terms.amount
        )  # fmt: skip
        locked.proposed_by, locked.proposed_at = member, now
        locked.status, locked.agreed_at = ExchangeStatus.ENQUIRY, None
        _save(locked, "what", "scheduled_for", "currency", "amount", "proposed_by", "proposed_at", "status",
              "agreed_at")  # fmt: skip
        change = "changed the agreed terms" if was_agreed else "proposed"
        _note(locked, f"{member.display_name} {change}: {notices.describe(locked, member)}.")
        notices.terms_proposed(locked, _other(member, locked))
    return locked


def accept_terms(member: Member, exchange: Exchange) -> Exchange:
    """Accept the terms the other side proposed: the exchange is agreed."""
    with transaction.atomic():
        locked, roles = _lock(member, exchange)
        domain.check(Step.ACCEPT, roles, locked.status)
        domain.check_not_proposer(member.pk, locked.proposed_by_id)
        domain.check_two_people(locked.giver_id, locked.receiver_id)
        if locked.scheduled_for is not None:
            domain.check_when(locked.scheduled_for, timezone.now())
        _check_currency(member, locked.currency)
        locked.status, locked.agreed_at = ExchangeStatus.AGREED, timezone.now()
        _save(locked, "status", "agreed_at")
        _note(locked, f"{member.display_name} accepted: {notices.describe(locked, member)}.")
        notices.terms_accepted(locked, _other(member, locked), member)
    return locked


def mark_done(member: Member, exchange: Exchange) -> Exchange:
    """Either side says the help was given. When the giver says so, the receiver is asked to confirm."""
    with transaction.atomic():
        locked, roles = _lock(member, exchange)
        domain.check(Step.MARK_DONE, roles, locked.status)
        locked.status, locked.done_at, locked.done_by = ExchangeStatus.DONE, timezone.now(), member
        _save(locked, "status", "done_at", "done_by")
        _note(locked, f"{member.display_name} marked it as done.")
        if Role.GIVER in roles:
            _ask(locked)
        else:
            notices.marked_done(locked, locked.giver, member)
    return locked


def ask_for_confirmation(giver: Member, exchange: Exchange) -> Exchange:
    """The giver asks the receiver to confirm: by message, and by text with YES <code> if they chose texts.
    Asking again the same day sends nothing more."""
    with transaction.atomic():
        locked, roles = _lock(giver, exchange)
        domain.check(Step.ASK, roles, locked.status)
        _ask(locked)
        _save(locked)
    return locked


def confirm(receiver: Member, exchange: Exchange) -> Exchange:
    """The receiver confirms the help: one transfer of the agreed amount from them to the giver."""
    with transaction.atomic():
        locked, roles = _lock(receiver, exchange)
        domain.check(Step.CONFIRM, roles, locked.status)
        posted = _settle(locked, receiver, locked.amount)
        _note(locked, f"{receiver.display_name} confirmed: {money(posted.amount, locked.currency)} transferred.")
        notices.confirmed(locked, posted.amount, _giver_balance(locked, posted), receiver)
    return locked


def confirm_on_behalf(coordinator: Member, exchange: Exchange, reason: str) -> Exchange:
    """A coordinator confirms for a receiver who can't (no phone, no internet), saying why. Audited."""
    reason = domain.check_reason(reason, domain.ON_BEHALF_REASON_MAX_CHARS)
    with transaction.atomic():
        locked, roles = _lock(coordinator, exchange)
        domain.check(Step.CONFIRM_FOR, roles, locked.status)
        posted = _settle(locked, coordinator, locked.amount, reason=reason)
        audit(
            locked.community, coordinator.user, "market.exchange_confirmed_on_behalf", locked.receiver, reason,
            exchange=locked.pk, transfer=posted.id, amount=posted.amount, currency=locked.currency.code,
        )  # fmt: skip
        _note(
            locked,
            f"{coordinator.display_name} (coordinator) confirmed for {locked.receiver.display_name}: "
            f"{money(posted.amount, locked.currency)} transferred. Why: {reason}",
        )
        notices.confirmed(locked, posted.amount, _giver_balance(locked, posted), coordinator, reason)
    return locked


def decline_confirmation(receiver: Member, exchange: Exchange, reason: str = "") -> Exchange:
    """The receiver says NO to a request to confirm: the exchange stays done and the giver is told."""
    reason = domain.check_reason(reason, domain.CANCEL_REASON_MAX_CHARS, required=False)
    with transaction.atomic():
        locked, roles = _lock(receiver, exchange)
        domain.check(Step.DECLINE, roles, locked.status)
        _save(locked)
        because = f" They said: {reason}" if reason else ""
        _note(locked, f"{receiver.display_name} did not confirm it yet.{because}")
        notices.declined(locked, reason)
    return locked


def cancel(member: Member, exchange: Exchange, reason: str) -> Exchange:
    """Either side calls it off before confirmation, saying why."""
    reason = domain.check_reason(reason, domain.CANCEL_REASON_MAX_CHARS)
    with transaction.atomic():
        locked, roles = _lock(member, exchange)
        domain.check(Step.CANCEL, roles, locked.status)
        _close(locked, member, reason)
        _note(locked, f"{member.display_name} cancelled it. Why: {reason}")
        notices.cancelled(locked, [_other(member, locked)], member)
    return locked


def dispute(member: Member, exchange: Exchange, reason: str) -> Exchange:
    """Either side says something went wrong after agreeing: a coordinator resolves it."""
    reason = domain.check_reason(reason, domain.DISPUTE_REASON_MAX_CHARS)
    with transaction.atomic():
        locked, roles = _lock(member, exchange)
        domain.check(Step.DISPUTE, roles, locked.status)
        locked.status, locked.disputed_at, locked.disputed_by, locked.dispute_reason = (
            ExchangeStatus.DISPUTED, timezone.now(), member, reason
        )  # fmt: skip
        _save(locked, "status", "disputed_at", "disputed_by", "dispute_reason")
        _note(locked, f"{member.display_name} disputed it. Why: {reason}")
        notices.disputed(locked, _other(member, locked), _coordinators_of(locked))
    return locked


def resolve(
    coordinator: Member, exchange: Exchange, *, confirm_it: bool, note: str, amount: int | None = None
) -> Exchange:
    """A coordinator settles a dispute: confirm (for the agreed amount, or another one, which is recorded) or
    cancel, with a note both sides see. Audited."""
    note = domain.check_reason(note, domain.RESOLUTION_MAX_CHARS, field="note")
    if amount is not None and not confirm_it:
        raise DomainError("amount_without_confirm", "An amount goes with confirming, not with cancelling.", "amount")
    with transaction.atomic():
        locked, roles = _lock(coordinator, exchange)
        domain.check(Step.RESOLVE, roles, locked.status)
        now = timezone.now()
        locked.resolved_at, locked.resolved_by, locked.resolution = now, coordinator, note
        paid = None
        if confirm_it:
            if locked.amount is None or locked.currency is None:
                raise DomainError("no_terms", "There are no agreed terms to confirm; cancel it instead.")
            paid = _settle(locked, coordinator, amount if amount is not None else locked.amount, reason=note).amount
        else:
            _close(locked, coordinator, note)
        _save(locked, "resolved_at", "resolved_by", "resolution")
        details = {"exchange": locked.pk, "outcome": "confirmed" if confirm_it else "cancelled"}
        if paid is not None:
            details.update(transfer=locked.transfer_id, amount=paid, agreed_amount=locked.amount)
        audit(locked.community, coordinator.user, "market.exchange_dispute_resolved", locked.receiver, note, **details)
        _note(locked, _resolution_note(locked, coordinator, paid))
        notices.resolved(locked, [locked.giver, locked.receiver], coordinator, paid)
    return locked


def thank(receiver: Member, exchange: Exchange, note: str) -> Exchange:
    """After confirmation the receiver may leave one thank-you note, shown to the giver."""
    note = domain.check_thanks(note)
    with transaction.atomic():
        locked, roles = _lock(receiver, exchange)
        domain.check(Step.THANK, roles, locked.status)
        if locked.thanks_note:
            raise DomainError("already_thanked", "You have already said thank you for this exchange.")
        locked.thanks_note, locked.thanked_at = note, timezone.now()
        _save(locked, "thanks_note", "thanked_at")
        notices.thanked(locked)
    return locked


def share_contact(member: Member, exchange: Exchange, share: bool) -> Exchange:
    """Tick or untick "share my contact details": each sees the other's once both have ticked it."""
    with transaction.atomic():
        locked, roles = _lock(member, exchange)
        domain.check(Step.SHARE, roles, locked.status)
        field = "giver_shares_contact" if Role.GIVER in roles else "receiver_shares_contact"
        if getattr(locked, field) == share:
            return locked
        setattr(locked, field, share)
        _save(locked, field)
        said = "is happy to share contact details" if share else "no longer shares contact details"
        _note(locked, f"{member.display_name} {said}.")
    return locked


# --- the steps' shared parts -------------------------------------------------------------------------------------


def _lock(member: Member, exchange: Exchange) -> tuple[Exchange, frozenset[Role]]:
    """The exchange's row, locked until the transaction ends, and what ``member`` is in it."""
    _require_active(member)
    locked = (
        Exchange.objects.select_for_update(of=("self",))
        .select_related(*LOCKED_RELATED)
        .filter(pk=exchange.pk, community_id=member.community_id)
        .first()
    )
    if locked is None:
        raise DomainError("exchange_not_yours", "This exchange is not one of yours.")
    roles = domain.roles_for(
        member.pk, is_coordinator=member.is_coordinator, giver_id=locked.giver_id, receiver_id=locked.receiver_id
    )
    return locked, roles


def _require_active(member: Member) -> None:
    if not member.is_active:
        raise DomainError("member_not_active", "Only active members can take part in exchanges.")


def _other(member: Member, exchange: Exchange) -> Member:
    return exchange.receiver if member.pk == exchange.giver_id else exchange.giver


def _save(exchange: Exchange, *fields: str) -> None:
    exchange.updated_at = timezone.now()
    exchange.save(update_fields=[*fields, "updated_at"])


def _lock_writer(member: Member) -> None:
    """Take the writer's row first (before any listing or exchange), so their messages and new conversations are
    counted one after another and the posting limits hold under a burst."""
    Member.objects.select_for_update().filter(pk=member.pk).first()


def _check_message_rate(member: Member, now: datetime) -> None:
    sent = ExchangeMessage.objects.filter(author=member, created_at__gt=now - domain.MESSAGE_WINDOW).count()
    domain.check_message_rate(sent)


def _write(exchange: Exchange, author: Member, body: str) -> ExchangeMessage:
    message = ExchangeMessage.objects.create(exchange=exchange, author=author, body=body)
    _save(exchange)
    if author.pk in (exchange.giver_id, exchange.receiver_id):
        recipients = [_other(author, exchange)]
    else:
        recipients = [exchange.giver, exchange.receiver]
    notices.message_written(exchange, message, recipients)
    return message


def _note(exchange: Exchange, text: str) -> None:
    """A line the system adds to the thread, so the thread tells the whole story."""
    ExchangeMessage.objects.create(exchange=exchange, author=None, body=text[: domain.MESSAGE_MAX_CHARS])


def _check_currency(member: Member, currency: Currency | None) -> None:
    if currency is None or currency.community_id != member.community_id or not currency.is_active:
        raise DomainError("currency_unknown", "Choose one of this community's currencies.", "currency")


def _ask(locked: Exchange) -> None:
    """Give the exchange its YES code (if it has none) and ask the receiver, at most once a day."""
    _give_code(locked)
    today = timezone.now().date().isoformat()  # a UTC day: the bound is about cost, not the member's calendar
    notices.confirmation_requested(locked, dedupe_key=f"market.exchange_confirm:{locked.pk}:{today}")
    _note(locked, f"{locked.giver.display_name} asked {locked.receiver.display_name} to confirm.")


def _give_code(locked: Exchange) -> str:
    """A code unique among the community's open exchanges. A closed exchange keeps its code (so a late second
    YES is told "already confirmed") until a new exchange draws the same one and takes it over."""
    if locked.confirm_code:
        return locked.confirm_code
    in_community = Exchange.objects.filter(community_id=locked.community_id)
    for _ in range(MAX_CODE_TRIES):
        code = domain.new_confirm_code()
        holders = in_community.filter(confirm_code=code)
        if holders.filter(status__in=domain.OPEN_STATUSES).exists():
            continue
        try:
            with transaction.atomic():
                holders.exclude(status__in=domain.OPEN_STATUSES).update(confirm_code="")
                Exchange.objects.filter(pk=locked.pk).update(confirm_code=code)
        except IntegrityError:  # another exchange drew the same code a moment ago
            continue
        locked.confirm_code = code
        return code
    raise RuntimeError(f"no free confirmation code after {MAX_CODE_TRIES} tries")


def _settle(locked: Exchange, actor: Member, amount: int | None, *, reason: str = "") -> Posted:
    """Post the one transfer (receiver → giver) under the exchange's key and mark it confirmed."""
    currency = locked.currency
    if currency is None or amount is None:
        raise DomainError("no_terms", "Agree the terms (what, when and how much) before confirming.")
    _check_currency(actor, currency)
    posted = ledger.transfer(
        debit=_account(locked, locked.receiver, currency),
        credit=_account(locked, locked.giver, currency),
        amount=amount,
        key=locked.transfer_key,
        memo=locked.what,
        category=TRANSFER_CATEGORY,
        reference=f"exchange:{locked.pk}",
        actor=actor.user,
        on_behalf_of=locked.receiver if actor.pk != locked.receiver_id else None,
        reason=reason,
    )
    now = timezone.now()
    locked.status, locked.transfer_id, locked.confirmed_at, locked.confirmed_by = (
        ExchangeStatus.CONFIRMED, posted.id, now, actor
    )  # fmt: skip
    if locked.done_at is None:
        locked.done_at, locked.done_by = now, actor
    _save(locked, "status", "transfer", "confirmed_at", "confirmed_by", "done_at", "done_by")
    return posted


def _account(locked: Exchange, person: Member, currency: Currency) -> Account:
    """The account a side pays from or is paid into: the organisation's when the person posted the listing for
    it (a partner's offer is paid to the partner), else their own. Opened by the first exchange if need be."""
    organisation = _organisation_of(locked, person)
    if organisation is not None:
        return ledger.open_account(currency, organisation=organisation)
    return ledger.open_account(currency, member=person)


def _organisation_of(locked: Exchange, person: Member) -> Organisation | None:
    listing = locked.listing
    if listing is None or listing.organisation_id is None or listing.member_id != person.pk:
        return None
    return listing.organisation


def _giver_balance(locked: Exchange, posted: Posted) -> int | None:
    """The giver's balance after the transfer, when the account paid into is their own."""
    return None if _organisation_of(locked, locked.giver) else posted.credit_balance_after


def _coordinators_of(locked: Exchange) -> list[Member]:
    """The community's active coordinators who are not one of the two people: those who resolve a dispute."""
    coordinators = (
        Member.objects.filter(community_id=locked.community_id, status=Status.ACTIVE, role__in=COORDINATING_ROLES)
        .exclude(pk__in=[locked.giver_id, locked.receiver_id])
        .select_related("user", "community")
        .order_by("pk")
    )
    return list(coordinators[: notices.MAX_COORDINATORS_TOLD])


def _close(locked: Exchange, by: Member, reason: str) -> None:
    locked.status, locked.cancelled_at, locked.cancelled_by, locked.cancel_reason = (
        ExchangeStatus.CANCELLED, timezone.now(), by, reason[: domain.CANCEL_REASON_MAX_CHARS]
    )  # fmt: skip
    _save(locked, "status", "cancelled_at", "cancelled_by", "cancel_reason")


def _resolution_note(locked: Exchange, coordinator: Member, paid: int | None) -> str:
    who = f"{coordinator.display_name} (coordinator) resolved the dispute"
    if paid is None:
        return f"{who} by cancelling it. {locked.resolution}"
    amount = money(paid, locked.currency)
    if locked.amount is not None and paid != locked.amount:
        agreed = money(locked.amount, locked.currency)
        return f"{who} by confirming {amount} instead of the agreed {agreed}. {locked.resolution}"
    return f"{who} by confirming {amount}. {locked.resolution}"
