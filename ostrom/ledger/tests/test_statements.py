"""Statements: Mina's posted movements, newest first, each with her balance just after it; holds apart; pages that
never lose or repeat a line while new payments arrive; filters by day (in the community's time zone) and
category; and who may read whose statement."""

import json
import uuid
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ostrom.communities.tests.factories import MemberFactory
from ostrom.ledger import statements
from ostrom.ledger.actions import accounts, transfers
from ostrom.ledger.models import Transfer

HOUR = 60
ON_POSTGRES = "postgresql" in settings.DATABASES["default"]["ENGINE"]


def pay(debit, credit, amount, **fields):
    return transfers.transfer(debit=debit, credit=credit, amount=amount, key=uuid.uuid4(), **fields)


def ids(page):
    return [line.transfer_id for line in page.lines]


def statement_url(account):
    return f"/c/{account.community.slug}/exchange/accounts/{account.pk}/statement/"


# The statement itself


def test_each_line_shows_the_balance_just_after_it(mina_account, cora_account, issuance):
    pay(cora_account, mina_account, 2 * HOUR, memo="Gardening")
    pay(mina_account, cora_account, 30, memo="Lift to the shops")
    pay(issuance, mina_account, HOUR, memo="Welcome hour")

    page = statements.statement_page(mina_account)

    assert [(line.memo, line.amount, line.balance_after) for line in page.lines] == [
        ("Welcome hour", HOUR, 150),
        ("Lift to the shops", -30, 90),
        ("Gardening", 2 * HOUR, 120),
    ]
    assert [line.other_party for line in page.lines] == ["Timebank hours issuance", "Cora", "Cora"]
    # Cora's statement shows the same transfers from her side.
    assert [(line.amount, line.balance_after) for line in statements.statement_page(cora_account).lines] == [
        (30, -90),
        (-2 * HOUR, -2 * HOUR),
    ]


def test_holds_are_listed_apart_and_only_a_taken_hold_becomes_a_line(mina_account, cora_account):
    taken = transfers.hold(debit=mina_account, credit=cora_account, amount=HOUR, key=uuid.uuid4(), memo="Ironing")
    released = transfers.hold(debit=mina_account, credit=cora_account, amount=HOUR, key=uuid.uuid4(), memo="Sewing")
    open_hold = transfers.hold(debit=cora_account, credit=mina_account, amount=20, key=uuid.uuid4(), memo="Tea")

    assert statements.statement_page(mina_account).lines == []
    assert [(h.transfer_id, h.amount) for h in statements.pending_holds(mina_account)] == [
        (open_hold.id, 20),
        (released.id, -HOUR),
        (taken.id, -HOUR),
    ]

    transfers.post_hold(Transfer.objects.get(pk=taken.id), key=uuid.uuid4(), amount=45)
    transfers.void_hold(Transfer.objects.get(pk=released.id), key=uuid.uuid4())

    lines = statements.statement_page(mina_account).lines
    assert [(line.kind, line.amount, line.balance_after, line.hold_id) for line in lines] == [
        ("post", -45, -45, taken.id)
    ]
    assert [h.transfer_id for h in statements.pending_holds(mina_account)] == [open_hold.id]


def test_a_statement_shows_no_other_accounts_movements(hours, mina_account, cora_account, staff):
    sam_account = accounts.open_account(hours, member=staff)
    pay(cora_account, sam_account, HOUR)
    mine = pay(cora_account, mina_account, HOUR)

    assert ids(statements.statement_page(mina_account)) == [mine.id]


def test_a_reversal_appears_as_a_line_that_points_at_the_original(mina_account, cora_account, coordinator):
    original = pay(cora_account, mina_account, HOUR)
    reversal = transfers.reverse(Transfer.objects.get(pk=original.id), actor=coordinator.user, reason="Entered twice")

    newest = statements.statement_page(mina_account).lines[0]

    assert (newest.transfer_id, newest.amount, newest.balance_after, newest.reverses_id) == (
        reversal.id,
        -HOUR,
        0,
        original.id,
    )


