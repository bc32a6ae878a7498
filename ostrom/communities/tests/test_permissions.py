"""Who can see and change what, page by page.

Two tables: one row per page (and per interesting object on it), one column per persona:

- member: an ordinary member of the Riverside Timebank
- coordinator: a coordinator there
- admin: an administrator there
- staff: staff of a partner organisation there (Riverside Council)
- outsider: a member of the Hillside Network only
- anonymous: nobody logged in

``GET_PAGES`` says what opening each page gives; ``CHANGES`` says what posting each form does, and checks in the
database that exactly the right rows changed (or none did). ``test_the_tables_cover_every_page`` fails when a URL
is added that the tables do not mention."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.urls import URLPattern, URLResolver, resolve

from ostrom.communities import actions
from ostrom.communities import urls as community_urls
from ostrom.communities.domain import OrganisationKind, Role, Status
from ostrom.communities.models import ApiToken, AuditEntry, Invitation, Member, Organisation, User
from ostrom.communities.tests.factories import PASSWORD, CoordinatorFactory, MemberFactory, OrganisationFactory
from ostrom.web import urls as web_urls

PERSONAS = ("member", "coordinator", "admin", "staff", "outsider", "anonymous")


# What a response should be


@dataclass(frozen=True)
class To:
    """A redirect to ``path`` (formatted with the cast's ids; ``{self}`` is the viewer's membership)."""

    path: str
    prefix: bool = False

    def __str__(self) -> str:
        return f"redirect to {self.path}"


class ToLogin:
    def __str__(self) -> str:
        return "redirect to login"


OK, BAD, DENIED, MISSING, NOT_ALLOWED, GONE = 200, 400, 403, 404, 405, 410
LOGIN = ToLogin()
RIVERSIDE = To("/c/riverside/")
HILLSIDE = To("/c/hillside/")
HOME = To("/")


def check_response(response, expected, path: str, ids: dict) -> None:
    if expected is LOGIN:
        assert (response.status_code, response.get("Location")) == (302, f"/login/?next={path}")
    elif isinstance(expected, To):
        assert response.status_code == 302, response.status_code
        target = expected.path.format(**ids)
        if expected.prefix:
            assert response.url.startswith(target), response.url
        else:
            assert response.url == target
    else:
        assert response.status_code == expected, response.status_code


# The cast


@pytest.fixture
def cast(community, other_community, member, coordinator, admin_member, staff, outsider, organisation):
    """The personas plus the things they might try to see or change."""
    hillside_coordinator = CoordinatorFactory(community=other_community, display_name="Hal")
    invitation, invitation_secret = actions.create_invitation(coordinator, note="For the allotment group")
    hillside_invitation, hillside_secret = actions.create_invitation(hillside_coordinator, note="Hillside secret note")
    token, _ = actions.create_api_token(member, "Mina's sync")
    unlisted = MemberFactory(community=community, display_name="Una", listed_in_directory=False)
    applicant = MemberFactory(community=community, display_name="Pat", status=Status.PENDING, approved_at=None)
    OrganisationFactory(community=community, name="Riverside Food Bank", slug="food-bank", kind="charity")
    OrganisationFactory(community=community, name="Old Partner", slug="old-partner", is_active=False)
    OrganisationFactory(community=other_community, name="Hillside School", slug="hillside-school", kind="school")
    people = {"member": member, "coordinator": coordinator, "admin": admin_member, "staff": staff}
    people |= {"outsider": outsider, "anonymous": None}
    return SimpleNamespace(
        community=community,
        people=people,
        hillside_coordinator=hillside_coordinator,
        token=token,
        ids={
            **{name: person.pk for name, person in people.items() if person},
            "unlisted": unlisted.pk,
            "applicant": applicant.pk,
            "token": token.pk,
            "invitation": invitation.pk,
            "invitation_secret": invitation_secret,
            "hillside_invitation": hillside_invitation.pk,
            "hillside_secret": hillside_secret,
        },
    )


def visit_as(client, cast, persona: str) -> dict:
    """Log the client in as the persona; return the ids for paths, with ``self`` as the viewer's membership."""
    viewer = cast.people[persona]
    if viewer is None:
        return cast.ids
    client.force_login(viewer.user)
    return cast.ids | {"self": viewer.pk}


