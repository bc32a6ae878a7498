"""The coordinators' bulk tools and import in a real browser: axe finds nothing wrong on any of them, empty, with
form errors, or showing a preview; and an import goes file → preview → posted with JavaScript off."""

import uuid

import pytest
from playwright.sync_api import expect

from ostrom.ledger.actions import accounts, transfers
from ostrom.ledger.models import Account, CurrencyKind, Transfer, TransferBatch
from tests.browser.conftest import assert_accessible, login_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOUR = 60
PAGES = ["", "levy/", "issue/", "on-behalf/", "import/"]


@pytest.fixture
def exchange(community, member, coordinator):
    """Riverside's hours: Mina is at her limit, Cora has room; and volunteer credits beside them."""
    hours = accounts.create_currency(
        community, code="hours", name="Timebank hours", kind=CurrencyKind.TIME, default_debit_limit=10 * HOUR
    )
    accounts.create_currency(
        community, code="green", name="Green credits", kind=CurrencyKind.CREDIT, scale=100, issuance_limit=10_000
    )
    mina = accounts.open_account(hours, member=member)
    cora = accounts.open_account(hours, member=coordinator)
    transfers.transfer(debit=mina, credit=cora, amount=10 * HOUR, key=uuid.uuid4(), memo="Decorating")
    return {"mina": mina.pk, "cora": cora.pk}


def goto(page, live_server, path=""):
    page.goto(f"{live_server.url}/c/riverside/exchange/coordinate/{path}")


@pytest.mark.parametrize("path", PAGES)
def test_every_bulk_page_is_accessible(page, live_server, exchange, coordinator, path):
    login_as(page, live_server, coordinator)
    goto(page, live_server, path)

    assert_accessible(page)


def test_the_forms_with_errors_and_every_kind_of_preview_are_accessible(page, live_server, exchange, coordinator):
    login_as(page, live_server, coordinator)

    goto(page, live_server, "levy/")
    page.get_by_label("Amount from each account").fill("1.5.3")
    page.get_by_role("button", name="Preview the levy").click()
    expect(page.locator(".error-summary")).to_contain_text("Enter the amount as a number")
    assert_accessible(page)

    page.get_by_label("Currency").select_option(label="Timebank hours")
    page.get_by_label("Amount from each account").fill("0:30")
    page.get_by_label("Description").fill("Levy for March")
    page.get_by_role("button", name="Preview the levy").click()
    expect(page.get_by_role("heading", name="Nothing can be posted yet")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Mina would go below the lowest balance allowed")
    assert_accessible(page)

    page.get_by_label("Leave out anyone the levy would take past their limit").check()
    page.get_by_role("button", name="Preview the levy").click()
    expect(page.get_by_role("heading", name="Check before posting")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Post the transfer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bulk tools and imports")
    expect(page.get_by_role("status")).to_contain_text("Posted 1 transfers")
    assert_accessible(page)

    goto(page, live_server, "issue/")
    page.get_by_label("Currency").select_option(label="Green credits")
    page.get_by_label("Volunteers").fill("mina@example.org, 2.50, litter pick\nnobody@example.org, 1")
    page.get_by_label("Description").fill("Litter pick")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("table")).to_contain_text("No one here matches")
    assert_accessible(page)

    goto(page, live_server, "on-behalf/")
    page.get_by_label("Currency").select_option(label="Timebank hours")
    page.get_by_label("Transfers to make").fill("cora@example.org, mina@example.org, 1:00, ironing")
    page.get_by_label("Why you are making these transfers for them").fill("Paper slips from the drop-in")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("button", name="Post the transfer")).to_be_visible()
    assert_accessible(page)


def test_an_import_with_its_preview_is_accessible(page, live_server, exchange, coordinator, tmp_path):
    history = tmp_path / "history.csv"
    history.write_text("payer,payee,amount,memo\ncora@example.org,mina@example.org,1:30,Gardening\nnobody,Cora,x,\n")
    login_as(page, live_server, coordinator)
    goto(page, live_server, "import/")

    page.get_by_label("Currency").select_option(label="Timebank hours")
    page.get_by_label("CSV file").set_input_files(history)
    page.get_by_label("Why you are importing").fill("Moving from paper")
    page.get_by_role("button", name="Preview the import").click()

    expect(page.get_by_role("table")).to_contain_text("Enter the amount as a number")
    assert_accessible(page)


def test_a_coordinator_imports_opening_balances_with_javascript_off(
    page_without_js, live_server, exchange, coordinator, admin_member, tmp_path
):
    page = page_without_js
    balances = tmp_path / "balances.csv"
    balances.write_text("member,balance\nada@example.org,4:00\ncora@example.org,-1:00\n")
    login_as(page, live_server, coordinator)
    goto(page, live_server, "import/")

    page.get_by_label("Currency").select_option(label="Timebank hours")
    page.get_by_label("CSV file").set_input_files(balances)
    page.get_by_label("Why you are importing").fill("Balances from the old spreadsheet")
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_text("Read as: Ostrom opening balances")).to_be_visible()
    assert Transfer.objects.filter(batch__isnull=False).count() == 0
    page.get_by_role("button", name="Post all 2 transfers").click()

    expect(page.get_by_role("status")).to_contain_text("Posted 2 transfers")
    assert TransferBatch.objects.get().kind == "opening_balances"
    assert Account.objects.get(member=admin_member).balance == 4 * HOUR
