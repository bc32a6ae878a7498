"""The ledger engine: every change to account totals goes through one of three paths here.

- ``post_single``: one transfer (posted or held, and reversals) through the hot SQL in ledger/sql.py: one
  round trip on PostgreSQL (a prepared libpq call at the top level, see libpq_call.py), the database's
  constraints deciding limits and repeated keys.
- ``lock_usable`` then ``post_lines``: a batch on PostgreSQL, applied line by line by the database itself
  (sql.POSTGRES_BATCH) after locking every account in id order.
- ``lock_states`` then ``write``: transfers whose effect on the accounts was worked out by the domain (taking
  or releasing holds, batches on SQLite, and any batch the database refused, to say why), written after
  locking every account in id order; on PostgreSQL the rows go in with one COPY and the totals with one UPDATE.

Callers are the functions in ledger/actions; nothing else writes ledger rows."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from ostrom.communities.domain import DomainError

from .. import errors, sql
from ..domain import amounts
from ..domain.limits import AccountState
from ..models import Account, Transfer
from . import libpq_call
from .pg_arrays import Int8Array, TextArray

COMPARED_FIELDS = ("kind", "debit_account_id", "credit_account_id", "amount", "memo", "category", "reference")
STATE_FIELDS = (
    "id",
    "debits_pending",
    "debits_posted",
    "credits_pending",
    "credits_posted",
    "debit_limit",
    "credit_limit",
    "debit_limit_base",
    "limit_growth_permille",
    "limit_growth_cap",
)


@dataclass(frozen=True)
class Posted:
    """What a transfer did: its id and both accounts' posted balances just after it."""

    id: int
    key: uuid.UUID
    amount: int
    debit_account_id: int
    credit_account_id: int
    debit_balance_after: int
    credit_balance_after: int
    replayed: bool = False


@dataclass(frozen=True)
class Spec:
    """Everything a new transfer row holds apart from the balances the engine works out."""

    community_id: int
    currency_id: int
    key: uuid.UUID
    debit_account_id: int
    credit_account_id: int
    amount: int
    kind: str = "transfer"
    expires_at: datetime | None = None
    memo: str = ""
    category: str = ""
    reference: str = ""
    reason: str = ""
    created_by_id: int | None = None
    on_behalf_of_id: int | None = None
    batch_id: int | None = None
    reverses_id: int | None = None
    pending_id: int | None = None

    def row(self) -> Row:
        """The new row's columns in sql.COLUMNS order, up to the time and balances the engine adds."""
        return (
            self.community_id, self.currency_id, self.key, self.kind, self.debit_account_id, self.credit_account_id,
            self.amount, self.expires_at, self.memo, self.category, self.reference, self.reason, self.created_by_id,
            self.on_behalf_of_id, self.batch_id, self.reverses_id, self.pending_id,
        )  # fmt: skip


# A transfer row as ``write`` takes it: plain tuples, because a batch builds tens of thousands of them.
Row = tuple[Any, ...]


def check_spec(spec: Spec) -> None:
    """The rules Python checks before the database sees anything (the database checks them again)."""
    amounts.check_amount(spec.amount)
    if spec.debit_account_id == spec.credit_account_id:
        raise DomainError("same_account", "You can't pay an account from itself.", "account")
    check_texts(spec.memo, spec.category, spec.reference)


def check_texts(memo: str, category: str, reference: str) -> None:
    """Texts too long for their columns (or holding a NUL, which PostgreSQL cannot store) are refused with a
    sentence, never as a database error."""
    if "\x00" in memo + category + reference:
        raise DomainError("text_has_null_character", "Remove the invisible NUL character from the text.")
    if len(memo) > 500:
        raise DomainError("memo_too_long", "Keep the description to 500 characters or fewer.", "memo")
    if len(category) > 40:
        raise DomainError("category_too_long", "Keep the category to 40 characters or fewer.", "category")
    if len(reference) > 80:
        raise DomainError("reference_too_long", "Keep the reference to 80 characters or fewer.", "reference")