# Opening pages


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    expected: tuple  # one per persona, in the order of PERSONAS
    label: str = ""


# fmt: off
GET_PAGES = [
    #     url name                   path                                                 member     coordinator admin    staff      outsider   anonymous
    Page("home",                    "/",                                                 (RIVERSIDE, RIVERSIDE, RIVERSIDE, RIVERSIDE, HILLSIDE,  OK)),
    Page("login",                   "/login/",                                           (OK,        OK,        OK,        OK,        OK,        OK)),
    Page("logout",                  "/logout/",                                          (NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED)),
    Page("password_reset",          "/password-reset/",                                  (OK,        OK,        OK,        OK,        OK,        OK)),
    Page("password_reset_done",     "/password-reset/sent/",                             (OK,        OK,        OK,        OK,        OK,        OK)),
    Page("password_reset_confirm",  "/reset/MQ/not-a-real-token/",                       (OK,        OK,        OK,        OK,        OK,        OK), "a bad link"),
    Page("password_reset_complete", "/reset/done/",                                      (OK,        OK,        OK,        OK,        OK,        OK)),
    Page("password_change",         "/account/password/",                                (OK,        OK,        OK,        OK,        OK,        LOGIN)),
    Page("password_change_done",    "/account/password/done/",                           (OK,        OK,        OK,        OK,        OK,        LOGIN)),
    Page("account",                 "/account/",                                         (OK,        OK,        OK,        OK,        OK,        LOGIN)),
    Page("account_data",            "/account/data.json",                                (OK,        OK,        OK,        OK,        OK,        LOGIN)),
    Page("account_erase",           "/account/erase/",                                   (OK,        OK,        OK,        OK,        OK,        LOGIN)),
    Page("tokens",                  "/account/tokens/",                                  (OK,        OK,        OK,        OK,        OK,        LOGIN)),
    Page("revoke_token",            "/account/tokens/{token}/revoke/",                   (NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, LOGIN)),
    Page("community_list",          "/communities/",                                     (OK,        OK,        OK,        OK,        OK,        OK)),
    Page("community_home",          "/c/riverside/",                                     (OK,        OK,        OK,        OK,        OK,        OK)),
    Page("community_home",          "/c/nowhere/",                                       (MISSING,   MISSING,   MISSING,   MISSING,   MISSING,   MISSING), "unknown community"),
    Page("join",                    "/c/riverside/join/",                                (RIVERSIDE, RIVERSIDE, RIVERSIDE, RIVERSIDE, OK,        OK)),
    Page("invitation",              "/c/riverside/invitations/{invitation_secret}/",     (RIVERSIDE, RIVERSIDE, RIVERSIDE, RIVERSIDE, OK,        OK)),
    Page("invitation",              "/c/riverside/invitations/made-up/",                 (RIVERSIDE, RIVERSIDE, RIVERSIDE, RIVERSIDE, GONE,      GONE), "made up"),
    Page("invitation",              "/c/riverside/invitations/{hillside_secret}/",       (RIVERSIDE, RIVERSIDE, RIVERSIDE, RIVERSIDE, GONE,      GONE), "another community's"),
    Page("directory",               "/c/riverside/members/",                             (OK,        OK,        OK,        OK,        DENIED,    LOGIN)),
    Page("directory",               "/c/hillside/members/",                              (DENIED,    DENIED,    DENIED,    DENIED,    OK,        LOGIN), "hillside"),
    Page("directory",               "/c/nowhere/members/",                               (MISSING,   MISSING,   MISSING,   MISSING,   MISSING,   LOGIN), "unknown community"),
    Page("member_detail",           "/c/riverside/members/{member}/",                    (OK,        OK,        OK,        OK,        DENIED,    LOGIN)),
    Page("member_detail",           "/c/riverside/members/{unlisted}/",                  (MISSING,   OK,        OK,        MISSING,   DENIED,    LOGIN), "unlisted"),
    Page("member_detail",           "/c/riverside/members/{applicant}/",                 (MISSING,   OK,        OK,        MISSING,   DENIED,    LOGIN), "waiting for approval"),
    Page("member_detail",           "/c/hillside/members/{member}/",                     (DENIED,    DENIED,    DENIED,    DENIED,    MISSING,   LOGIN), "riverside member at hillside"),
    Page("profile_edit",            "/c/riverside/profile/",                             (OK,        OK,        OK,        OK,        DENIED,    LOGIN)),
    Page("leave",                   "/c/riverside/leave/",                               (OK,        OK,        OK,        OK,        DENIED,    LOGIN)),
    Page("organisation_list",       "/c/riverside/organisations/",                       (OK,        OK,        OK,        OK,        DENIED,    LOGIN)),
    Page("organisation_create",     "/c/riverside/organisations/new/",                   (DENIED,    OK,        OK,        DENIED,    DENIED,    LOGIN)),
    Page("organisation_detail",     "/c/riverside/organisations/riverside-council/",     (OK,        OK,        OK,        OK,        DENIED,    LOGIN)),
    Page("organisation_detail",     "/c/riverside/organisations/old-partner/",           (MISSING,   OK,        OK,        MISSING,   DENIED,    LOGIN), "former partner"),
    Page("organisation_detail",     "/c/riverside/organisations/hillside-school/",       (MISSING,   MISSING,   MISSING,   MISSING,   DENIED,    LOGIN), "another community's"),
    Page("organisation_edit",       "/c/riverside/organisations/riverside-council/edit/", (DENIED,   OK,        OK,        OK,        DENIED,    LOGIN), "staff's own"),
    Page("organisation_edit",       "/c/riverside/organisations/food-bank/edit/",        (DENIED,    OK,        OK,        DENIED,    DENIED,    LOGIN), "another partner"),
    Page("manage_members",          "/c/riverside/manage/members/",                      (DENIED,    OK,        OK,        DENIED,    DENIED,    LOGIN)),
    Page("manage_member",           "/c/riverside/manage/members/{member}/",             (DENIED,    OK,        OK,        DENIED,    DENIED,    LOGIN)),
    Page("manage_member",           "/c/riverside/manage/members/{outsider}/",           (DENIED,    MISSING,   MISSING,   DENIED,    DENIED,    LOGIN), "another community's member"),
    Page("manage_member_profile",   "/c/riverside/manage/members/{member}/profile/",     (DENIED,    OK,        OK,        DENIED,    DENIED,    LOGIN)),
    Page("manage_member_profile",   "/c/riverside/manage/members/{outsider}/profile/",   (DENIED,    MISSING,   MISSING,   DENIED,    DENIED,    LOGIN), "another community's member"),
    Page("manage_invitations",      "/c/riverside/manage/invitations/",                  (DENIED,    OK,        OK,        DENIED,    DENIED,    LOGIN)),
    Page("revoke_invitation",       "/c/riverside/manage/invitations/{invitation}/revoke/", (NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, LOGIN)),
    Page("assisted_sign_up",        "/c/riverside/manage/assisted-sign-up/",             (DENIED,    OK,        OK,        DENIED,    DENIED,    LOGIN)),
    Page("audit_log",               "/c/riverside/manage/audit/",                        (DENIED,    OK,        OK,        DENIED,    DENIED,    LOGIN)),
]
# fmt: on


