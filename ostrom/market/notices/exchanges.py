"""What the exchange workflow tells people, and its digest section.

Every notice is written to notify's outbox by ``outbox.notify`` inside the action's own transaction, so a step
that is refused or rolled back tells nobody anything; the worker sends it later, by the channel the member chose
for that kind. Texts fit one SMS: only the exchange's "what" is cut, never the amount or what to reply."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.urls import reverse

from ostrom.communities.models import Member
from ostrom.ledger.notices import fit_memo, money, short, text_amount
from ostrom.notify import registry
from ostrom.notify.actions import outbox
from ostrom.notify.domain import sms_text
from ostrom.notify.registry import DigestSection, MessageKind

from ..models import Exchange, ExchangeMessage, ExchangeStatus

MESSAGE = MessageKind("market.exchange_message", "Messages about your exchanges")
UPDATE = MessageKind("market.exchange_update", "Changes to your exchanges: terms, done, confirmed, cancelled")
CONFIRM = MessageKind("market.exchange_confirm", "Requests to confirm help you received")
DISPUTE = MessageKind("market.exchange_dispute", "Disputed exchanges to resolve (coordinators)")
KINDS = (MESSAGE, UPDATE, CONFIRM, DISPUTE)

WAITING_SECTION = "market.exchanges_waiting"
# A digest lists at most this many exchanges waiting on the member; the page has them all.
MAX_WAITING = 10
# Coordinators told of one dispute: enough for any community's team, and a bound on the rows one dispute writes.
MAX_COORDINATORS_TOLD = 20
MAX_NAME_CHARS = 30
# How much of a message the email and the text quote.
QUOTE_CHARS = 300


def register() -> None:
    """Register the exchange notices and the "exchanges waiting for you" digest section; safe to call twice."""
    for kind in KINDS:
        registry.register_kind(kind)
    registry.register_digest_section(DigestSection(WAITING_SECTION, "Exchanges waiting for you", 30, waiting_lines))


# --- notices, called inside the actions' transactions -----------------------------------------------------------


def contacted(exchange: Exchange, message: ExchangeMessage, poster: Member) -> None:
    """Tell the listing's poster that someone wrote about it."""
    starter = exchange.started_by.display_name
    listing = exchange.listing.title if exchange.listing else exchange.what
    subject = f"{starter} wrote about “{listing}”"
    body = _letter(poster, f"{starter} wrote about “{listing}”:\n\n{_quote(message.body)}", exchange)
    sms = fit_memo(f"{_name(starter)} wrote about '", listing, "'. Reply on the Ostrom marketplace.")
    outbox.notify(poster, MESSAGE.key, subject=subject, body=body, sms_body=sms)


def message_written(exchange: Exchange, message: ExchangeMessage, recipients: list[Member]) -> None:
    author = message.author.display_name if message.author else "Ostrom"
    for recipient in recipients:
        subject = f"{author} wrote about “{exchange.what}”"
        body = _letter(recipient, f"{author} wrote about “{exchange.what}”:\n\n{_quote(message.body)}", exchange)
        sms = fit_memo(f"{_name(author)}: '", message.body, "'. Reply on the Ostrom marketplace.")
        outbox.notify(recipient, MESSAGE.key, subject=subject, body=body, sms_body=sms)


def terms_proposed(exchange: Exchange, recipient: Member) -> None:
    proposer = exchange.proposed_by.display_name
    subject = f"{proposer} proposed terms for “{exchange.what}”"
    body = _letter(
        recipient, f"{proposer} proposes: {describe(exchange, recipient)}.\nAccept them or propose others.", exchange
    )
    sms = fit_memo(
        f"{_name(proposer)} proposes '", exchange.what, f"', {text_amount(exchange.amount, exchange.currency)}, "
        f"{when(exchange.scheduled_for, recipient)}. Accept on the Ostrom marketplace.",
    )  # fmt: skip
    outbox.notify(recipient, UPDATE.key, subject=subject, body=body, sms_body=sms)


def terms_accepted(exchange: Exchange, recipient: Member, accepted_by: Member) -> None:
    who = accepted_by.display_name
    subject = f"{who} accepted the terms for “{exchange.what}”"
    body = _letter(recipient, f"{who} accepted: {describe(exchange, recipient)}.", exchange)
    sms = fit_memo(f"{_name(who)} accepted '", exchange.what, f"' for {when(exchange.scheduled_for, recipient)}.")
    outbox.notify(recipient, UPDATE.key, subject=subject, body=body, sms_body=sms)


