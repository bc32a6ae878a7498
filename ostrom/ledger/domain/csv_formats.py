"""Reading lists of transfers: Ostrom's own CSV formats and the files people bring from TimeOverflow and Komunitin.

Pure: bytes or text in; rows, or per-row errors with line numbers, out. Nothing here looks anybody up: a
payer or payee is a ``Party`` (what the file says, and the keys to try), which actions/imports.py resolves.
A bad row never raises; it becomes a ``RowError``. Only a file that cannot be read at all (too big, not
text, not UTF-8, unknown format) raises a DomainError. The formats are documented in
docs/ledger-import-formats.md; keep the two in step."""

from __future__ import annotations

import csv
import enum
import io
import re
from dataclasses import dataclass, field
from datetime import date

from ostrom.communities.domain import DomainError

from . import amounts

# Limits on what one import may hold (TIGER_STYLE: put a limit on everything). 50,000 rows is the largest
# batch the ledger posts at once; 5 MB comfortably holds that many rows of a few dozen characters each.
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
MAX_MEMO = 500
MAX_CATEGORY = 40
MAX_PARTY = 254

ISSUANCE = "issuance"
OPENING_BALANCE_MEMO = "Opening balance"


class FileFormat(enum.StrEnum):
    OSTROM = "ostrom"
    OSTROM_BALANCES = "ostrom_balances"
    TIMEOVERFLOW_EXPORT = "timeoverflow_export"
    TIMEOVERFLOW_IMPORT = "timeoverflow_import"
    KOMUNITIN = "komunitin"


FORMAT_LABELS = {
    FileFormat.OSTROM: "Ostrom transfers (date, payer, payee, amount, memo, category)",
    FileFormat.OSTROM_BALANCES: "Ostrom opening balances (member, balance)",
    FileFormat.TIMEOVERFLOW_EXPORT: "TimeOverflow transfer report (Date, From, To, Post, Quantity)",
    FileFormat.TIMEOVERFLOW_IMPORT: "TimeOverflow transfer upload, without headers (amounts in seconds)",
    FileFormat.KOMUNITIN: "Komunitin transfer upload (payer, payee, description, amount)",
}

OSTROM_COLUMNS = ("date", "payer", "payee", "amount", "memo", "category")
OSTROM_REQUIRED = ("payer", "payee", "amount")
BALANCE_COLUMNS = ("member", "balance")
TIMEOVERFLOW_TYPES = {"member", "organization"}

ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.]+)?(?:\s*(?:Z|UTC|[+-]\d{2}:?\d{2}))?$", re.IGNORECASE)
HOURS_MINUTES = re.compile(r"^\d+:[0-5]\d$")
SECONDS = re.compile(r"^\d+$")
# TimeOverflow shows a member as "Name (member number)"; its organisation by name alone.
NAME_WITH_NUMBER = re.compile(r"^(?P<name>.*\S)\s*\((?P<uid>\d+)\)$")


@dataclass(frozen=True)
class Party:
    """Someone a file names: ``label`` as written (for the preview) and ``keys`` to look them up by, in order."""

    label: str
    keys: tuple[str, ...]

    @classmethod
    def named(cls, text: str) -> Party:
        return cls(text, (text,))


ISSUANCE_PARTY = Party("issuance", (ISSUANCE,))


@dataclass(frozen=True)
class Row:
    """One transfer read from a file: ``amount`` in the currency's smallest unit, always positive."""

    line: int
    payer: Party
    payee: Party
    amount: int
    memo: str = ""
    category: str = ""
    date: date | None = None


@dataclass(frozen=True)
class RowError:
    line: int
    code: str
    message: str


@dataclass
class Parsed:
    """What a file held: the rows that read cleanly, an error for every row that did not, and lines left out on
    purpose (opening balances of zero)."""

    format: FileFormat
    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


@dataclass(frozen=True)
class Units:
    """What parsing needs to know about the currency: how to read an amount (see domain.amounts)."""

    kind: str
    scale: int = 1


