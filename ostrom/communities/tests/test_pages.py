"""The people pages through Django's test client: plain HTML forms, so everything here works with JavaScript off."""

import json
import re
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from ostrom.communities import actions
from ostrom.communities.domain import JoinPolicy, Role, Status
from ostrom.communities.models import AuditEntry, Invitation, Member, Organisation, User
from ostrom.communities.tests.factories import PASSWORD, MemberFactory, UserFactory

NEW_PASSWORD = "plum orchard lantern"
PROBLEM = "There is a problem"


@pytest.fixture(autouse=True)
def fresh_cache(db):
    # Login failures are counted in the database cache, which outlives a test's transaction.
    cache.clear()
    yield
    cache.clear()


class FormReader(HTMLParser):
    """Reads the forms on a page the way a browser without JavaScript would submit them."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "method": attrs.get("method", "get"), "fields": {}})
        elif not self.forms:
            return
        elif tag == "input" and attrs.get("name"):
            if attrs.get("type") in {"checkbox", "radio"} and "checked" not in attrs:
                return
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value") or ""
        elif tag in {"textarea", "select"} and attrs.get("name"):
            self.forms[-1]["fields"].setdefault(attrs["name"], "")
            self._select = attrs["name"] if tag == "select" else None
        elif tag == "option" and self._select and "selected" in attrs:
            self.forms[-1]["fields"][self._select] = attrs.get("value", "")


def submit(client: Client, url: str, values: dict, form_index: int = -1, follow: bool = False):
    """Fill in the form on the page at ``url`` (the last one unless told) and post it, as a browser would."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    reader = FormReader()
    reader.feed(page.content.decode())
    form = [f for f in reader.forms if f["method"].lower() == "post"][form_index]
    unknown = set(values) - set(form["fields"])
    assert not unknown, f"the page's form has no fields {unknown}"
    return client.post(form["action"] or url, form["fields"] | values, follow=follow)


@pytest.fixture
def browser():
    """A client that checks CSRF tokens like a real browser session does."""
    return Client(enforce_csrf_checks=True)


def logged_in(client, persona):
    client.force_login(persona.user)
    return client


def assert_problem(response, *messages):
    assert response.status_code == 400, response.status_code
    content = response.content.decode()
    assert PROBLEM in content
    for message in messages:
        assert message in content, message


def row_counts():
    return (User.objects.count(), Member.objects.count(), Invitation.objects.count(), Organisation.objects.count())


# Joining with JavaScript off


def test_a_newcomer_joins_an_open_community_by_submitting_the_plain_form(browser, community):
    response = submit(
        browser,
        "/c/riverside/join/",
        {"full_name": "Nell Newcomer", "email": "nell@example.org", "password": NEW_PASSWORD},
        follow=True,
    )

    assert response.redirect_chain[-1] == ("/c/riverside/", 302)
    assert response.context["user"].email == "nell@example.org"
    assert "Welcome to Riverside Timebank!" in response.content.decode()
    member = Member.objects.get(user__email="nell@example.org")
    assert (member.community, member.status) == (community, Status.ACTIVE)


def test_a_newcomer_to_a_community_that_approves_members_is_told_to_wait(browser, community):
    community.join_policy = JoinPolicy.APPROVAL
    community.save()

    response = submit(
        browser, "/c/riverside/join/", {"full_name": "Nell", "phone": "07911 123456", "password": NEW_PASSWORD}
    )

    assert response.status_code == 302
    assert Member.objects.get(user__phone="+447911123456").status == Status.PENDING
    page = browser.get("/c/riverside/")
    assert "waiting for a coordinator" in page.content.decode()
    assert browser.get("/c/riverside/members/").status_code == 403