def post_single(spec: Spec) -> Posted:
    """Post or hold one transfer. Idempotent on ``spec.key``; limits enforced by the database."""
    check_spec(spec)
    now = timezone.now()
    try:
        row = _post_postgres(spec, now) if connection.vendor == "postgresql" else _post_sqlite(spec, now)
    except IntegrityError as error:
        name = errors.constraint_name(error)
        if name == "transfer_key_unique_in_community":
            return replay(spec)  # a retry, or the same key raced in from another connection
        if name not in errors.LIMIT_CONSTRAINTS:
            raise
        if _key_used(spec):
            return replay(spec)  # a retry of a transfer that itself used up the room left
        side = "debit" if name == "account_debit_within_limit" else "credit"
        account_id = spec.debit_account_id if side == "debit" else spec.credit_account_id
        raise errors.limit_error(
            Account.objects.select_related("currency", "member", "organisation").get(pk=account_id), side
        ) from None
    except DatabaseError as error:
        if "ledger:account_unavailable" not in str(error):
            raise
        if _key_used(spec):
            return replay(spec)  # a retry after the account was frozen: the first transfer stands
        raise _unavailable(spec) from None
    transfer_id, debit_after, credit_after = row
    return Posted(
        transfer_id, spec.key, spec.amount, spec.debit_account_id, spec.credit_account_id, debit_after, credit_after
    )


# The hot path talks to the driver directly (no Django cursor wrapper, no per-query bookkeeping): measured, about
# 100 microseconds of Python per transfer instead of 150 to 240. When something is watching queries -- DEBUG,
# assertNumQueries, an execute_wrapper -- it goes through Django's cursor instead, so every statement is seen.
def _watched(db: BaseDatabaseWrapper) -> bool:
    return db.queries_logged or bool(db.execute_wrappers)


def _post_postgres(spec: Spec, now: datetime) -> tuple[int, int, int]:
    params = (
        spec.community_id, spec.currency_id, spec.key, spec.kind, spec.debit_account_id, spec.credit_account_id,
        spec.amount, spec.expires_at, spec.memo, spec.category, spec.reference, spec.reason, spec.created_by_id,
        spec.on_behalf_of_id, spec.batch_id, spec.reverses_id, now,
    )  # fmt: skip
    db = connections[DEFAULT_DB_ALIAS]
    if db.connection is None:
        db.ensure_connection()
    # At the top level (the common case) the call runs in autocommit: one round trip in all. Inside a caller's
    # transaction a refused transfer must not poison the rest of it: use a savepoint.
    if db.in_atomic_block or not db.autocommit:
        with transaction.atomic():
            return _call_postgres(db, params)
    return _call_postgres(db, params)


def _call_postgres(db: BaseDatabaseWrapper, params: tuple) -> tuple[int, int, int]:
    if _watched(db):
        with db.cursor() as cursor:
            cursor.execute(sql.POSTGRES_CALL, params)
            return cursor.fetchone()
    db.close_if_health_check_failed()
    if db.connection is None:
        db.ensure_connection()
    with db.wrap_database_errors:
        if db.in_atomic_block:  # a savepoint is open: psycopg must know of every statement in the transaction
            with psycopg.Cursor(db.connection) as cursor:
                cursor.execute(sql.POSTGRES_CALL, params)
                return cursor.fetchone()
        return libpq_call.call(db, params)


@contextmanager
def _postgres_cursor(db: BaseDatabaseWrapper) -> Iterator[Any]:
    """A cursor that binds parameters on the server, so they travel apart from the query and big arrays go in
    binary, instead of being quoted into the SQL text in Python (Django's default). Through Django's own cursor
    when something is watching queries."""
    if _watched(db):
        with db.cursor() as cursor:
            yield cursor
        return
    db.close_if_health_check_failed()
    db.ensure_connection()
    with db.wrap_database_errors, psycopg.Cursor(db.connection) as cursor:
        yield cursor