# Pages


def test_pages_lose_or_repeat_nothing_while_new_transfers_arrive(mina_account, cora_account, issuance):
    before = [pay(issuance, mina_account, n + 1).id for n in range(12)]

    first = statements.statement_page(mina_account, limit=5)
    pay(issuance, mina_account, 7)
    pay(mina_account, cora_account, 3)
    second = statements.statement_page(mina_account, before_id=first.older_cursor, limit=5)
    pay(cora_account, mina_account, 9)
    third = statements.statement_page(mina_account, before_id=second.older_cursor, limit=5)

    assert ids(first) + ids(second) + ids(third) == list(reversed(before))
    assert (len(first.lines), len(second.lines), len(third.lines)) == (5, 5, 2)
    assert third.older_cursor is None
    assert first.newer_cursor is None


def test_paging_back_towards_the_newest_gives_the_same_pages(mina_account, issuance):
    for n in range(11):
        pay(issuance, mina_account, n + 1)
    first = statements.statement_page(mina_account, limit=4)
    second = statements.statement_page(mina_account, before_id=first.older_cursor, limit=4)
    third = statements.statement_page(mina_account, before_id=second.older_cursor, limit=4)

    back_to_second = statements.statement_page(mina_account, after_id=third.newer_cursor, limit=4)
    back_to_first = statements.statement_page(mina_account, after_id=back_to_second.newer_cursor, limit=4)

    assert ids(back_to_second) == ids(second)
    assert ids(back_to_first) == ids(first)
    assert back_to_first.newer_cursor is None
    assert back_to_second.older_cursor == second.older_cursor


def test_a_page_size_is_kept_within_bounds(mina_account, issuance):
    for n in range(3):
        pay(issuance, mina_account, n + 1)

    assert len(statements.statement_page(mina_account, limit=0).lines) == 1
    assert len(statements.statement_page(mina_account, limit=10**9).lines) == 3


def test_a_page_is_one_query_however_long_the_history(mina_account, issuance, django_assert_num_queries):
    for n in range(30):
        pay(issuance, mina_account, n + 1)
    first = statements.statement_page(mina_account, limit=10)

    # The lines, the other parties' names and whether there are pages either side, in one round trip.
    with django_assert_num_queries(1):
        middle = statements.statement_page(mina_account, before_id=first.older_cursor, limit=10)
    with django_assert_num_queries(1):
        statements.statement_page(mina_account, after_id=middle.newer_cursor, limit=10)


# Filters


def test_dates_are_whole_days_in_the_community_time_zone(community, mina_account, cora_account):
    community.time_zone = "Europe/London"
    community.save(update_fields=["time_zone"])
    # 23:30 in UTC on 1 June is 00:30 on 2 June in London (summer time).
    with time_machine.travel(datetime(2025, 6, 1, 22, 30, tzinfo=UTC), tick=False):
        late_evening = pay(cora_account, mina_account, HOUR)
    with time_machine.travel(datetime(2025, 6, 1, 23, 30, tzinfo=UTC), tick=False):
        after_midnight = pay(cora_account, mina_account, HOUR)
    with time_machine.travel(datetime(2025, 6, 3, 12, 0, tzinfo=UTC), tick=False):
        later = pay(cora_account, mina_account, HOUR)

    def on(date_from, date_to):
        return ids(statements.statement_page(mina_account, date_from=date_from, date_to=date_to))

    assert on(date(2025, 6, 1), date(2025, 6, 1)) == [late_evening.id]
    assert on(date(2025, 6, 2), date(2025, 6, 2)) == [after_midnight.id]
    assert on(date(2025, 6, 2), None) == [later.id, after_midnight.id]
    assert on(None, date(2025, 6, 2)) == [after_midnight.id, late_evening.id]


