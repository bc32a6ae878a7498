"""Reading transfer files: Ostrom's formats, TimeOverflow's and Komunitin's. Pure functions, no database."""

import csv
import io
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ostrom.communities.domain import DomainError
from ostrom.ledger.domain import csv_formats as formats
from ostrom.ledger.domain.amounts import format_hours_minutes
from ostrom.ledger.domain.csv_formats import FileFormat

HOURS = formats.Units("time", 60)
CREDITS = formats.Units("credit", 100)
TODAY = date(2025, 6, 1)


def parse(text, units=HOURS, file_format=None):
    return formats.parse(text, units, file_format, today=TODAY)


def codes(parsed):
    return [(e.line, e.code) for e in parsed.errors]


# Ostrom's own transfer format


def test_it_reads_ostroms_format_with_hours_written_either_way():
    parsed = parse(
        "date,payer,payee,amount,memo,category\n"
        "2024-03-01,mina@example.org,cora@example.org,1:30,Gardening,garden\n"
        ",#12,issuance,2.25,,\n"
    )

    assert parsed.format == FileFormat.OSTROM and parsed.ok
    first, second = parsed.rows
    assert (first.line, first.payer.label, first.payee.label, first.amount) == (
        2,
        "mina@example.org",
        "cora@example.org",
        90,
    )
    assert (first.memo, first.category, first.date) == ("Gardening", "garden", date(2024, 3, 1))
    assert (second.amount, second.date) == (135, None)


def test_the_columns_may_come_in_any_order_and_optional_ones_may_be_missing():
    parsed = parse("amount;payee;payer\n12.50;cora@example.org;mina@example.org\n", CREDITS)

    assert parsed.ok and parsed.rows[0].amount == 1250 and parsed.rows[0].memo == ""


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("1.5.3", "amount_invalid"),
        ("-1", "amount_not_positive"),
        ("-1:30", "amount_not_positive"),
        ("0", "amount_not_positive"),
        ("0:00", "amount_not_positive"),
        ("0.01", "amount_too_precise"),
        ("1:75", "amount_invalid"),
        ("1,5", "amount_has_comma"),
        ("", "amount_required"),
        ("lots", "amount_invalid"),
        ("99999999999999", "amount_too_large"),
    ],
)
def test_every_bad_amount_is_a_row_error_with_its_line(amount, code):
    parsed = parse(
        f'payer,payee,amount\nmina@example.org,cora@example.org,1\nmina@example.org,cora@example.org,"{amount}"\n'
    )

    assert codes(parsed) == [(3, code)]
    assert len(parsed.rows) == 1


def test_every_failing_row_is_reported_not_just_the_first():
    parsed = parse(
        "payer,payee,amount,date\n"
        "mina@example.org,cora@example.org,1\n"
        ",cora@example.org,1,\n"
        "mina@example.org,cora@example.org,1,31/12/2024\n"
        "mina@example.org,cora@example.org,1,2024-02-30\n"
        "mina@example.org,cora@example.org,1,2030-01-01\n"
    )

    assert codes(parsed) == [
        (2, "wrong_columns"),
        (3, "party_required"),
        (4, "date_invalid"),
        (5, "date_invalid"),
        (6, "date_in_future"),
    ]


def test_a_memo_too_long_for_the_ledger_is_refused_before_it_gets_there():
    parsed = parse(f"payer,payee,amount,memo,category\na,b,1,{'x' * 501},\na,b,1,,{'y' * 41}\n")

    assert codes(parsed) == [(2, "memo_too_long"), (3, "category_too_long")]


def test_an_unknown_column_is_refused_with_the_list_of_known_ones():
    with pytest.raises(DomainError) as refused:
        parse("payer,payee,amount,colour\na,b,1,red\n", file_format=FileFormat.OSTROM)

    assert refused.value.code == "header_unknown_column" and "category" in refused.value.message