def test_an_invitation_link_lets_someone_join_as_staff_without_waiting(browser, community, coordinator, organisation):
    community.join_policy = JoinPolicy.INVITATION
    community.save()
    invitation, secret = actions.create_invitation(coordinator, role=Role.STAFF, organisation=organisation)
    link = f"/c/riverside/invitations/{secret}/"
    assert (
        "You have been invited to join as organisation staff of Riverside Council" in browser.get(link).content.decode()
    )

    response = submit(browser, link, {"full_name": "Nia New", "email": "nia@example.org", "password": NEW_PASSWORD})

    assert response.status_code == 302
    member = Member.objects.get(user__email="nia@example.org")
    assert (member.role, member.organisation, member.status) == (Role.STAFF, organisation, Status.ACTIVE)
    assert Invitation.objects.get(pk=invitation.pk).use_count == 1
    second = Client().get(link)
    assert second.status_code == 410
    assert "already been used" in second.content.decode()


def test_someone_with_an_account_joins_another_community_with_one_click(browser, outsider, community):
    logged_in(browser, outsider)

    response = submit(browser, "/c/riverside/join/", {})

    assert response.status_code == 302
    assert Member.objects.get(user=outsider.user, community=community).is_active


# Logging in


@pytest.mark.parametrize("identifier", ["mina@example.org", "  MINA@Example.org "])
def test_a_member_logs_in_with_their_email_in_any_case(browser, member, identifier):
    response = submit(browser, "/login/", {"username": identifier, "password": PASSWORD}, follow=True)

    assert response.context["user"] == member.user
    assert response.redirect_chain[-1][0] == "/c/riverside/"


@pytest.mark.parametrize("spelling", ["07911 123456", "07911123456", "+44 7911 123456", "0044 (0)7911-123-456"])
def test_a_member_logs_in_with_their_phone_number_however_they_type_it(browser, community, spelling):
    phone_user = UserFactory(email=None, phone="+447911123456")
    MemberFactory(community=community, user=phone_user)

    response = submit(browser, "/login/", {"username": spelling, "password": PASSWORD}, follow=True)

    assert response.context["user"] == phone_user


def test_logging_in_never_sends_someone_to_another_site(client, member):
    response = client.post(
        "/login/", {"username": "mina@example.org", "password": PASSWORD, "next": "https://evil.example/"}
    )

    assert (response.status_code, response.url) == (302, "/")


def test_logging_in_returns_to_the_page_asked_for(client, member):
    asked = client.get("/c/riverside/members/")

    response = client.post(asked.url, {"username": "mina@example.org", "password": PASSWORD})

    assert response.url == "/c/riverside/members/"


def test_a_form_posted_without_its_csrf_token_is_refused(browser, member):
    response = browser.post("/login/", {"username": "mina@example.org", "password": PASSWORD})

    assert response.status_code == 403
    assert "_auth_user_id" not in browser.session


def test_a_wrong_password_is_refused_with_a_message(browser, member):
    response = submit(browser, "/login/", {"username": "mina@example.org", "password": "not my password"})

    assert_problem(response, "do not match an account")
    assert "_auth_user_id" not in browser.session


def fail_login(client, identifier):
    response = client.post("/login/", {"username": identifier, "password": "wrong guess"})
    assert response.status_code == 400