class BadRow(Exception):
    """A row-level problem, turned into a RowError by the loop that reads the rows."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# Bytes to text


def decode(data: bytes) -> str:
    """The file as text: UTF-8 with or without a byte-order mark. Anything else is refused with what it looks like."""
    if not data or not data.strip():
        raise DomainError("file_empty", "The file is empty.", "file")
    if len(data) > MAX_FILE_BYTES:
        raise DomainError(
            "file_too_large",
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the most one import can take is "
            f"{MAX_FILE_BYTES // 1024 // 1024} MB. Split it into smaller files.",
            "file",
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DomainError(
            "file_not_utf8",
            "The file is in UTF-16. Save it as “CSV UTF-8” from your spreadsheet and try again.",
            "file",
        )
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise DomainError(
            "file_not_csv", "This is a spreadsheet workbook, not a CSV file. Save it as “CSV UTF-8” first.", "file"
        )
    if b"\x00" in data:
        raise DomainError("file_not_csv", "This file is not text (it holds binary data). Upload a CSV file.", "file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DomainError(
            "file_not_utf8",
            f"The file is not UTF-8 text (the first character we cannot read is on line {line}). It may be in an "
            "older encoding such as Windows-1252 or Latin-1: save it as “CSV UTF-8” from your spreadsheet.",
            "file",
        ) from None
    if any(ch < " " and ch not in "\t\r\n" for ch in text[:4096]):
        raise DomainError("file_not_csv", "This file is not text (it holds binary data). Upload a CSV file.", "file")
    return text


# Text to records


@dataclass(frozen=True)
class Record:
    line: int
    cells: list[str]


def records(text: str) -> list[Record]:
    """Non-blank CSV records with the line each starts on. Comma, semicolon or tab separated, by the first line."""
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise DomainError(
            "file_too_large", f"The most one import can take is {MAX_FILE_BYTES // 1024 // 1024} MB.", "file"
        )
    text = text.removeprefix("\ufeff")
    # strict: a quotation mark left open swallows the rest of the file otherwise, and that should be an error.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    found: list[Record] = []
    try:
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            cells = [cell.strip() for cell in cells]
            if any(cells):
                found.append(Record(start, cells))
                if len(found) > MAX_ROWS + 1:  # one more for a header row
                    raise DomainError(
                        "file_too_many_rows",
                        f"The file has more than {MAX_ROWS:,} rows; split it into smaller files.",
                        "file",
                    )
    except csv.Error:
        raise DomainError(
            "file_unreadable",
            f"The file cannot be read as CSV from line {start}: a quotation mark is not closed, or a quoted value "
            "has more text straight after its closing quotation mark.",
            "file",
        ) from None
    if not found:
        raise DomainError("file_empty", "The file is empty.", "file")
    return found


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


# Which format


def detect(found: list[Record]) -> FileFormat:
    """Tell the format from the first rows, or say we can't (then the coordinator chooses)."""
    first = [cell.lower() for cell in found[0].cells]
    if set(OSTROM_REQUIRED) <= set(first) <= set(OSTROM_COLUMNS):
        return FileFormat.OSTROM
    if set(first) == set(BALANCE_COLUMNS):
        return FileFormat.OSTROM_BALANCES
    if len(first) in (7, 8) and first[1] in TIMEOVERFLOW_TYPES and first[3] in TIMEOVERFLOW_TYPES:
        return FileFormat.TIMEOVERFLOW_IMPORT
    if len(first) == 5 and len(found) > 1 and _looks_like_timeoverflow_report(found[1].cells):
        return FileFormat.TIMEOVERFLOW_EXPORT
    if first == ["date", "from", "to", "post", "quantity"]:
        return FileFormat.TIMEOVERFLOW_EXPORT
    if len(first) == 4:
        return FileFormat.KOMUNITIN
    raise DomainError(
        "format_unknown",
        "We could not tell which format this file is in. Choose the format from the list, or use Ostrom's own "
        "format: a first line of date,payer,payee,amount,memo,category.",
        "file_format",
    )


def _looks_like_timeoverflow_report(cells: list[str]) -> bool:
    return len(cells) == 5 and bool(ISO_DATE.match(cells[0])) and bool(HOURS_MINUTES.match(cells[4]))


def parse(text: str, units: Units, file_format: FileFormat | None = None, today: date | None = None) -> Parsed:
    """Read a whole file: every row either becomes a Row or a RowError. ``file_format`` None means detect it."""
    found = records(text)
    chosen = file_format or detect(found)
    if chosen in (FileFormat.TIMEOVERFLOW_EXPORT, FileFormat.TIMEOVERFLOW_IMPORT) and units.kind != amounts.TIME:
        raise DomainError(
            "currency_not_time", "TimeOverflow files hold hours: import them into a time currency.", "currency"
        )
    return READERS[chosen](found, units, today)


