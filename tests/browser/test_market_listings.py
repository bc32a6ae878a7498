"""The offers and requests pages in a real browser (Debian's Chromium through Playwright): axe-core finds nothing
wrong on any of them, with and without errors on their forms, and a member posts an offer with JavaScript off."""

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from ostrom.market.actions import categories as category_actions
from ostrom.market.actions import listings as actions
from ostrom.market.models import Category, Listing, ListingStatus
from ostrom.market.tests import test_listings_actions as listing_fixtures
from tests.browser.conftest import assert_accessible, login_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The listings tests' fixtures, named here for pytest to find.
media = listing_fixtures.media
credits = listing_fixtures.credits


@pytest.fixture
def market(community, member, coordinator, staff, organisation):
    """Riverside's default categories, Mina's gardening offer, a paused request and a draft."""
    category_actions.install_default_categories(community)
    gardening = Category.objects.get(community=community, slug="gardening")
    lifts = Category.objects.get(community=community, slug="lifts")
    offer = actions.create_listing(
        member, kind="offer", title="Help with the garden", description="Weeding, mowing and planting.",
        category=gardening, tags="hedges, weeding", place_name="Mill Lane", availability=["weekends"],
        estimated_minutes=90,
    )  # fmt: skip
    request = actions.create_listing(
        member, kind="request", title="Lift to the clinic", description="On Friday mornings, back by noon.",
        category=lifts, remote_ok=False,
    )  # fmt: skip
    actions.pause_listing(member, request)
    actions.create_listing(
        member, publish=False, kind="offer", title="Draft idea", description="Not ready to show yet.",
        category=gardening,
    )  # fmt: skip
    return {"offer": offer, "gardening": gardening}


def market_url(live_server, community, rest: str) -> str:
    return f"{live_server.url}/c/{community.slug}/market/{rest}"


def test_a_members_pages_are_accessible(page: Page, live_server, community, member, market):
    login_as(page, live_server, member)
    for rest in ("listings/mine/", "listings/new/", f"listings/{market['offer'].pk}/",
                 f"listings/{market['offer'].pk}/edit/", "directory/"):  # fmt: skip
        page.goto(market_url(live_server, community, rest))
        assert_accessible(page)

    page.goto(market_url(live_server, community, "listings/new/"))
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)


def test_a_coordinators_pages_are_accessible(page: Page, live_server, community, coordinator, market):
    login_as(page, live_server, coordinator)
    gardening = market["gardening"]
    for rest in ("listings/on-behalf/", "categories/", f"categories/{gardening.pk}/"):
        page.goto(market_url(live_server, community, rest))
        assert_accessible(page)
    page.goto(market_url(live_server, community, "categories/"))
    page.get_by_role("button", name="Add the category").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)


def test_staff_see_the_price_fields(page: Page, live_server, community, staff, market, credits):
    login_as(page, live_server, staff)
    page.goto(market_url(live_server, community, "listings/new/"))
    expect(page.get_by_label("Price in credits")).to_be_visible()
    assert_accessible(page)


def test_mina_posts_an_offer_with_javascript_off(page_without_js: Page, live_server, community, member, market):
    page = page_without_js
    login_as(page, live_server, member)
    page.goto(market_url(live_server, community, "listings/new/"))
    page.get_by_label("Title").fill("Dog walking")
    page.get_by_label("Description").fill("Happy to walk dogs around the park in the evenings.")
    page.get_by_label("Category").select_option(label="Pet care")
    page.get_by_label("Weekday evenings").check()
    page.get_by_label("Tags").fill("dogs, walks")
    page.get_by_role("button", name="Publish").click()

    expect(page.get_by_role("heading", name="Dog walking")).to_be_visible()
    listing = Listing.objects.get(title="Dog walking")
    assert (listing.status, listing.availability, listing.tags) == (
        ListingStatus.ACTIVE, ["weekday-evenings"], ["dogs", "walks"]
    )  # fmt: skip
    assert listing.expires_at > timezone.now()

    page.get_by_role("button", name="Pause “Dog walking”").click()
    expect(page.get_by_text("“Dog walking” is paused")).to_be_visible()
    assert Listing.objects.get(pk=listing.pk).status == ListingStatus.PAUSED
