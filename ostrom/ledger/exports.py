"""Files people take away: a statement as CSV or XLSX, and the coordinator's ZIP of a whole ledger.

The columns below are the contract: docs/ledger-export-formats.md documents each one, the ZIP's README.txt
is written from the same descriptions, and a test fails if the code and the document disagree. Add a
column at the end, never rename or reorder one: people's spreadsheets and scripts read these files.

Amounts are never in seconds or raw smallest units: time as hours and minutes ("H:MM", "-1:05"), credits
in whole units with the currency's decimals ("12.50"). Everything is read in chunks and written as it
goes, so an export of a million transfers never sits in memory at once."""

from __future__ import annotations

import csv
import io
import zipfile
import zoneinfo
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from openpyxl import Workbook

from ostrom.communities.models import Community

from . import statements
from .domain.amounts import TIME, format_hours_minutes
from .models import Account, Currency, Transfer, TransferKind

CHUNK_ROWS = 2000
# Stream the ZIP to the client whenever this much compressed data is ready.
FLUSH_BYTES = 64 * 1024

STATEMENT_COLUMNS: list[tuple[str, str]] = [
    ("transfer_id", "The transfer's number in the ledger. The other party's statement shows the same number."),
    ("date", "The day it happened, in the community's time zone (YYYY-MM-DD)."),
    ("time", "The time it happened, in the community's time zone (HH:MM, 24-hour clock)."),
    ("kind", "transfer: a payment made at once. post: a hold that was taken (paid)."),
    ("other_party", "Who paid this account, or whom this account paid."),
    ("other_account_id", "The other party's account number."),
    ("description", "What the payment was for, as written by whoever made it."),
    ("category", "The category chosen for the payment; empty when none was."),
    ("reference", "What the payment is linked to, e.g. exchange:42; empty when nothing."),
    ("paid_in", "The amount this account received; empty when it paid."),
    ("paid_out", "The amount this account paid; empty when it received."),
    ("balance_after", "This account's balance just after this line (holds not counted)."),
    ("reverses_transfer_id", "For a correction: the number of the transfer it reverses; otherwise empty."),
]

ACCOUNTS_COLUMNS: list[tuple[str, str]] = [
    ("account_id", "The account's number."),
    ("currency", "The currency's code, e.g. hours."),
    ("kind", "member, organisation, issuance, fees or clearing (trade with another community)."),
    ("holder", "The member's display name, the organisation's name, or the system account's name."),
    ("member_id", "The member's number, for a member's account; otherwise empty."),
    ("organisation_id", "The organisation's number, for an organisation's account; otherwise empty."),
    ("status", "active, frozen or closed."),
    ("debit_limit", "How far below zero the account may go (an amount); empty when there is no limit."),
    ("credit_limit", "How far above zero the account may go (an amount); empty when there is no limit."),
    ("opened_at", "When the account was opened (ISO 8601 with the offset from UTC)."),
]

BALANCES_COLUMNS: list[tuple[str, str]] = [
    ("account_id", "The account's number (see accounts.csv)."),
    ("currency", "The currency's code."),
    ("holder", "Whose account it is."),
    ("balance", "Received minus paid: positive when the account holds value, negative when it owes."),
    ("available", "How much more it could pay now, counting holds and its debit limit; empty when unlimited."),
    ("held_to_pay", "The total of open holds this account will pay if they are taken."),
    ("held_to_receive", "The total of open holds this account will receive if they are taken."),
    ("total_paid", "Everything the account has ever paid (posted)."),
    ("total_received", "Everything the account has ever received (posted)."),
]

