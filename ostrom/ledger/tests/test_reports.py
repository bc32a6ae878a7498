"""The community ledger summary: what moved per month and category, how many people traded, who is near a limit,
the totals per kind of account (the community's own included) and the zero-sum check; as a page and a CSV, for
coordinators only."""

import csv
import io
import uuid
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import connection

from ostrom.ledger import reports
from ostrom.ledger.actions import accounts, transfers
from ostrom.ledger.models import CurrencyKind

HOUR = 60
SPRING = (date(2025, 1, 1), date(2025, 4, 30))


def pay(debit, credit, amount, at=None, **fields):
    if at is None:
        return transfers.transfer(debit=debit, credit=credit, amount=amount, key=uuid.uuid4(), **fields)
    with time_machine.travel(at, tick=False):
        return transfers.transfer(debit=debit, credit=credit, amount=amount, key=uuid.uuid4(), **fields)


def hours_summary(community, period=SPRING):
    (summary,) = [s for s in reports.ledger_summary(community, *period) if s.currency.code == "hours"]
    return summary


def test_volume_is_counted_per_month_in_the_community_time_zone(community, mina_account, cora_account):
    pay(cora_account, mina_account, HOUR, at=datetime(2025, 1, 15, 12, tzinfo=UTC))
    pay(mina_account, cora_account, 30, at=datetime(2025, 2, 10, 12, tzinfo=UTC))
    pay(cora_account, mina_account, 90, at=datetime(2025, 2, 20, 12, tzinfo=UTC))
    # 23:30 in UTC on 31 March is already April in London (summer time).
    pay(cora_account, mina_account, 15, at=datetime(2025, 3, 31, 23, 30, tzinfo=UTC))
    pay(cora_account, mina_account, 45, at=datetime(2025, 6, 1, 12, tzinfo=UTC))  # outside the period

    summary = hours_summary(community)

    assert [(m.label, m.transfer_count, m.amount) for m in summary.months] == [
        ("2025-01", 1, 60),
        ("2025-02", 2, 120),
        ("2025-04", 1, 15),
    ]
    assert (summary.volume.transfer_count, summary.volume.amount) == (4, 195)


def test_volume_per_category_comes_largest_first(community, mina_account, cora_account):
    at = datetime(2025, 2, 1, 12, tzinfo=UTC)
    pay(cora_account, mina_account, HOUR, at=at, category="gardening")
    pay(mina_account, cora_account, 3 * HOUR, at=at, category="transport")
    pay(cora_account, mina_account, 30, at=at, category="gardening")
    pay(cora_account, mina_account, 10, at=at)

    summary = hours_summary(community)

    assert [(c.label, c.transfer_count, c.amount) for c in summary.categories] == [
        ("transport", 1, 180),
        ("gardening", 2, 90),
        ("", 1, 10),
    ]


def test_active_traders_are_the_people_and_organisations_who_paid_or_were_paid(
    community, hours, mina_account, cora_account, issuance, staff, organisation
):
    sam_account = accounts.open_account(hours, member=staff)
    council = accounts.open_account(hours, organisation=organisation)
    pay(issuance, mina_account, HOUR, at=datetime(2025, 2, 1, tzinfo=UTC))  # issuance is no trader
    pay(council, cora_account, HOUR, at=datetime(2025, 3, 1, tzinfo=UTC))
    pay(mina_account, sam_account, HOUR, at=datetime(2024, 6, 1, tzinfo=UTC))  # Sam traded, but long ago
    transfers.hold(debit=mina_account, credit=sam_account, amount=HOUR, key=uuid.uuid4())  # a hold is no trade

    assert hours_summary(community).active_traders == 3  # Mina, Cora and the council


def test_accounts_within_ten_percent_of_a_limit_are_listed(
    community, hours, mina_account, cora_account, fees, staff, admin_member
):
    pay(mina_account, cora_account, 9 * HOUR)
    transfers.hold(debit=mina_account, credit=cora_account, amount=30, key=uuid.uuid4())  # 9:30 of 10 h used
    ada_account = accounts.open_account(hours, member=admin_member)
    pay(ada_account, fees, 9 * HOUR - 1)  # 8:59 of 10 h: a minute short of the last tenth
    green = accounts.create_currency(
        community, code="green", name="Green credits", kind=CurrencyKind.CREDIT, default_credit_limit=100
    )
    sam_green = accounts.open_account(green, member=staff)
    issuer = accounts.system_account(green, "issuance")
    pay(issuer, sam_green, 90)  # 90 of 100 may be held: at the edge of the credit limit

    near = hours_summary(community).near_limits
    (near_green,) = [s for s in reports.ledger_summary(community, *SPRING) if s.currency.code == "green"]

    assert [(n.holder, n.side, n.limit, n.room) for n in near] == [("Mina", "debit", 10 * HOUR, 30)]
    assert [(n.holder, n.side, n.room) for n in near_green.near_limits] == [("Sam", "credit", 10)]
    assert near_green.near_limit_count == 1