def _execute_binary(cursor: Any, query: str, params: list) -> None:
    """Big arrays out and many rows back in binary on the driver's own cursor: no text to format or parse (the
    text array dumper ran a regex on each of ten thousand ids). Django's cursor, when watched, takes text."""
    if isinstance(cursor, psycopg.Cursor):
        cursor.execute(query.replace("%s", "%b"), params, binary=True)
    else:
        cursor.execute(query, params)


def _post_sqlite(spec: Spec, now: datetime) -> tuple[int, int, int]:
    db = connections[DEFAULT_DB_ALIAS]
    adapt = db.ops.adapt_datetimefield_value
    debit, credit = spec.debit_account_id, spec.credit_account_id
    update = {
        "debit": debit, "credit": credit, "amount": spec.amount, "pending": spec.kind == "pending",
        "community": spec.community_id, "currency": spec.currency_id,
    }  # fmt: skip
    insert = (
        spec.community_id, spec.currency_id, spec.key.hex, spec.kind, debit, credit, spec.amount,
        adapt(spec.expires_at), spec.memo, spec.category, spec.reference, spec.reason, spec.created_by_id,
        spec.on_behalf_of_id, spec.batch_id, spec.reverses_id, spec.pending_id, adapt(now),
    )  # fmt: skip
    with _sqlite_transaction(db) as execute:
        balances = dict(execute(sql.SQLITE_UPDATE, update).fetchall())
        if len(balances) != 2:
            raise DatabaseError("ledger:account_unavailable")
        transfer_id = execute(sql.SQLITE_INSERT, (*insert, balances[debit], balances[credit])).lastrowid
    return transfer_id, balances[debit], balances[credit]


_SQLITE3 = {query: sql.for_sqlite3(query) for query in (sql.SQLITE_UPDATE, sql.SQLITE_INSERT)}


@contextmanager
def _sqlite_transaction(db: BaseDatabaseWrapper) -> Iterator[Callable[[str, Any], Any]]:
    """One write transaction on SQLite, yielding a function that runs a statement in it.

    SQLite has one writer at a time: BEGIN IMMEDIATE (the settings' transaction_mode) takes the write lock
    up front, so no row locks are needed. Unwatched and at the top level, the transaction is begun and ended
    on the driver's connection directly, which costs a fraction of transaction.atomic's bookkeeping."""
    if _watched(db) or db.in_atomic_block or not db.get_autocommit():

        def through_django(query: str, params: Any) -> Any:
            cursor = db.cursor()
            cursor.execute(query, params)
            return cursor

        with transaction.atomic(using=db.alias):
            yield through_django
        return
    db.close_if_health_check_failed()
    db.ensure_connection()
    raw = db.connection
    with db.wrap_database_errors:
        raw.execute(f"BEGIN {getattr(db, 'transaction_mode', None) or ''}")
        try:
            yield lambda query, params: raw.execute(_SQLITE3[query], params)
        except BaseException:
            if raw.in_transaction:  # SQLite may have rolled back already (e.g. on a full disk)
                raw.execute("ROLLBACK")
            raise
        raw.execute("COMMIT")


def _key_used(spec: Spec) -> bool:
    return Transfer.objects.filter(community_id=spec.community_id, key=spec.key).exists()


def replay(spec: Spec) -> Posted:
    """The transfer already made with this key, if its fields match; otherwise say which field differs."""
    existing = Transfer.objects.get(community_id=spec.community_id, key=spec.key)
    for field in COMPARED_FIELDS:
        if getattr(existing, field) != getattr(spec, field):
            name = field.removesuffix("_id")
            raise DomainError(
                f"exists_with_different_{name}",
                f"A transfer with this key already exists with a different {name.replace('_', ' ')}. "
                "Use a new key for a new transfer.",
                name,
            )
    return Posted(
        existing.pk, existing.key, existing.amount, existing.debit_account_id, existing.credit_account_id,
        existing.debit_balance_after, existing.credit_balance_after, replayed=True,
    )  # fmt: skip


