"""The balance and statement pages, the account finder and the coordinators' ledger summary in a real browser:
axe finds nothing wrong, each has one h1, and the statement's filters and pages work with JavaScript off."""

import uuid

import pytest
from playwright.sync_api import expect

from ostrom.ledger.actions import accounts, transfers
from ostrom.ledger.models import AccountKind, CurrencyKind, Transfer
from ostrom.ledger.statements import DEFAULT_PAGE_SIZE
from tests.browser.conftest import assert_accessible, login_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOUR = 60


def pay(debit, credit, amount, **fields):
    return transfers.transfer(debit=debit, credit=credit, amount=amount, key=uuid.uuid4(), **fields)


@pytest.fixture
def ledger(community, member, coordinator, staff, organisation):
    """Riverside's hours with a page and a bit of history for Mina, a hold, and a second currency near its limit."""
    hours = accounts.create_currency(
        community, code="hours", name="Timebank hours", kind=CurrencyKind.TIME, default_debit_limit=10 * HOUR
    )
    mina = accounts.open_account(hours, member=member)
    cora = accounts.open_account(hours, member=coordinator)
    issuance = accounts.system_account(hours, AccountKind.ISSUANCE)
    for n in range(DEFAULT_PAGE_SIZE + 3):
        pay(issuance, mina, 5, memo=f"Welcome minutes {n + 1}", category="welcome")
    # Mina received 4:25 of welcome minutes; after 12:30 paid and 1:00 held she has 9:05 of her 10 h used.
    pay(mina, cora, 12 * HOUR + 30, memo="Garden clearance", category="gardening")
    transfers.hold(debit=mina, credit=cora, amount=HOUR, key=uuid.uuid4(), memo="Ironing next week")
    accounts.open_account(hours, organisation=organisation)
    return {"mina": mina, "cora": cora}


def test_the_statement_page_is_accessible_and_pages_through_the_history(live_server, page, member, ledger):
    login_as(page, live_server, member)
    page.goto(f"{live_server.url}/c/riverside/exchange/accounts/{ledger['mina'].pk}/statement/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Your balance and statement")
    expect(page.get_by_role("cell", name="Garden clearance")).to_be_visible()
    expect(page.get_by_role("cell", name="Ironing next week")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Older payments").click()
    expect(page.get_by_role("cell", name="Welcome minutes 1", exact=True)).to_be_visible()
    assert_accessible(page)


def test_the_statement_filters_work_without_javascript(live_server, page_without_js, member, ledger):
    page = page_without_js
    login_as(page, live_server, member)
    page.goto(f"{live_server.url}/c/riverside/exchange/accounts/{ledger['mina'].pk}/statement/")

    page.get_by_label("Category").fill("gardening")
    page.get_by_role("button", name="Show payments").click()

    expect(page.get_by_role("cell", name="Garden clearance")).to_be_visible()
    expect(page.get_by_role("cell", name="Welcome minutes 1", exact=True)).to_have_count(0)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the statement (CSV)").click()
    assert download.value.suggested_filename == f"statement-riverside-hours-account-{ledger['mina'].pk}.csv"


def test_a_filter_mistake_is_explained_accessibly(live_server, page, member, ledger):
    login_as(page, live_server, member)
    page.goto(
        f"{live_server.url}/c/riverside/exchange/accounts/{ledger['mina'].pk}/statement/"
        "?date_from=2025-03-10&date_to=2025-03-01"
    )

    expect(page.get_by_role("alert")).to_contain_text("The last day must be on or after the first day.")
    assert_accessible(page)


def test_the_account_finder_and_the_ledger_summary_are_accessible(live_server, page, coordinator, ledger):
    login_as(page, live_server, coordinator)
    page.goto(f"{live_server.url}/c/riverside/exchange/statement/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Balances and statements")
    assert_accessible(page)

    page.get_by_role("link", name="See the ledger summary and download everything").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ledger summary")
    expect(page.get_by_text("Zero-sum check: balanced.")).to_be_visible()
    expect(page.get_by_role("link", name="Mina (statement)")).to_be_visible()  # near her limit
    assert_accessible(page)

    page.get_by_role("link", name="Mina (statement)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Statement of Mina")
    assert_accessible(page)
    assert Transfer.objects.count() == DEFAULT_PAGE_SIZE + 5
