"""Many connections at once: the ledger neither loses an update, nor deadlocks, nor lets a race past a limit.

Each worker is a thread with its own database connection, so the transfers really race for the account rows
on the server. SQLite has one writer at a time and nothing to race, so these run on PostgreSQL only (as CI does).
"""

from __future__ import annotations

import random
import threading
import uuid
from collections import Counter
from dataclasses import dataclass

import pytest
from django.db import connection, connections

from ostrom.communities.domain import DomainError
from ostrom.communities.models import AuditEntry
from ostrom.communities.tests.factories import MemberFactory
from ostrom.ledger import verify
from ostrom.ledger.actions import accounts, transfers
from ostrom.ledger.domain.limits import AccountState, apply_credit, apply_debit
from ostrom.ledger.models import Account, AccountKind, CurrencyKind, Transfer

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="Separate connections racing for row locks need PostgreSQL; SQLite has a single writer.",
    ),
]

WORKERS = 10  # connections; 100 transfers between them
LIMIT_CODES = {"debit_limit_exceeded", "credit_limit_exceeded"}


@dataclass(frozen=True)
class Order:
    key: uuid.UUID
    debit: int
    credit: int
    amount: int


@dataclass
class Outcome:
    order: Order
    transfer_id: int | None = None
    replayed: bool = False
    refused: str | None = None


def race(orders: list[Order], by_id: dict[int, Account]) -> list[Outcome]:
    """Send the orders from WORKERS threads at once, each thread on its own connection; every outcome comes back."""
    start = threading.Barrier(WORKERS)
    outcomes: list[Outcome] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def work(share: list[Order]) -> None:
        try:
            start.wait()
            for order in share:
                outcome = Outcome(order)
                try:
                    posted = transfers.transfer(
                        debit=by_id[order.debit], credit=by_id[order.credit], amount=order.amount, key=order.key,
                        memo="Race",
                    )  # fmt: skip
                    outcome.transfer_id, outcome.replayed = posted.id, posted.replayed
                except DomainError as error:
                    outcome.refused = error.code
                with lock:
                    outcomes.append(outcome)
        except BaseException as error:  # a deadlock or any database error fails the test below
            with lock:
                failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(orders[n::WORKERS],)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    assert len(outcomes) == len(orders)
    return outcomes


def totals(account: Account) -> AccountState:
    return AccountState(
        account.pk, account.debits_pending, account.debits_posted, account.credits_pending, account.credits_posted,
        account.debit_limit, account.credit_limit, account.debit_limit_base, account.limit_growth_permille,
        account.limit_growth_cap,
    )  # fmt: skip


def replay_serially(start: dict[int, AccountState], rows: list[Transfer]) -> dict[int, AccountState]:
    """Apply the transfers one after another in id order, checking each against the limits and the balances
    the engine stored with it; the accounts at the end."""
    states = dict(start)
    for row in rows:
        debit = apply_debit(states[row.debit_account_id], row.amount, pending=False)
        credit = apply_credit(states[row.credit_account_id], row.amount, pending=False)
        assert debit.debit_fits() and credit.credit_fits(), f"transfer {row.pk} could not have been accepted"
        assert (row.debit_balance_after, row.credit_balance_after) == (debit.balance, credit.balance), row.pk
        states[debit.id], states[credit.id] = debit, credit
    return states


def would_break_a_limit_somewhere(order: Order, start: dict[int, AccountState], rows: list[Transfer]) -> bool:
    """Whether the order breaks a limit on the accounts as they stood before, between or after the accepted ones."""
    states = dict(start)
    for row in [None, *rows]:
        if row is not None:
            states[row.debit_account_id] = apply_debit(states[row.debit_account_id], row.amount, pending=False)
            states[row.credit_account_id] = apply_credit(states[row.credit_account_id], row.amount, pending=False)
        if row is not None and {row.debit_account_id, row.credit_account_id}.isdisjoint({order.debit, order.credit}):
            continue
        debit = apply_debit(states[order.debit], order.amount, pending=False)
        credit = apply_credit(states[order.credit], order.amount, pending=False)
        if not (debit.debit_fits() and credit.credit_fits()):
            return True
    return False