def test_after_too_many_failures_even_the_right_password_is_refused(client, member, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        fail_login(client, "mina@example.org")

    response = client.post("/login/", {"username": "mina@example.org", "password": PASSWORD})

    assert_problem(response, "Too many failed attempts")
    assert "_auth_user_id" not in client.session


def test_respelling_a_phone_number_does_not_buy_more_login_attempts(client, community, settings):
    settings.LOGIN_MAX_FAILURES = 3
    UserFactory(email=None, phone="+447911123456")
    for spelling in ["07911 123456", "+447911123456", "0044 7911 123 456"]:
        fail_login(client, spelling)

    response = client.post("/login/", {"username": "07911123456", "password": PASSWORD})

    assert_problem(response, "Too many failed attempts")


def test_behind_a_proxy_each_caller_is_counted_by_the_address_the_proxy_saw(client, member, settings):
    settings.BEHIND_PROXY = True
    settings.LOGIN_MAX_FAILURES = 1  # so five failures lock one address
    for n in range(5):
        response = client.post(
            "/login/", {"username": f"guess{n}@example.org", "password": "x"}, HTTP_X_FORWARDED_FOR="203.0.113.9"
        )
        assert response.status_code == 400

    from_neighbour = client.post(
        "/login/",
        {"username": "mina@example.org", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7",  # the client's claim first, the proxy's view last
    )
    from_locked_address = client.post(
        "/login/", {"username": "mina@example.org", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="203.0.113.9"
    )

    assert from_neighbour.status_code == 302
    assert_problem(from_locked_address, "Too many failed attempts")


def test_a_locked_login_opens_again_after_the_lockout_period(client, member, settings, time_machine):
    settings.LOGIN_MAX_FAILURES = 3
    settings.LOGIN_LOCKOUT_SECONDS = 900
    time_machine.move_to(timezone.now(), tick=False)
    for _ in range(3):
        fail_login(client, "mina@example.org")

    time_machine.shift(600)
    assert_problem(client.post("/login/", {"username": "mina@example.org", "password": PASSWORD}), "Too many")

    time_machine.shift(901)
    response = client.post("/login/", {"username": "mina@example.org", "password": PASSWORD})
    assert response.status_code == 302


def test_a_successful_login_forgets_earlier_failures(client, member, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(2):
        fail_login(client, "mina@example.org")
    assert client.post("/login/", {"username": "mina@example.org", "password": PASSWORD}).status_code == 302
    client.logout()

    for _ in range(2):
        fail_login(client, "mina@example.org")

    assert client.post("/login/", {"username": "mina@example.org", "password": PASSWORD}).status_code == 302


def test_an_erased_account_cannot_log_in(client, member):
    actions.erase_user(member.user)

    fail_login(client, "mina@example.org")


# Bad input: a 400 with the error summary and the field's message, and nothing written

# A well-formed address longer than the 254 characters the column holds (PostgreSQL would refuse to store it).
LONG_EMAIL = "a" * 64 + "@" + ".".join(["b" * 63, "c" * 63, "d" * 63, "org"])
SIGN_UP = {"full_name": "Nell Newcomer", "email": "nell@example.org", "phone": "", "password": NEW_PASSWORD}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"full_name": "", "email": "", "password": ""}, "Enter your full name."),
        ({"full_name": "N" * 151}, "Ensure this value has at most 150 characters (it has 151)."),
        ({"email": "", "phone": ""}, "Enter an email address or a phone number."),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"phone": "0791 12"}, "That phone number is not valid."),
        ({"email": "MINA@example.org"}, "An account with this email address already exists."),
        ({"email": LONG_EMAIL}, "Ensure this value has at most 254 characters (it has 260)."),
        ({"password": "short"}, "This password is too short."),
    ],
)
def test_bad_sign_up_details_are_refused_and_nothing_is_written(client, community, member, changes, message):
    before = row_counts()

    response = client.post("/c/riverside/join/", SIGN_UP | changes)

    assert_problem(response, message)
    assert row_counts() == before
    assert "_auth_user_id" not in client.session


def test_joining_an_invitation_only_community_without_a_link_is_refused(client, community):
    community.join_policy = JoinPolicy.INVITATION
    community.save()
    before = row_counts()

    response = client.post("/c/riverside/join/", SIGN_UP)

    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert "by invitation only" in response.content.decode()
    assert row_counts() == before