def test_a_heading_without_rows_is_an_error_not_an_empty_import():
    parsed = parse("payer,payee,amount\n\n\n")

    assert codes(parsed) == [(1, "file_no_rows")]


def test_a_row_split_over_two_lines_by_quotes_is_reported_at_the_line_it_starts():
    parsed = parse('payer,payee,amount,memo\na,b,1,"two\nlines"\na,b,x,\n')

    assert parsed.rows[0].memo == "two\nlines"
    assert codes(parsed) == [(4, "amount_invalid")]


# Opening balances


def test_opening_balances_come_from_or_go_to_the_issuance_account():
    parsed = parse("member,balance\nmina@example.org,3:00\ncora@example.org,-1.5\notto@example.org,0\n")

    assert parsed.format == FileFormat.OSTROM_BALANCES
    given_to_mina, paid_by_cora = parsed.rows
    assert (given_to_mina.payer.keys, given_to_mina.payee.label, given_to_mina.amount) == (
        ("issuance",),
        "mina@example.org",
        180,
    )
    assert (paid_by_cora.payer.label, paid_by_cora.payee.keys, paid_by_cora.amount) == (
        "cora@example.org",
        ("issuance",),
        90,
    )
    assert parsed.skipped == [4]
    assert {row.memo for row in parsed.rows} == {"Opening balance"}


def test_a_bad_opening_balance_is_a_row_error():
    parsed = parse("member,balance\nmina@example.org,--3\n,1\ncora@example.org,1.5.3\n")

    assert codes(parsed) == [(2, "amount_not_positive"), (3, "party_required"), (4, "amount_invalid")]


# TimeOverflow


def test_it_reads_timeoverflows_headerless_upload_in_seconds():
    text = "12,member,7,Member,5400,2023-05-01 10:00:00 UTC,Gardening,33\n1,organization,7,member,3600,,Welcome hour,\n"

    parsed = parse(text)

    assert parsed.format == FileFormat.TIMEOVERFLOW_IMPORT and parsed.ok
    gardening, welcome = parsed.rows
    assert (gardening.payer.keys, gardening.payee.keys) == (("12", "member 12"), ("7", "member 7"))
    assert (gardening.amount, gardening.memo, gardening.date) == (90, "Gardening", date(2023, 5, 1))
    assert welcome.payer.keys == ("organization", "issuance") and welcome.amount == 60


def test_it_reads_the_older_seven_column_timeoverflow_upload_without_dates():
    parsed = parse("12,member,7,member,1:30,Gardening,\n")

    assert parsed.ok and parsed.rows[0].memo == "Gardening" and parsed.rows[0].date is None


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("90", "amount_not_whole_minutes"),
        ("5400.5", "amount_invalid"),
        ("-60", "amount_not_positive"),
        ("0", "amount_not_positive"),
    ],
)
def test_timeoverflow_seconds_must_be_whole_positive_minutes(amount, code):
    parsed = parse(f"12,member,7,member,{amount},2023-05-01,Gardening,\n", file_format=FileFormat.TIMEOVERFLOW_IMPORT)

    assert codes(parsed) == [(1, code)]


def test_a_timeoverflow_upload_row_with_the_wrong_number_of_columns_is_refused():
    parsed = parse("12,member,7,member,5400\n", file_format=FileFormat.TIMEOVERFLOW_IMPORT)

    assert codes(parsed) == [(1, "wrong_columns")]


def test_it_reads_timeoverflows_transfer_report():
    text = "Fecha,De,A,Anuncio,Cantidad\n2023-05-01 10:00:00 +0200,Mina Member (12),Banc de Temps,Gardening,1:30\n"

    parsed = parse(text)

    assert parsed.format == FileFormat.TIMEOVERFLOW_EXPORT and parsed.ok
    row = parsed.rows[0]
    assert row.payer.keys == ("Mina Member (12)", "12", "member 12", "Mina Member")
    assert row.payee.keys == ("Banc de Temps",)
    assert (row.amount, row.memo, row.date) == (90, "Gardening", date(2023, 5, 1))