def test_the_category_filter_matches_exactly_and_keeps_the_real_running_balance(mina_account, cora_account):
    pay(cora_account, mina_account, HOUR, category="gardening")
    pay(cora_account, mina_account, 2 * HOUR, category="transport")
    pay(cora_account, mina_account, 30, category="gardening tools")

    lines = statements.statement_page(mina_account, category="transport").lines

    assert [(line.category, line.balance_after) for line in lines] == [("transport", 3 * HOUR)]


def test_filtered_pages_lose_or_repeat_nothing(mina_account, cora_account):
    wanted = [pay(cora_account, mina_account, n + 1, category="care" if n % 3 else "other").id for n in range(14)]
    care = [i for n, i in enumerate(wanted) if n % 3]

    seen, cursor = [], None
    while True:
        page = statements.statement_page(mina_account, before_id=cursor, limit=3, category="care")
        seen += ids(page)
        if page.older_cursor is None:
            break
        cursor = page.older_cursor

    assert seen == list(reversed(care))


@pytest.mark.skipif(not ON_POSTGRES, reason="EXPLAIN output is PostgreSQL's")
def test_on_postgres_a_page_walks_the_history_indexes_without_sorting_the_history(community, hours, mina_account):
    """With a long history shared by 200 accounts, each half of the query reads a page's worth of rows along
    its own index, and the halves are merged without sorting the history. (When one account takes part in a
    large share of all transfers, the planner may walk the primary key backwards instead: that reads a page's
    worth of rows too.)"""
    neighbours = [accounts.open_account(hours, member=MemberFactory(community=community)) for _ in range(199)]
    everyone = [mina_account.pk, *(a.pk for a in neighbours)]
    with connection.cursor() as cursor:
        # 60,000 transfers; Mina pays or is paid in one in a hundred. Debit and credit never coincide
        # (6n = 197 mod 200 has no solution).
        cursor.execute(
            """
            INSERT INTO ledger_transfer (community_id, currency_id, key, kind, debit_account_id, credit_account_id,
                amount, memo, category, reference, reason, created_at, debit_balance_after, credit_balance_after)
            SELECT %s, %s, gen_random_uuid(), 'transfer', (%s::bigint[])[1 + n %% 200],
                   (%s::bigint[])[1 + (n * 7 + 3) %% 200], 1, '', '', '', '', now(), 0, 0
            FROM generate_series(1, 60000) AS n
            """,
            [community.pk, hours.pk, everyone, everyone],
        )
        cursor.execute("ANALYZE ledger_transfer")
        cursor.execute("SELECT MAX(id) FROM ledger_transfer")
        newest = cursor.fetchone()[0]
    with CaptureQueriesContext(connection) as captured:
        statements.statement_page(mina_account, before_id=newest - 1000, limit=50)
    query = next(q["sql"] for q in captured.captured_queries if "UNION ALL" in q["sql"])

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {query}")
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    nodes = list(_walk(plan[0]["Plan"]))

    used = {node.get("Index Name") for node in nodes}
    assert {"transfer_debit_history", "transfer_credit_history"} <= used
    assert not any(n["Node Type"] == "Seq Scan" and n["Relation Name"] == "ledger_transfer" for n in nodes)
    for node in nodes:
        if node["Node Type"] in ("Sort", "Incremental Sort"):
            assert node["Actual Rows"] <= 2 * 51, "a sort must only merge the two pages, never the history"
        if "Index Name" in node:
            assert node["Actual Rows"] <= 51


def _walk(node):
    yield node
    for child in node.get("Plans", []):
        yield from _walk(child)


# The page, and who may see it


@pytest.fixture
def council_account(hours, organisation):
    return accounts.open_account(hours, organisation=organisation)


@pytest.mark.parametrize(
    ("viewer", "whose", "expected"),
    [
        ("member", "mina", 200),
        ("member", "cora", 404),
        ("member", "council", 404),
        ("coordinator", "mina", 200),
        ("coordinator", "council", 200),
        ("staff", "council", 200),
        ("staff", "mina", 404),
        ("outsider", "mina", 404),
    ],
)
def test_who_can_read_which_statement(
    client, personas, mina_account, cora_account, council_account, viewer, whose, expected
):
    account = {"mina": mina_account, "cora": cora_account, "council": council_account}[whose]
    client.force_login(personas[viewer].user)

    for url in (statement_url(account), statement_url(account).replace("statement/", "statement.csv")):
        assert client.get(url).status_code == expected, url