TRANSFERS_COLUMNS: list[tuple[str, str]] = [
    ("transfer_id", "The transfer's number. Numbers only grow: a later transfer has a larger number."),
    ("created_at", "When it was recorded (ISO 8601 with the offset from UTC)."),
    ("currency", "The currency's code."),
    ("kind", "transfer: paid at once. pending: a hold. post: a hold taken. void: a hold released."),
    ("debit_account_id", "The account that pays (or would pay, for a hold)."),
    ("debit_holder", "Whose account pays."),
    ("credit_account_id", "The account that receives."),
    ("credit_holder", "Whose account receives."),
    ("amount", "The amount moved, held, taken or released; always positive."),
    ("description", "What it was for."),
    ("category", "The category; empty when none."),
    ("reference", "What it is linked to, e.g. exchange:42; empty when nothing."),
    ("hold_id", "For post and void: the hold it takes or releases; otherwise empty."),
    ("expires_at", "For a hold: when it lapses if nobody takes or releases it; otherwise empty."),
    ("reverses_transfer_id", "For a correction: the transfer it reverses; otherwise empty."),
    ("batch_id", "The batch it was posted in (a levy, an issue of credits, an import); otherwise empty."),
    ("reason", "Why a coordinator made or corrected it; empty when not given."),
    ("created_by_user_id", "The login that recorded it; empty for the system (e.g. an expired hold)."),
    ("on_behalf_of_member_id", "The member a coordinator acted for; otherwise empty."),
    ("key", "The idempotency key the transfer was made with (a UUID)."),
    ("debit_balance_after", "The paying account's balance just after this transfer."),
    ("credit_balance_after", "The receiving account's balance just after this transfer."),
]

HOLDS_COLUMNS: list[tuple[str, str]] = [
    ("hold_id", "The hold's transfer number (see transfers.csv)."),
    ("created_at", "When the hold was made (ISO 8601 with the offset from UTC)."),
    ("expires_at", "When it lapses if nobody takes or releases it."),
    ("currency", "The currency's code."),
    ("debit_account_id", "The account that would pay."),
    ("debit_holder", "Whose account would pay."),
    ("credit_account_id", "The account that would receive."),
    ("credit_holder", "Whose account would receive."),
    ("amount_held", "The amount reserved."),
    ("status", "open: still reserved. taken: paid (in whole or part). released: given back."),
    ("resolution_transfer_id", "The transfer that took or released it; empty while open."),
    ("amount_taken", "The amount paid when it was taken; empty unless taken."),
    ("resolved_at", "When it was taken or released; empty while open."),
    ("description", "What it was for."),
    ("category", "The category; empty when none."),
]

SUMMARY_COLUMNS: list[tuple[str, str]] = [
    ("currency", "The currency's code."),
    ("section", "month, category, active_traders, account_kind, near_limit or zero_sum (see below)."),
    ("label", "The month (YYYY-MM), category, account kind, account holder or check the row is about."),
    ("transfer_count", "How many posted transfers (month and category rows); otherwise empty."),
    ("account_count", "How many accounts (active_traders and account_kind rows); otherwise empty."),
    ("amount", "The amount moved (month, category), the total balance (account_kind, zero_sum) or the balance."),
    ("note", "For near_limit: which limit and its size. For zero_sum: balanced or out of balance."),
]

ZIP_FILES = {
    "accounts.csv": ACCOUNTS_COLUMNS,
    "balances.csv": BALANCES_COLUMNS,
    "transfers.csv": TRANSFERS_COLUMNS,
    "holds.csv": HOLDS_COLUMNS,
}
# Every file this module writes, by name: what the format document must describe.
FORMATS = {"statement.csv": STATEMENT_COLUMNS, **ZIP_FILES, "summary.csv": SUMMARY_COLUMNS}


def headers(columns: list[tuple[str, str]]) -> list[str]:
    return [name for name, _ in columns]


def export_amount(units: int | None, currency: Currency) -> str:
    """An amount as exports write it: "H:MM" for time, whole units with the currency's decimals for credits."""
    if units is None:
        return ""
    if currency.kind == TIME:
        return format_hours_minutes(units)
    if currency.scale == 1:
        return str(units)
    return f"{_decimal_amount(units, currency):f}"