def _each(found: list[Record], parsed: Parsed, read, first_line: int) -> Parsed:
    for record in found:
        try:
            row = read(record)
        except BadRow as bad:
            parsed.errors.append(RowError(record.line, bad.code, bad.message))
        except DomainError as error:
            parsed.errors.append(RowError(record.line, error.code, error.message))
        else:
            if row is None:
                parsed.skipped.append(record.line)
            else:
                parsed.rows.append(row)
    if not parsed.rows and not parsed.errors and not parsed.skipped:
        parsed.errors.append(RowError(first_line, "file_no_rows", "The file names its columns but has no rows."))
    return parsed


# Ostrom's own formats


def _ostrom_header(record: Record, known: tuple[str, ...], required: tuple[str, ...]) -> dict[str, int]:
    names = [cell.lower() for cell in record.cells]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise DomainError(
            "header_unknown_column",
            f"Line {record.line}: the column “{unknown[0]}” is not one we know. The columns are: {', '.join(known)}.",
            "file",
        )
    missing = [name for name in required if name not in names]
    if missing:
        raise DomainError(
            "header_missing_column",
            f"Line {record.line}: the first line must name the columns, including {', '.join(missing)}.",
            "file",
        )
    if len(set(names)) != len(names):
        raise DomainError("header_repeated_column", f"Line {record.line}: a column is named twice.", "file")
    return {name: index for index, name in enumerate(names)}


def _read_ostrom(found: list[Record], units: Units, today: date | None) -> Parsed:
    columns = _ostrom_header(found[0], OSTROM_COLUMNS, OSTROM_REQUIRED)

    def read(record: Record) -> Row:
        cells = _cells(record, len(columns))
        cell = {name: cells[index] for name, index in columns.items()}
        return Row(
            record.line,
            _party(cell["payer"], "payer"),
            _party(cell["payee"], "payee"),
            parse_amount(cell["amount"], units),
            _memo(cell.get("memo", "")),
            _category(cell.get("category", "")),
            parse_date(cell.get("date", ""), today),
        )

    return _each(found[1:], Parsed(FileFormat.OSTROM), read, found[0].line)


def _read_balances(found: list[Record], units: Units, today: date | None) -> Parsed:
    columns = _ostrom_header(found[0], BALANCE_COLUMNS, BALANCE_COLUMNS)

    def read(record: Record) -> Row | None:
        cells = _cells(record, len(columns))
        member = _party(cells[columns["member"]], "member")
        balance = parse_balance(cells[columns["balance"]], units)
        if balance == 0:
            return None
        if balance > 0:
            return Row(record.line, ISSUANCE_PARTY, member, balance, OPENING_BALANCE_MEMO)
        return Row(record.line, member, ISSUANCE_PARTY, -balance, OPENING_BALANCE_MEMO)

    return _each(found[1:], Parsed(FileFormat.OSTROM_BALANCES), read, found[0].line)


# TimeOverflow


def _read_timeoverflow_import(found: list[Record], units: Units, today: date | None) -> Parsed:
    """TimeOverflow's admin upload (app/services/transfer_importer.rb): no header; source id, source type,
    destination id, destination type, amount in seconds, [created at,] reason, post id."""

    def read(record: Record) -> Row:
        cells = record.cells
        if len(cells) not in (7, 8):
            raise BadRow(
                "wrong_columns",
                f"This row has {_columns(len(cells))}; TimeOverflow's upload has 8 (or 7 in older versions, "
                "without the date).",
            )
        dated = len(cells) == 8
        reason = cells[6] if dated else cells[5]
        return Row(
            record.line,
            _timeoverflow_account(cells[0], cells[1], "payer"),
            _timeoverflow_account(cells[2], cells[3], "payee"),
            parse_timeoverflow_amount(cells[4], units),
            _memo(reason),
            "",
            parse_date(cells[5], today) if dated else None,
        )

    return _each(found, Parsed(FileFormat.TIMEOVERFLOW_IMPORT), read, found[0].line)


def _timeoverflow_account(number: str, kind: str, side: str) -> Party:
    if kind.lower() == "organization":
        # TimeOverflow ignores the id here: "organization" is always the time bank's own account.
        return Party("the time bank (organization)", ("organization", ISSUANCE))
    if kind.lower() != "member":
        raise BadRow("party_type_invalid", f"The {side}'s type must be “member” or “organization”, not “{kind}”.")
    if not number.isdigit():
        raise BadRow("party_required", f"Give the {side}'s TimeOverflow member number.")
    return Party(f"member {number}", (number, f"member {number}"))


