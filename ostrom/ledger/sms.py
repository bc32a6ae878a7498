"""The ledger by text message: ``BAL`` answers with your balances, ``PAY <name> <amount> [note]`` asks for
``YES <code>`` before it pays. Both go through the same actions as the web's pages (``payments.preview`` and
``payments.send``), so a payment refused on the web is refused here, in the same words.

A payment by text is always in the community's main currency: its first active time currency (timebank hours),
else its first active credit currency. A note cannot choose another one; whoever pays in a second currency uses
the web. When the payee has asked the payer for exactly this amount, ``PAY`` pays that request (so the request
does not stay open to be paid a second time) rather than making a separate payment."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q
from django.utils import timezone

from ostrom.communities.domain import DomainError, Status, looks_like_phone, normalise_phone
from ostrom.communities.models import Member
from ostrom.notify import registry
from ostrom.notify.domain import sms_text
from ostrom.notify.domain.sms_commands import ArgKind, ArgSpec, CommandSpec, ParsedCommand
from ostrom.notify.registry import SmsCommand, SmsContext, SmsReply

from . import access
from .actions import payments, requests
from .domain import amounts
from .models import Account, AccountStatus, Currency, CurrencyKind, PaymentRequest, RequestStatus
from .notices import fit_memo, short, text_amount

BAL = CommandSpec("BAL", aliases=("BALANCE",), summary="your balance")
PAY = CommandSpec(
    "PAY",
    args=(ArgSpec("member", ArgKind.WORD), ArgSpec("amount", ArgKind.AMOUNT), ArgSpec("memo", ArgKind.TEXT, True)),
    summary="pay someone",
)
CONFIRMER = "ledger.pay"
# The web asks what every payment is for; a text that says nothing gets this, so the statement still explains it.
DEFAULT_MEMO = "Paid by text message"
# Names quoted back when a name fits several members, and members looked at to find them: enough to choose from,
# and a bound on the query however short the name typed.
MAX_NAMES_SHOWN = 3
MAX_CANDIDATES = 20
MAX_NAME_CHARS = 20
# A balance reply lists at most this many currencies; a community with more is rare, and the web shows all.
MAX_CURRENCIES = 4
# The dispatcher adds " Reply YES 1234 to confirm or NO 1234 to cancel." (48 characters) to the question; what we
# write must leave room for it in one 160-character text.
QUESTION_CHARS = 160 - 48


def register() -> None:
    """Add BAL and PAY, and the confirmer PAY's YES runs, to notify's registry; safe to call twice."""
    registry.register_command(SmsCommand(BAL, answer_balance))
    registry.register_command(SmsCommand(PAY, answer_pay))
    registry.register_confirmer(CONFIRMER, confirm_pay)


def main_currency(community_id: int) -> Currency | None:
    """The currency a text pays in: the first active time currency, else the first active credit currency."""
    active = Currency.objects.filter(community_id=community_id, is_active=True).order_by("created_at", "pk")
    return active.filter(kind=CurrencyKind.TIME).first() or active.filter(kind=CurrencyKind.CREDIT).first()


def typed_amount(units: int, currency: Currency) -> str:
    """An amount as someone would type it in PAY: "1:30" for hours, "12.50" for credits."""
    if currency.kind == CurrencyKind.TIME:
        return amounts.format_hours_minutes(units)
    if currency.scale == 1:
        return str(units)
    whole, part = divmod(units, currency.scale)
    return f"{whole}.{part:0{len(str(currency.scale - 1))}d}"


def name_to_type(payer: Member, payee: Member) -> str | None:
    """A word of ``payee``'s name that PAY from ``payer`` would find them by, or None if no single word does.
    Texts go in GSM-7, so the word is tried as a basic phone would write it ("Zoe" for "Zoë")."""
    for word in (sms_text.to_gsm7(word) for word in payee.display_name.split()):
        try:
            if find_payee(payer, word).pk == payee.pk:
                return word
        except DomainError:
            continue
    return None


def find_payee(payer: Member, word: str) -> Member:
    """The active member of the payer's community ``word`` names: their whole name or a phone number, else the
    start of one word of their name, ignoring case. Raises a DomainError saying what to send when it can't tell."""
    active = Member.objects.filter(community_id=payer.community_id, status=Status.ACTIVE).select_related("user")
    if looks_like_phone(word):
        try:
            phone = normalise_phone(word)
        except DomainError:
            raise DomainError(
                "payee_unknown", f"{short(word, MAX_NAME_CHARS)} is not a phone number we can read."
            ) from None
        matches = list(active.filter(user__phone=phone)[:1])
    else:
        # The whole name first, so "Sam" is Sam even when there is a Samira too; paying yourself is left for
        # preview to refuse, with the web's words.
        matches = list(active.filter(display_name__iexact=word).order_by("display_name", "pk")[:MAX_CANDIDATES])
        if not matches:
            starts = Q(display_name__istartswith=word) | Q(display_name__icontains=f" {word}")
            matches = list(active.filter(starts).exclude(pk=payer.pk).order_by("display_name", "pk")[:MAX_CANDIDATES])
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise DomainError(
            "payee_unknown",
            f'No member here is called "{short(word, MAX_NAME_CHARS)}". Check the name, or send their phone '
            "number instead, e.g. PAY 07700900123 1:30",
        )
    names = ", ".join(short(match.display_name, MAX_NAME_CHARS) for match in matches[:MAX_NAMES_SHOWN])
    more = " and others" if len(matches) > MAX_NAMES_SHOWN else ""
    raise DomainError(
        "payee_ambiguous",
        sms_text.fit_one(
            f'"{short(word, MAX_NAME_CHARS)}" could be {names}{more}. Send a name only one of them has, or their '
            "phone number."
        ),
    )


