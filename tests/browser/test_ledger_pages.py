"""The exchange pages in a real browser: axe finds nothing wrong on any of them (with and without errors on
their forms), and a member sends an hour and a half with JavaScript off, form → confirmation → receipt."""

import uuid

import pytest
from playwright.sync_api import expect

from ostrom.ledger.actions import accounts, transfers
from ostrom.ledger.models import Account, CurrencyKind, Transfer
from tests.browser.conftest import assert_accessible, login_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOUR = 60


@pytest.fixture
def exchange(community, member, coordinator, staff, organisation):
    """Riverside's hours with a payment, a hold for the council, and a credit currency beside them."""
    hours = accounts.create_currency(
        community, code="hours", name="Timebank hours", kind=CurrencyKind.TIME, default_debit_limit=10 * HOUR
    )
    accounts.create_currency(community, code="green", name="Green credits", kind=CurrencyKind.CREDIT, scale=100)
    mina = accounts.open_account(hours, member=member)
    cora = accounts.open_account(hours, member=coordinator)
    council = accounts.open_account(hours, organisation=organisation)
    paid = transfers.transfer(debit=mina, credit=cora, amount=HOUR, key=uuid.uuid4(), memo="Gardening")
    held = transfers.hold(debit=mina, credit=council, amount=2 * HOUR, key=uuid.uuid4(), memo="Room booking")
    return {"mina": mina.pk, "paid": paid.id, "held": held.id}


MEMBER_PAGES = ["", "send/", "holds/", "send/receipt/{paid}/"]
COORDINATOR_PAGES = [
    "",
    "holds/",
    "holds/{held}/release/",
    "currencies/",
    "currencies/new/",
    "currencies/hours/accounts/",
    "accounts/{mina}/manage/",
    "accounts/{mina}/pay/",
    "transfers/{paid}/reverse/",
]


@pytest.mark.parametrize("path", MEMBER_PAGES)
def test_a_members_exchange_pages_are_accessible(page, live_server, exchange, member, path):
    login_as(page, live_server, member)
    page.goto(f"{live_server.url}/c/riverside/exchange/{path.format(**exchange)}")

    assert_accessible(page)


@pytest.mark.parametrize("path", COORDINATOR_PAGES)
def test_the_coordinators_exchange_pages_are_accessible(page, live_server, exchange, coordinator, path):
    login_as(page, live_server, coordinator)
    page.goto(f"{live_server.url}/c/riverside/exchange/{path.format(**exchange)}")

    assert_accessible(page)


def test_the_send_form_with_errors_and_the_confirmation_are_accessible(page, live_server, exchange, member):
    login_as(page, live_server, member)
    page.goto(f"{live_server.url}/c/riverside/exchange/send/")
    page.get_by_label("Amount").fill("1.5.3")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".error-summary")).to_contain_text("Enter the amount as a number")
    assert_accessible(page)

    page.get_by_label("Currency").select_option(label="Timebank hours")
    page.get_by_label("Who are you paying?").select_option(label="Cora")
    page.get_by_label("Amount").fill("45 min")
    page.get_by_label("What is it for?").fill("Ironing")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the payment")
    assert_accessible(page)


def test_the_account_page_with_errors_is_accessible(page, live_server, exchange, coordinator):
    login_as(page, live_server, coordinator)
    page.goto(f"{live_server.url}/c/riverside/exchange/accounts/{exchange['mina']}/manage/")
    page.get_by_role("button", name="Change the limits").click()

    expect(page.locator(".error-summary")).to_contain_text("Say why the limits are changing.")
    assert_accessible(page)


def test_a_member_sends_an_hour_and_a_half_without_javascript(page_without_js, live_server, exchange, member):
    page = page_without_js
    login_as(page, live_server, member)
    page.goto(f"{live_server.url}/c/riverside/")
    page.get_by_role("link", name="Exchange").click()
    page.get_by_role("link", name="Send hours or credits").click()

    page.get_by_label("Currency").select_option(label="Timebank hours")
    page.get_by_label("Who are you paying?").select_option(label="Cora")
    page.get_by_label("Amount").fill("1:30")
    page.get_by_label("What is it for?").fill("Ironing")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check the payment")
    expect(page.locator(".summary-list")).to_contain_text("Your balance after")
    expect(page.locator(".summary-list")).to_contain_text("-2 h 30 min")
    assert Transfer.objects.count() == 2, "nothing is paid before confirming"
    page.get_by_role("button", name="Confirm and pay").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Receipt for transfer")
    expect(page.get_by_role("status")).to_contain_text("Payment sent.")
    page.go_back()  # the browser offers to resend the confirmation: the key makes it harmless
    page.get_by_role("button", name="Confirm and pay").click()
    expect(page.get_by_role("status")).to_contain_text("Nothing was paid twice")
    assert Account.objects.get(pk=exchange["mina"]).balance == -150
    assert Transfer.objects.count() == 3
