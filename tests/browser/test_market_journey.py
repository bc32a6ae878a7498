"""The marketplace's whole journey in a real browser, with JavaScript on and off: Mina asks for help with her
garden, the request page suggests Gwyn (who offers gardening nearby), Mina writes to her, they agree two hours,
Gwyn marks it done, Mina confirms, and the ledger moves two hours once. Otto, from another community, sees none
of it. (Two confirmations racing on PostgreSQL: ostrom/market/tests/test_exchange_concurrency.py.)"""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from ostrom.communities.tests.factories import MemberFactory, UserFactory
from ostrom.ledger import actions as ledger
from ostrom.ledger.models import Account, CurrencyKind, Transfer
from ostrom.market.actions.categories import install_default_categories
from ostrom.market.models import Category, Exchange, ExchangeStatus, Listing, ListingKind, ListingStatus
from tests.browser.conftest import assert_accessible, login_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOUR = 60
RIVERSIDE = (Decimal("51.500"), Decimal("-0.100"))


@pytest.fixture
def hours(community):
    return ledger.create_currency(
        community, code="hours", name="Timebank hours", kind=CurrencyKind.TIME, default_debit_limit=10 * HOUR
    )


@pytest.fixture
def gwyn(community):
    """Gwyn lives round the corner from Mina and offers gardening help."""
    gwyn = MemberFactory(
        community=community, user=UserFactory(full_name="Gwyn Green", email="gwyn@example.org"), display_name="Gwyn",
        skills=["gardening"], latitude=Decimal("51.503"), longitude=Decimal("-0.100"),
    )  # fmt: skip
    install_default_categories(community)
    gardening = Category.objects.get(community=community, name="Gardening")
    Listing.objects.create(
        community=community, member=gwyn, kind=ListingKind.OFFER, status=ListingStatus.ACTIVE, category=gardening,
        title="Gardening help", description="Weeding, pruning and mowing; I bring my own tools.",
        tags=["gardening", "weeding"], latitude=gwyn.latitude, longitude=gwyn.longitude,
        published_at=timezone.now(), search_text="Gardening help weeding pruning mowing gardening weeding Gardening",
    )  # fmt: skip
    return gwyn


def _balance(member, currency) -> int:
    account = Account.objects.filter(member=member, currency=currency).first()
    return account.balance if account else 0


def _journey(mina_page: Page, gwyn_page: Page, live_server, member, gwyn, hours, *, check_accessibility: bool):
    member.latitude, member.longitude = RIVERSIDE
    member.save(update_fields=["latitude", "longitude"])
    base = f"{live_server.url}/c/riverside/market"

    # Mina asks for help.
    login_as(mina_page, live_server, member)
    mina_page.goto(f"{base}/listings/new/")
    mina_page.get_by_label("I am asking").check()
    mina_page.get_by_label("Title").fill("Help with my overgrown garden")
    mina_page.get_by_label("Description").fill("The back garden needs weeding before the spring; a morning's work.")
    mina_page.get_by_label("Category").select_option(label="Gardening")
    mina_page.get_by_label("Tags").fill("gardening, weeding")
    mina_page.get_by_role("button", name="Publish").click()
    request = Listing.objects.get(member=member, kind=ListingKind.REQUEST)
    expect(mina_page).to_have_url(f"{base}/listings/{request.pk}/")

    # The request suggests Gwyn's offer, with why.
    matches = mina_page.get_by_role("region", name="People who could help")
    expect(matches).to_contain_text("Gardening help")
    expect(matches).to_contain_text("Gwyn")
    if check_accessibility:
        assert_accessible(mina_page)
    matches.get_by_role("link", name=re.compile("Gardening help")).click()

    # Mina writes to Gwyn about the offer, then proposes terms.
    mina_page.get_by_label(re.compile("Your message")).fill("Could you help with my garden one morning?")
    mina_page.get_by_role("button", name="Send message").click()
    exchange = Exchange.objects.get(receiver=member, giver=gwyn)
    expect(mina_page).to_have_url(f"{base}/exchanges/{exchange.pk}/")
    mina_page.get_by_label("What", exact=True).fill("Weeding the back garden")
    mina_page.get_by_label("Date", exact=True).fill((timezone.localdate() + timezone.timedelta(days=3)).isoformat())
    mina_page.get_by_label("Time", exact=True).fill("10:00")
    mina_page.get_by_label(re.compile(r"^Hours")).fill("2")
    mina_page.get_by_role("button", name="Send the terms").click()
    if check_accessibility:
        assert_accessible(mina_page)

    # Gwyn accepts, does the work and marks it done.
    login_as(gwyn_page, live_server, gwyn)
    gwyn_page.goto(f"{base}/exchanges/{exchange.pk}/")
    expect(gwyn_page.get_by_text("Could you help with my garden one morning?")).to_be_visible()
    gwyn_page.get_by_role("button", name="Accept these terms").click()
    gwyn_page.get_by_role("button", name="Mark as done").click()

    # Mina confirms: two hours move once, even if she sends the confirmation again.
    mina_page.goto(f"{base}/exchanges/{exchange.pk}/")
    mina_page.get_by_role("button", name=re.compile("Confirm and transfer")).click()
    expect(mina_page.get_by_text("Confirmed", exact=False).first).to_be_visible()
    exchange.refresh_from_db()
    assert exchange.status == ExchangeStatus.CONFIRMED
    assert Transfer.objects.filter(memo__contains="Weeding").count() == 1
    assert (_balance(member, hours), _balance(gwyn, hours)) == (-2 * HOUR, 2 * HOUR)
    mina_page.go_back()
    mina_page.reload()
    assert Transfer.objects.filter(memo__contains="Weeding").count() == 1
    return request, exchange


def test_a_request_becomes_one_confirmed_transfer(page, second_page, live_server, member, gwyn, hours):
    _journey(page, second_page, live_server, member, gwyn, hours, check_accessibility=True)


def test_the_same_journey_works_without_javascript(
    page_without_js, second_page_without_js, live_server, member, gwyn, hours
):
    _journey(page_without_js, second_page_without_js, live_server, member, gwyn, hours, check_accessibility=False)


def test_a_member_of_another_community_sees_none_of_it(page, second_page, live_server, member, gwyn, hours, outsider):
    request, exchange = _journey(page, second_page, live_server, member, gwyn, hours, check_accessibility=False)
    context = page.context
    context.clear_cookies()
    login_as(page, live_server, outsider)
    for address in (f"listings/{request.pk}/", f"exchanges/{exchange.pk}/", "?q=garden"):
        response = page.goto(f"{live_server.url}/c/riverside/market/{address}")
        assert response.status in (403, 404), address
    response = page.goto(f"{live_server.url}/c/hillside/market/?q=garden")
    assert response.status == 200
    expect(page.get_by_text("Help with my overgrown garden")).to_have_count(0)
    expect(page.get_by_text("Gardening help")).to_have_count(0)