def marked_done(exchange: Exchange, recipient: Member, by: Member) -> None:
    """The receiver marked it done: tell the giver (when the giver marks it done, ``confirmation_requested``)."""
    who = by.display_name
    subject = f"{who} marked “{exchange.what}” as done"
    body = _letter(recipient, f"{who} marked “{exchange.what}” as done. It is confirmed next.", exchange)
    sms = fit_memo(f"{_name(who)} marked '", exchange.what, "' as done.")
    outbox.notify(recipient, UPDATE.key, subject=subject, body=body, sms_body=sms)


def confirmation_requested(exchange: Exchange, *, dedupe_key: str | None = None) -> list:
    """Ask the receiver to confirm, on the page or by texting YES <code> (NO <code> if it did not happen)."""
    receiver, giver = exchange.receiver, exchange.giver.display_name
    code, amount = exchange.confirm_code, text_amount(exchange.amount, exchange.currency)
    subject = f"{giver} asks you to confirm “{exchange.what}”"
    body = _letter(
        receiver,
        f"{giver} says they gave you “{exchange.what}” ({money(exchange.amount, exchange.currency)}).\n"
        f"When you confirm, {money(exchange.amount, exchange.currency)} goes from your account to theirs.\n"
        f"Confirm it on the exchange page, or text YES {code} to confirm or NO {code} if it has not happened.",
        exchange,
    )
    sms = fit_memo(
        f"{_name(giver)} asks you to confirm '", exchange.what, f"', {amount}. Reply YES {code} to confirm or "
        f"NO {code} if it did not happen.",
    )  # fmt: skip
    return outbox.notify(receiver, CONFIRM.key, subject=subject, body=body, sms_body=sms, dedupe_key=dedupe_key)


def confirmed(exchange: Exchange, amount: int, giver_balance: int | None, by: Member, reason: str = "") -> None:
    """Tell the giver they were paid (with their balance, when the account is their own); when a coordinator
    confirmed on the receiver's behalf, tell the receiver too, and why."""
    giver, receiver, currency = exchange.giver, exchange.receiver, exchange.currency
    paid = money(amount, currency)
    for_someone = by.pk != receiver.pk
    who = f"{by.display_name} confirmed “{exchange.what}”" + (f" for {receiver.display_name}" if for_someone else "")
    said, after = f"{who}: {paid} came to you.", f"': {text_amount(amount, currency)} came to you."
    if giver_balance is not None:
        said += f"\nYour {currency.name} balance is now {money(giver_balance, currency)}."
        after += f" Balance now {text_amount(giver_balance, currency)}."
    outbox.notify(
        giver, UPDATE.key, subject=f"“{exchange.what}” is confirmed: {paid} came to you",
        body=_letter(giver, said, exchange), sms_body=fit_memo(f"{_name(by.display_name)} confirmed '", exchange.what, after),
    )  # fmt: skip
    if not for_someone:
        return
    because = f"\nThey said: “{reason}”" if reason else ""
    told = f"{by.display_name} confirmed “{exchange.what}” for you: {paid} went to {giver.display_name}.{because}"
    sms = fit_memo(
        f"{_name(by.display_name)} confirmed '", exchange.what,
        f"' for you: {text_amount(amount, currency)} went to {_name(giver.display_name)}.",
    )  # fmt: skip
    outbox.notify(
        receiver, UPDATE.key, subject=f"“{exchange.what}” was confirmed for you",
        body=_letter(receiver, told, exchange), sms_body=sms,
    )  # fmt: skip


def declined(exchange: Exchange, reason: str) -> None:
    """The receiver answered NO: tell the giver it stays unconfirmed."""
    giver, receiver = exchange.giver, exchange.receiver.display_name
    because = f"\nThey said: “{reason}”" if reason else ""
    body = _letter(
        giver,
        f"{receiver} did not confirm “{exchange.what}” yet.{because}\nWrite to them on the exchange page, or ask a "
        "coordinator if you can't agree.",
        exchange,
    )
    sms = fit_memo(f"{_name(receiver)} did not confirm '", exchange.what, "'. Write to them on the marketplace.")
    outbox.notify(giver, UPDATE.key, subject=f"{receiver} did not confirm “{exchange.what}”", body=body, sms_body=sms)


def cancelled(exchange: Exchange, recipients: list[Member], by: Member) -> None:
    for recipient in recipients:
        body = _letter(
            recipient,
            f"{by.display_name} cancelled “{exchange.what}”.\nThey said: “{exchange.cancel_reason}”",
            exchange,
        )
        sms = fit_memo(f"{_name(by.display_name)} cancelled '", exchange.what, "'.")
        outbox.notify(recipient, UPDATE.key, subject=f"“{exchange.what}” was cancelled", body=body, sms_body=sms)


