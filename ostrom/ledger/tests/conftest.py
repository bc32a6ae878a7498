"""Ledger fixtures on top of the root cast: Riverside's timebank hours, with an account for each persona."""

import pytest

from ostrom.ledger import actions
from ostrom.ledger.models import AccountKind, CurrencyKind

HOUR = 60


@pytest.fixture
def hours(community):
    """Riverside's timebank hours: members may go 10 hours below zero."""
    return actions.create_currency(
        community, code="hours", name="Timebank hours", kind=CurrencyKind.TIME, default_debit_limit=10 * HOUR
    )


@pytest.fixture
def mina_account(hours, member):
    return actions.open_account(hours, member=member)


@pytest.fixture
def cora_account(hours, coordinator):
    return actions.open_account(hours, member=coordinator)


@pytest.fixture
def issuance(hours):
    return actions.system_account(hours, AccountKind.ISSUANCE)


@pytest.fixture
def fees(hours):
    return actions.system_account(hours, AccountKind.FEES)