def _decimal_amount(units: int, currency: Currency) -> Decimal:
    # A scale that is not a power of ten (rare) cannot be shown exactly; it is rounded to the shown decimals.
    digits = len(str(currency.scale - 1))
    return (Decimal(units) / currency.scale).quantize(Decimal(1).scaleb(-digits))


def _instant(moment: datetime | None, zone) -> str:
    return timezone.localtime(moment, zone).isoformat(timespec="seconds") if moment else ""


def _blank(value: object) -> object:
    return "" if value is None else value


# A statement


def statement_rows(account: Account, **filters) -> Iterator[list]:
    """The statement's data rows (without the header), in the order of STATEMENT_COLUMNS, newest first."""
    currency = account.currency
    zone = _zone(account.community)
    for line in statements.iter_statement(account, **filters):
        local = timezone.localtime(line.created_at, zone)
        yield [
            line.transfer_id, local.date().isoformat(), local.strftime("%H:%M"), line.kind, line.other_party,
            line.other_account_id, line.memo, line.category, line.reference,
            export_amount(line.amount, currency) if line.amount > 0 else "",
            export_amount(-line.amount, currency) if line.amount < 0 else "",
            export_amount(line.balance_after, currency), _blank(line.reverses_id),
        ]  # fmt: skip


def _zone(community: Community) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(community.time_zone)


class _Echo:
    """A file-like object that hands back what csv.writer writes, so each row can be streamed."""

    def write(self, value: str) -> str:
        return value


def stream_csv(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """CSV text a row at a time (for StreamingHttpResponse); a byte-order mark first so spreadsheets read UTF-8."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)


def statement_csv(account: Account, **filters) -> Iterator[str]:
    return stream_csv(headers(STATEMENT_COLUMNS), statement_rows(account, **filters))


def statement_xlsx(account: Account, **filters) -> bytes:
    """The statement as a workbook: the same columns as the CSV on the first sheet, what it is on the second.

    Ids and credit amounts are numbers and the date a real date, so a spreadsheet can sort and add them;
    time amounts stay "H:MM" text, because spreadsheets cannot show a negative duration."""
    currency = account.currency
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Statement")
    sheet.append(headers(STATEMENT_COLUMNS))
    amount_columns = {9, 10, 11}
    for row in statement_rows(account, **filters):
        row[1] = date.fromisoformat(row[1])
        if currency.kind != TIME:
            for index in amount_columns:
                row[index] = Decimal(row[index]) if row[index] != "" else None
        sheet.append([None if value == "" else value for value in row])
    about = workbook.create_sheet("About")
    about.append(["Account", f"{account.holder_name} (account {account.pk})"])
    about.append(["Currency", f"{currency.name} ({currency.code})"])
    about.append(["Community", account.community.name])
    about.append(["Time zone", account.community.time_zone])
    about.append(["Filters", ", ".join(f"{k}: {v}" for k, v in filters.items() if v) or "none"])
    about.append(
        ["Made at", timezone.localtime(timezone.now(), _zone(account.community)).isoformat(timespec="seconds")]
    )
    about.append([])
    about.append(["Column", "Meaning"])
    for name, meaning in STATEMENT_COLUMNS:
        about.append([name, meaning])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


# The coordinator's ZIP


class _Sink(io.RawIOBase):
    """Where zipfile writes: it keeps bytes only until the next chunk is handed to the client.

    zipfile supports a target that cannot seek (it writes data descriptors), so the archive never exists
    whole in memory or on disk."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self.size = 0
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        self.size += len(data)
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks, self.size = [], 0
        return data


def ledger_zip(community: Community, currency: Currency | None = None) -> Iterator[bytes]:
    """The whole ledger of the community (or of one currency) as a ZIP, produced a chunk at a time."""
    # On PostgreSQL all four files are read in one read-only snapshot, so the balances match the transfers.
    # SQLite's transactions here take the write lock (BEGIN IMMEDIATE), so there the files are read as they
    # are; a transfer made while the file downloads may appear in one file and not another.
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    if not snapshot:
        yield from _zip_chunks(community, currency, snapshot=False)
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield from _zip_chunks(community, currency, snapshot=True)


def _zip_chunks(community: Community, currency: Currency | None, *, snapshot: bool) -> Iterator[bytes]:
    sink = _Sink()
    scope = _Scope(community, currency)
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme(community, currency, snapshot=snapshot))
        for name, columns in ZIP_FILES.items():
            # force_zip64: the size is not known in advance and a big community's transfers may pass 2 GiB.
            with archive.open(name, "w", force_zip64=True) as member:
                member.write(("\ufeff" + _csv_text([headers(columns)])).encode())
                for rows in scope.rows(name):
                    member.write(_csv_text(rows).encode())
                    if sink.size >= FLUSH_BYTES:
                        yield sink.take()
    yield sink.take()