def _unavailable(spec: Spec) -> DomainError:
    wanted = [spec.debit_account_id, spec.credit_account_id]
    accounts = Account.objects.select_related("member", "organisation").in_bulk(wanted)
    return errors.unavailable_error(spec.community_id, spec.currency_id, accounts, wanted)


def lock_states(account_ids: set[int], community_id: int, currency_id: int) -> dict[int, AccountState]:
    """Lock the accounts in ascending id order and read their totals. Call inside transaction.atomic."""
    ordered = sorted(account_ids)
    columns = ", ".join((*STATE_FIELDS, "community_id", "currency_id", "status"))
    # One parameter however many accounts (a batch may name tens of thousands): an array on PostgreSQL,
    # a JSON list on SQLite, which has one writer at a time and so needs no row locks.
    if connection.vendor == "postgresql":
        with _postgres_cursor(connections[DEFAULT_DB_ALIAS]) as cursor:
            _execute_binary(
                cursor,
                f"SELECT {columns} FROM ledger_account WHERE id = ANY(%s::bigint[]) ORDER BY id FOR UPDATE",
                [ordered],
            )
            rows = cursor.fetchall()
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM ledger_account WHERE id IN (SELECT value FROM json_each(%s)) ORDER BY id",
                [json.dumps(ordered)],
            )
            rows = cursor.fetchall()
    states: dict[int, AccountState] = {}
    found: dict[int, tuple[int, int, str]] = {}
    for row in rows:
        states[row[0]] = AccountState(*row[: len(STATE_FIELDS)])
        found[row[0]] = row[len(STATE_FIELDS) :]
    for account_id in ordered:
        where = found.get(account_id)
        if where is None or where[0] != community_id or where[1] != currency_id or where[2] != "active":
            accounts = Account.objects.select_related("member", "organisation").in_bulk(ordered)
            raise errors.unavailable_error(community_id, currency_id, accounts, [account_id])
    return states


def lock_usable(account_ids: set[int], community_id: int, currency_id: int) -> bool:
    """PostgreSQL: lock the accounts in ascending id order; True if every one is active in this community and
    currency. Nothing is read back but two counts: the batch is worked out by the database (``post_lines``)."""
    with _postgres_cursor(connections[DEFAULT_DB_ALIAS]) as cursor:
        _execute_binary(
            cursor,
            "SELECT count(*) FROM (SELECT community_id, currency_id, status FROM ledger_account "
            "WHERE id = ANY(%s::bigint[]) ORDER BY id FOR UPDATE) AS locked "
            "WHERE community_id = %s AND currency_id = %s AND status = 'active'",
            [Int8Array(sorted(account_ids)), community_id, currency_id],
        )
        (usable,) = cursor.fetchone()
    return usable == len(account_ids)


@dataclass(frozen=True)
class BatchLines:
    """A batch's lines as columns (one list per field, in line order): what the database path takes, because
    ten thousand row objects cost more to build than the statement takes to run."""

    debits: list[int]
    credits: list[int]
    amounts: list[int]
    memos: list[str]
    categories: list[str]
    references: list[str]
    on_behalf_of: list[int | None]


