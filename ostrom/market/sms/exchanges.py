"""Confirming an exchange by text: the receiver answers ``YES <code>`` (or ``NO <code>``) to the question the
giver's request sent them (notices.confirmation_requested).

notify's own confirmations (a PAY asking "YES 1234?") live 15 minutes under a four-digit code per phone. An
exchange's question starts on the web, may be answered days later, and its code is the exchange's own
``confirm_code`` (six digits, unique among the community's open exchanges). So this module registers a code
answerer with notify: a code that names an exchange the sender receives in is answered here, through the same
actions as the web's buttons; any other code goes on to notify's stored confirmations."""

from __future__ import annotations

from ostrom.communities.domain import Status
from ostrom.ledger.models import Account
from ostrom.ledger.notices import short, text_amount
from ostrom.notify import registry
from ostrom.notify.domain import sms_text
from ostrom.notify.registry import SmsContext

from ..actions import exchanges as actions
from ..domain import exchanges as domain
from ..models import Exchange

MAX_NAME_CHARS = 30
MAX_CANDIDATES = 5


ANSWERER = "market.exchange"


def register() -> None:
    """Answer YES/NO for exchanges' own codes (notify asks us before its stored confirmations)."""
    registry.register_code_answerer(ANSWERER, answer_code)


def answer_code(context: SmsContext, code: str, accept: bool) -> str | None:
    exchange = exchange_for_code(context, code)
    if exchange is None:
        return None
    if accept:
        return _confirmed_text(actions.confirm(exchange.receiver, exchange))
    actions.decline_confirmation(exchange.receiver, exchange)
    giver = _name(exchange.giver.display_name)
    return sms_text.fit_one(
        f"Not confirmed. We told {giver}; nothing was transferred. Write to them on the marketplace."
    )


def exchange_for_code(context: SmsContext, code: str) -> Exchange | None:
    """The exchange whose code this is and in which the sender's account receives; open ones first. None when the
    code is not an exchange's, or names someone else's (which then reads as unknown, revealing nothing)."""
    if context.user is None or not domain.is_confirm_code(code):
        return None
    # Codes are unique per community, so someone in several communities may hold the same code in two of them.
    mine = Exchange.objects.filter(confirm_code=code, receiver__user=context.user, receiver__status=Status.ACTIVE)
    candidates = mine.select_related("receiver__user", "receiver__community", "giver", "currency")[:MAX_CANDIDATES]
    found = sorted(candidates, key=lambda e: (e.status not in domain.OPEN_STATUSES, -e.pk))
    return found[0] if found else None


def _confirmed_text(exchange: Exchange) -> str:
    currency, giver = exchange.currency, _name(exchange.giver.display_name)
    transfer = exchange.transfer
    amount = text_amount(transfer.amount, currency)
    mine = Account.objects.filter(pk=transfer.debit_account_id, member=exchange.receiver).exists()
    balance = f" Your balance is now {text_amount(transfer.debit_balance_after, currency)}." if mine else ""
    what = short(exchange.what, 40)
    return sms_text.fit_one(f"Confirmed: '{what}' from {giver}. {amount} went to them.{balance}")


def _name(name: str) -> str:
    return sms_text.to_gsm7(short(name, MAX_NAME_CHARS))
