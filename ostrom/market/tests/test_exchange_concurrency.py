"""Two people pressing at the same moment, each on their own database connection: Colin confirms while Cora
confirms for him, Colin presses confirm twice at once, Colin confirms while Mina cancels, Colin contacts Mina twice
at once. Whatever the interleaving, there is one transfer (or none), one thread, and the loser is told why.

SQLite has one writer at a time and nothing to race, so these run on PostgreSQL only (as CI does)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection, connections

from ostrom.communities.domain import DomainError
from ostrom.ledger.models import Transfer
from ostrom.market.actions import exchanges as actions
from ostrom.market.models import Exchange, ExchangeStatus
from ostrom.market.tests import test_exchange_cast as cast
from ostrom.market.tests.factories import ListingFactory
from ostrom.market.tests.test_exchange_cast import HOUR, balance, soon

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="Separate connections racing for row locks need PostgreSQL; SQLite has a single writer.",
    ),
]

hours, colin = cast.hours, cast.colin
# Rounds of each race, each on a new exchange of an hour (Colin may go 10 hours below zero).
ROUNDS = 6


def race(*calls: Callable[[], object]) -> list[str]:
    """Run the calls at once, each in a thread with its own connection; "ok" or the refusal's code for each."""
    start = threading.Barrier(len(calls))
    outcomes: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def work(call: Callable[[], object]) -> None:
        try:
            start.wait()
            try:
                call()
                outcome = "ok"
            except DomainError as error:
                outcome = error.code
            with lock:
                outcomes.append(outcome)
        except BaseException as error:  # a deadlock or any database error fails the test
            with lock:
                failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    return sorted(outcomes)


def done_exchange(member, colin, gardening, hours) -> Exchange:
    listing = ListingFactory(community=member.community, member=member, category=gardening)
    exchange = actions.start(colin, listing, "Could you help?").exchange
    actions.propose_terms(member, exchange, what="Weeding", scheduled_for=soon(), currency=hours, amount=HOUR)
    actions.accept_terms(colin, exchange)
    return actions.mark_done(member, exchange)


def test_colin_and_cora_confirming_at_once_make_exactly_one_transfer(member, colin, coordinator, gardening, hours):
    results = Counter()
    for _ in range(ROUNDS):
        exchange = done_exchange(member, colin, gardening, hours)

        outcomes = race(
            lambda exchange=exchange: actions.confirm(colin, exchange),
            lambda exchange=exchange: actions.confirm_on_behalf(coordinator, exchange, "He rang me"),
        )

        assert outcomes == ["already_confirmed", "ok"]
        assert Transfer.objects.filter(key=exchange.transfer_key).count() == 1
        assert Exchange.objects.get(pk=exchange.pk).status == ExchangeStatus.CONFIRMED
        results[Exchange.objects.get(pk=exchange.pk).confirmed_by_id] += 1
    assert Transfer.objects.count() == ROUNDS
    assert (balance(member, hours), balance(colin, hours)) == (ROUNDS * HOUR, -ROUNDS * HOUR)
    assert sum(results.values()) == ROUNDS


def test_two_presses_of_confirm_at_once_make_one_transfer(member, colin, gardening, hours):
    exchange = done_exchange(member, colin, gardening, hours)

    outcomes = race(lambda: actions.confirm(colin, exchange), lambda: actions.confirm(colin, exchange))

    assert outcomes == ["already_confirmed", "ok"]
    assert Transfer.objects.count() == 1
    assert balance(member, hours) == HOUR


def test_a_confirmation_racing_a_cancellation_does_one_or_the_other(member, colin, gardening, hours):
    for _ in range(ROUNDS):
        exchange = done_exchange(member, colin, gardening, hours)

        outcomes = race(
            lambda exchange=exchange: actions.confirm(colin, exchange),
            lambda exchange=exchange: actions.cancel(member, exchange, "Rained off"),
        )

        status = Exchange.objects.get(pk=exchange.pk).status
        transfers = Transfer.objects.filter(key=exchange.transfer_key).count()
        assert outcomes in (["already_confirmed", "ok"], ["ok", "wrong_status"])
        assert (status, transfers) in ((ExchangeStatus.CONFIRMED, 1), (ExchangeStatus.CANCELLED, 0))


def test_two_contacts_at_once_open_one_thread(minas_offer, colin, hours):
    outcomes = race(
        lambda: actions.start(colin, minas_offer, "Hello from my phone"),
        lambda: actions.start(colin, minas_offer, "Hello from my laptop"),
    )

    assert outcomes == ["ok", "ok"]
    exchange = Exchange.objects.get()
    assert exchange.messages.count() == 2