@pytest.fixture
def market(community):
    """Five members trading hours within tight limits, Fay who may go only 2 hours below zero and only ever
    pays the levy, and Gus who may hold at most 1 hour 30 and is only ever paid from the issuance account."""
    hours = accounts.create_currency(
        community, code="hours", name="Timebank hours", kind=CurrencyKind.TIME,
        default_debit_limit=120, default_credit_limit=180,
    )  # fmt: skip
    traders = [accounts.open_account(hours, member=MemberFactory(community=community)) for _ in range(5)]
    fay = accounts.open_account(hours, member=MemberFactory(community=community, display_name="Fay"))
    gus = accounts.open_account(hours, member=MemberFactory(community=community, display_name="Gus"))
    Account.objects.filter(pk=gus.pk).update(credit_limit=90)
    fees = accounts.system_account(hours, AccountKind.FEES)
    issuance = accounts.system_account(hours, AccountKind.ISSUANCE)  # no issuance limit: it never refuses
    everyone = Account.objects.in_bulk([a.pk for a in [*traders, fay, gus, fees, issuance]])
    return {"traders": [a.pk for a in traders], "fay": fay.pk, "gus": gus.pk, "fees": fees.pk,
            "issuance": issuance.pk, "accounts": everyone}  # fmt: skip


def orders_for(market: dict) -> list[Order]:
    rng = random.Random(4)
    traders = market["traders"]
    orders = [Order(uuid.uuid4(), *rng.sample(traders, 2), rng.randint(30, 90)) for _ in range(80)]
    orders += [Order(uuid.uuid4(), market["fay"], market["fees"], 30) for _ in range(10)]
    orders += [Order(uuid.uuid4(), market["issuance"], market["gus"], 30) for _ in range(10)]
    rng.shuffle(orders)
    return orders


def assert_sound(market: dict) -> None:
    rows = list(Account.objects.filter(pk__in=market["accounts"]))
    assert sum(a.credits_posted - a.debits_posted for a in rows) == 0
    assert all(totals(a).debit_fits() and totals(a).credit_fits() for a in rows)
    assert verify.verify_ledger() == []


def test_a_hundred_racing_transfers_lose_nothing_and_break_no_limit(market):
    """100 transfers from 10 connections at once over accounts with tight limits.

    The accepted ones, replayed one by one in id order from the empty ledger, must each fit the limits and
    reproduce exactly the balances stored with them and the totals at the end. Id order is a valid serial order:
    a transfer takes its id while it holds both account locks, so of two transfers sharing an account the later
    id committed later, and transfers on different accounts commute. Each refused one must break a limit at some
    point of that history. Fay's and Gus's transfers do not depend on the order at all: exactly 4 of Fay's ten
    levies of 30 minutes fit her 2-hour limit, and exactly 3 of Gus's ten payments of 30 fit his 90-minute cap."""
    orders = orders_for(market)
    start = {pk: totals(a) for pk, a in market["accounts"].items()}

    outcomes = race(orders, market["accounts"])

    accepted = [o for o in outcomes if o.transfer_id]
    refused = [o for o in outcomes if o.refused]
    assert len(accepted) + len(refused) == 100
    assert {o.refused for o in refused} <= LIMIT_CODES
    assert not any(o.replayed for o in accepted)
    rows = list(Transfer.objects.order_by("pk"))
    assert [r.pk for r in rows] == sorted(o.transfer_id for o in accepted)
    for outcome in accepted:
        row = next(r for r in rows if r.pk == outcome.transfer_id)
        assert (row.key, row.debit_account_id, row.credit_account_id, row.amount) == (
            outcome.order.key, outcome.order.debit, outcome.order.credit, outcome.order.amount,
        )  # fmt: skip
    end = replay_serially(start, rows)
    assert {pk: totals(a) for pk, a in Account.objects.in_bulk(list(start)).items()} == end
    for outcome in refused:
        assert would_break_a_limit_somewhere(outcome.order, start, rows), outcome
    paid = Counter(r.debit_account_id for r in rows if r.credit_account_id == market["fees"])
    assert paid[market["fay"]] == 4
    assert sum(1 for r in rows if r.credit_account_id == market["gus"]) == 3
    assert refused  # the limits really were met
    assert_sound(market)


