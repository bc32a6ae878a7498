"""Payment requests and trade with other communities in a real browser: axe finds nothing wrong on any of their
pages (with and without form errors), and with JavaScript off Cora asks Mina for an hour and a half and Mina
pays it with one button."""

import uuid

import pytest
from playwright.sync_api import Page, expect

from ostrom.communities.tests.factories import CoordinatorFactory, UserFactory
from ostrom.ledger.actions import accounts, links
from ostrom.ledger.actions import requests as payment_requests
from ostrom.ledger.models import CurrencyKind, PaymentRequest, RequestHandling, RequestStatus
from tests.browser.conftest import assert_accessible, login_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOUR = 60


@pytest.fixture
def exchange(community, other_community, member, coordinator, staff, outsider):
    """Riverside trades in hours (and green credits), Hillside in credits. An hour is worth ten Hillside credits;
    Hillside has proposed a second link, for green credits, that waits for Riverside. Cora has asked Mina for
    an hour and a half; Mina has asked Sam for half an hour. Mina pays requests she has not answered after the
    timeout, and would pay Cora at once if she chose to pay trusted people."""
    hours = accounts.create_currency(
        community, code="hours", name="Timebank hours", kind=CurrencyKind.TIME, default_debit_limit=10 * HOUR
    )
    green = accounts.create_currency(community, code="green", name="Green credits", kind=CurrencyKind.CREDIT)
    credits = accounts.create_currency(other_community, code="credits", name="Hillside credits", kind="credit")
    hana = CoordinatorFactory(
        community=other_community, display_name="Hana", user=UserFactory(full_name="Hana Hillside")
    )
    agreed = links.link_communities(coordinator, other_community, hours, credits, 1, 6, 5 * HOUR)
    links.accept_link(hana, agreed, 20)
    waiting = links.link_communities(hana, community, credits, green, 1, 1, 10)
    asked = payment_requests.request_payment(coordinator, member, hours, 90, "Ironing", uuid.UUID(int=1))
    payment_requests.request_payment(member, staff, hours, 30, "Dog walking", uuid.UUID(int=2))
    payment_requests.set_payment_preference(member, RequestHandling.TIMEOUT)
    payment_requests.trust_payee(member, coordinator)
    return {"asked": asked.pk, "waiting_link": waiting.pk}


MEMBER_PAGES = {
    "payment requests": "/c/riverside/exchange/requests/",
    "ask for payment": "/c/riverside/exchange/requests/new/",
    "decline a request": "/c/riverside/exchange/requests/{asked}/decline/",
    "how requests are handled": "/c/riverside/exchange/requests/preferences/",
    "pay another community": "/c/riverside/exchange/links/pay/",
}
COORDINATOR_PAGES = {
    "links with other communities": "/c/riverside/exchange/links/",
    "accept a link": "/c/riverside/exchange/links/{waiting_link}/accept/",
}
# {name: (path, {label: value to type}, submit button)}
FAILED_FORMS = {
    "member": {
        "ask for payment": ("/c/riverside/exchange/requests/new/", {"Amount": "lots"}, "Send request"),
        "trust someone": ("/c/riverside/exchange/requests/preferences/", {}, "Add"),
        "pay another community": ("/c/riverside/exchange/links/pay/", {"Amount, in your own currency": "0"}, "Pay"),
    },
    "coordinator": {
        "propose a link": ("/c/riverside/exchange/links/", {"This much of your currency": "an hour"}, "Propose link"),
        "accept a link": ("/c/riverside/exchange/links/{waiting_link}/accept/", {}, "Accept link"),
    },
}


@pytest.mark.parametrize("persona", ["member", "coordinator"])
def test_the_request_and_link_pages_are_accessible(page, live_server, exchange, subtests, persona, request):
    login_as(page, live_server, request.getfixturevalue(persona))
    for name, path in (MEMBER_PAGES if persona == "member" else COORDINATOR_PAGES).items():
        with subtests.test(name):
            page.goto(live_server.url + path.format(**exchange))
            assert_accessible(page)
    for name, (path, typed, button) in FAILED_FORMS[persona].items():
        with subtests.test(f"{name} with errors"):
            page.goto(live_server.url + path.format(**exchange))
            for label, value in typed.items():
                page.get_by_label(label).fill(value)
            page.get_by_role("button", name=button, exact=True).click()
            expect(page.locator(".error-summary")).to_be_visible()
            assert_accessible(page)


def test_a_request_is_made_and_accepted_without_javascript(
    page_without_js: Page, live_server, exchange, member, coordinator
):
    page = page_without_js
    login_as(page, live_server, coordinator)
    page.goto(f"{live_server.url}/c/riverside/exchange/requests/new/")
    page.get_by_label("Who should pay you").select_option(label="Mina")
    page.get_by_label("Currency").select_option(label="Timebank hours")
    page.get_by_label("Amount").fill("2:15")
    page.get_by_label("What is it for").fill("Painting the fence")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("status")).to_contain_text("You asked Mina for 2 h 15 min.")

    page.get_by_role("button", name="Log out").click()
    login_as(page, live_server, member)
    page.goto(f"{live_server.url}/c/riverside/exchange/requests/")
    page.get_by_role("button", name="Accept and pay Cora 2 h 15 min").click()

    expect(page.get_by_role("status")).to_contain_text("You paid Cora 2 h 15 min.")
    painted = PaymentRequest.objects.get(memo="Painting the fence")
    assert painted.status == RequestStatus.ACCEPTED and painted.transfer.amount == 135