PROFILE = {"display_name": "Mina", "listed_in_directory": "on", "share_location": "on"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"display_name": ""}, "Enter the name other members will see."),
        ({"display_name": "M" * 81}, "Ensure this value has at most 80 characters"),
        ({"postcode_district": "LS6 1AB"}, "Enter only the first part of the postcode"),
        ({"postcode_district": "6LS"}, "Enter a postcode district like LS6"),
        ({"latitude": "53.8"}, "Enter both latitude and longitude, or neither."),
        ({"skills": ", ".join(f"skill {n}" for n in range(21))}, "Choose at most 20."),
        ({"availability": "at midnight"}, "Select a valid choice."),
    ],
)
def test_bad_profile_details_are_refused_and_the_profile_is_unchanged(client, member, changes, message):
    logged_in(client, member)

    response = client.post("/c/riverside/profile/", PROFILE | {"bio": "Half a change"} | changes)

    assert_problem(response, message)
    member = Member.objects.get(pk=member.pk)
    assert (member.display_name, member.bio, member.postcode_district) == ("Mina", "", "")


def test_a_coordinator_editing_a_profile_must_give_a_reason(client, coordinator, member):
    logged_in(client, coordinator)

    response = client.post(f"/c/riverside/manage/members/{member.pk}/profile/", PROFILE | {"bio": "Changed"})

    assert_problem(response, "Say why you are changing this profile.")
    assert Member.objects.get(pk=member.pk).bio == ""
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("confirmation", ["", "erase me", "DELETE"])
def test_erasure_needs_the_word_erase_and_nothing_happens_without_it(client, member, confirmation):
    logged_in(client, member)

    response = client.post("/account/erase/", {"confirm": confirmation})

    assert response.status_code == 400
    assert PROBLEM in response.content.decode()
    user = User.objects.get(pk=member.user.pk)
    assert (user.erased_at, user.email) == (None, "mina@example.org")


def test_the_last_administrator_is_told_why_they_cannot_erase_their_account(client, admin_member):
    logged_in(client, admin_member)

    response = client.post("/account/erase/", {"confirm": "ERASE"})

    assert_problem(response, "Appoint another administrator of Riverside Timebank first.")
    assert User.objects.get(pk=admin_member.user.pk).erased_at is None


def test_erasing_your_account_logs_you_out_and_anonymises_you(client, member):
    logged_in(client, member)

    response = client.post("/account/erase/", {"confirm": "erase"}, follow=True)

    assert response.redirect_chain[0] == ("/", 302)
    assert not response.context["user"].is_authenticated
    assert User.objects.get(pk=member.user.pk).erased_at is not None


def test_a_coordinator_cannot_invite_a_coordinator_through_the_form(client, coordinator):
    logged_in(client, coordinator)

    response = client.post("/c/riverside/manage/invitations/", {"role": "coordinator", "valid_days": 14, "max_uses": 1})

    assert_problem(response, "Select a valid choice. coordinator is not one of the available choices.")
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"valid_days": 0}, "Ensure this value is greater than or equal to 1."),
        ({"max_uses": 501}, "Ensure this value is less than or equal to 500."),
        ({"role": "staff"}, "Choose the organisation the new staff member works for."),
        ({"email": "nobody"}, "Enter a valid email address."),
        ({"note": "n" * 201}, "Ensure this value has at most 200 characters"),
        ({"email": LONG_EMAIL}, "Ensure this value has at most 254 characters"),
    ],
)
def test_bad_invitation_details_are_refused(client, coordinator, changes, message):
    logged_in(client, coordinator)

    response = client.post(
        "/c/riverside/manage/invitations/", {"role": "member", "valid_days": 14, "max_uses": 1} | changes
    )

    assert_problem(response, message)
    assert not Invitation.objects.exists()


def test_a_coordinator_makes_an_invitation_link_that_works(client, coordinator):
    logged_in(client, coordinator)

    response = client.post("/c/riverside/manage/invitations/", {"role": "member", "valid_days": 14, "max_uses": 1})

    assert response.status_code == 200
    link = re.search(r"http://testserver(/c/riverside/invitations/[^/]+/)", response.content.decode()).group(1)
    assert Client().get(link).status_code == 200