def test_resubmitting_all_hundred_keys_makes_no_second_payment(market):
    """Every key is sent again, all at once. A key that was accepted answers with its first transfer and writes
    nothing. A key that was refused left no trace -- the ledger never saw a transfer under it -- so sending it
    again is a fresh request, judged on today's balances: Fay and Gus are still at their limits and are refused
    again; a trader's may now fit. Whatever fits, the ledger is still sound and replays in order."""
    orders = orders_for(market)
    start = {pk: totals(a) for pk, a in market["accounts"].items()}
    first = race(orders, market["accounts"])
    accepted_first = {o.order.key: o.transfer_id for o in first if o.transfer_id}

    again = race(orders, market["accounts"])

    for outcome in again:
        if outcome.order.key in accepted_first:
            assert outcome.replayed and outcome.transfer_id == accepted_first[outcome.order.key]
        elif outcome.order.debit == market["fay"] or outcome.order.credit == market["gus"]:
            assert outcome.refused in LIMIT_CODES
        else:
            assert outcome.refused in LIMIT_CODES or not outcome.replayed
    new = {o.order.key for o in again if o.transfer_id and not o.replayed}
    assert Transfer.objects.count() == len(accepted_first) + len(new)
    assert Transfer.objects.filter(key__in=list(accepted_first)).count() == len(accepted_first)
    rows = list(Transfer.objects.order_by("pk"))
    replay_serially(start, rows)
    assert_sound(market)


def run_at_once(*calls) -> list:
    """Run the calls in threads released together; each result is what the call returned or the error it raised."""
    start = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(n: int) -> None:
        try:
            start.wait()
            results[n] = calls[n]()
        except Exception as error:
            results[n] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_coordinators_reversing_the_same_transfer_at_once_reverse_it_once(
    mina_account, cora_account, coordinator, admin_member
):
    posted = transfers.transfer(debit=mina_account, credit=cora_account, amount=90, key=uuid.uuid4())
    original = Transfer.objects.get(pk=posted.id)

    results = run_at_once(
        lambda: transfers.reverse(original, actor=coordinator.user, reason="Entered twice", key=uuid.uuid4()),
        lambda: transfers.reverse(original, actor=admin_member.user, reason="Mistake", key=uuid.uuid4()),
    )

    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], DomainError) and errors[0].code == "already_reversed"
    assert Transfer.objects.filter(reverses=original).count() == 1
    assert Account.objects.get(pk=mina_account.pk).balance == 0
    assert AuditEntry.objects.filter(action="ledger.transfer_reversed").count() == 1
    assert verify.verify_ledger() == []


def test_the_same_reversal_sent_twice_at_once_is_made_once(mina_account, cora_account, coordinator):
    """Without a key of their own, both requests use the reversal's derived key: one makes it, the other either
    finds it made or is told it is already reversed."""
    posted = transfers.transfer(debit=mina_account, credit=cora_account, amount=90, key=uuid.uuid4())
    original = Transfer.objects.get(pk=posted.id)

    results = run_at_once(*[lambda: transfers.reverse(original, actor=coordinator.user, reason="Twice")] * 2)

    made = [r for r in results if not isinstance(r, Exception)]
    assert made and len({r.id for r in made}) == 1
    assert all(r.code == "already_reversed" for r in results if isinstance(r, Exception)), results
    assert Transfer.objects.filter(reverses=original).count() == 1
    assert Account.objects.get(pk=mina_account.pk).balance == 0


@pytest.mark.parametrize("second", ["post", "void"])
def test_a_hold_taken_twice_at_once_is_resolved_once(mina_account, cora_account, second):
    held = transfers.hold(debit=mina_account, credit=cora_account, amount=120, key=uuid.uuid4())
    hold_row = Transfer.objects.get(pk=held.id)
    other = (
        (lambda: transfers.post_hold(hold_row, key=uuid.uuid4(), amount=60))
        if second == "post"
        else (lambda: transfers.void_hold(hold_row, key=uuid.uuid4()))
    )

    results = run_at_once(lambda: transfers.post_hold(hold_row, key=uuid.uuid4()), other)

    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], DomainError) and errors[0].code == "hold_already_resolved"
    assert Transfer.objects.filter(pending=hold_row).count() == 1
    resolution = Transfer.objects.get(pending=hold_row)
    mina = Account.objects.get(pk=mina_account.pk)
    assert mina.debits_pending == 0
    assert mina.balance == (-resolution.amount if resolution.kind == "post" else 0)
    assert verify.verify_ledger() == []