def _read_timeoverflow_export(found: list[Record], units: Units, today: date | None) -> Parsed:
    """TimeOverflow's transfer report (app/services/report/csv/transfer.rb): a header in the bank's language, then
    Date, From, To, Post, Quantity, the quantity as H:MM."""

    def read(record: Record) -> Row:
        cells = _cells(record, 5)
        return Row(
            record.line,
            _timeoverflow_name(cells[1], "payer"),
            _timeoverflow_name(cells[2], "payee"),
            parse_timeoverflow_amount(cells[4], units),
            _memo(cells[3]),
            "",
            parse_date(cells[0], today),
        )

    return _each(found[1:], Parsed(FileFormat.TIMEOVERFLOW_EXPORT), read, found[0].line)


def _timeoverflow_name(text: str, side: str) -> Party:
    text = _party(text, side).label
    match = NAME_WITH_NUMBER.match(text)
    if match is None:
        return Party.named(text)
    return Party(text, (text, match["uid"], f"member {match['uid']}", match["name"]))


# Komunitin


def _read_komunitin(found: list[Record], units: Units, today: date | None) -> Parsed:
    """Komunitin's multiple-transfer upload (app/src/pages/transactions/CreateTransactionLoadFileBtn.vue): payer
    account, payee account, description, amount in whole units; a first row whose amount is not a number is a
    header."""
    first_line = found[0].line
    if not _is_number(found[0].cells[-1]):
        found = found[1:]

    def read(record: Record) -> Row:
        cells = _cells(record, 4)
        if not cells[2]:
            raise BadRow("memo_required", "Komunitin files must describe each transfer (the third column).")
        return Row(
            record.line,
            _party(cells[0], "payer"),
            _party(cells[1], "payee"),
            parse_amount(cells[3], units),
            _memo(cells[2]),
        )

    return _each(found, Parsed(FileFormat.KOMUNITIN), read, first_line)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


READERS = {
    FileFormat.OSTROM: _read_ostrom,
    FileFormat.OSTROM_BALANCES: _read_balances,
    FileFormat.TIMEOVERFLOW_IMPORT: _read_timeoverflow_import,
    FileFormat.TIMEOVERFLOW_EXPORT: _read_timeoverflow_export,
    FileFormat.KOMUNITIN: _read_komunitin,
}


# Pasted lists for the coordinator's bulk tools (no header; a first line naming the columns is skipped)


def parse_payments(text: str, units: Units, default_amount: int | None = None) -> Parsed:
    """Issuing to volunteers: one line each, "who, amount[, memo]"; the amount may be left out if a default is given."""
    found = records(text)
    first_line = found[0].line
    if found[0].cells[0].lower() in ("who", "volunteer", "member", "payee"):
        found = found[1:]

    def read(record: Record) -> Row:
        cells = record.cells
        if len(cells) > 3:
            raise BadRow("wrong_columns", f"This line has {_columns(len(cells))}; write who, amount and a memo.")
        amount_text = cells[1] if len(cells) > 1 else ""
        if not amount_text and default_amount is None:
            raise BadRow("amount_required", "Give an amount on this line, or an amount for everyone.")
        amount = parse_amount(amount_text, units) if amount_text else amounts.check_amount(default_amount)
        memo = _memo(cells[2]) if len(cells) > 2 else ""
        return Row(record.line, ISSUANCE_PARTY, _party(cells[0], "volunteer"), amount, memo)

    return _each(found, Parsed(FileFormat.OSTROM), read, first_line)


def parse_on_behalf(text: str, units: Units) -> Parsed:
    """Transfers a coordinator makes for members: one line each, "payer, payee, amount[, memo]"."""
    found = records(text)
    first_line = found[0].line
    if found[0].cells[0].lower() == "payer":
        found = found[1:]

    def read(record: Record) -> Row:
        cells = record.cells
        if len(cells) not in (3, 4):
            raise BadRow(
                "wrong_columns", f"This line has {_columns(len(cells))}; write payer, payee, amount and a memo."
            )
        memo = _memo(cells[3]) if len(cells) == 4 else ""
        return Row(
            record.line, _party(cells[0], "payer"), _party(cells[1], "payee"), parse_amount(cells[2], units), memo
        )

    return _each(found, Parsed(FileFormat.OSTROM), read, first_line)


def parse_people(text: str) -> tuple[list[tuple[int, Party]], list[RowError]]:
    """A list of people, one per line (or several per line, separated by commas)."""
    found = records(text)
    people: list[tuple[int, Party]] = []
    errors: list[RowError] = []
    for record in found:
        for cell in record.cells:
            if not cell:
                continue
            if len(cell) > MAX_PARTY:
                errors.append(RowError(record.line, "party_too_long", "That name is too long to be anyone's."))
                continue
            people.append((record.line, Party.named(cell)))
    return people, errors


