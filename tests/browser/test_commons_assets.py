"""axe-core finds nothing wrong on the Commons home, an asset's page and the utilisation page, as Mina sees them;
nor on the coordinators' opening-hours and maintenance pages, including with an error shown; and the opening hours
form works with JavaScript off."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ostrom.commons.models import OpeningWindow
from ostrom.commons.tests.factories import AssetFactory, ItemsFactory
from ostrom.commons.tests.test_assets_actions import book
from tests.browser.conftest import assert_accessible, login_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def commons(community, organisation, coordinator):
    """A kitchen the council owns, with a booking tomorrow and one last week, and a library of drills."""
    kitchen = AssetFactory(
        community=community, name="Fire station kitchen", slug="kitchen", owner=organisation, buffer_minutes=30,
        max_bookings_per_month=4, instructions="Key from the watch manager.",
    )  # fmt: skip
    tomorrow = timezone.localtime(timezone.now() + timedelta(days=1)).replace(hour=12, minute=0, second=0)
    book(kitchen, coordinator, tomorrow)
    book(kitchen, coordinator, tomorrow - timedelta(days=8), status="returned")
    ItemsFactory(community=community, name="Cordless drill", slug="drill")
    return kitchen


def test_the_commons_pages_are_accessible(page, live_server, member, commons):
    login_as(page, live_server, member)

    for path in ("", "?kind=items", "assets/kitchen/", "utilisation/", "utilisation/?asset=kitchen", "calendar/"):
        page.goto(f"{live_server.url}/c/riverside/commons/{path}")
        assert_accessible(page)


def test_the_coordinators_pages_are_accessible_with_errors_shown(page, live_server, coordinator, commons):
    login_as(page, live_server, coordinator)
    base = f"{live_server.url}/c/riverside/commons"

    for path in ("assets/new/", "assets/kitchen/edit/", "assets/kitchen/permits/", "kits/new/", "memberships/"):
        page.goto(f"{base}/{path}")
        assert_accessible(page)
    page.goto(f"{base}/assets/kitchen/hours/")
    page.get_by_label("Tuesday: opens").fill("09:00")
    page.get_by_label("Tuesday: closes").fill("13:00")
    page.get_by_label("Tuesday: second time opens").fill("12:00")
    page.get_by_label("Tuesday: second time closes").fill("17:00")
    page.get_by_role("button", name="Save the opening hours").click()
    assert page.get_by_text("There is a problem").is_visible()
    assert_accessible(page)
    page.goto(f"{base}/assets/kitchen/maintenance/")
    page.get_by_role("button", name="Add the maintenance").click()
    assert_accessible(page)


def test_opening_hours_are_saved_without_javascript(page_without_js, live_server, coordinator, commons):
    page = page_without_js
    login_as(page, live_server, coordinator)
    page.goto(f"{live_server.url}/c/riverside/commons/assets/kitchen/hours/")
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        page.get_by_label(f"{day}: opens").fill("")
        page.get_by_label(f"{day}: closes").fill("")
    page.get_by_label("Friday: opens").fill("17:00")
    page.get_by_label("Friday: closes").fill("22:00")

    page.get_by_role("button", name="Save the opening hours").click()

    page.wait_for_url(f"{live_server.url}/c/riverside/commons/assets/kitchen/")
    assert list(OpeningWindow.objects.filter(asset=commons).values_list("weekday", "start_minute", "end_minute")) == [
        (4, 17 * 60, 22 * 60)
    ]