def disputed(exchange: Exchange, other: Member, coordinators: list[Member]) -> None:
    """Tell the other side, and the community's coordinators, who resolve it."""
    by = exchange.disputed_by.display_name
    said = f"{by} disputed “{exchange.what}”.\nThey said: “{exchange.dispute_reason}”"
    body = _letter(other, f"{said}\nA coordinator will look at it and talk to you both.", exchange)
    sms = fit_memo(f"{_name(by)} disputed '", exchange.what, "'. A coordinator will be in touch.")
    outbox.notify(other, UPDATE.key, subject=f"{by} disputed “{exchange.what}”", body=body, sms_body=sms)
    between = f"{exchange.giver.display_name} and {exchange.receiver.display_name}"
    for coordinator in coordinators[:MAX_COORDINATORS_TOLD]:
        body = _letter(coordinator, f"An exchange between {between} is disputed.\n{said}", exchange)
        sms = fit_memo("An exchange is disputed: '", exchange.what, "'. Resolve it on the marketplace.")
        outbox.notify(coordinator, DISPUTE.key, subject=f"Disputed: “{exchange.what}”", body=body, sms_body=sms)


def resolved(exchange: Exchange, recipients: list[Member], by: Member, amount: int | None) -> None:
    outcome = (
        f"confirmed it: {money(amount, exchange.currency)} went from {exchange.receiver.display_name} to "
        f"{exchange.giver.display_name}"
        if amount is not None
        else "cancelled it"
    )
    for recipient in recipients:
        body = _letter(
            recipient,
            f"{by.display_name} looked at the dispute about “{exchange.what}” and {outcome}.\n"
            f"They said: “{exchange.resolution}”",
            exchange,
        )
        sms = fit_memo(f"{_name(by.display_name)} resolved '", exchange.what, "'. See the marketplace for how.")
        outbox.notify(
            recipient, UPDATE.key, subject=f"The dispute about “{exchange.what}” is resolved", body=body, sms_body=sms
        )


def thanked(exchange: Exchange) -> None:
    giver, receiver = exchange.giver, exchange.receiver.display_name
    body = _letter(giver, f"{receiver} thanks you for “{exchange.what}”:\n\n{_quote(exchange.thanks_note)}", exchange)
    sms = fit_memo(f"{_name(receiver)} says thank you: '", exchange.thanks_note, "'")
    outbox.notify(giver, UPDATE.key, subject=f"{receiver} says thank you", body=body, sms_body=sms)


# --- digest section ---------------------------------------------------------------------------------------------


def waiting_lines(member: Member, start: datetime, end: datetime) -> list[str]:
    """Exchanges waiting on the member now: terms the other side proposed, and help to confirm."""
    mine = Q(giver=member) | Q(receiver=member)
    waiting = (
        Exchange.objects.filter(mine, community_id=member.community_id)
        .filter(
            Q(status=ExchangeStatus.ENQUIRY, proposed_by__isnull=False) & ~Q(proposed_by=member)
            | Q(status=ExchangeStatus.DONE, receiver=member)
        )
        .select_related("giver", "receiver", "proposed_by", "currency")
        .order_by("updated_at", "pk")[:MAX_WAITING]
    )
    lines = []
    for exchange in waiting:
        what = short(exchange.what, 60)
        if exchange.status == ExchangeStatus.DONE:
            amount = text_amount(exchange.amount, exchange.currency)
            lines.append(f"Confirm '{what}' from {_name(exchange.giver.display_name)} ({amount}).")
        else:
            lines.append(
                f"{_name(exchange.proposed_by.display_name)} proposed terms for '{what}': accept or change them."
            )
    return lines


# --- words -------------------------------------------------------------------------------------------------------


def describe(exchange: Exchange, reader: Member) -> str:
    """ "“Gardening help”, 2 h, on Saturday 3 May at 10:00" for ``reader``'s community's time zone."""
    parts = [f"“{exchange.what}”"]
    if exchange.amount is not None and exchange.currency is not None:
        parts.append(money(exchange.amount, exchange.currency))
    if exchange.scheduled_for is not None:
        parts.append(f"on {when(exchange.scheduled_for, reader)}")
    return ", ".join(parts)


def when(moment: datetime | None, reader: Member) -> str:
    if moment is None:
        return "a time to agree"
    local = moment.astimezone(ZoneInfo(reader.community.time_zone))
    return f"{local:%a} {local.day} {local:%b} {local:%H:%M}"


def page(exchange: Exchange) -> str:
    return reverse("market_exchange", kwargs={"slug": exchange.community.slug, "exchange_id": exchange.pk})


def _letter(recipient: Member, said: str, exchange: Exchange) -> str:
    return f"Hello {recipient.display_name},\n\n{said}\n\nThe exchange and its messages: {page(exchange)}"


def _quote(text: str) -> str:
    return short(text, QUOTE_CHARS, "…")


def _name(name: str) -> str:
    return sms_text.to_gsm7(short(name, MAX_NAME_CHARS))
