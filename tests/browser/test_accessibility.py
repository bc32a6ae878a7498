"""axe-core finds nothing wrong on any page, seen by the persona who can see it, with and without errors on its
forms; every page has one h1 and a skip link to the main content, and a failed form starts with a summary of
what went wrong."""

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import Page, expect

from ostrom.communities import actions, domain
from ostrom.communities.tests.factories import MemberFactory, UserFactory, make_token
from tests.browser.conftest import assert_accessible, login_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def neighbourhood(community, other_community, member, coordinator, admin_member, staff, organisation, outsider):
    """Riverside with something on every page: a filled-in profile, a request waiting for approval, a suspension
    in the audit log, an invitation and an API token."""
    actions.update_profile(
        member.user,
        member,
        bio="Retired teacher. Happy to help with gardens.",
        interests=["reading"],
        languages=["English", "Polish"],
        availability=[domain.Availability.choices[0][0]],
        postcode_district="LS6",
        share_location=True,
    )
    pending = MemberFactory(
        community=community,
        status=domain.Status.PENDING,
        approved_at=None,
        user=UserFactory(full_name="Pat Pending", email="pat@example.org"),
        display_name="Pat",
    )
    suspended = MemberFactory(community=community, display_name="Sid", skills=["plumbing"])
    actions.suspend_member(coordinator, suspended, "Did not turn up three times.")
    actions.create_invitation(coordinator, email="new@example.org", note="Met at the Tuesday drop-in")
    make_token(member, "Spreadsheet sync")
    return {
        "member": member.pk,
        "staff": staff.pk,
        "coordinator": coordinator.pk,
        "pending": pending.pk,
        "suspended": suspended.pk,
        "organisation": organisation.slug,
        "people": {
            "member": member,
            "coordinator": coordinator,
            "admin_member": admin_member,
            "staff": staff,
            "outsider": outsider,
            "pending_member": pending,
        },
    }


def visit(page: Page, live_server, path: str, neighbourhood: dict) -> None:
    page.goto(live_server.url + path.format(**neighbourhood))


# Every page, grouped by the persona who can see it; one login per persona keeps the suite quick, and each
# page is its own subtest so one run reports every page that fails.
PAGES = {
    "anonymous": {
        "home": "/",
        "login": "/login/",
        "password reset": "/password-reset/",
        "password reset sent": "/password-reset/sent/",
        "password reset with a used link": "/reset/MQ/set-password/",
        "password reset complete": "/reset/done/",
        "community list": "/communities/",
        "community public page": "/c/riverside/",
        "join": "/c/riverside/join/",
        "invitation that cannot be used": "/c/riverside/invitations/not-a-real-token/",
        "page not found": "/c/nowhere/",
    },
    "member": {
        "home takes them to their community": "/",
        "community home": "/c/riverside/",
        "community list": "/communities/",
        "directory": "/c/riverside/members/",
        "directory with search results": "/c/riverside/members/?q=gardening",
        "directory without search results": "/c/riverside/members/?q=zither",
        "member profile": "/c/riverside/members/{staff}/",
        "own profile": "/c/riverside/members/{member}/",
        "profile edit": "/c/riverside/profile/",
        "leave": "/c/riverside/leave/",
        "organisation list": "/c/riverside/organisations/",
        "organisation": "/c/riverside/organisations/{organisation}/",
        "account": "/account/",
        "tokens": "/account/tokens/",
        "erase": "/account/erase/",
        "password change": "/account/password/",
        "password change done": "/account/password/done/",
        "forbidden": "/c/riverside/manage/members/",
        "page not found": "/c/riverside/members/999999/",
    },
    "coordinator": {
        "community home": "/c/riverside/",
        "member profile": "/c/riverside/members/{member}/",
        "new organisation": "/c/riverside/organisations/new/",
        "organisation edit": "/c/riverside/organisations/{organisation}/edit/",
        "manage members": "/c/riverside/manage/members/",
        "manage members waiting for approval": "/c/riverside/manage/members/?status=pending",
        "manage an active member": "/c/riverside/manage/members/{member}/",
        "manage a request to join": "/c/riverside/manage/members/{pending}/",
        "manage a suspended member": "/c/riverside/manage/members/{suspended}/",
        "manage member profile": "/c/riverside/manage/members/{member}/profile/",
        "invitations": "/c/riverside/manage/invitations/",
        "assisted sign-up": "/c/riverside/manage/assisted-sign-up/",
        "audit log": "/c/riverside/manage/audit/",
    },
    "staff": {
        "community home": "/c/riverside/",
        "organisation edit": "/c/riverside/organisations/{organisation}/edit/",
    },
    "admin_member": {
        "manage a coordinator": "/c/riverside/manage/members/{coordinator}/",
    },
    "outsider": {
        "another community's public page": "/c/riverside/",
    },
    "pending_member": {
        "home lists their requests to join": "/",
        "community public page while waiting": "/c/riverside/",
    },
}


@pytest.mark.parametrize("persona", PAGES)
def test_every_page_is_accessible_to_the_persona_who_sees_it(page, live_server, neighbourhood, subtests, persona):
    if persona != "anonymous":
        login_as(page, live_server, neighbourhood["people"][persona])
    for name, path in PAGES[persona].items():
        with subtests.test(name):
            visit(page, live_server, path, neighbourhood)
            assert_accessible(page)


def test_an_invitation_page_is_accessible(page, live_server, neighbourhood):
    coordinator = neighbourhood["people"]["coordinator"]
    _, secret = actions.create_invitation(
        coordinator, role=domain.Role.STAFF, organisation=coordinator.community.organisations.first()
    )
    visit(page, live_server, f"/c/riverside/invitations/{secret}/", neighbourhood)
    expect(page.get_by_text("You have been invited")).to_be_visible()
    assert_accessible(page)


