"""The exchange tests' cast and scenes, shared by every test_exchange*.py (market/tests/conftest.py belongs to the
whole app; these fixtures are named in each file that uses them, as ledger/tests/test_sms.py does with notify's).

Mina (the ``member`` persona) offers gardening help; Colin, her neighbour, receives it and pays in Riverside's
timebank hours; Tess is another Riverside member with no part in it; Cora coordinates; Otto is from Hillside.
This module holds no tests."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ostrom.communities.models import AuditEntry
from ostrom.communities.tests.factories import MemberFactory, UserFactory
from ostrom.ledger import actions as ledger
from ostrom.ledger.models import Account, CurrencyKind, Transfer
from ostrom.market.actions import exchanges as actions
from ostrom.market.models import Exchange, ExchangeMessage
from ostrom.notify.models import Message

HOUR = 60
MINA_PHONE = "+447700900101"
COLIN_PHONE = "+447700900103"
TESS_PHONE = "+447700900104"
FIRST_MESSAGE = "Hello Mina, could you help with my front garden one Saturday morning?"


@pytest.fixture
def hours(community):
    """Riverside's timebank hours: members may go 10 hours below zero."""
    return ledger.create_currency(
        community, code="hours", name="Timebank hours", kind=CurrencyKind.TIME, default_debit_limit=10 * HOUR
    )


@pytest.fixture
def colin(community):
    return MemberFactory(
        community=community,
        user=UserFactory(full_name="Colin Cole", email="colin@example.org", phone=COLIN_PHONE),
        display_name="Colin",
    )


@pytest.fixture
def tess(community):
    return MemberFactory(
        community=community,
        user=UserFactory(full_name="Tess Turner", email="tess@example.org", phone=TESS_PHONE),
        display_name="Tess",
    )


def soon(days: int = 3):
    """A time a few days ahead, on the minute, as a form would give it."""
    return (timezone.now() + timedelta(days=days)).replace(second=0, microsecond=0)


@pytest.fixture
def enquiry(minas_offer, colin, hours):
    """Colin wrote to Mina about her gardening offer: she gives, he receives."""
    return actions.start(colin, minas_offer, FIRST_MESSAGE).exchange


@pytest.fixture
def agreed(enquiry, member, colin, hours):
    """Mina proposed two hours of weeding on Saturday, and Colin accepted."""
    actions.propose_terms(
        member, enquiry, what="Weeding the front garden", scheduled_for=soon(), currency=hours, amount=2 * HOUR
    )
    return actions.accept_terms(colin, enquiry)


@pytest.fixture
def done(agreed, member):
    """Mina marked it done, which asks Colin to confirm."""
    return actions.mark_done(member, agreed)


def fresh(exchange: Exchange) -> Exchange:
    return Exchange.objects.select_related("transfer", "currency").get(pk=exchange.pk)


def balance(member, currency) -> int:
    account = Account.objects.filter(member=member, currency=currency).first()
    return account.balance if account else 0


def everything() -> dict:
    """Every row a refused step could have written, to show it wrote none."""
    return {
        "exchanges": list(Exchange.objects.order_by("pk").values()),
        "messages": ExchangeMessage.objects.count(),
        "transfers": Transfer.objects.count(),
        "accounts": list(Account.objects.order_by("pk").values()),
        "outbox": Message.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def outbox_to(member, kind: str | None = None) -> list[Message]:
    messages = Message.objects.filter(member=member).order_by("pk")
    return list(messages.filter(kind=kind) if kind else messages)