def row_id(row, persona: str, expected) -> str:
    label = f"({row.label})" if row.label else ""
    return f"{row.name}{label}-{persona}-{expected}"


GET_CASES = [
    pytest.param(row, persona, expected, id=row_id(row, persona, expected))
    for row in GET_PAGES
    for persona, expected in zip(PERSONAS, row.expected, strict=True)
]


@pytest.mark.parametrize(("row", "persona", "expected"), GET_CASES)
def test_who_can_open_each_page(client, cast, row, persona, expected):
    ids = visit_as(client, cast, persona)
    path = row.path.format(**ids)

    response = client.get(path)

    check_response(response, expected, path, ids)


# Changing things


def sessions(cast) -> dict:
    return {"sessions": Session.objects.count()}


def passwords(cast) -> dict:
    return {user.pk: user.password for user in User.objects.all()}


def erasures(cast) -> dict:
    return {user.pk: (user.erased_at, user.email) for user in User.objects.all()}


def tokens_by_owner(cast) -> dict:
    owned = defaultdict(list)
    for token in ApiToken.objects.select_related("member").order_by("pk"):
        owned[token.member.user_id].append((token.pk, token.revoked_at))
    return {owner: tuple(tokens) for owner, tokens in owned.items()}


def memberships(cast) -> dict:
    return {(m.user_id, m.community_id): (m.status, m.role, m.organisation_id) for m in Member.objects.all()}