def answer_balance(context: SmsContext, command: ParsedCommand) -> SmsReply:
    """BAL: the member's balance in each active currency and how much more they could pay now."""
    member = _member(context)
    currencies = list(access.currencies(member)[: MAX_CURRENCIES + 1])
    if not currencies:
        return SmsReply("Your community has no currency yet, so there is no balance to show.")
    held = {a.currency_id: a for a in Account.objects.filter(member=member, currency__in=currencies)}
    lines = [_balance_line(held.get(currency.pk), currency) for currency in currencies[:MAX_CURRENCIES]]
    if len(currencies) == 1:
        text = f"Your balance is {lines[0]}"
    else:
        names = (short(currency.name, MAX_NAME_CHARS) for currency in currencies)
        text = "Your balances: " + " ".join(f"{name}: {line}" for name, line in zip(names, lines, strict=False))
    return SmsReply(sms_text.fit_one(text))


def _balance_line(account: Account | None, currency: Currency) -> str:
    state = payments.account_state(account, currency)
    balance = text_amount(state.balance, currency)
    if account is not None and account.status != AccountStatus.ACTIVE:
        return f"{balance} (account {account.status}: ask a coordinator)."
    if state.available is None:
        return f"{balance}, no limit on paying."
    return f"{balance}, you can pay up to {text_amount(max(state.available, 0), currency)}."


def answer_pay(context: SmsContext, command: ParsedCommand) -> SmsReply:
    """PAY: check the payment as the web's send page would and ask for YES before anything is written."""
    payer = _member(context)
    currency = main_currency(payer.community_id)
    if currency is None:
        raise DomainError("currency_unknown", "Your community has no currency to pay in yet.")
    payee = find_payee(payer, command.args["member"])
    amount = amounts.parse_amount(command.args["amount"], currency.kind, currency.scale)
    asked = _open_request(payer, payee, currency, amount)
    memo = asked.memo if asked else (command.args.get("memo", "").strip() or DEFAULT_MEMO)
    preview = payments.preview(payer, payee, currency, amount, memo)
    # The key is chosen now and kept with the confirmation, so however often YES arrives it is one payment.
    payload: dict[str, Any] = {
        "payee": payee.pk, "currency": currency.pk, "amount": amount, "memo": memo, "key": str(uuid.uuid4()),
    }  # fmt: skip
    if asked:
        payload["request"] = asked.pk
    return SmsReply(_question(preview, memo, asked is not None), confirm=(CONFIRMER, payload))


def confirm_pay(context: SmsContext, payload: dict[str, Any]) -> str:
    """YES to a PAY: check it all again (a balance or a limit may have changed since) and pay, at most once."""
    payer = _member(context)
    currency = Currency.objects.filter(pk=payload["currency"], community_id=payer.community_id).first()
    payee = Member.objects.filter(pk=payload["payee"], community_id=payer.community_id).first()
    if currency is None or payee is None:
        raise DomainError("payee_unknown", "That payment can no longer be made. Send PAY again.")
    amount, memo = int(payload["amount"]), str(payload["memo"])
    name = sms_text.to_gsm7(short(payee.display_name, MAX_NAME_CHARS))
    if payload.get("request"):
        asked = PaymentRequest.objects.filter(pk=payload["request"], payer=payer).first()
        if asked is None or asked.status != RequestStatus.OPEN:
            status = asked.status if asked else ""
            raise DomainError("request_closed", requests.CLOSED_MESSAGES.get(status, "This request is closed."))
        payments.preview(payer, payee, currency, amount, memo)  # the web's explanations, before the engine's
        requests.accept_request(payer, asked)
        balance = Account.objects.get(currency=currency, member=payer).balance
    else:
        posted = payments.send(payer, payee, currency, amount, uuid.UUID(payload["key"]), memo)
        balance = posted.debit_balance_after
    return sms_text.fit_one(
        f"Paid {name} {text_amount(amount, currency)}. Your balance is now {text_amount(balance, currency)}."
    )


def _member(context: SmsContext) -> Member:
    if context.member is None:  # the dispatcher only calls member commands for members; this is a guard
        raise DomainError("member_unknown", "This number is not linked to a member.")
    return context.member


def _open_request(payer: Member, payee: Member, currency: Currency, amount: int) -> PaymentRequest | None:
    """The oldest open request from ``payee`` to ``payer`` for exactly this amount, which this PAY answers."""
    waiting = PaymentRequest.objects.filter(status=RequestStatus.OPEN, expires_at__gt=timezone.now())
    mine = waiting.filter(payer=payer, payee=payee, currency=currency, amount=amount)
    return mine.order_by("created_at", "pk").first()


def _question(preview: payments.Preview, memo: str, answers_request: bool) -> str:
    """ "Pay Colin 1 h 30 min for 'garden help'? Your balance after: 2 h." in what one text leaves room for."""
    name = short(preview.payee.name, MAX_NAME_CHARS)
    what = f"{name}'s request of" if answers_request else name
    start = f"Pay {what} {text_amount(preview.amount, preview.currency)} for '"
    end = f"'? Your balance after: {text_amount(preview.balance_after, preview.currency)}."
    return fit_memo(start, memo, end, budget=QUESTION_CHARS)