def _csv_text(rows: list[list]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


class _Scope:
    """Reads one community's (or currency's) ledger in chunks of CHUNK_ROWS, keyset by id."""

    def __init__(self, community: Community, currency: Currency | None) -> None:
        self.community = community
        self.zone = _zone(community)
        self.currencies = {c.pk: c for c in Currency.objects.filter(community=community)}
        if currency is not None:
            self.currencies = {currency.pk: currency}
        self.holders: dict[int, str] = {}

    def rows(self, name: str) -> Iterator[list[list]]:
        return {
            "accounts.csv": self._accounts,
            "balances.csv": self._balances,
            "transfers.csv": self._transfers,
            "holds.csv": self._holds,
        }[name]()

    def _chunks(self, queryset) -> Iterator[list]:
        """Rows in id order, CHUNK_ROWS at a time, each chunk starting after the last id seen (never OFFSET).
        For values_list querysets the id must be the first value."""
        last = 0
        while True:
            chunk = list(queryset.filter(pk__gt=last).order_by("pk")[:CHUNK_ROWS])
            if not chunk:
                return
            yield chunk
            last = chunk[-1][0] if isinstance(chunk[-1], tuple) else chunk[-1].pk

    def _account_rows(self):
        accounts = Account.objects.filter(community=self.community, currency_id__in=self.currencies)
        return accounts.select_related("member", "organisation")

    def _accounts(self) -> Iterator[list[list]]:
        for chunk in self._chunks(self._account_rows()):
            rows = []
            for a in chunk:
                currency = self.currencies[a.currency_id]
                self.holders[a.pk] = a.holder_name
                rows.append([
                    a.pk, currency.code, a.kind, a.holder_name, _blank(a.member_id), _blank(a.organisation_id),
                    a.status, export_amount(a.debit_limit, currency), export_amount(a.credit_limit, currency),
                    _instant(a.created_at, self.zone),
                ])  # fmt: skip
            yield rows

    def _balances(self) -> Iterator[list[list]]:
        for chunk in self._chunks(self._account_rows()):
            rows = []
            for a in chunk:
                currency = self.currencies[a.currency_id]
                available = (
                    None
                    if a.debit_limit is None
                    else a.credits_posted + a.debit_limit - a.debits_posted - a.debits_pending
                )
                rows.append([
                    a.pk, currency.code, a.holder_name, export_amount(a.balance, currency),
                    export_amount(available, currency), export_amount(a.debits_pending, currency),
                    export_amount(a.credits_pending, currency), export_amount(a.debits_posted, currency),
                    export_amount(a.credits_posted, currency),
                ])  # fmt: skip
            yield rows

    def _transfer_rows(self):
        return Transfer.objects.filter(community=self.community, currency_id__in=self.currencies)

    def _holder(self, account_id: int) -> str:
        if account_id not in self.holders:
            # An account of another scope (only possible if the ledger is inconsistent): name it anyway.
            self.holders[account_id] = Account.objects.get(pk=account_id).holder_name
        return self.holders[account_id]

    def _transfers(self) -> Iterator[list[list]]:
        fields = (
            "pk", "created_at", "currency_id", "kind", "debit_account_id", "credit_account_id", "amount", "memo",
            "category", "reference", "pending_id", "expires_at", "reverses_id", "batch_id", "reason",
            "created_by_id", "on_behalf_of_id", "key", "debit_balance_after", "credit_balance_after",
        )  # fmt: skip
        for chunk in self._chunks(self._transfer_rows().values_list(*fields)):
            rows = []
            for (pk, at, currency_id, kind, debit, credit, amount, memo, category, reference, hold, expires,
                 reverses, batch, reason, by, behalf, key, debit_after, credit_after) in chunk:  # fmt: skip
                currency = self.currencies[currency_id]
                rows.append([
                    pk, _instant(at, self.zone), currency.code, kind, debit, self._holder(debit), credit,
                    self._holder(credit), export_amount(amount, currency), memo, category, reference, _blank(hold),
                    _instant(expires, self.zone), _blank(reverses), _blank(batch), reason, _blank(by),
                    _blank(behalf), str(key), export_amount(debit_after, currency),
                    export_amount(credit_after, currency),
                ])  # fmt: skip
            yield rows

    def _holds(self) -> Iterator[list[list]]:
        fields = (
            "pk", "created_at", "expires_at", "currency_id", "debit_account_id", "credit_account_id", "amount",
            "resolution__id", "resolution__kind", "resolution__amount", "resolution__created_at", "memo", "category",
        )  # fmt: skip
        holds = self._transfer_rows().filter(kind=TransferKind.PENDING).values_list(*fields)
        for chunk in self._chunks(holds):
            rows = []
            for (pk, at, expires, currency_id, debit, credit, amount, resolution, resolution_kind, taken,
                 resolved_at, memo, category) in chunk:  # fmt: skip
                currency = self.currencies[currency_id]
                status = {None: "open", TransferKind.POST: "taken", TransferKind.VOID: "released"}[resolution_kind]
                rows.append([
                    pk, _instant(at, self.zone), _instant(expires, self.zone), currency.code, debit,
                    self._holder(debit), credit, self._holder(credit), export_amount(amount, currency), status,
                    _blank(resolution), export_amount(taken, currency) if status == "taken" else "",
                    _instant(resolved_at, self.zone), memo, category,
                ])  # fmt: skip
            yield rows


def readme(community: Community, currency: Currency | None, *, snapshot: bool) -> str:
    """README.txt of the ZIP: what the files are and what every column means."""
    scope = f"the {currency.name} ({currency.code}) ledger" if currency else "every currency's ledger"
    made = timezone.localtime(timezone.now(), _zone(community)).isoformat(timespec="seconds")
    lines = [
        f"{community.name}: {scope}, exported from Ostrom at {made}.",
        "",
        "Files are CSV in UTF-8 (with a byte-order mark) with a header row. Times are ISO 8601 in the",
        f"community's time zone ({community.time_zone}) with their offset from UTC. Amounts in hours are hours and",
        'minutes ("1:30" is an hour and a half, "-0:45" is 45 minutes below zero); amounts in credits are',
        'whole units with the currency\'s decimals ("12.50"). Account numbers link the files together.',
        "All four files describe the same moment."
        if snapshot
        else "A transfer made while this file was being made may appear in some files and not in others.",
        "",
    ]
    for name, columns in ZIP_FILES.items():
        lines.append(name)
        lines.append("-" * len(name))
        width = max(len(column) for column, _ in columns)
        lines.extend(f"{column.ljust(width)}  {meaning}" for column, meaning in columns)
        lines.append("")
    return "\r\n".join(lines)
