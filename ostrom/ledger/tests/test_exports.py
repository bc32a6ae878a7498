"""Exports: the headers written are exactly the ones documented in docs/ledger-export-formats.md; amounts are hours
and minutes (never seconds) or credits with their decimals; the coordinator's ZIP holds every account, balance,
transfer and hold with a README that explains every column, and is produced a chunk at a time."""

import csv
import io
import re
import threading
import uuid
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from ostrom.ledger import exports
from ostrom.ledger.actions import accounts, transfers
from ostrom.ledger.models import AccountKind, CurrencyKind, Transfer

HOUR = 60
FORMATS_DOC = Path(settings.BASE_DIR) / "docs" / "ledger-export-formats.md"
ON_POSTGRES = "postgresql" in settings.DATABASES["default"]["ENGINE"]


def pay(debit, credit, amount, **fields):
    return transfers.transfer(debit=debit, credit=credit, amount=amount, key=uuid.uuid4(), **fields)


def documented_columns() -> dict[str, list[str]]:
    """Each "## file" section of the format document, with the first column of its table."""
    documented: dict[str, list[str]] = {}
    current = None
    for line in FORMATS_DOC.read_text().splitlines():
        heading = re.match(r"^## (\S+\.(?:csv|txt))\s*$", line)
        if heading:
            current = heading[1]
            continue
        cell = re.match(r"^\| `([a-z_]+)` \|", line)
        if current and cell:
            documented.setdefault(current, []).append(cell[1])
    return documented


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def unzip(chunks) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(chunks)))


