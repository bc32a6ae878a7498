"""The bookings tests' cast and clock, imported by each bookings test module: Riverside's fire-station kitchen
(a space, open 08:00-22:00 every day), its library of three drills, community credits with Mina holding 100, and a
clock frozen on Monday 1 March 2027 at 09:00 in London (UTC then), so "tomorrow at ten" is always the same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ostrom.commons.models import Booking, Kit, KitItem
from ostrom.commons.tests.factories import AssetFactory, ItemsFactory
from ostrom.communities.domain import DomainError
from ostrom.ledger import actions as ledger
from ostrom.ledger.models import Account, AccountKind, CurrencyKind

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
TOMORROW_10 = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def kitchen(community, clock):
    return AssetFactory(community=community, name="Fire station kitchen", slug="fire-station-kitchen")


@pytest.fixture
def drills(community, clock):
    return ItemsFactory(community=community, name="Cordless drill", slug="cordless-drill", stock=3)


@pytest.fixture
def credits(community):
    return ledger.create_currency(community, code="credits", name="Riverside credits", kind=CurrencyKind.CREDIT)


@pytest.fixture
def funded(credits, member):
    """Mina holds 100 credits (issued by the community)."""
    issue(credits, member, 100)
    return member


def issue(currency, member, amount):
    issuance = ledger.system_account(currency, AccountKind.ISSUANCE)
    account = ledger.open_account(currency, member=member)
    import uuid

    ledger.transfer(debit=issuance, credit=account, amount=amount, key=uuid.uuid4(), memo="Welcome credits")
    return account


def balance(currency, member) -> int:
    account = Account.objects.filter(currency=currency, member=member).first()
    return account.balance if account else 0


def party_kit(community, *items):
    """A kit of (asset, quantity) pairs."""
    kit = Kit.objects.create(community=community, name="Party kit", slug="party-kit")
    for asset, quantity in items:
        KitItem.objects.create(community=community, kit=kit, asset=asset, quantity=quantity)
    return kit


def refusal(call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value


def fresh(booking) -> Booking:
    return Booking.objects.get(pk=booking.pk)
