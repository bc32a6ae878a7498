"""What the ledger tells people, and the ledger's parts of a digest.

Each notice is written to notify's outbox by ``outbox.notify`` inside the ledger action's own transaction, so a
payment that is refused or rolled back tells nobody anything; the worker sends it later, by the channel the member
chose for that kind (or not at all for "digest" and "off"). Levies, issues and imports post many lines at once
and send no notice per line: the digest's "Your balance" section covers them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone

from ostrom.communities.models import Member
from ostrom.notify import registry
from ostrom.notify.actions import outbox
from ostrom.notify.domain import sms_text
from ostrom.notify.registry import DigestSection, MessageKind

from . import access
from .domain import amounts
from .models import Account, Currency, PaymentRequest, RequestStatus, Transfer, TransferKind

PAYMENT_RECEIVED = MessageKind("ledger.payment_received", "Someone paid you")
PAYMENT_REQUEST = MessageKind("ledger.payment_request", "Someone asks you to pay them")
REQUEST_ANSWERED = MessageKind("ledger.request_answered", "Your payment request was paid or declined")
KINDS = (PAYMENT_RECEIVED, PAYMENT_REQUEST, REQUEST_ANSWERED)

BALANCE_SECTION = "ledger.balance"
WAITING_SECTION = "ledger.waiting"
# Accounts and waiting items a digest section lists: a member has a handful; the bound keeps a digest short and
# its queries small whatever happens. notify cuts a section to its own limit after that.
MAX_ACCOUNTS = 10
MAX_WAITING = 10
MAX_MEMO_CHARS = 60
MAX_NAME_CHARS = 40
# The transfers that change a posted balance: a hold only reserves, and releasing one changes nothing.
BALANCE_KINDS = (TransferKind.TRANSFER, TransferKind.POST)


def register() -> None:
    """Register the ledger's kinds of message and digest sections with notify; safe to call twice."""
    for kind in KINDS:
        registry.register_kind(kind)
    registry.register_digest_section(DigestSection(BALANCE_SECTION, "Your balance", 10, balance_lines))
    registry.register_digest_section(DigestSection(WAITING_SECTION, "Waiting for you", 20, waiting_lines))


# --- notices, called inside the actions' transactions -----------------------------------------------------------


def payment_received(payee: Member, payer_name: str, currency: Currency, amount: int, memo: str, balance: int) -> None:
    """Tell ``payee`` that ``payer_name`` paid them, and their balance now."""
    paid, now = money(amount, currency), money(balance, currency)
    subject = f"{payer_name} paid you {paid}"
    body = (
        f"Hello {payee.display_name},\n\n{payer_name} paid you {paid} for “{memo}”.\n"
        f"Your {currency.name} balance is now {now}."
    )
    sms = fit_memo(
        f"{_name(payer_name)} paid you {text_amount(amount, currency)} for '",
        memo,
        f"'. Your balance is now {text_amount(balance, currency)}.",
    )
    outbox.notify(payee, PAYMENT_RECEIVED.key, subject=subject, body=body, sms_body=sms)


def payment_requested(payment: PaymentRequest) -> None:
    """Tell the payer someone asks them to pay: how to answer on the web and, by text, with PAY then YES."""
    payer, payee, currency = payment.payer, payment.payee, payment.currency
    asked, by = money(payment.amount, currency), _local_day(payment.expires_at, payer)
    page = reverse("ledger_request_list", kwargs={"slug": payer.community.slug})
    subject = f"{payee.display_name} asks you to pay {asked}"
    body = (
        f"Hello {payer.display_name},\n\n{payee.display_name} asks you to pay {asked} for “{payment.memo}”.\n"
        f"Pay or decline it on your payment requests page ({page}) by {by}, when it lapses."
    )
    sms = fit_memo(
        f"{_name(payee.display_name)} asks you to pay {text_amount(payment.amount, currency)} for '",
        payment.memo,
        f"'. {_how_to_pay_by_text(payment)}",
    )
    outbox.notify(payer, PAYMENT_REQUEST.key, subject=subject, body=body, sms_body=sms)


def request_answered(payment: PaymentRequest, balance: int | None = None) -> None:
    """Tell whoever asked that their request was paid (with their balance now) or declined (with the reason)."""
    payer, payee, currency = payment.payer, payment.payee, payment.currency
    asked = money(payment.amount, currency)
    if payment.status == RequestStatus.ACCEPTED:
        subject = f"{payer.display_name} paid your request for {asked}"
        said = f"{payer.display_name} paid your request of {asked} for “{payment.memo}”."
        sms = f"{_name(payer.display_name)} paid your request of {text_amount(payment.amount, currency)}."
        if balance is not None:
            said += f"\nYour {currency.name} balance is now {money(balance, currency)}."
            sms += f" Your balance is now {text_amount(balance, currency)}."
    else:
        subject = f"{payer.display_name} declined your request for {asked}"
        said = f"{payer.display_name} declined your request of {asked} for “{payment.memo}”."
        declined = f"{_name(payer.display_name)} declined your request of {text_amount(payment.amount, currency)}"
        sms = f"{declined}."
        if payment.decline_reason:
            said += f"\nThey said: “{payment.decline_reason}”"
            sms = fit_memo(f"{declined}: '", payment.decline_reason, "'.")
    body = f"Hello {payee.display_name},\n\n{said}"
    outbox.notify(payee, REQUEST_ANSWERED.key, subject=subject, body=body, sms_body=sms_text.fit_one(sms))