def profiles(cast) -> dict:
    return {
        (m.user_id, m.community_id): (m.display_name, m.bio, m.listed_in_directory, m.share_location)
        for m in Member.objects.all()
    }


def organisations(cast) -> dict:
    return {org.pk: (org.name, org.description) for org in Organisation.objects.all()}


def invitations(cast) -> dict:
    return {invitation.pk: invitation.revoked_at for invitation in Invitation.objects.all()}


def users(cast) -> dict:
    return {user.pk: user.phone for user in User.objects.all()}


def audit_rows(cast) -> dict:
    return {"audit rows": AuditEntry.objects.count()}


# What should change: nothing, something, exactly the viewer's own rows, or exactly one named persona's rows.
NO, YES, SELF = "nothing", "something", "only their own"


def owner(key) -> Any:
    """The user a snapshot key belongs to: keys are a user id or a (user id, community id) pair."""
    return key[0] if isinstance(key, tuple) else key


def check_change(before: dict, after: dict, expected: str, cast, persona: str) -> None:
    absent = object()
    changed = {key for key in before.keys() | after.keys() if before.get(key, absent) != after.get(key, absent)}
    if expected == NO:
        assert not changed
    elif expected == YES:
        assert changed
    else:
        whose = cast.people[persona if expected == SELF else expected]
        assert changed
        assert {owner(key) for key in changed} == {whose.user_id}


SIGN_UP = {"full_name": "Nell Newcomer", "email": "nell@example.org", "password": "plum orchard lantern"}
PROFILE = {"display_name": "Renamed", "bio": "Changed", "listed_in_directory": "on", "share_location": "on"}
SUSPEND = {"form": "status", "action": "suspend", "reason": "Complaint under review"}
ASSISTED = {"full_name": "Phyllis", "phone": "07911 123456", "consent_given": "on", "consent_note": "Drop-in"}
NEW_PASSWORD = {
    "old_password": PASSWORD,
    "new_password1": "plum orchard lantern",
    "new_password2": "plum orchard lantern",
}


def own_token_form(cast, persona: str) -> dict:
    viewer = cast.people[persona] or cast.people["member"]
    return {"community": str(viewer.pk), "name": "My sync"}


def someone_elses_token_form(cast, persona: str) -> dict:
    return {"community": str(cast.people["member"].pk), "name": "Their sync"}


@dataclass(frozen=True)
class Change:
    name: str
    path: str
    data: dict | Callable[[Any, str], dict]
    effect: Callable[[Any], dict]
    outcomes: tuple  # one (response, change) pair per persona, in the order of PERSONAS
    label: str = ""


MANAGE_MINA = To("/c/riverside/manage/members/{member}/")
COUNCIL = To("/c/riverside/organisations/riverside-council/")
FOOD_BANK = To("/c/riverside/organisations/food-bank/")