def test_a_password_reset_link_page_is_accessible(page, live_server, neighbourhood):
    user = neighbourhood["people"]["member"].user
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    visit(page, live_server, f"/reset/{uid}/{default_token_generator.make_token(user)}/", neighbourhood)
    expect(page.get_by_label("New password", exact=True)).to_be_visible()
    assert_accessible(page)


# Forms that fail, by persona: each must show the error summary first, linked to the fields, and stay
# accessible. {name: (path, {label: value to type}, submit button)}
FAILED_FORMS = {
    "anonymous": {
        "join": ("/c/riverside/join/", {"Your full name": "Nia"}, "Create my account and join"),
        "login": ("/login/", {"Email address or phone number": "mina@example.org", "Password": "wrong"}, "Log in"),
        "password reset": ("/password-reset/", {"Email": "not an address"}, "Send the link"),
    },
    "member": {
        "profile edit": ("/c/riverside/profile/", {"Name other members see": ""}, "Save profile"),
        "erase": ("/account/erase/", {"Type ERASE to confirm": "no"}, "Erase my data"),
        "tokens": ("/account/tokens/", {}, "Create token"),
        "password change": ("/account/password/", {"Old password": "wrong"}, "Save password"),
    },
    "admin_member": {
        "leave as the last administrator": ("/c/riverside/leave/", {}, "Leave Riverside Timebank"),
    },
    "coordinator": {
        "new organisation": ("/c/riverside/organisations/new/", {"Website": "not a site"}, "Save"),
        "manage member profile": ("/c/riverside/manage/members/{member}/profile/", {}, "Save profile"),
        "suspend without a reason": ("/c/riverside/manage/members/{member}/", {}, "Suspend"),
        "invitation": (
            "/c/riverside/manage/invitations/",
            {"Days the link stays valid": "400"},
            "Create invitation link",
        ),
        "assisted sign-up": ("/c/riverside/manage/assisted-sign-up/", {"Phone number": "12"}, "Register"),
    },
}


def assert_error_summary_first(page: Page) -> None:
    """The summary is the first thing in the failed form (or the page's content), says what is wrong, and
    each of its links leads to a field that exists."""
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    top = summary.bounding_box()["y"]
    for field in page.locator("main form input:visible, main form select:visible, main form textarea:visible").all():
        assert field.bounding_box()["y"] > top, "a form field appears above the error summary"
    for link in summary.get_by_role("link").all():
        target = link.get_attribute("href")
        assert page.locator(target).count() == 1, f"the error summary links to {target}, which is not on the page"


@pytest.mark.parametrize("persona", FAILED_FORMS)
def test_a_failed_form_starts_with_an_error_summary_and_is_accessible(
    page, live_server, neighbourhood, subtests, persona
):
    if persona != "anonymous":
        login_as(page, live_server, neighbourhood["people"][persona])
    for name, (path, typed, button) in FAILED_FORMS[persona].items():
        with subtests.test(name):
            visit(page, live_server, path, neighbourhood)
            for label, value in typed.items():
                page.get_by_label(label).fill(value)
            page.get_by_role("button", name=button, exact=True).click()
            assert_error_summary_first(page)
            expect(page.locator(".error-summary")).to_be_focused()
            assert_accessible(page)


def test_the_error_summary_links_move_focus_to_the_field(page, live_server, neighbourhood):
    visit(page, live_server, "/c/riverside/join/", neighbourhood)
    page.get_by_role("button", name="Create my account and join").click()
    page.locator(".error-summary").get_by_role("link", name="Your full name: Enter your full name.").click()
    expect(page.get_by_label("Your full name")).to_be_focused()


def test_a_new_invitation_link_is_shown_accessibly(page, live_server, neighbourhood):
    login_as(page, live_server, neighbourhood["people"]["coordinator"])
    visit(page, live_server, "/c/riverside/manage/invitations/", neighbourhood)
    page.get_by_role("button", name="Create invitation link").click()
    expect(page.get_by_role("heading", name="Your invitation link")).to_be_visible()
    assert_accessible(page)


def test_a_new_token_is_shown_accessibly(page, live_server, neighbourhood):
    login_as(page, live_server, neighbourhood["people"]["member"])
    visit(page, live_server, "/account/tokens/", neighbourhood)
    page.get_by_label("Name", exact=True).fill("Garden rota sync")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("heading", name="Your new token")).to_be_visible()
    assert_accessible(page)


def test_a_password_link_for_a_member_is_shown_accessibly(page, live_server, neighbourhood):
    login_as(page, live_server, neighbourhood["people"]["coordinator"])
    visit(page, live_server, "/c/riverside/manage/members/{member}/", neighbourhood)
    help_section = page.locator("form", has=page.get_by_role("button", name="Make a password link"))
    help_section.get_by_label("Reason").fill("Lost her phone and has no email")
    page.get_by_role("button", name="Make a password link").click()
    expect(page.get_by_text("Give this one-time link")).to_be_visible()
    assert_accessible(page)


def test_the_skip_link_is_the_first_stop_and_moves_focus_to_the_main_content(page, live_server, neighbourhood):
    login_as(page, live_server, neighbourhood["people"]["member"])
    visit(page, live_server, "/c/riverside/members/", neighbourhood)
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    box = skip_link.bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0, "the skip link must be visible on screen when it has focus"
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Search by name, skill, interest or area")).to_be_focused()