def test_timeoverflow_files_only_go_into_a_time_currency():
    with pytest.raises(DomainError) as refused:
        parse("12,member,7,member,5400,,Gardening,\n", CREDITS)

    assert refused.value.code == "currency_not_time"


# Komunitin


def test_it_reads_komunitins_four_columns_with_or_without_a_header():
    plain = parse("NET20002,NET20003,Bread,2.5\n", CREDITS)
    headed = parse("Payer,Payee,Description,Amount\nNET20002,NET20003,Bread,2.5\n", CREDITS)

    for parsed, line in ((plain, 1), (headed, 2)):
        assert parsed.format == FileFormat.KOMUNITIN and parsed.ok
        row = parsed.rows[0]
        assert (row.line, row.payer.label, row.payee.label, row.memo, row.amount) == (
            line,
            "NET20002",
            "NET20003",
            "Bread",
            250,
        )


def test_komunitin_rows_need_a_description_and_four_columns():
    parsed = parse(
        "NET20002,NET20003,Bread,2.5\nNET20002,NET20003,,2.5\nNET20002,NET20003,2.5\n", CREDITS, FileFormat.KOMUNITIN
    )

    assert codes(parsed) == [(2, "memo_required"), (3, "wrong_columns")]


# Files that are not what they should be


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "file_empty"),
        (b"\n\n  \n", "file_empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "file_not_csv"),
        (b"PK\x03\x04\x14\x00\x06\x00", "file_not_csv"),
        ("payer,payee,amount\nJosé,Zoë,1\n".encode("cp1252"), "file_not_utf8"),
        ("payer,payee,amount\n".encode("utf-16"), "file_not_utf8"),
        (b"a" * (formats.MAX_FILE_BYTES + 1), "file_too_large"),
    ],
)
def test_files_that_are_not_utf8_csv_are_refused_clearly(data, code):
    with pytest.raises(DomainError) as refused:
        formats.decode(data)

    assert refused.value.code == code


def test_the_byte_order_mark_of_excels_csv_utf8_is_dropped():
    text = formats.decode("\ufeffpayer,payee,amount\nJosé,Zoë,1\n".encode())

    assert parse(text).rows[0].payer.label == "José"


def test_the_not_utf8_message_says_on_which_line():
    with pytest.raises(DomainError) as refused:
        formats.decode("payer,payee,amount\na,b,1\nJosé,b,1\n".encode("latin-1"))

    assert "line 3" in refused.value.message


def test_more_than_fifty_thousand_rows_is_refused():
    text = "payer,payee,amount\n" + "a,b,1\n" * (formats.MAX_ROWS + 1)

    with pytest.raises(DomainError) as refused:
        parse(text)

    assert refused.value.code == "file_too_many_rows"


def test_exactly_fifty_thousand_rows_are_fine():
    parsed = parse("payer,payee,amount\n" + "a,b,1\n" * formats.MAX_ROWS)

    assert len(parsed.rows) == formats.MAX_ROWS


def test_a_file_in_no_known_format_asks_the_coordinator_to_choose():
    with pytest.raises(DomainError) as refused:
        parse("name,age\nMina,40\n")

    assert refused.value.code == "format_unknown"


# Lists pasted into the bulk tools


def test_a_volunteer_list_takes_the_shared_amount_where_a_line_has_none():
    parsed = formats.parse_payments("who,amount\nmina@example.org, 3, litter pick\ncora@example.org\n", CREDITS, 500)

    assert [(r.payee.label, r.amount, r.memo) for r in parsed.rows] == [
        ("mina@example.org", 300, "litter pick"),
        ("cora@example.org", 500, ""),
    ]
    assert all(r.payer.keys == ("issuance",) for r in parsed.rows)