def zip_csv(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    return read_csv(archive.read(name).decode("utf-8"))


@pytest.fixture
def credits(community):
    """Riverside's recycling credits, counted in hundredths."""
    return accounts.create_currency(
        community, code="green", name="Green credits", kind=CurrencyKind.CREDIT, symbol="GC", scale=100,
        default_debit_limit=5000,
    )  # fmt: skip


# The documented headers


def test_every_file_written_is_documented_with_exactly_its_columns():
    documented = documented_columns()

    assert {name: cols for name, cols in documented.items() if name != "README.txt"} == {
        name: exports.headers(columns) for name, columns in exports.FORMATS.items()
    }


def test_the_files_themselves_start_with_the_documented_headers(client, coordinator, mina_account, cora_account):
    pay(cora_account, mina_account, HOUR)
    documented = documented_columns()
    client.force_login(coordinator.user)

    statement = client.get(f"/c/riverside/exchange/accounts/{mina_account.pk}/statement.csv")
    summary = client.get("/c/riverside/exchange/report.csv")
    archive = unzip(client.get("/c/riverside/exchange/export.zip").streaming_content)
    workbook = load_workbook(
        io.BytesIO(client.get(f"/c/riverside/exchange/accounts/{mina_account.pk}/statement.xlsx").content)
    )

    assert read_csv(b"".join(statement.streaming_content).decode())[0] == documented["statement.csv"]
    assert read_csv(b"".join(summary.streaming_content).decode())[0] == documented["summary.csv"]
    assert [c.value for c in workbook["Statement"][1]] == documented["statement.csv"]
    for name in ("accounts.csv", "balances.csv", "transfers.csv", "holds.csv"):
        assert zip_csv(archive, name)[0] == documented[name], name


# Statements


def test_a_statement_in_hours_is_written_in_hours_and_minutes(mina_account, cora_account):
    first = pay(cora_account, mina_account, 90, memo="Gardening", category="garden")
    pay(mina_account, cora_account, 135, memo="Lift, there and back")

    header, *rows = read_csv("".join(exports.statement_csv(mina_account)))
    by_column = [dict(zip(header, row, strict=True)) for row in rows]

    assert [(r["paid_in"], r["paid_out"], r["balance_after"]) for r in by_column] == [
        ("", "2:15", "-0:45"),
        ("1:30", "", "1:30"),
    ]
    assert by_column[1]["transfer_id"] == str(first.id)
    assert (by_column[1]["other_party"], by_column[1]["description"], by_column[1]["category"]) == (
        "Cora",
        "Gardening",
        "garden",
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", by_column[1]["date"]) and re.fullmatch(r"\d\d:\d\d", by_column[1]["time"])


def test_a_statement_in_credits_has_the_currency_decimals(credits, member, coordinator):
    mina, cora = accounts.open_account(credits, member=member), accounts.open_account(credits, member=coordinator)
    pay(cora, mina, 1250)
    pay(mina, cora, 2005)

    header, *rows = read_csv("".join(exports.statement_csv(mina)))

    assert [row[header.index("balance_after")] for row in rows] == ["-7.55", "12.50"]
    assert rows[0][header.index("paid_out")] == "20.05"


def test_export_amounts_never_come_in_seconds_or_smallest_units(hours, credits):
    whole = accounts.create_currency(hours.community, code="tokens", name="Tokens", kind=CurrencyKind.CREDIT)

    assert [exports.export_amount(units, hours) for units in (0, 5, 60, 125, -65, 7200)] == [
        "0:00",
        "0:05",
        "1:00",
        "2:05",
        "-1:05",
        "120:00",
    ]
    assert [exports.export_amount(units, credits) for units in (0, 7, 1250, -1)] == ["0.00", "0.07", "12.50", "-0.01"]
    assert exports.export_amount(42, whole) == "42"


def test_a_statement_export_keeps_the_page_filters(mina_account, cora_account):
    pay(cora_account, mina_account, HOUR, category="garden")
    pay(cora_account, mina_account, 2 * HOUR, category="transport")

    header, *rows = read_csv("".join(exports.statement_csv(mina_account, category="garden")))

    assert [row[header.index("category")] for row in rows] == ["garden"]


def test_the_workbook_has_numbers_and_dates_where_a_spreadsheet_wants_them(credits, member, coordinator):
    mina, cora = accounts.open_account(credits, member=member), accounts.open_account(credits, member=coordinator)
    posted = pay(cora, mina, 1250, memo="Litter pick")

    workbook = load_workbook(io.BytesIO(exports.statement_xlsx(mina)))
    header, row = [[cell.value for cell in r] for r in workbook["Statement"].iter_rows()]
    line = dict(zip(header, row, strict=True))

    assert line["transfer_id"] == posted.id
    assert Decimal(str(line["paid_in"])) == Decimal("12.50") and line["paid_out"] is None
    assert line["date"].year >= 2025 and line["description"] == "Litter pick"
    about = {r[0].value: r[1].value for r in workbook["About"].iter_rows() if r[0].value}
    assert about["Account"] == f"Mina (account {mina.pk})" and about["paid_in"]


def test_a_long_statement_export_is_read_a_page_at_a_time(mina_account, issuance, monkeypatch):
    for n in range(7):
        pay(issuance, mina_account, n + 1)
    monkeypatch.setattr(exports.statements, "MAX_PAGE_SIZE", 3)

    with CaptureQueriesContext(connection) as captured:
        rows = list(exports.statement_rows(mina_account))

    assert len(rows) == 7
    assert sum("UNION ALL" in q["sql"] for q in captured.captured_queries) == 3


def test_statement_downloads_say_what_they_are(client, member, mina_account):
    client.force_login(member.user)
    base = f"/c/riverside/exchange/accounts/{mina_account.pk}/statement"

    as_csv = client.get(f"{base}.csv")
    as_xlsx = client.get(f"{base}.xlsx")

    assert as_csv["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        as_csv["Content-Disposition"]
        == f'attachment; filename="statement-riverside-hours-account-{mina_account.pk}.csv"'
    )
    assert as_xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_statement_download_with_impossible_dates_is_refused(client, member, mina_account):
    client.force_login(member.user)

    response = client.get(
        f"/c/riverside/exchange/accounts/{mina_account.pk}/statement.csv",
        {"date_from": "2025-02-30"},
    )

    assert response.status_code == 400
    assert b"valid date" in response.content


# The coordinator's ZIP


@pytest.fixture
def busy_ledger(hours, credits, member, coordinator, mina_account, cora_account, issuance):
    """Payments, a hold of each fate, a reversal, and a second currency."""
    pay(cora_account, mina_account, 90, memo="Gardening")
    taken = transfers.hold(debit=mina_account, credit=cora_account, amount=HOUR, key=uuid.uuid4(), memo="Ironing")
    released = transfers.hold(debit=mina_account, credit=cora_account, amount=30, key=uuid.uuid4(), memo="Tea")
    open_hold = transfers.hold(debit=cora_account, credit=mina_account, amount=20, key=uuid.uuid4(), memo="Soup")
    transfers.post_hold(Transfer.objects.get(pk=taken.id), key=uuid.uuid4(), amount=45)
    transfers.void_hold(Transfer.objects.get(pk=released.id), key=uuid.uuid4())
    mistake = pay(issuance, mina_account, HOUR)
    transfers.reverse(Transfer.objects.get(pk=mistake.id), actor=coordinator.user, reason="Paid twice")
    green_mina = accounts.open_account(credits, member=member)
    pay(accounts.system_account(credits, AccountKind.ISSUANCE), green_mina, 1250, memo="Litter pick")
    return {"taken": taken.id, "released": released.id, "open": open_hold.id}


def test_the_zip_holds_everything_with_a_readme_that_explains_every_column(community, busy_ledger, mina_account):
    archive = unzip(exports.ledger_zip(community))

    assert sorted(archive.namelist()) == ["README.txt", "accounts.csv", "balances.csv", "holds.csv", "transfers.csv"]
    readme = archive.read("README.txt").decode()
    for name, columns in exports.ZIP_FILES.items():
        assert name in readme
        for column in exports.headers(columns):
            assert re.search(rf"^{column} +\S", readme, re.MULTILINE), f"{name}: {column} is not explained"
    header, *transfers_rows = zip_csv(archive, "transfers.csv")
    assert [int(row[0]) for row in transfers_rows] == sorted(Transfer.objects.values_list("pk", flat=True))
    assert {row[header.index("currency")] for row in transfers_rows} == {"hours", "green"}


def test_the_zip_balances_match_the_accounts_in_hours_and_minutes(community, busy_ledger, mina_account):
    archive = unzip(exports.ledger_zip(community))

    header, *rows = zip_csv(archive, "balances.csv")
    mina = next(dict(zip(header, row, strict=True)) for row in rows if row[0] == str(mina_account.pk))

    # +1:30 gardening, -0:45 ironing taken, +1:00 then -1:00 reversed; 0:20 of soup on its way.
    assert (mina["balance"], mina["held_to_receive"], mina["held_to_pay"]) == ("0:45", "0:20", "0:00")
    assert (mina["total_received"], mina["total_paid"], mina["available"]) == ("2:30", "1:45", "10:45")


def test_the_zip_says_what_became_of_each_hold(community, busy_ledger):
    archive = unzip(exports.ledger_zip(community))

    header, *rows = zip_csv(archive, "holds.csv")
    fate = {int(row[0]): (row[header.index("status")], row[header.index("amount_taken")]) for row in rows}

    assert fate == {
        busy_ledger["taken"]: ("taken", "0:45"),
        busy_ledger["released"]: ("released", ""),
        busy_ledger["open"]: ("open", ""),
    }


def test_the_zip_can_hold_one_currency_only(community, busy_ledger, credits):
    archive = unzip(exports.ledger_zip(community, credits))

    header, *rows = zip_csv(archive, "transfers.csv")
    assert [(row[header.index("currency")], row[header.index("amount")]) for row in rows] == [("green", "12.50")]
    assert {row[1] for row in zip_csv(archive, "accounts.csv")[1:]} == {"green"}
    assert "Green credits (green)" in archive.read("README.txt").decode()


def test_the_zip_never_shows_another_communitys_ledger(community, other_community, outsider, busy_ledger):
    hillside = accounts.create_currency(other_community, code="hours", name="Hillside hours", kind=CurrencyKind.TIME)
    otto = accounts.open_account(hillside, member=outsider)
    pay(accounts.system_account(hillside, AccountKind.ISSUANCE), otto, HOUR, memo="Hillside secret")

    archive = unzip(exports.ledger_zip(community))

    assert b"Hillside" not in archive.read("transfers.csv") + archive.read("accounts.csv")


def test_the_zip_is_read_and_sent_a_chunk_at_a_time(community, mina_account, issuance, monkeypatch):
    for n in range(10):
        pay(issuance, mina_account, n + 1)
    monkeypatch.setattr(exports, "CHUNK_ROWS", 3)
    monkeypatch.setattr(exports, "FLUSH_BYTES", 1)

    def transfer_reads(captured):
        return [q for q in captured if 'FROM "ledger_transfer"' in q["sql"] and "LIMIT 3" in q["sql"]]

    with CaptureQueriesContext(connection) as captured:
        chunks = exports.ledger_zip(community)
        first = next(chunks)
        read_before_first_chunk = len(transfer_reads(captured.captured_queries))
        rest = list(chunks)

    assert read_before_first_chunk == 0  # the client gets bytes before the transfers are even read
    # transfers.csv in four reads of three and the empty read that ends it; then holds.csv.
    assert len(transfer_reads(captured.captured_queries)) == 5 + 1
    assert len(zip_csv(unzip([first, *rest]), "transfers.csv")) == 1 + 10


@pytest.mark.skipif(not ON_POSTGRES, reason="the snapshot is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_on_postgres_all_the_zip_files_describe_one_moment(community, mina_account, cora_account):
    pay(cora_account, mina_account, HOUR, memo="Before")

    chunks = exports.ledger_zip(community)
    first = next(chunks)  # the export has started reading
    elsewhere = threading.Thread(target=_pay_from_another_connection, args=(cora_account, mina_account))
    elsewhere.start()
    elsewhere.join()
    archive = unzip([first, *chunks])

    header, *rows = zip_csv(archive, "transfers.csv")
    assert [row[header.index("description")] for row in rows] == ["Before"]
    header, *rows = zip_csv(archive, "balances.csv")
    assert next(row for row in rows if row[0] == str(mina_account.pk))[header.index("balance")] == "1:00"
    assert "All four files describe the same moment." in archive.read("README.txt").decode()
    assert Transfer.objects.count() == 2


def _pay_from_another_connection(debit, credit):
    try:
        pay(debit, credit, HOUR, memo="During")
    finally:
        connection.close()


@pytest.mark.parametrize(("persona", "expected"), [("coordinator", 200), ("member", 403), ("outsider", 404)])
def test_only_coordinators_download_the_zip(client, personas, busy_ledger, persona, expected):
    client.force_login(personas[persona].user)

    response = client.get("/c/riverside/exchange/export.zip", {"currency": "green"})

    assert response.status_code == expected
    if expected == 200:
        assert response["Content-Type"] == "application/zip"
        assert response["Content-Disposition"].startswith('attachment; filename="ledger-riverside-green-')


def test_a_zip_of_an_unknown_currency_is_refused(client, coordinator, busy_ledger):
    client.force_login(coordinator.user)

    response = client.get("/c/riverside/exchange/export.zip", {"currency": "doubloons"})

    assert response.status_code == 400