ASSISTED = {
    "full_name": "Phyllis Phone",
    "phone": "07911 123456",
    "consent_given": "on",
    "consent_note": "At the Tuesday drop-in",
}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"consent_given": ""}, "Confirm that the person agreed to be registered."),
        ({"consent_note": ""}, "Enter how they agreed."),
        ({"phone": "12345"}, "That phone number is not valid."),
        ({"phone": "+44 7911 123 999"}, "An account with this phone number already exists."),
        ({"full_name": ""}, "Enter their full name."),
        ({"postcode_district": "LS6 1AB"}, "Enter only the first part of the postcode"),
        ({"email": LONG_EMAIL}, "Ensure this value has at most 254 characters (it has 260)."),
    ],
)
def test_bad_assisted_sign_up_details_are_refused_and_nothing_is_written(client, coordinator, changes, message):
    UserFactory(email=None, phone="+447911123999")
    logged_in(client, coordinator)
    before = row_counts()

    response = client.post("/c/riverside/manage/assisted-sign-up/", ASSISTED | changes)

    assert_problem(response, message)
    assert row_counts() == before


def test_a_coordinator_registers_a_resident_who_has_only_a_phone(client, coordinator):
    logged_in(client, coordinator)

    response = client.post("/c/riverside/manage/assisted-sign-up/", ASSISTED, follow=True)

    member = Member.objects.get(user__phone="+447911123456")
    assert response.redirect_chain[-1] == (f"/c/riverside/manage/members/{member.pk}/", 302)
    assert member.registered_by == coordinator
    assert "At the Tuesday drop-in" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "suspend", "reason": ""}, "Say why you are suspending this member."),
        ({"action": "approve"}, "This member is active."),
        ({"action": "vanish"}, "Select a valid choice."),
    ],
)
def test_a_bad_membership_change_is_refused(client, coordinator, member, data, message):
    logged_in(client, coordinator)

    response = client.post(f"/c/riverside/manage/members/{member.pk}/", {"form": "status"} | data)

    assert_problem(response, message)
    assert Member.objects.get(pk=member.pk).status == Status.ACTIVE
    assert not AuditEntry.objects.exists()


def test_making_someone_staff_without_an_organisation_is_refused(client, coordinator, member):
    logged_in(client, coordinator)

    response = client.post(f"/c/riverside/manage/members/{member.pk}/", {"form": "role", "role-role": "staff"})

    assert_problem(response, "Choose the organisation this person works for.")
    assert Member.objects.get(pk=member.pk).role == Role.MEMBER


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "kind": "charity"}, "Enter the organisation’s name."),
        ({"name": "riverside COUNCIL", "kind": "council"}, "An organisation with this name is already a partner here."),
        ({"name": "Corner Shop", "kind": "spaceship"}, "Select a valid choice."),
        ({"name": "Corner Shop", "kind": "business", "phone": "12"}, "That phone number is not valid."),
        ({"name": "Corner Shop", "kind": "business", "website": "not a site"}, "Enter a valid URL."),
        ({"name": "C" * 121, "kind": "business"}, "Ensure this value has at most 120 characters"),
        ({"name": "Corner Shop", "kind": "business", "email": LONG_EMAIL}, "at most 254 characters"),
        (
            {"name": "Corner Shop", "kind": "business", "website": "https://example.org/" + "p" * 190},
            "Ensure this value has at most 200 characters",
        ),
    ],
)
def test_bad_organisation_details_are_refused(client, coordinator, organisation, data, message):
    logged_in(client, coordinator)
    before = row_counts()

    response = client.post("/c/riverside/organisations/new/", data)

    assert_problem(response, message)
    assert row_counts() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "Enter a name for the token."),
        ({"name": "Sync", "valid_days": "400"}, "less than or equal to 366"),
    ],
)
def test_bad_token_details_are_refused(client, member, data, message):
    logged_in(client, member)

    response = client.post("/account/tokens/", {"community": str(member.pk)} | data)

    assert_problem(response, message)
    assert not member.api_tokens.exists()


