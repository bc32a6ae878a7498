"""Progressive enhancement both ways: with JavaScript off, people join, log in and search; with it on, htmx
makes the directory search update as you type, without reloading the page."""

import re

import pytest
from playwright.sync_api import expect

from ostrom.communities.domain import Status
from ostrom.communities.models import Member
from ostrom.communities.tests.factories import PASSWORD
from tests.browser.conftest import login_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_joins_an_open_community_without_javascript(page_without_js, live_server, community):
    page = page_without_js
    page.goto(f"{live_server.url}/c/riverside/")
    page.get_by_role("link", name="Join Riverside Timebank").click()

    page.get_by_label("Your full name").fill("Nia Newcomer")
    page.get_by_label("Email address").fill("nia@example.org")
    page.get_by_label("Choose a password").fill("short")
    page.get_by_role("button", name="Create my account and join").click()
    expect(page.locator(".error-summary")).to_contain_text("This password is too short")

    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account and join").click()

    expect(page).to_have_url(f"{live_server.url}/c/riverside/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Riverside Timebank")
    expect(page.get_by_role("status")).to_contain_text("Welcome to Riverside Timebank!")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert Member.objects.get(community=community, user__email="nia@example.org").status == Status.ACTIVE


def test_a_member_logs_in_by_email_without_javascript(page_without_js, live_server, member):
    login_as(page_without_js, live_server, member)
    expect(page_without_js).to_have_url(f"{live_server.url}/c/riverside/")
    expect(page_without_js.get_by_text("Welcome, Mina.")).to_be_visible()


def test_a_member_logs_in_by_phone_number_without_javascript(page_without_js, live_server, member):
    member.user.phone = "+447700900123"
    member.user.save(update_fields=["phone"])
    login_as(page_without_js, live_server, member, identifier="07700 900123")
    expect(page_without_js).to_have_url(f"{live_server.url}/c/riverside/")
    expect(page_without_js.get_by_text("Welcome, Mina.")).to_be_visible()


def test_a_failed_login_shows_the_error_summary_without_javascript(page_without_js, live_server, member):
    page = page_without_js
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email address or phone number").fill("mina@example.org")
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Log in").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("do not match an account")
    first_field = page.get_by_label("Email address or phone number")
    assert summary.bounding_box()["y"] < first_field.bounding_box()["y"], "the error summary must come first"
    expect(first_field).to_have_value("mina@example.org")
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)


def test_the_directory_search_works_without_javascript(page_without_js, live_server, member, coordinator):
    page = page_without_js
    login_as(page, live_server, member)
    page.goto(f"{live_server.url}/c/riverside/members/")
    page.get_by_label("Search by name, skill, interest or area").fill("gardening")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"\?q=gardening"))
    results = page.locator("#results")
    expect(results).to_contain_text("1 member matching “gardening”")
    expect(results.get_by_role("link", name="Mina")).to_be_visible()
    expect(results.get_by_role("link", name="Cora")).to_have_count(0)


def test_the_directory_search_updates_the_results_as_you_type_with_javascript(
    page, live_server, member, coordinator, staff
):
    login_as(page, live_server, member)
    page.goto(f"{live_server.url}/c/riverside/members/")
    results = page.locator("#results")
    expect(results).to_contain_text("3 members")
    # A full page load would forget this; an htmx swap keeps it.
    page.evaluate("window.stillTheSamePage = true")

    with page.expect_response(lambda response: "q=garden" in response.url) as searched:
        page.get_by_label("Search by name, skill, interest or area").fill("garden")
    assert searched.value.request.headers.get("hx-request") == "true"

    expect(results).to_contain_text("1 member matching “garden”")
    # Only this short sentence is announced to screen readers, not every card in the results.
    expect(page.locator("#results-status")).to_have_text("1 member matching “garden”.")
    expect(results.get_by_role("link", name="Mina")).to_be_visible()
    expect(results.get_by_role("link", name="Cora")).to_have_count(0)
    assert page.evaluate("window.stillTheSamePage") is True
    expect(page).to_have_url(re.compile(r"\?q=garden"))