# fmt: off
CHANGES = [
    Change("logout", "/logout/", {}, sessions,
           #  member           coordinator      admin            staff            outsider         anonymous
           ((HOME, YES),      (HOME, YES),      (HOME, YES),     (HOME, YES),     (HOME, YES),     (HOME, NO))),
    Change("password_change", "/account/password/", NEW_PASSWORD, passwords,
           ((To("/account/password/done/"), SELF),) * 5 + ((LOGIN, NO),)),
    Change("account_erase", "/account/erase/", {"confirm": "ERASE"}, erasures,
           ((HOME, SELF),     (HOME, SELF),     (BAD, NO),       (HOME, SELF),    (HOME, SELF),    (LOGIN, NO))),
    Change("tokens", "/account/tokens/", own_token_form, tokens_by_owner,
           ((OK, SELF),       (OK, SELF),       (OK, SELF),      (OK, SELF),      (OK, SELF),      (LOGIN, NO))),
    Change("tokens", "/account/tokens/", someone_elses_token_form, tokens_by_owner,
           ((OK, SELF),       (BAD, NO),        (BAD, NO),       (BAD, NO),       (BAD, NO),       (LOGIN, NO)),
           "for mina's membership"),
    Change("revoke_token", "/account/tokens/{token}/revoke/", {}, tokens_by_owner,
           ((To("/account/tokens/"), SELF), (MISSING, NO), (MISSING, NO), (MISSING, NO), (MISSING, NO), (LOGIN, NO)),
           "mina's token"),
    Change("join", "/c/riverside/join/", SIGN_UP, memberships,
           ((RIVERSIDE, NO),  (RIVERSIDE, NO),  (RIVERSIDE, NO), (RIVERSIDE, NO), (RIVERSIDE, SELF), (RIVERSIDE, YES))),
    Change("invitation", "/c/riverside/invitations/{invitation_secret}/", SIGN_UP, memberships,
           ((RIVERSIDE, NO),  (RIVERSIDE, NO),  (RIVERSIDE, NO), (RIVERSIDE, NO), (RIVERSIDE, SELF), (RIVERSIDE, YES))),
    Change("profile_edit", "/c/riverside/profile/", PROFILE, profiles,
           ((To("/c/riverside/members/{self}/"), SELF),) * 4 + ((DENIED, NO), (LOGIN, NO))),
    Change("leave", "/c/riverside/leave/", {}, memberships,
           ((HOME, SELF),     (HOME, SELF),     (BAD, NO),       (HOME, SELF),    (DENIED, NO),    (LOGIN, NO))),
    Change("organisation_create", "/c/riverside/organisations/new/", {"name": "Corner Shop", "kind": "business"},
           organisations,
           ((DENIED, NO), (To("/c/riverside/organisations/corner-shop/"), YES),
            (To("/c/riverside/organisations/corner-shop/"), YES), (DENIED, NO), (DENIED, NO), (LOGIN, NO))),
    Change("organisation_edit", "/c/riverside/organisations/riverside-council/edit/",
           {"name": "Riverside Council", "kind": "council", "description": "Bins and libraries"}, organisations,
           ((DENIED, NO),     (COUNCIL, YES),   (COUNCIL, YES),  (COUNCIL, YES),  (DENIED, NO),    (LOGIN, NO)),
           "staff's own"),
    Change("organisation_edit", "/c/riverside/organisations/food-bank/edit/",
           {"name": "Riverside Food Bank", "kind": "charity", "description": "Food parcels"}, organisations,
           ((DENIED, NO),     (FOOD_BANK, YES), (FOOD_BANK, YES), (DENIED, NO),   (DENIED, NO),    (LOGIN, NO)),
           "another partner"),
    Change("manage_member", "/c/riverside/manage/members/{member}/", SUSPEND, memberships,
           ((DENIED, NO),     (MANAGE_MINA, "member"), (MANAGE_MINA, "member"), (DENIED, NO), (DENIED, NO), (LOGIN, NO)),
           "suspend mina"),
    Change("manage_member", "/c/riverside/manage/members/{coordinator}/", SUSPEND, memberships,
           ((DENIED, NO),     (BAD, NO),        (To("/c/riverside/manage/members/{coordinator}/"), "coordinator"),
            (DENIED, NO),     (DENIED, NO),     (LOGIN, NO)),
           "suspend the coordinator"),
    Change("manage_member", "/c/riverside/manage/members/{admin}/", SUSPEND, memberships,
           ((DENIED, NO),     (BAD, NO),        (BAD, NO),       (DENIED, NO),    (DENIED, NO),    (LOGIN, NO)),
           "suspend the administrator"),
    Change("manage_member", "/c/riverside/manage/members/{member}/", {"form": "role", "role-role": "coordinator"},
           memberships,
           ((DENIED, NO),     (BAD, NO),        (MANAGE_MINA, "member"), (DENIED, NO), (DENIED, NO), (LOGIN, NO)),
           "appoint mina coordinator"),
    Change("manage_member", "/c/riverside/manage/members/{member}/", {"form": "link", "link-reason": "Lost it"},
           audit_rows,
           ((DENIED, NO),     (OK, YES),        (OK, YES),       (DENIED, NO),    (DENIED, NO),    (LOGIN, NO)),
           "password link for mina"),
    Change("manage_member", "/c/riverside/manage/members/{outsider}/", SUSPEND, memberships,
           ((DENIED, NO),     (MISSING, NO),    (MISSING, NO),   (DENIED, NO),    (DENIED, NO),    (LOGIN, NO)),
           "suspend another community's member"),
    Change("manage_member_profile", "/c/riverside/manage/members/{member}/profile/",
           PROFILE | {"reason": "Asked at the drop-in"}, profiles,
           ((DENIED, NO),     (MANAGE_MINA, "member"), (MANAGE_MINA, "member"), (DENIED, NO), (DENIED, NO), (LOGIN, NO))),
    Change("manage_invitations", "/c/riverside/manage/invitations/",
           {"role": "member", "valid_days": 14, "max_uses": 1}, invitations,
           ((DENIED, NO),     (OK, YES),        (OK, YES),       (DENIED, NO),    (DENIED, NO),    (LOGIN, NO))),
    Change("manage_invitations", "/c/riverside/manage/invitations/",
           {"role": "coordinator", "valid_days": 14, "max_uses": 1}, invitations,
           ((DENIED, NO),     (BAD, NO),        (OK, YES),       (DENIED, NO),    (DENIED, NO),    (LOGIN, NO)),
           "for a coordinator"),
    Change("revoke_invitation", "/c/riverside/manage/invitations/{invitation}/revoke/", {}, invitations,
           ((DENIED, NO), (To("/c/riverside/manage/invitations/"), YES), (To("/c/riverside/manage/invitations/"), YES),
            (DENIED, NO),     (DENIED, NO),     (LOGIN, NO))),
    Change("revoke_invitation", "/c/riverside/manage/invitations/{hillside_invitation}/revoke/", {}, invitations,
           ((DENIED, NO),     (MISSING, NO),    (MISSING, NO),   (DENIED, NO),    (DENIED, NO),    (LOGIN, NO)),
           "another community's"),
    Change("assisted_sign_up", "/c/riverside/manage/assisted-sign-up/", ASSISTED, users,
           ((DENIED, NO), (To("/c/riverside/manage/members/", prefix=True), YES),
            (To("/c/riverside/manage/members/", prefix=True), YES), (DENIED, NO), (DENIED, NO), (LOGIN, NO))),
]
# fmt: on