def test_an_outsider_finds_nothing_through_their_own_community_either(client, outsider, mina_account):
    client.force_login(outsider.user)

    response = client.get(f"/c/hillside/exchange/accounts/{mina_account.pk}/statement/")

    assert response.status_code == 404


def test_anonymous_visitors_are_asked_to_log_in(client, mina_account):
    url = statement_url(mina_account)

    response = client.get(url)

    assert (response.status_code, response["Location"]) == (302, f"/login/?next={url}")


def test_the_page_shows_the_balance_what_can_be_spent_the_limits_and_the_holds(
    client, member, mina_account, cora_account
):
    pay(cora_account, mina_account, 2 * HOUR, memo="Gardening")
    pay(mina_account, cora_account, 30, memo="Lift to the shops")
    transfers.hold(debit=mina_account, credit=cora_account, amount=HOUR, key=uuid.uuid4(), memo="Ironing")
    client.force_login(member.user)

    page = client.get(statement_url(mina_account)).content.decode()

    assert "Your balance and statement" in page
    assert "<dt>Balance</dt><dd>1 h 30 min</dd>" in page
    assert "<dt>Available to spend</dt><dd>10 h 30 min" in page  # 1:30 + 10 h limit - 1 h held
    assert "10 h below zero" in page
    assert "Ironing" in page and "To pay 1 h" in page
    assert page.index("Lift to the shops") < page.index("Gardening")  # newest first
    assert "<td>30 min</td><td>1 h 30 min</td>" in page  # paid out, balance after
    assert ">Download the statement (CSV)<" in page


def test_the_page_links_to_older_and_newer_pages_keeping_the_filters(client, member, mina_account, issuance):
    for _ in range(statements.DEFAULT_PAGE_SIZE + 5):
        pay(issuance, mina_account, 1, category="welcome")
    client.force_login(member.user)

    first = client.get(statement_url(mina_account), {"category": "welcome"})
    older = first.context["older_query"]
    second = client.get(f"{statement_url(mina_account)}?{older}")

    assert older.startswith("category=welcome&before=")
    assert len(first.context["lines"]) == statements.DEFAULT_PAGE_SIZE
    assert len(second.context["lines"]) == 5
    assert second.context["newer_query"].startswith("category=welcome&after=")
    assert "Older payments" in first.content.decode() and "Newer payments" in second.content.decode()


def test_a_last_day_before_the_first_is_refused_with_a_clear_message(client, member, mina_account, cora_account):
    pay(cora_account, mina_account, HOUR, memo="Gardening")
    client.force_login(member.user)

    response = client.get(statement_url(mina_account), {"date_from": "2025-03-10", "date_to": "2025-03-01"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and "The last day must be on or after the first day." in page
    assert "Gardening" not in page


def test_a_cursor_that_is_not_a_number_shows_the_newest_page(client, member, mina_account, cora_account):
    pay(cora_account, mina_account, HOUR, memo="Gardening")
    client.force_login(member.user)

    response = client.get(statement_url(mina_account), {"before": "'; DROP TABLE"})

    assert response.status_code == 200 and "Gardening" in response.content.decode()


def test_members_see_their_accounts_and_coordinators_can_find_anyone(
    client, member, coordinator, mina_account, cora_account
):
    url = "/c/riverside/exchange/statement/"
    client.force_login(member.user)
    mine = client.get(url)
    client.force_login(coordinator.user)
    found = client.get(url, {"q": "min"})

    assert [account for account, _ in mine.context["own"]] == [mina_account]
    assert "accounts" not in mine.context
    assert [account for account, _ in found.context["accounts"]] == [mina_account]
