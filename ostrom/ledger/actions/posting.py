"""The ledger engine: every change to account totals goes through one of two paths here.

- ``post_single``: one transfer (posted or held) through the hot SQL in ledger/sql.py.
- ``post_states``: any number of transfers whose effect on the accounts was worked out by the domain
  (batches, posting or voiding holds, reversals), written after locking every account in id order.

Callers are the functions in ledger/actions; nothing else writes ledger rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from ostrom.communities.domain import DomainError

from .. import errors, sql
from ..domain import amounts
from ..domain.limits import AccountState
from ..models import Account, Transfer

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


def check_spec(spec: Spec) -> None:
    """The rules Python checks before the database sees anything (the database checks them again)."""
    amounts.check_amount(spec.amount)
    if spec.debit_account_id == spec.credit_account_id:
        raise DomainError("same_account", "You can't pay an account from itself.", "account")
    if len(spec.memo) > 500:
        raise DomainError("memo_too_long", "Keep the description to 500 characters or fewer.", "memo")
    if len(spec.category) > 40:
        raise DomainError("category_too_long", "Keep the category to 40 characters or fewer.", "category")
    if len(spec.reference) > 80:
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
            return replay(spec)  # the same key raced in from another connection
        if name in errors.LIMIT_CONSTRAINTS:
            side = "debit" if name == "account_debit_within_limit" else "credit"
            account_id = spec.debit_account_id if side == "debit" else spec.credit_account_id
            raise errors.limit_error(
                Account.objects.select_related("currency", "member", "organisation").get(pk=account_id), side
            ) from None
        raise
    except DatabaseError as error:
        if "ledger:account_unavailable" not in str(error):
            raise
        raise _unavailable(spec) from None
    transfer_id, replayed, debit_after, credit_after = row
    if replayed:
        return replay(spec)
    return Posted(
        transfer_id, spec.key, spec.amount, spec.debit_account_id, spec.credit_account_id, debit_after, credit_after
    )


def _post_postgres(spec: Spec, now: datetime) -> tuple[int, bool, int, int]:
    params = [
        spec.community_id, spec.currency_id, spec.key, spec.kind, spec.debit_account_id, spec.credit_account_id,
        spec.amount, spec.expires_at, spec.memo, spec.category, spec.reference, spec.reason, spec.created_by_id,
        spec.on_behalf_of_id, spec.batch_id, spec.reverses_id, now,
    ]  # fmt: skip
    # Inside a caller's transaction a refused transfer must not poison the rest of it: use a savepoint.
    # At the top level (the common case) the call runs in autocommit: one round trip in all.
    if connection.in_atomic_block:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql.POSTGRES_CALL, params)
            return cursor.fetchone()
    with connection.cursor() as cursor:
        cursor.execute(sql.POSTGRES_CALL, params)
        return cursor.fetchone()


def _post_sqlite(spec: Spec, now: datetime) -> tuple[int, bool, int, int]:
    ops = connection.ops
    params: dict[str, Any] = {
        "community": spec.community_id, "currency": spec.currency_id, "key": spec.key.hex, "kind": spec.kind,
        "debit": spec.debit_account_id, "credit": spec.credit_account_id, "amount": spec.amount,
        "pending": spec.kind == "pending", "expires_at": ops.adapt_datetimefield_value(spec.expires_at),
        "memo": spec.memo, "category": spec.category, "reference": spec.reference, "reason": spec.reason,
        "created_by": spec.created_by_id, "on_behalf_of": spec.on_behalf_of_id, "batch": spec.batch_id,
        "reverses": spec.reverses_id, "now": ops.adapt_datetimefield_value(now),
    }  # fmt: skip
    # SQLite has one writer at a time (BEGIN IMMEDIATE, see settings), so no row locks are needed.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql.SQLITE_FIND, [spec.community_id, params["key"]])
        found = cursor.fetchone()
        if found:
            return found[0], True, found[1], found[2]
        cursor.execute(sql.SQLITE_UPDATE, params)
        if cursor.rowcount != 2:
            raise DatabaseError("ledger:account_unavailable")
        cursor.execute(sql.SQLITE_INSERT, params)
        transfer_id, debit_after, credit_after = cursor.fetchone()
        return transfer_id, False, debit_after, credit_after


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
    rows = (
        Account.objects.select_for_update()
        .filter(pk__in=ordered)
        .order_by("pk")
        .values_list(*STATE_FIELDS, "community_id", "currency_id", "status")
    )
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


def write(
    specs: list[Spec],
    balances_after: list[tuple[int, int]],
    before: dict[int, AccountState],
    after: dict[int, AccountState],
) -> list[int]:
    """Insert the transfer rows and set the changed accounts' totals, in the caller's transaction."""
    now = timezone.now()
    rows = [
        Transfer(
            community_id=s.community_id, currency_id=s.currency_id, key=s.key, kind=s.kind,
            debit_account_id=s.debit_account_id, credit_account_id=s.credit_account_id, amount=s.amount,
            expires_at=s.expires_at, memo=s.memo, category=s.category, reference=s.reference, reason=s.reason,
            created_by_id=s.created_by_id, on_behalf_of_id=s.on_behalf_of_id, batch_id=s.batch_id,
            reverses_id=s.reverses_id, pending_id=s.pending_id, created_at=now,
            debit_balance_after=d, credit_balance_after=c,
        )
        for s, (d, c) in zip(specs, balances_after, strict=True)
    ]  # fmt: skip
    created = Transfer.objects.bulk_create(rows, batch_size=2000)
    changed = [state for account_id, state in after.items() if state != before.get(account_id)]
    _set_totals(changed)
    return [t.pk for t in created]


def _set_totals(states: list[AccountState]) -> None:
    if not states:
        return
    fields = ("debits_pending", "debits_posted", "credits_pending", "credits_posted", "debit_limit")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(states))
            params: list[Any] = []
            for s in states:
                params.extend(
                    [s.id, s.debits_pending, s.debits_posted, s.credits_pending, s.credits_posted, s.debit_limit]
                )
            cursor.execute(
                f"UPDATE ledger_account AS a SET {', '.join(f'{f} = v.{f}::bigint' for f in fields)} "
                f"FROM (VALUES {values}) AS v(id, {', '.join(fields)}) WHERE a.id = v.id",
                params,
            )
        else:
            cursor.executemany(
                f"UPDATE ledger_account SET {', '.join(f'{f} = %s' for f in fields)} WHERE id = %s",
                [
                    (s.debits_pending, s.debits_posted, s.credits_pending, s.credits_posted, s.debit_limit, s.id)
                    for s in states
                ],
            )
