"""Booking in a real browser, with JavaScript on and off: Mina books the community kitchen on the booking form, sees
it with its instructions and in her bookings; Cora runs the desk and hands it over. axe checks each page."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from ostrom.commons.actions import bookings as actions
from ostrom.commons.models import Booking, BookingStatus
from ostrom.commons.tests.factories import AssetFactory
from tests.browser.conftest import assert_accessible, login_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALL_DAY = [(day, 0, 24 * 60) for day in range(7)]


@pytest.fixture
def kitchen(community):
    return AssetFactory(
        community=community, name="Community kitchen", slug="community-kitchen", opening=ALL_DAY,
        instructions="The key is in the key safe by the side door; the code is 2468.",
    )  # fmt: skip


def tomorrow():
    return (timezone.now().astimezone(ZoneInfo("Europe/London")) + timedelta(days=1)).date()


def _book(page, live_server, member, *, check_accessibility):
    base = f"{live_server.url}/c/riverside/commons"
    login_as(page, live_server, member)
    page.goto(f"{base}/assets/community-kitchen/book/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Book Community kitchen")
    if check_accessibility:
        assert_accessible(page)
    page.get_by_label("Day", exact=True).fill(tomorrow().isoformat())
    page.get_by_label("From").fill("10:00")
    page.get_by_label("Until", exact=True).fill("12:00")
    page.get_by_label("What it is for").fill("Soup for the food bank")
    page.get_by_role("button", name="Book").click()
    booking = Booking.objects.get(member=member)
    expect(page).to_have_url(f"{base}/bookings/{booking.pk}/")
    expect(page.get_by_text("The key is in the key safe")).to_be_visible()
    if check_accessibility:
        assert_accessible(page)
    page.goto(f"{base}/bookings/")
    expect(page.get_by_role("link", name="Community kitchen")).to_be_visible()
    if check_accessibility:
        assert_accessible(page)
    return booking


def test_mina_books_the_kitchen_and_the_pages_are_accessible(page, live_server, member, kitchen):
    booking = _book(page, live_server, member, check_accessibility=True)

    assert booking.purpose == "Soup for the food bank" and booking.status == BookingStatus.CONFIRMED


def test_booking_works_without_javascript(page_without_js, live_server, member, kitchen):
    booking = _book(page_without_js, live_server, member, check_accessibility=False)

    page_without_js.get_by_role("button", name="Cancel").click()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_cora_hands_the_kitchen_over_at_the_desk(page, live_server, member, coordinator, kitchen):
    # A fixed morning (ticking, and in the future so the browser keeps the session cookie): "pickups still to come
    # today" must not depend on the hour the suite runs; ten minutes before midnight the pickup would be tomorrow's.
    morning = datetime.combine(tomorrow(), time(10), tzinfo=ZoneInfo("Europe/London"))
    with time_machine.travel(morning, tick=True):
        start = timezone.now() + timedelta(minutes=10)
        booking = actions.book(member, kitchen, start, start + timedelta(hours=2))
        login_as(page, live_server, coordinator)

        page.goto(f"{live_server.url}/c/riverside/commons/desk/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("The desk")
        assert_accessible(page)
        page.get_by_role("button", name="Check out").first.click()

        expect(page.get_by_text("Checked out: handed over.")).to_be_visible()
        booking.refresh_from_db()
        assert booking.status == BookingStatus.OUT
        assert_accessible(page)
