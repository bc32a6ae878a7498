"""notify's pages in a real browser: axe finds nothing wrong with the notification settings (with and without
errors), the phone pages or the coordinator's message log; a member saves her settings with JavaScript off; a
coordinator retries a dead letter."""

from datetime import time

import pytest
from playwright.sync_api import expect

from ostrom.notify.models import Message, NotificationSettings, Preference
from tests.browser.conftest import assert_accessible, login_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SETTINGS = "/c/riverside/settings/notifications/"
LOG = "/c/riverside/manage/messages/"


@pytest.fixture
def outbox_rows(member, coordinator):
    """A delivered email to Mina, a text to her that gave up, and one waiting for Cora."""
    Message.objects.create(
        community=member.community, member=member, channel="email", to_address=member.user.email,
        kind="ledger.payment_received", body="You were paid", status="delivered", attempts=1,
    )  # fmt: skip
    dead = Message.objects.create(
        community=member.community, member=member, channel="sms", to_address="+447700900123",
        kind="ledger.payment_request", body="Pay?", status="dead", attempts=6,
        last_error="The provider said the number is not in service.",
    )  # fmt: skip
    Message.objects.create(
        community=member.community, member=coordinator, channel="email", to_address=coordinator.user.email,
        kind="ledger.payment_received", body="You were paid", status="queued",
    )  # fmt: skip
    return dead


@pytest.mark.parametrize("path", [SETTINGS, "/c/riverside/settings/phone/", "/c/riverside/settings/phone/code/"])
def test_a_members_notification_pages_are_accessible(page, live_server, member, path):
    login_as(page, live_server, member)
    page.goto(f"{live_server.url}{path}")

    assert_accessible(page)


def test_the_settings_form_with_errors_is_accessible(page, live_server, member):
    login_as(page, live_server, member)
    page.goto(f"{live_server.url}{SETTINGS}")
    page.get_by_label("Quiet hours start").fill("25:00")
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".error-summary")).to_contain_text("Enter a time like 21:00 or 9pm.")
    assert_accessible(page)


def test_the_phone_form_with_an_invalid_number_is_accessible(page, live_server, member):
    login_as(page, live_server, member)
    page.goto(f"{live_server.url}/c/riverside/settings/phone/")
    page.get_by_label("Mobile phone number").fill("12345")
    page.get_by_role("button", name="Text me a code").click()

    expect(page.locator(".error-summary")).to_contain_text("Mobile phone number")
    assert_accessible(page)
    assert not Message.objects.exists()


@pytest.mark.parametrize("query", ["", "?status=dead", "?status=bogus"])
def test_the_message_log_is_accessible(page, live_server, coordinator, outbox_rows, query):
    login_as(page, live_server, coordinator)
    page.goto(f"{live_server.url}{LOG}{query}")

    assert_accessible(page)


def test_a_coordinator_retries_a_dead_letter(page, live_server, coordinator, outbox_rows):
    login_as(page, live_server, coordinator)
    page.goto(f"{live_server.url}/c/riverside/")
    page.get_by_role("link", name="Messages", exact=True).click()
    page.get_by_role("link", name="Show the messages that gave up").click()

    page.get_by_role("button", name="Retry").click()

    expect(page.get_by_role("status")).to_contain_text("The message to Mina will be sent again")
    expect(page).to_have_url(f"{live_server.url}{LOG}?status=dead")
    outbox_rows.refresh_from_db()
    assert outbox_rows.status == "queued"


def test_a_member_saves_her_notification_settings_without_javascript(page_without_js, live_server, member):
    page = page_without_js
    login_as(page, live_server, member)
    page.goto(f"{live_server.url}/c/riverside/")
    page.get_by_role("link", name="Notifications").click()

    page.get_by_role("group", name="Someone paid you").get_by_label("Only in my digest").check()
    page.get_by_label("Quiet hours start").fill("9pm")
    page.get_by_label("Quiet hours end").fill("")
    page.get_by_role("group", name="How often should we send you a digest?").get_by_label("Every day").check()
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".error-summary")).to_contain_text("Enter when your quiet hours end")
    expect(page.get_by_role("group", name="Someone paid you").get_by_label("Only in my digest")).to_be_checked()
    assert not Preference.objects.exists(), "nothing is saved while something is wrong"

    page.get_by_label("Quiet hours end").fill("07:30")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_contain_text("Your notification settings are saved.")
    expect(page.get_by_label("Quiet hours start")).to_have_value("21:00")
    assert Preference.objects.get(member=member).channel == "digest"
    row = NotificationSettings.objects.get(member=member)
    assert (row.quiet_from, row.quiet_until, row.digest_frequency) == (time(21, 0), time(7, 30), "daily")