def test_totals_per_kind_include_the_community_accounts_and_add_up_to_zero(
    community, mina_account, cora_account, issuance, fees
):
    pay(issuance, mina_account, 5 * HOUR)
    pay(mina_account, fees, 30)
    transfers.hold(debit=cora_account, credit=mina_account, amount=HOUR, key=uuid.uuid4())

    summary = hours_summary(community)
    kinds = {k.kind: (k.account_count, k.balance, k.held_to_pay, k.held_to_receive) for k in summary.kinds}

    assert kinds == {
        "member": (2, 4 * HOUR + 30, HOUR, HOUR),
        "organisation": (0, 0, 0, 0),
        "issuance": (1, -5 * HOUR, 0, 0),
        "fees": (1, 30, 0, 0),
        "clearing": (0, 0, 0, 0),
    }
    assert summary.balanced and summary.balance_sum == 0 and summary.held_difference == 0


def test_a_ledger_that_does_not_add_up_is_flagged(community, mina_account, cora_account):
    pay(cora_account, mina_account, HOUR)
    with connection.cursor() as cursor:  # a buggy write that bypassed the ledger's actions
        cursor.execute("UPDATE ledger_account SET credits_posted = credits_posted + 5 WHERE id = %s", [mina_account.pk])

    summary = hours_summary(community)

    assert not summary.balanced and summary.balance_sum == 5


def test_the_default_period_is_the_last_twelve_months_counting_this_one():
    assert reports.default_period(date(2025, 3, 15)) == (date(2024, 4, 1), date(2025, 3, 15))
    assert reports.default_period(date(2025, 12, 31)) == (date(2025, 1, 1), date(2025, 12, 31))
    assert reports.default_period(date(2025, 1, 1)) == (date(2024, 2, 1), date(2025, 1, 1))


# The page and the CSV


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("coordinator", 200), ("admin_member", 200), ("member", 403), ("staff", 403), ("outsider", 404)],
)
def test_only_coordinators_see_the_summary(client, request, hours, persona, expected):
    client.force_login(request.getfixturevalue(persona).user)

    assert client.get("/c/riverside/exchange/report/").status_code == expected
    assert client.get("/c/riverside/exchange/report.csv").status_code == expected


def test_anonymous_visitors_are_asked_to_log_in_to_see_the_summary(client, hours):
    response = client.get("/c/riverside/exchange/report/")

    assert (response.status_code, response["Location"]) == (302, "/login/?next=/c/riverside/exchange/report/")


def test_the_page_shows_the_summary_of_the_chosen_period(client, coordinator, mina_account, cora_account):
    pay(cora_account, mina_account, 90, at=datetime(2025, 2, 1, 12, tzinfo=UTC), category="gardening")
    client.force_login(coordinator.user)

    page = client.get("/c/riverside/exchange/report/", {"date_from": "2025-01-01", "date_to": "2025-04-30"})
    text = page.content.decode()

    assert page.status_code == 200
    assert "Zero-sum check: balanced." in text
    assert "<td>2025-02</td><td>1</td><td>1 h 30 min</td>" in text
    assert "<td>gardening</td><td>1</td><td>1 h 30 min</td>" in text
    assert "2 member and organisation accounts paid or were paid" in text
    assert "date_from=2025-01-01&amp;date_to=2025-04-30" in text  # the CSV link keeps the period


def test_the_page_shows_an_out_of_balance_ledger(client, coordinator, mina_account, cora_account):
    pay(cora_account, mina_account, HOUR)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_account SET credits_posted = credits_posted + 5 WHERE id = %s", [mina_account.pk])
    client.force_login(coordinator.user)

    text = client.get("/c/riverside/exchange/report/").content.decode()

    assert "Zero-sum check: out of balance." in text and "Balances add up to 5 min instead of zero" in text


def test_a_period_that_ends_before_it_starts_is_refused(client, coordinator, hours):
    client.force_login(coordinator.user)

    response = client.get("/c/riverside/exchange/report/", {"date_from": "2025-05-01", "date_to": "2025-04-01"})
    as_csv = client.get("/c/riverside/exchange/report.csv", {"date_from": "2025-05-01", "date_to": "2025-04-01"})

    assert response.status_code == 400
    assert "The last day must be on or after the first day." in response.content.decode()
    assert "summaries" not in response.context
    assert as_csv.status_code == 400


def test_the_csv_has_a_row_per_month_category_kind_and_check(client, coordinator, mina_account, cora_account):
    pay(cora_account, mina_account, 90, at=datetime(2025, 2, 1, 12, tzinfo=UTC), category="gardening")
    client.force_login(coordinator.user)

    response = client.get("/c/riverside/exchange/report.csv", {"date_from": "2025-01-01", "date_to": "2025-04-30"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))

    assert (
        response["Content-Disposition"] == 'attachment; filename="ledger-summary-riverside-2025-01-01-2025-04-30.csv"'
    )
    picked = [(r["section"], r["label"], r["transfer_count"], r["account_count"], r["amount"], r["note"]) for r in rows]
    assert ("month", "2025-02", "1", "", "1:30", "") in picked
    assert ("category", "gardening", "1", "", "1:30", "") in picked
    assert ("active_traders", "", "", "2", "", "") in picked
    assert ("account_kind", "member", "", "2", "0:00", "") in picked
    assert ("zero_sum", "balances", "", "", "0:00", "balanced") in picked
    assert ("zero_sum", "holds", "", "", "0:00", "balanced") in picked