def test_a_volunteer_line_without_an_amount_is_an_error_when_there_is_no_shared_amount():
    parsed = formats.parse_payments("mina@example.org\n", CREDITS)

    assert codes(parsed) == [(1, "amount_required")]


def test_the_who_is_who_list_ignores_case_and_refuses_a_name_given_twice():
    names, errors = formats.parse_names("12, mina@example.org\nBanc de Temps, issuance\n12, cora@example.org\nlonely\n")

    assert names == {"12": "mina@example.org", "banc de temps": "issuance"}
    assert [(e.line, e.code) for e in errors] == [(3, "name_repeated"), (4, "name_line_invalid")]


# Properties


@given(st.integers(min_value=1, max_value=10**9))
def test_hours_and_minutes_read_back_what_format_hours_minutes_wrote(minutes):
    written = format_hours_minutes(minutes)

    assert formats.parse_timeoverflow_amount(written, HOURS) == minutes
    assert formats.parse_amount(written, HOURS) == minutes


@given(st.integers(min_value=1, max_value=10**9))
def test_timeoverflow_seconds_read_back_as_minutes(minutes):
    assert formats.parse_timeoverflow_amount(str(minutes * 60), HOURS) == minutes


@given(st.integers(min_value=1, max_value=10**9), st.integers(min_value=1, max_value=59))
def test_seconds_that_are_not_whole_minutes_are_never_rounded(minutes, seconds):
    with pytest.raises(formats.BadRow) as refused:
        formats.parse_timeoverflow_amount(str(minutes * 60 + seconds), HOURS)

    assert refused.value.code == "amount_not_whole_minutes"


@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_an_opening_balance_reads_back_with_its_sign(minutes):
    assert formats.parse_balance(format_hours_minutes(minutes), HOURS) == minutes


cell = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)


@given(st.lists(st.lists(cell, min_size=1, max_size=8), min_size=1, max_size=20), st.sampled_from(list(FileFormat)))
def test_bad_rows_never_raise_only_become_row_errors(rows, file_format):
    """Whatever the cells hold, a well-formed CSV file in a chosen format gives rows or row errors, never a crash.
    (Only the header of Ostrom's formats is checked for the whole file.)"""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = {
        FileFormat.OSTROM: ["payer", "payee", "amount", "memo"],
        FileFormat.OSTROM_BALANCES: ["member", "balance"],
    }
    if file_format in header:
        writer.writerow(header[file_format])
    writer.writerows(rows)
    if not buffer.getvalue().strip(",\r\n \t"):
        return

    try:
        parsed = parse(buffer.getvalue(), HOURS, file_format)
    except DomainError as error:
        assert error.code in {"file_empty", "file_unreadable"}
        return

    lines_seen = [row.line for row in parsed.rows] + [e.line for e in parsed.errors] + parsed.skipped
    assert len(lines_seen) == len(set(lines_seen))
    assert all(row.amount > 0 for row in parsed.rows)


@given(st.text(max_size=200))
def test_any_text_at_all_is_read_or_refused_with_a_domain_error(text):
    try:
        parsed = parse(text)
    except DomainError:
        return
    assert isinstance(parsed, formats.Parsed)


@given(st.binary(max_size=200))
def test_any_bytes_at_all_are_decoded_or_refused_with_a_domain_error(data):
    try:
        text = formats.decode(data)
    except DomainError:
        return
    assert isinstance(text, str)


memo = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=60).map(str.strip)


@given(st.lists(st.tuples(memo, st.integers(min_value=1, max_value=10**6)), min_size=1, max_size=20))
def test_memos_with_commas_quotes_and_newlines_survive_a_spreadsheet_round_trip(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["payer", "payee", "amount", "memo"])
    for text, minutes in rows:
        writer.writerow(["mina@example.org", "cora@example.org", format_hours_minutes(minutes), text])

    parsed = parse(buffer.getvalue())

    assert parsed.ok
    assert [(r.memo, r.amount) for r in parsed.rows] == rows
