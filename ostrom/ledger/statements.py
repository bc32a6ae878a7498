"""Statements: an account's posted movements, newest first, with the running balance after each line.

Read-only: nothing here changes state. The web page, the API, the exports and the benchmark all call
``statement_page``, so there is one query to keep fast.

Why the query looks the way it does: an account's history can be long (the benchmark puts a million
transfers in the database), so a page never counts, sorts or skips over the whole history. The cursor is a
transfer id (keyset pagination, never OFFSET), and the page is a UNION ALL of two scans that each walk one
index in id order -- transfer_debit_history (debit_account_id, id) and transfer_credit_history
(credit_account_id, id) -- and stop after ``limit + 1`` rows, which Python merges. Two more one-row scans
in the same query tell whether there is a page on the other side of the cursor, and the other party's name
is joined on, so a page is one round trip. Each transfer stores both accounts' posted balances just after
it, so the running balance is read, never summed."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ostrom.communities.models import Member, Organisation

from .models import Account, AccountKind, Transfer, TransferKind

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_HOLDS_SHOWN = 200

# Posted movements change balances; a hold (pending) only reserves, and a void only releases a hold.
POSTED_KINDS = (TransferKind.TRANSFER.value, TransferKind.POST.value)

_COLUMNS = (
    "id, created_at, kind, debit_account_id, credit_account_id, amount, memo, category, reference, "
    "reverses_id, pending_id, debit_balance_after, credit_balance_after"
)
# One index-ordered scan of one side of the account's history. ``probe`` is 0 for the page's own rows and 1
# for the single row that says whether a page exists beyond the cursor.
_SIDE = (
    "SELECT * FROM (SELECT {columns}, {probe} AS probe FROM ledger_transfer WHERE {side}_account_id = %s "
    "AND kind IN ('transfer', 'post'){filters} ORDER BY id {order} LIMIT %s) AS {side}_{probe}"
)
# The other party's name, as Account.holder_name gives it, without building a model per line.
_NAMES = f"""
SELECT t.*, a.kind AS other_kind, a.name AS other_name, m.display_name AS member_name, o.name AS organisation_name
FROM ({{sides}}) AS t
JOIN ledger_account a ON a.id = CASE WHEN t.debit_account_id = %s THEN t.credit_account_id ELSE t.debit_account_id END
LEFT JOIN {Member._meta.db_table} m ON m.id = a.member_id
LEFT JOIN {Organisation._meta.db_table} o ON o.id = a.organisation_id"""  # noqa: S608 -- table names, not input
_KIND_LABELS = dict(AccountKind.choices)


@dataclass(frozen=True)
class StatementLine:
    """One posted movement as the account holder sees it: ``amount`` is positive when received, negative when paid."""

    transfer_id: int
    created_at: datetime
    kind: str
    amount: int
    balance_after: int
    other_account_id: int
    other_party: str
    memo: str
    category: str
    reference: str
    reverses_id: int | None
    hold_id: int | None

    @property
    def received(self) -> bool:
        return self.amount > 0


@dataclass(frozen=True)
class StatementPage:
    """A page of lines, newest first, with the cursors for the pages either side (None where there is none).

    Pass ``older_cursor`` as ``before_id`` for the next, older page and ``newer_cursor`` as ``after_id`` for
    the previous, newer one."""

    lines: list[StatementLine]
    older_cursor: int | None
    newer_cursor: int | None


@dataclass(frozen=True)
class Hold:
    """An amount reserved but not yet taken or released; ``amount`` is negative when this account pays."""

    transfer_id: int
    created_at: datetime
    expires_at: datetime | None
    amount: int
    other_account_id: int
    other_party: str
    memo: str
    category: str


def statement_page(
    account: Account,
    before_id: int | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
    date_from: date | None = None,
    date_to: date | None = None,
    category: str | None = None,
    *,
    after_id: int | None = None,
) -> StatementPage:
    """One page of the account's posted movements, newest first: older than ``before_id``, or (to page back
    towards the newest) newer than ``after_id``. Dates are whole days in the community's time zone, both
    included; ``category`` matches exactly."""
    limit = max(1, min(int(limit), MAX_PAGE_SIZE))
    filters = _filters(account, date_from, date_to, category)
    if after_id is not None:
        lines, beyond = _fetch(account, filters, "ASC", limit + 1, after_id, probe=True)
        more_newer = len(lines) > limit
        lines = list(reversed(lines[:limit]))
        newer = lines[0].transfer_id if more_newer else None
        older = (lines[-1].transfer_id if lines else after_id + 1) if beyond else None
        return StatementPage(lines, older, newer)
    lines, beyond = _fetch(account, filters, "DESC", limit + 1, before_id, probe=before_id is not None)
    older = lines[limit - 1].transfer_id if len(lines) > limit else None
    lines = lines[:limit]
    newer = (lines[0].transfer_id if lines else before_id - 1) if beyond and before_id is not None else None
    return StatementPage(lines, older, newer)


def iter_statement(
    account: Account,
    date_from: date | None = None,
    date_to: date | None = None,
    category: str | None = None,
    chunk: int | None = None,
) -> Iterator[StatementLine]:
    """Every line of the statement, newest first, read a page at a time so an export never holds it all."""
    chunk = max(1, min(chunk or MAX_PAGE_SIZE, MAX_PAGE_SIZE))
    filters = _filters(account, date_from, date_to, category)
    before_id = None
    while True:
        lines, _ = _fetch(account, filters, "DESC", chunk, before_id)
        yield from lines
        if len(lines) < chunk:
            return
        before_id = lines[-1].transfer_id


def pending_holds(account: Account, limit: int = MAX_HOLDS_SHOWN) -> list[Hold]:
    """Holds on the account that have not been taken or released yet, newest first (at most ``limit``)."""
    held = (
        Transfer.objects.filter(kind=TransferKind.PENDING, resolution__isnull=True)
        .filter(debit_account_id=account.pk)
        .union(
            Transfer.objects.filter(kind=TransferKind.PENDING, resolution__isnull=True, credit_account_id=account.pk),
            all=True,
        )
        .order_by("-id")[:limit]
    )
    rows = list(held)
    names = _names({t.credit_account_id if t.debit_account_id == account.pk else t.debit_account_id for t in rows})
    holds = []
    for t in rows:
        paying = t.debit_account_id == account.pk
        other = t.credit_account_id if paying else t.debit_account_id
        holds.append(
            Hold(
                t.pk,
                t.created_at,
                t.expires_at,
                -t.amount if paying else t.amount,
                other,
                names.get(other, ""),
                t.memo,
                t.category,
            )
        )
    return holds


def day_bounds(account: Account, date_from: date | None, date_to: date | None) -> tuple[datetime | None, ...]:
    """The instants where the chosen days start and end in the community's time zone (end excluded)."""
    if date_from is None and date_to is None:
        return None, None
    zone = zoneinfo.ZoneInfo(account.community.time_zone)
    start = datetime.combine(date_from, time.min, tzinfo=zone) if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone) if date_to else None
    return start, end


