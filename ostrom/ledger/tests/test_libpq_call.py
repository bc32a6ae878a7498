"""The hot path on PostgreSQL: a payment at the top level is one prepared libpq call (actions/libpq_call.py).

Only transactional tests reach it (pytest-django's usual test wraps everything in a transaction, where the
engine goes through psycopg with a savepoint), so these run with transaction=True on PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from ostrom.communities.domain import DomainError
from ostrom.ledger.actions import accounts, transfers
from ostrom.ledger.models import AccountStatus, Transfer

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="libpq is PostgreSQL's client library"),
]

HOUR = 60


def pay(debit, credit, amount, key=None, memo="Help"):
    return transfers.transfer(debit=debit, credit=credit, amount=amount, key=key or uuid.uuid4(), memo=memo)


def prepared_here() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name = 'ostrom_ledger_transfer'")
        return cursor.fetchone()[0] == 1


def test_a_payment_at_the_top_level_is_one_prepared_call_that_returns_both_balances(mina_account, cora_account):
    posted = pay(mina_account, cora_account, 90)

    assert prepared_here()
    row = Transfer.objects.get(pk=posted.id)
    assert (row.amount, row.memo, row.debit_balance_after, row.credit_balance_after) == (90, "Help", -90, 90)
    assert (posted.debit_balance_after, posted.credit_balance_after, posted.replayed) == (-90, 90, False)


def test_the_same_key_again_returns_the_first_transfer_and_other_fields_are_refused(mina_account, cora_account):
    key = uuid.uuid4()
    first = pay(mina_account, cora_account, 30, key=key)

    again = pay(mina_account, cora_account, 30, key=key)
    with pytest.raises(DomainError) as refused:
        pay(mina_account, cora_account, 45, key=key)

    assert (again.id, again.replayed) == (first.id, True)
    assert refused.value.code == "exists_with_different_amount"
    assert Transfer.objects.count() == 1


def test_a_payment_past_the_limit_is_refused_by_the_database_with_a_sentence(mina_account, cora_account):
    with pytest.raises(DomainError) as refused:
        pay(mina_account, cora_account, 11 * HOUR)

    assert refused.value.code == "debit_limit_exceeded"
    assert "10 h below zero" in refused.value.message
    assert not Transfer.objects.exists()


def test_a_frozen_account_is_refused(mina_account, cora_account, coordinator):
    accounts.set_status(coordinator, mina_account, AccountStatus.FROZEN, "Checking a complaint")

    with pytest.raises(DomainError) as refused:
        pay(mina_account, cora_account, HOUR)

    assert refused.value.code == "account_frozen"


def test_it_prepares_the_call_again_when_the_session_has_forgotten_it(mina_account, cora_account):
    pay(mina_account, cora_account, HOUR)
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # what a pooler resetting the session does

    pay(mina_account, cora_account, HOUR)

    assert prepared_here()
    assert Transfer.objects.count() == 2