# Pages that only show things, and forms whose effect does not depend on who is asking (tested in test_pages).
READ_ONLY = {
    "home",
    "password_reset_done",
    "password_reset_complete",
    "password_change_done",
    "account",
    "account_data",
    "community_list",
    "community_home",
    "directory",
    "member_detail",
    "organisation_list",
    "organisation_detail",
    "manage_members",
    "audit_log",
}
POSTED_IN_TEST_PAGES = {"login", "password_reset", "password_reset_confirm"}

CHANGE_CASES = [
    pytest.param(row, persona, outcome, id=row_id(row, persona, f"{outcome[0]}-changes-{outcome[1]}"))
    for row in CHANGES
    for persona, outcome in zip(PERSONAS, row.outcomes, strict=True)
]


@pytest.mark.parametrize(("row", "persona", "outcome"), CHANGE_CASES)
def test_who_can_change_what(client, cast, row, persona, outcome):
    expected_response, expected_change = outcome
    ids = visit_as(client, cast, persona)
    path = row.path.format(**ids)
    data = row.data(cast, persona) if callable(row.data) else row.data
    before = row.effect(cast)

    response = client.post(path, data)

    check_response(response, expected_response, path, ids)
    check_change(before, row.effect(cast), expected_change, cast, persona)


# The tables themselves