@dataclass(frozen=True)
class _Filters:
    sql: str
    params: list


def _filters(account: Account, date_from: date | None, date_to: date | None, category: str | None) -> _Filters:
    sql, params = "", []
    start, end = day_bounds(account, date_from, date_to)
    if start is not None:
        sql += " AND created_at >= %s"
        params.append(connection.ops.adapt_datetimefield_value(start))
    if end is not None:
        sql += " AND created_at < %s"
        params.append(connection.ops.adapt_datetimefield_value(end))
    if category:
        sql += " AND category = %s"
        params.append(category)
    return _Filters(sql, params)


def _fetch(
    account: Account, filters: _Filters, order: str, limit: int, cursor: int | None, *, probe: bool = False
) -> tuple[list[StatementLine], bool]:
    """Up to ``limit`` lines beyond ``cursor`` in id ``order`` (DESC: older than it; ASC: newer), and with
    ``probe`` whether any line lies on the other side of the cursor (itself included). One round trip."""
    beyond, within = ("<", ">=") if order == "DESC" else (">", "<=")
    opposite = "ASC" if order == "DESC" else "DESC"
    parts: list[str] = []
    params: list = []
    scans = [(order, beyond, limit, 0)] + ([(opposite, within, 1, 1)] if probe else [])
    for scan_order, comparison, scan_limit, is_probe in scans:
        extra, extra_params = filters.sql, list(filters.params)
        if cursor is not None:
            extra += f" AND id {comparison} %s"
            extra_params.append(cursor)
        for side in ("debit", "credit"):
            parts.append(_SIDE.format(columns=_COLUMNS, probe=is_probe, side=side, filters=extra, order=scan_order))
            params += [account.pk, *extra_params, scan_limit]
    # A transfer never has the same account on both sides (a database constraint), so no row comes twice.
    query = _NAMES.format(sides=" UNION ALL ".join(parts))
    with connection.cursor() as db:
        db.execute(query, [*params, account.pk])
        rows = db.fetchall()
    found_beyond = any(row[13] for row in rows)
    page = sorted((row for row in rows if not row[13]), key=lambda row: row[0], reverse=order == "DESC")
    return [_line(account, row) for row in page[:limit]], found_beyond


def _line(account: Account, row: tuple) -> StatementLine:
    (transfer_id, created_at, kind, debit_id, credit_id, amount, memo, category, reference, reverses_id, hold_id,
     debit_after, credit_after, _, other_kind, other_name, member_name, organisation_name) = row  # fmt: skip
    paid = debit_id == account.pk
    return StatementLine(
        transfer_id=transfer_id,
        created_at=_aware(created_at),
        kind=kind,
        amount=-amount if paid else amount,
        balance_after=debit_after if paid else credit_after,
        other_account_id=credit_id if paid else debit_id,
        other_party=member_name or organisation_name or other_name or str(_KIND_LABELS.get(other_kind, "")),
        memo=memo,
        category=category,
        reference=reference,
        reverses_id=reverses_id,
        hold_id=hold_id,
    )


def _aware(value: datetime | str) -> datetime:
    """PostgreSQL hands back an aware datetime; SQLite the stored UTC text, which a raw cursor leaves as text."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def _names(account_ids: set[int]) -> dict[int, str]:
    if not account_ids:
        return {}
    accounts = Account.objects.filter(pk__in=account_ids).select_related("member", "organisation")
    return {a.pk: a.holder_name for a in accounts}