def post_lines(
    lines: BatchLines,
    *,
    community_id: int,
    currency_id: int,
    batch_key: uuid.UUID,
    batch_id: int,
    reason: str,
    created_by_id: int | None,
) -> list[int] | None:
    """PostgreSQL: post a batch's lines (plain transfers of one community and currency) in one statement that
    applies them in order and refuses them all if any breaks a limit. The ids in line order; None if a line was
    refused (nothing written: ask apply_batch which, and why). Call inside transaction.atomic with the accounts
    locked (``lock_usable``)."""
    params = [
        batch_key, Int8Array(lines.debits), Int8Array(lines.credits), Int8Array(lines.amounts),
        TextArray(lines.memos), TextArray(lines.categories), TextArray(lines.references),
        Int8Array(lines.on_behalf_of), community_id, currency_id, reason, created_by_id, batch_id, timezone.now(),
    ]  # fmt: skip
    with _postgres_cursor(connections[DEFAULT_DB_ALIAS]) as cursor:
        _execute_binary(cursor, sql.POSTGRES_BATCH, params)
        outcome, ids = cursor.fetchone()
    return ids if outcome == "posted" else None


def write(
    rows: list[Row],
    balances_after: list[tuple[int, int]],
    before: dict[int, AccountState],
    after: dict[int, AccountState],
) -> list[int]:
    """Insert the transfer rows (see ``Spec.row``) and set the changed accounts' totals, in the caller's
    transaction, which must hold the accounts' locks (``lock_states``)."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        ids = _copy_transfers(rows, balances_after, now)
    else:
        ids = _insert_transfers(rows, balances_after, now)
    _set_totals([state for account_id, state in after.items() if state != before.get(account_id)])
    return ids


def _copy_transfers(rows: list[Row], balances_after: list[tuple[int, int]], now: datetime) -> list[int]:
    """PostgreSQL: stream the rows in with one binary COPY, the fastest way in, letting the table's sequence number
    them; then read the ids back by key (one probe of the unique index each). Measured on a 10,000-line levy,
    asking the sequence for the ids first took longer than writing the rows."""
    community_id = rows[0][0]
    if any(row[0] != community_id for row in rows):
        raise ValueError("One write is one community's transfers.")
    with _postgres_cursor(connections[DEFAULT_DB_ALIAS]) as cursor:
        with cursor.copy(f"COPY ledger_transfer ({', '.join(sql.COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(list(sql.COLUMN_TYPES))
            write_row = copy.write_row
            for row, balances in zip(rows, balances_after, strict=True):
                write_row((*row, now, *balances))
        keys = [row[2] for row in rows]
        _execute_binary(
            cursor,
            "SELECT key, id FROM ledger_transfer WHERE community_id = %s AND key = ANY(%s::uuid[])",
            [community_id, keys],
        )
        ids = dict(cursor.fetchall())
    return [ids[key] for key in keys]


def _insert_transfers(rows: list[Row], balances_after: list[tuple[int, int]], now: datetime) -> list[int]:
    transfers = [
        Transfer(**dict(zip(sql.COLUMNS, (*row, now, *balances), strict=True)))
        for row, balances in zip(rows, balances_after, strict=True)
    ]
    return [t.pk for t in Transfer.objects.bulk_create(transfers, batch_size=2000)]


TOTALS = ("debits_pending", "debits_posted", "credits_pending", "credits_posted", "debit_limit")


def _set_totals(states: list[AccountState]) -> None:
    if not states:
        return
    if connection.vendor == "postgresql":
        # One array per column, however many accounts changed.
        columns = [Int8Array(s.id for s in states), *(Int8Array(getattr(s, f) for s in states) for f in TOTALS)]
        with _postgres_cursor(connections[DEFAULT_DB_ALIAS]) as cursor:
            _execute_binary(
                cursor,
                f"UPDATE ledger_account AS a SET {', '.join(f'{f} = v.{f}' for f in TOTALS)} "
                f"FROM unnest({', '.join(['%s::bigint[]'] * len(columns))}) AS v(id, {', '.join(TOTALS)}) "
                "WHERE a.id = v.id",
                columns,
            )
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE ledger_account SET {', '.join(f'{f} = %s' for f in TOTALS)} WHERE id = %s",
            [(*(getattr(s, f) for f in TOTALS), s.id) for s in states],
        )