def parse_names(text: str) -> tuple[dict[str, str], list[RowError]]:
    """The coordinator's list of who the names in a file are: "name in the file, who they are here" per line.

    Keys are lower-cased, so the match ignores case."""
    if not text.strip():
        return {}, []
    names: dict[str, str] = {}
    errors: list[RowError] = []
    for record in records(text):
        if len(record.cells) != 2 or not all(record.cells):
            errors.append(
                RowError(record.line, "name_line_invalid", "Write the name in the file, a comma, then who they are.")
            )
            continue
        name, who = record.cells[0].lower(), record.cells[1]
        if names.get(name, who) != who:
            errors.append(RowError(record.line, "name_repeated", f"“{record.cells[0]}” is given twice."))
            continue
        names[name] = who
    return names, errors


# Cells


def _cells(record: Record, expected: int) -> list[str]:
    if len(record.cells) != expected:
        raise BadRow("wrong_columns", f"This row has {_columns(len(record.cells))}; it should have {expected}.")
    return record.cells


def _columns(count: int) -> str:
    return "1 column" if count == 1 else f"{count} columns"


def _party(text: str, side: str) -> Party:
    if not text:
        raise BadRow("party_required", f"Say who the {side} is.")
    if len(text) > MAX_PARTY:
        raise BadRow("party_too_long", f"The {side} is too long to be anyone's name, email or number.")
    return Party.named(text)


def _memo(text: str) -> str:
    if len(text) > MAX_MEMO:
        raise BadRow("memo_too_long", f"Keep the description to {MAX_MEMO} characters or fewer.")
    return text


def _category(text: str) -> str:
    if len(text) > MAX_CATEGORY:
        raise BadRow("category_too_long", f"Keep the category to {MAX_CATEGORY} characters or fewer.")
    return text


def parse_amount(text: str, units: Units) -> int:
    """A positive amount as people write it ("1:30", "1.5" hours; "12.50" credits), in smallest units."""
    raw = text.strip()
    if raw.startswith("-"):
        raise BadRow("amount_not_positive", "The amount must be more than zero.")
    if "," in raw:
        raise BadRow("amount_has_comma", "Write the amount without commas, for example 1.5 or 1:30 (not 1,5).")
    return amounts.parse_amount(raw, units.kind, units.scale)


def parse_balance(text: str, units: Units) -> int:
    """An opening balance: like an amount, but it may be negative or zero."""
    raw = text.strip()
    sign = -1 if raw.startswith("-") else 1
    magnitude = raw.removeprefix("-").removeprefix("+").strip()
    try:
        return sign * parse_amount(magnitude, units)
    except DomainError as error:
        if error.code == "amount_not_positive":
            return 0
        raise


def parse_timeoverflow_amount(text: str, units: Units) -> int:
    """TimeOverflow counts seconds: a whole number of seconds, or H:MM as its reports show. Ostrom counts minutes,
    so a number of seconds that is not whole minutes is refused rather than rounded."""
    if units.kind != amounts.TIME:
        raise BadRow("currency_not_time", "TimeOverflow files hold hours: import them into a time currency.")
    raw = text.strip()
    if HOURS_MINUTES.match(raw):
        hours, minutes = raw.split(":")
        return amounts.check_amount(int(hours) * 60 + int(minutes))
    if raw.startswith("-"):
        raise BadRow("amount_not_positive", "The amount must be more than zero.")
    if not SECONDS.match(raw):
        raise BadRow("amount_invalid", "TimeOverflow amounts are whole seconds (5400) or hours and minutes (1:30).")
    seconds = int(raw)
    if seconds % 60:
        raise BadRow(
            "amount_not_whole_minutes",
            f"{seconds:,} seconds is not a whole number of minutes; Ostrom counts time in minutes.",
        )
    return amounts.check_amount(seconds // 60)


def parse_date(text: str, today: date | None = None) -> date | None:
    """An ISO date (2024-03-31), or the date part of a timestamp; blank means no date. Never in the future."""
    raw = text.strip()
    if not raw:
        return None
    match = ISO_DATE.match(raw)
    if match is None:
        raise BadRow("date_invalid", "Write dates as YYYY-MM-DD, for example 2024-03-31.")
    try:
        value = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise BadRow("date_invalid", f"There is no such date as {raw[:10]}.") from None
    if today is not None and value > today:
        raise BadRow("date_in_future", "The date is in the future; historical transfers happened already.")
    return value