def url_names(patterns) -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            names |= url_names(pattern.url_patterns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(pattern.name)
    return names


def test_the_tables_cover_every_page():
    every_page = url_names(community_urls.urlpatterns) | url_names(web_urls.urlpatterns)

    assert every_page - {row.name for row in GET_PAGES} == set(), "add these pages to GET_PAGES"
    decided = {row.name for row in CHANGES} | READ_ONLY | POSTED_IN_TEST_PAGES
    assert every_page - decided == set(), "add these pages to CHANGES, or to READ_ONLY if they change nothing"


@pytest.mark.parametrize("row", [*GET_PAGES, *CHANGES], ids=lambda row: f"{row.name}-{row.label}")
def test_every_row_points_at_the_page_it_names(row):
    ids = defaultdict(lambda: "1", invitation_secret="secret", hillside_secret="secret", token="1")
    assert resolve(row.path.format_map(ids)).url_name == row.name


# What the pages show: nothing from another community, and only what members chose to share


def login(client, persona):
    client.force_login(persona.user)
    return client


def test_a_member_of_another_community_sees_only_the_public_front_page(client, cast, outsider):
    page = login(client, outsider).get("/c/riverside/").content.decode()

    assert "Join Riverside Timebank" in page
    assert 'href="/c/riverside/members/"' not in page
    assert "Mina" not in page


def test_the_directory_never_lists_members_of_another_community(client, cast, coordinator):
    page = login(client, coordinator).get("/c/riverside/members/").content.decode()

    assert "Mina" in page
    assert "Otto" not in page
    assert "Hal" not in page


def test_the_member_list_for_coordinators_shows_only_their_community(client, cast, coordinator):
    page = login(client, coordinator).get("/c/riverside/manage/members/").content.decode()

    assert "Pat" in page  # waiting for approval: coordinators see everyone here
    assert "Una" in page
    assert "otto@example.org" not in page
    assert "Hal" not in page


def test_nobody_sees_another_communitys_invitations(client, cast, coordinator):
    riverside_page = login(client, coordinator).get("/c/riverside/manage/invitations/").content.decode()
    hillside_page = login(client, cast.hillside_coordinator).get("/c/hillside/manage/invitations/").content.decode()

    assert "For the allotment group" in riverside_page
    assert "Hillside secret note" not in riverside_page
    assert "Hillside secret note" in hillside_page
    assert "For the allotment group" not in hillside_page


def test_nobody_sees_another_communitys_audit_rows(client, cast, coordinator, outsider):
    actions.suspend_member(cast.hillside_coordinator, outsider, "Hillside private matter")

    riverside_log = login(client, coordinator).get("/c/riverside/manage/audit/").content.decode()
    hillside_log = login(client, cast.hillside_coordinator).get("/c/hillside/manage/audit/").content.decode()

    assert "Hillside private matter" not in riverside_log
    assert "Hillside private matter" in hillside_log
    assert "For the allotment group" not in hillside_log


def test_a_profile_shows_contact_details_only_as_the_member_chooses(client, cast, member, staff, coordinator):
    staff_profile = f"/c/riverside/members/{staff.pk}/"

    assert "sam@example.org" not in login(client, member).get(staff_profile).content.decode()
    assert "sam@example.org" in login(client, coordinator).get(staff_profile).content.decode()
    assert "sam@example.org" in login(client, staff).get(staff_profile).content.decode()

    actions.update_profile(staff.user, staff, share_email=True)
    assert "sam@example.org" in login(client, member).get(staff_profile).content.decode()


def test_a_member_who_hides_their_area_does_not_show_it(client, cast, member, staff):
    actions.update_profile(staff.user, staff, postcode_district="LS6", share_location=False)

    page = login(client, member).get(f"/c/riverside/members/{staff.pk}/").content.decode()

    assert "LS6" not in page


def test_the_tokens_page_lists_only_your_own_tokens(client, cast, coordinator):
    page = login(client, coordinator).get("/account/tokens/").content.decode()

    assert "Mina&#x27;s sync" not in page
    assert "Mina's sync" not in page
    assert cast.token.prefix not in page


@pytest.mark.parametrize("status", [Status.PENDING, Status.SUSPENDED, Status.LEFT])
def test_someone_not_active_in_the_community_cannot_use_its_member_pages(client, community, status):
    person = MemberFactory(community=community, status=status)
    login(client, person)

    for path in ("/c/riverside/members/", "/c/riverside/profile/", "/c/riverside/organisations/"):
        assert client.get(path).status_code == 403, path


def test_a_suspended_coordinator_cannot_reach_the_coordinators_pages(client, cast, coordinator, admin_member):
    actions.suspend_member(admin_member, coordinator, "Under review")
    login(client, coordinator)

    assert client.get("/c/riverside/manage/members/").status_code == 403
    assert client.get("/c/riverside/manage/invitations/").status_code == 403


def test_staff_are_offered_the_edit_link_only_on_their_own_organisations_page(client, cast, staff):
    login(client, staff)

    assert "Edit this page" in client.get("/c/riverside/organisations/riverside-council/").content.decode()
    assert "Edit this page" not in client.get("/c/riverside/organisations/food-bank/").content.decode()


def test_a_coordinator_is_offered_only_the_roles_they_may_give(client, cast, coordinator, admin_member, member):
    coordinator_page = login(client, coordinator).get(f"/c/riverside/manage/members/{member.pk}/").content.decode()
    admin_page = login(client, admin_member).get(f"/c/riverside/manage/members/{member.pk}/").content.decode()

    assert 'value="staff"' in coordinator_page
    assert 'value="coordinator"' not in coordinator_page
    assert 'value="coordinator"' in admin_page


def test_a_coordinator_cannot_make_someone_staff_of_another_communitys_organisation(client, cast, coordinator, member):
    hillside_school = Organisation.objects.get(slug="hillside-school")
    login(client, coordinator)

    response = client.post(
        f"/c/riverside/manage/members/{member.pk}/",
        {"form": "role", "role-role": Role.STAFF, "role-organisation": hillside_school.pk},
    )

    assert response.status_code == 400
    assert Member.objects.get(pk=member.pk).role == Role.MEMBER


def test_a_staff_invitation_cannot_name_another_communitys_organisation(client, cast, coordinator):
    hillside_school = Organisation.objects.get(slug="hillside-school")
    login(client, coordinator)
    before = Invitation.objects.count()

    response = client.post(
        "/c/riverside/manage/invitations/",
        {"role": "staff", "organisation": hillside_school.pk, "valid_days": 14, "max_uses": 1},
    )

    assert response.status_code == 400
    assert Invitation.objects.count() == before


def test_an_organisation_page_lists_only_its_active_staff(client, cast, member, staff, coordinator):
    actions.suspend_member(coordinator, staff, "Left the council")

    page = login(client, member).get("/c/riverside/organisations/riverside-council/").content.decode()

    assert "Sam" not in page
    assert OrganisationKind.COUNCIL.label in page
