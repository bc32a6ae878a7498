"""axe-core finds nothing wrong on the marketplace's pages, each seen by the persona who uses it: the search with
results, ads, exchanges, volunteering, events and the coordinators' pages. (Listings' and moderation's forms with
errors: test_market_listings.py and test_market_moderation.py.)"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ostrom.market.actions import exchanges
from ostrom.market.actions.categories import install_default_categories
from ostrom.market.models import Category, ListingKind
from ostrom.market.tests import conftest as market_cast
from ostrom.market.tests import factories_community_life as community_life
from ostrom.market.tests.factories import ListingFactory
from ostrom.market.tests.factories_community_life import VolunteerPledgeFactory
from tests.browser.conftest import assert_accessible, login_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The marketplace's cast, named here for pytest to find.
gardening = market_cast.gardening
minas_offer = market_cast.minas_offer
hours = community_life.hours
garden_role = community_life.garden_role
minas_place = community_life.minas_place
litter_pick = community_life.litter_pick


@pytest.fixture
def market(community, member, coordinator, staff, organisation, minas_offer, hours, minas_place, litter_pick):
    """Riverside's marketplace with something on every page: Cora asks for help with her garden (Mina's offer is
    suggested), Cora and Mina talk terms, Sam's council runs the garden role with Mina in it and a pledge."""
    install_default_categories(community)
    for person in (member, coordinator):
        person.latitude, person.longitude = Decimal("51.500"), Decimal("-0.100")
        person.save(update_fields=["latitude", "longitude"])
    request = ListingFactory(
        community=community, member=coordinator, kind=ListingKind.REQUEST, category=minas_offer.category,
        title="Help with an overgrown garden", tags=["gardening"], latitude=Decimal("51.501"),
        longitude=Decimal("-0.100"),
    )  # fmt: skip
    exchange = exchanges.start(coordinator, minas_offer, "Could you do Saturday morning?").exchange
    exchanges.propose_terms(
        member, exchange, what="Weeding", scheduled_for=timezone.now() + timedelta(days=3), currency=hours, amount=120
    )
    VolunteerPledgeFactory(community=community, employer=organisation, year=timezone.localdate().year)
    return {"request": request, "exchange": exchange, "category": Category.objects.filter(community=community).first()}


def _check(page, live_server, persona, paths: list[str]) -> None:
    login_as(page, live_server, persona)
    for path in paths:
        response = page.goto(f"{live_server.url}/c/riverside/market/{path}")
        assert response.status == 200, path
        assert_accessible(page)


def test_a_members_marketplace_pages_are_accessible(page, live_server, market, member, minas_offer, garden_role):
    _check(page, live_server, member, [
        "", "?q=garden", "?q=garden&sort=newest", "listings/new/", "listings/mine/", f"listings/{minas_offer.pk}/",
        f"listings/{market['request'].pk}/", "exchanges/", f"exchanges/{market['exchange'].pk}/", "volunteering/",
        f"volunteering/roles/{garden_role.pk}/", "events/", "events/new/", "blocked/",
    ])  # fmt: skip


def test_an_organisations_volunteering_pages_are_accessible(
    page, live_server, market, staff, organisation, garden_role
):
    _check(page, live_server, staff, [
        "volunteering/manage/", "volunteering/roles/new/", f"volunteering/roles/{garden_role.pk}/manage/",
        f"volunteering/pledges/{organisation.slug}/",
    ])  # fmt: skip


def test_a_coordinators_marketplace_pages_are_accessible(page, live_server, market, coordinator, litter_pick):
    _check(page, live_server, coordinator, [
        f"listings/{market['request'].pk}/", "listings/on-behalf/", "categories/",
        f"categories/{market['category'].pk}/", "directory/", "exchanges/disputed/", "moderation/",
        f"events/{litter_pick.pk}/",
    ])  # fmt: skip