def _how_to_pay_by_text(payment: PaymentRequest) -> str:
    # sms imports the payment actions, which import this module: imported here, when a notice is written.
    from . import sms

    currency = sms.main_currency(payment.community_id)
    word = sms.name_to_type(payment.payer, payment.payee) if currency and currency.pk == payment.currency_id else None
    if word is None:
        return "Answer it on the web, on your payment requests page."
    command = f"PAY {word} {sms.typed_amount(payment.amount, payment.currency)}"
    return f"To pay, reply {command} then YES with the code we send. Or answer it on the web."


# --- digest sections --------------------------------------------------------------------------------------------


def balance_lines(member: Member, start: datetime, end: datetime) -> list[str]:
    """For each currency whose balance moved in [start, end): how many payments, the net change, the balance now."""
    accounts = (
        Account.objects.filter(member=member, currency__is_active=True)
        .select_related("currency")
        .order_by("currency__name", "pk")[:MAX_ACCOUNTS]
    )
    lines = []
    for account in accounts:
        mine = Q(debit_account=account) | Q(credit_account=account)
        moved = Transfer.objects.filter(
            mine, community_id=member.community_id, kind__in=BALANCE_KINDS, created_at__gte=start, created_at__lt=end
        ).aggregate(
            count=Count("id"),
            received=Sum("amount", filter=Q(credit_account=account)),
            paid=Sum("amount", filter=Q(debit_account=account)),
        )
        if not moved["count"]:
            continue
        currency = account.currency
        net = (moved["received"] or 0) - (moved["paid"] or 0)
        change = f"+{text_amount(net, currency)}" if net > 0 else text_amount(net, currency)
        payments = "1 payment" if moved["count"] == 1 else f"{moved['count']} payments"
        now = text_amount(account.balance, currency)
        lines.append(f"{currency.name}: {payments}, {change} in all. Balance now {now}.")
    return lines


def waiting_lines(member: Member, start: datetime, end: datetime) -> list[str]:
    """What waits on the member now: requests they are asked to pay, and holds on their accounts."""
    now = timezone.now()
    asked = (
        PaymentRequest.objects.filter(payer=member, status=RequestStatus.OPEN, expires_at__gt=now)
        .select_related("payee", "currency")
        .order_by("expires_at", "pk")[:MAX_WAITING]
    )
    lines = [
        f"{_name(p.payee.display_name)} asks you to pay {text_amount(p.amount, p.currency)} for "
        f"'{_memo(p.memo)}': pay or decline it by {_local_day(p.expires_at, member)}."
        for p in asked
    ]
    holds = list(access.open_holds(member).filter(expires_at__gt=now)[:MAX_WAITING])
    own = set(access.own_accounts(member).values_list("pk", flat=True)) if holds else set()
    for held in holds:
        if held.expires_at is None:  # excluded by the filter already; this tells the type checker so
            continue
        amount, until = text_amount(held.amount, held.currency), _local_day(held.expires_at, member)
        if held.credit_account_id in own:
            lines.append(f"{_name(held.debit_account.holder_name)} holds {amount} for you until {until}.")
        else:
            lines.append(f"{amount} of yours is held for {_name(held.credit_account.holder_name)} until {until}.")
    return lines


# --- words -------------------------------------------------------------------------------------------------------


def money(units: int, currency: Currency) -> str:
    """An amount as the pages show it: "1 h 30 min", "12.50 ₡"."""
    return amounts.format_amount(units, currency.kind, currency.scale, currency.symbol)


def text_amount(units: int, currency: Currency) -> str:
    """An amount for a text message, with the currency's code when it has no symbol, or one GSM-7 lacks (₡), which
    would double the text's cost."""
    symbol = currency.symbol if currency.symbol and sms_text.is_gsm7(currency.symbol) else currency.code
    return amounts.format_amount(units, currency.kind, currency.scale, symbol)


def fit_memo(before: str, memo: str, after: str, budget: int = sms_text.GSM7_SINGLE_SEPTETS) -> str:
    """``before + memo + after`` as one GSM-7 text of at most ``budget`` characters, cutting only the memo (a
    person's words can lose their end; the amount, the balance and what to reply cannot)."""
    before, after = sms_text.to_gsm7(before), sms_text.to_gsm7(after)
    memo = sms_text.to_gsm7(" ".join(memo.split()))
    room = budget - sms_text.gsm7_septets(before + after)
    if sms_text.gsm7_septets(memo) > room:
        ellipsis = sms_text.GSM7_ELLIPSIS
        while memo and sms_text.gsm7_septets(memo) + len(ellipsis) > room:
            memo = memo[:-1]
        memo = memo.rstrip() + ellipsis if memo else ""
    return sms_text.fit_one(before + memo + after)


def short(text: str, max_chars: int, ellipsis: str = sms_text.GSM7_ELLIPSIS) -> str:
    """``text`` in at most ``max_chars`` characters, cut ones ending in "..." (GSM-7, unlike "…")."""
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return text
    return text[: max(max_chars - len(ellipsis), 0)].rstrip() + ellipsis


def _name(name: str) -> str:
    return short(name, MAX_NAME_CHARS)


def _memo(memo: str) -> str:
    return short(memo, MAX_MEMO_CHARS)


def _local_day(moment: datetime, member: Member) -> str:
    local = moment.astimezone(ZoneInfo(member.community.time_zone))
    return f"{local:%A} {local.day} {local:%B}"