def test_a_member_creates_a_token_and_sees_the_secret_once(client, member):
    logged_in(client, member)

    response = client.post("/account/tokens/", {"community": str(member.pk), "name": "Spreadsheet"})

    token = member.api_tokens.get()
    secret = re.search(r"ost_[A-Za-z0-9_-]{40,}", response.content.decode()).group(0)
    assert token.prefix in secret
    assert secret not in client.get("/account/tokens/").content.decode()


def test_the_last_administrator_is_told_why_they_cannot_leave(client, admin_member):
    logged_in(client, admin_member)

    response = client.post("/c/riverside/leave/")

    assert_problem(response, "Appoint another administrator before you leave.")
    assert Member.objects.get(pk=admin_member.pk).status == Status.ACTIVE


def test_a_wrong_current_password_is_refused_when_changing_it(client, member):
    logged_in(client, member)

    response = client.post(
        "/account/password/",
        {"old_password": "not it at all", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert_problem(response, "Your old password was entered incorrectly.")
    assert User.objects.get(pk=member.user.pk).check_password(PASSWORD)


# Your data


def test_a_member_downloads_their_own_data_and_nobody_elses(client, member, coordinator, outsider, other_community):
    actions.join(member.user, other_community, display_name="Mina H")
    actions.update_profile(coordinator.user, member, reason="Asked at the drop-in", bio="Grows leeks")
    actions.create_api_token(member, "Spreadsheet")
    logged_in(client, member)

    response = client.get("/account/data.json")

    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["account"]["email"] == "mina@example.org"
    assert {m["community"] for m in data["memberships"]} == {"Riverside Timebank", "Hillside Network"}
    riverside = next(m for m in data["memberships"] if m["community"] == "Riverside Timebank")
    assert riverside["profile"]["bio"] == "Grows leeks"
    assert riverside["actions_taken_about_you"][0]["reason"] == "Asked at the drop-in"
    assert riverside["api_tokens"][0]["name"] == "Spreadsheet"
    text = response.content.decode()
    for someone_else in ("cora@example.org", "Cora", "otto@example.org", "Otto", coordinator.user.password):
        assert someone_else not in text
    assert "token_hash" not in text


# Passwords


def test_a_member_with_email_gets_a_password_reset_link_that_works(client, member):
    response = client.post("/password-reset/", {"email": "MINA@example.org"})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["mina@example.org"]
    link = re.search(r"http://testserver(/reset/[\w-]+/[\w-]+/)", mail.outbox[0].body).group(1)
    set_password = client.get(link)
    assert set_password.status_code == 302
    done = client.post(set_password.url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert User.objects.get(pk=member.user.pk).check_password(NEW_PASSWORD)


def test_asking_to_reset_an_unknown_address_reveals_nothing_and_sends_nothing(client, member):
    response = client.post("/password-reset/", {"email": "stranger@example.org"})

    assert response.status_code == 302
    assert mail.outbox == []


def test_a_phone_only_member_sets_a_password_through_their_coordinators_link(coordinator):
    resident = actions.assisted_sign_up(
        coordinator, full_name="Phyllis Phone", phone="07911 123456", consent_note="Drop-in"
    )
    desk = logged_in(Client(), coordinator)

    page = desk.post(
        f"/c/riverside/manage/members/{resident.pk}/", {"form": "link", "link-reason": "Wants to use the library PC"}
    )

    assert page.status_code == 200
    link = re.search(r"http://testserver(/reset/[\w-]+/[\w-]+/)", page.content.decode()).group(1)
    resident_browser = Client()
    set_password = resident_browser.get(link)
    assert set_password.status_code == 302
    resident_browser.post(set_password.url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    logged = resident_browser.post("/login/", {"username": "07911 123456", "password": NEW_PASSWORD}, follow=True)
    assert logged.context["user"] == resident.user
    assert AuditEntry.objects.filter(member=resident, action="member.password_link_issued").exists()
    assert resident_browser.get(link).status_code == 200  # used once, then it shows "expired"
    assert "has expired or has already been used" in resident_browser.get(link).content.decode()


# The member directory


@pytest.fixture
def neighbours(community):
    return {
        "baker": MemberFactory(community=community, display_name="Bob", skills=["baking"]),
        "unlisted": MemberFactory(
            community=community, display_name="Una", skills=["gardening"], listed_in_directory=False
        ),
        "suspended": MemberFactory(
            community=community, display_name="Sue", skills=["gardening"], status=Status.SUSPENDED
        ),
    }


def names_in(response) -> set[str]:
    return set(re.findall(r'<h2><a href="/c/riverside/members/\d+/">([^<]+)</a></h2>', response.content.decode()))


def test_the_directory_finds_members_by_skill(client, member, neighbours):
    logged_in(client, member)

    assert names_in(client.get("/c/riverside/members/", {"q": "Garden"})) == {"Mina"}
    assert names_in(client.get("/c/riverside/members/", {"q": "bak"})) == {"Bob"}
    assert names_in(client.get("/c/riverside/members/")) == {"Mina", "Bob"}


def test_unlisted_members_are_hidden_from_members_but_not_from_coordinators(client, member, coordinator, neighbours):
    logged_in(client, coordinator)

    assert names_in(client.get("/c/riverside/members/", {"q": "gardening"})) == {"Mina", "Una"}
    assert client.get(f"/c/riverside/members/{neighbours['unlisted'].pk}/").status_code == 200

    logged_in(client, member)
    assert names_in(client.get("/c/riverside/members/", {"q": "gardening"})) == {"Mina"}
    assert client.get(f"/c/riverside/members/{neighbours['unlisted'].pk}/").status_code == 404


def test_a_member_who_hides_themselves_still_finds_themselves(client, member):
    actions.update_profile(member.user, member, listed_in_directory=False)
    logged_in(client, member)

    assert names_in(client.get("/c/riverside/members/")) == {"Mina"}


def test_searching_an_area_finds_only_members_who_show_their_area(client, member, neighbours):
    baker = neighbours["baker"]
    actions.update_profile(baker.user, baker, postcode_district="LS6", share_location=False)
    actions.update_profile(member.user, member, postcode_district="LS6", share_location=True)
    logged_in(client, baker)

    assert names_in(client.get("/c/riverside/members/", {"q": "ls6"})) == {"Mina"}

    actions.update_profile(baker.user, baker, share_location=True)
    assert names_in(client.get("/c/riverside/members/", {"q": "LS6"})) == {"Mina", "Bob"}


def test_an_htmx_search_returns_only_the_results(client, member, neighbours):
    logged_in(client, member)

    response = client.get("/c/riverside/members/", {"q": "baking"}, headers={"HX-Request": "true"})

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert "<form" not in content
    assert names_in(response) == {"Bob"}
    assert "1 member matching “baking”" in content


def test_a_search_that_is_too_long_is_ignored_rather_than_failing(client, member, neighbours):
    logged_in(client, member)

    response = client.get("/c/riverside/members/", {"q": "x" * 101})

    assert response.status_code == 200
    assert names_in(response) == {"Mina", "Bob"}


def test_passwords_are_stored_with_argon2(client, community, settings):
    from config import settings as configured  # the real setting, not the fast one the suite uses

    settings.PASSWORD_HASHERS = configured.PASSWORD_HASHERS
    client.post(
        "/c/riverside/join/",
        {"full_name": "Hana Hash", "email": "hana@example.org", "password": "a long pass phrase 42"},
    )

    assert User.objects.get(email="hana@example.org").password.startswith("argon2$")


def test_a_profile_shows_availability_and_contact_preferences_in_words(client, member, coordinator):
    member.availability = ["weekday-evenings", "weekends"]
    member.contact_preferences = ["sms"]
    member.save()
    client.force_login(coordinator.user)

    page = client.get(f"/c/riverside/members/{member.pk}/").content.decode()

    assert "Weekday evenings, Weekends" in page
    assert "Text message" in page
