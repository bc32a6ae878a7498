"""The JSON API, told as stories about the cast in conftest.py: Mina (member), Cora (coordinator), Sam (council
staff), Otto (outsider, Hillside only) and an anonymous visitor. Every error answers {code, message, fields}."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ostrom.communities import actions, domain
from ostrom.communities.models import ApiToken, AuditEntry, Member
from ostrom.communities.tests.factories import (
    CoordinatorFactory,
    MemberFactory,
    OrganisationFactory,
    make_token,
)

API = "/api/v1"


def bearer(member: Member | None) -> dict[str, str]:
    """The Authorization header for a fresh token of ``member``; no header for the anonymous visitor."""
    if member is None:
        return {}
    _, secret = make_token(member)
    return {"Authorization": f"Bearer {secret}"}


def call(client, method: str, path: str, who: Member | None = None, body=None, headers=None):
    """One API request as ``who``, with a JSON body when given (a str is sent as it is)."""
    headers = {**bearer(who), **(headers or {})}
    kwargs = {"headers": headers}
    if body is not None:
        kwargs.update(data=body if isinstance(body, str) else json.dumps(body), content_type="application/json")
    return getattr(client, method)(f"{API}{path}", **kwargs)


def assert_error(response, status: int | None = None, code: str | None = None) -> dict:
    """The response is an error in the one error format, with a message a person can read."""
    if status is None:
        assert 400 <= response.status_code < 500, response.content
    else:
        assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert isinstance(body["fields"], dict)
    assert body["message"].strip()
    if code is not None:
        assert body["code"] == code
    return body


def row(member: Member) -> dict:
    """Every column of the member's row, to prove a refused request wrote nothing."""
    return Member.objects.filter(pk=member.pk).values().get()


@pytest.fixture
def pending(community):
    return MemberFactory(community=community, display_name="Penny", status=domain.Status.PENDING, approved_at=None)


@pytest.fixture
def suspended(community):
    return MemberFactory(community=community, display_name="Sid", status=domain.Status.SUSPENDED)


# --- Who can use which endpoint -------------------------------------------------------------------------------

PERSONAS = ["anonymous", "member", "coordinator", "staff", "outsider"]


def endpoint_cases():
    """(method, path template, body, expected status per persona). Templates name people in the story."""
    everyone = dict.fromkeys(PERSONAS, 200)
    signed_in = {**everyone, "anonymous": 401}
    coordinators_only = {"anonymous": 401, "member": 403, "coordinator": 200, "staff": 403, "outsider": 403}
    cases = [
        ("get", "/communities", None, everyone),
        ("get", "/communities/riverside", None, everyone),
        ("get", "/me", None, signed_in),
        ("get", "/members", None, signed_in),
        ("get", "/members/{member}", None, {**signed_in, "outsider": 404}),
        ("patch", "/members/me", {"bio": "Happy to help."}, signed_in),
        ("get", "/organisations", None, signed_in),
        ("get", "/organisations/riverside-council", None, {**signed_in, "outsider": 404}),
        ("post", "/members/{pending}/approve", {"reason": "Met at the café"}, coordinators_only),
        ("post", "/members/{member}/suspend", {"reason": "Repeated no-shows"}, coordinators_only),
        ("post", "/members/{suspended}/reinstate", {"reason": "Talked it through"}, coordinators_only),
    ]
    return [pytest.param(*case, id=f"{case[0].upper()} {case[1]}") for case in cases]


@pytest.mark.parametrize("who", PERSONAS)
@pytest.mark.parametrize(("method", "template", "body", "expected"), endpoint_cases())
def test_each_endpoint_answers_each_persona_as_the_rules_say(
    client, personas, organisation, pending, suspended, who, method, template, body, expected
):
    path = template.format(member=personas["member"].pk, pending=pending.pk, suspended=suspended.pk)
    response = call(client, method, path, personas[who], body)
    if expected[who] == 200:
        assert response.status_code == 200, response.content
    else:
        assert_error(response, expected[who])


def test_the_persona_table_covers_every_endpoint_in_the_schema(client, db):
    """A new endpoint must join the table above, so nobody ships one without saying who may call it."""
    schema = client.get(f"{API}/openapi.json").json()
    published = {
        (method, path.removeprefix(API).replace("{member_id}", "{member}").replace("{slug}", "…"))
        for path, operations in schema["paths"].items()
        for method in [m for m in operations if operations[m]["tags"] == ["communities"]]
    }
    covered = {
        (case.values[0], case.values[1].replace("{pending}", "{member}").replace("{suspended}", "{member}"))
        for case in endpoint_cases()
    }
    covered = {
        (m, p.replace("/riverside-council", "/…").replace("/communities/riverside", "/communities/…"))
        for m, p in covered
    }
    assert published == covered


# --- Communities (public) -------------------------------------------------------------------------------------


def test_an_anonymous_visitor_can_list_the_communities(client, community, other_community):
    response = call(client, "get", "/communities")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [c["slug"] for c in body["items"]] == ["hillside", "riverside"]
    assert set(body["items"][0]) == {
        "slug",
        "name",
        "description",
        "time_zone",
        "locale",
        "population",
        "join_policy",
    }


def test_the_community_list_comes_in_pages(client, community, other_community):
    body = call(client, "get", "/communities?limit=1&offset=1").json()
    assert body["count"] == 2
    assert (body["limit"], body["offset"]) == (1, 1)
    assert [c["slug"] for c in body["items"]] == ["riverside"]


@pytest.mark.parametrize("query", ["limit=101", "limit=0", "offset=-1", "limit=ten", "offset=100001"])
def test_a_page_outside_the_limits_is_refused(client, community, query):
    body = assert_error(call(client, "get", f"/communities?{query}"), 422, "invalid_input")
    assert set(body["fields"]) <= {"limit", "offset"}


def test_an_unknown_query_parameter_is_refused_not_ignored(client, member):
    body = assert_error(call(client, "get", "/members?serach=mina", member), 422, "invalid_input")
    assert body["fields"] == {"serach": "This field is not recognised."}


def test_anyone_can_read_one_community(client, community):
    body = call(client, "get", "/communities/riverside").json()
    assert body["name"] == "Riverside Timebank"
    assert body["join_policy"] == "open"


def test_an_unknown_community_slug_is_not_found(client, community):
    body = assert_error(call(client, "get", "/communities/atlantis"), 404, "not_found")
    assert body["message"] == "No community with that address."


def test_a_community_slug_with_odd_characters_is_refused(client, community):
    assert_error(call(client, "get", "/communities/river%20side"), 422, "invalid_input")


# --- Tokens -----------------------------------------------------------------------------------------------------


def test_without_a_token_the_api_asks_for_one(client, member):
    response = call(client, "get", "/me")
    body = assert_error(response, 401, "unauthenticated")
    assert "Bearer" in body["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Bearer nonsense", "Bearer ost_", "Bearer ost_wrongwrongwrongwrong", "Basic bWluYTpwYXNzd29yZA==", "Bearer"],
)
def test_a_bad_token_is_refused(client, member, header):
    assert_error(call(client, "get", "/me", headers={"Authorization": header}), 401, "unauthenticated")


def test_a_token_with_the_right_prefix_but_wrong_secret_is_refused(client, member):
    _, secret = make_token(member)
    forged = secret[:-4] + ("aaaa" if not secret.endswith("aaaa") else "bbbb")
    response = call(client, "get", "/me", headers={"Authorization": f"Bearer {forged}"})
    assert_error(response, 401, "unauthenticated")


def test_a_revoked_token_is_refused(client, member):
    token, secret = make_token(member)
    actions.revoke_api_token(token)
    body = assert_error(call(client, "get", "/me", headers={"Authorization": f"Bearer {secret}"}), 401)
    assert "revoked" in body["message"]


def test_an_expired_token_is_refused(client, member):
    token, secret = make_token(member)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    body = assert_error(call(client, "get", "/me", headers={"Authorization": f"Bearer {secret}"}), 401)
    assert "expired" in body["message"]


@pytest.mark.parametrize("status", [domain.Status.SUSPENDED, domain.Status.LEFT, domain.Status.PENDING])
def test_a_token_stops_working_when_its_membership_is_not_active(client, member, status):
    _, secret = make_token(member)
    Member.objects.filter(pk=member.pk).update(status=status)
    body = assert_error(call(client, "get", "/me", headers={"Authorization": f"Bearer {secret}"}), 401)
    assert "not active" in body["message"]


def test_erasing_an_account_kills_its_tokens(client, member):
    _, secret = make_token(member)
    actions.erase_user(member.user)
    assert_error(call(client, "get", "/me", headers={"Authorization": f"Bearer {secret}"}), 401, "unauthenticated")


def test_a_token_records_when_it_was_last_used_at_most_once_a_minute(client, member, time_machine):
    time_machine.move_to("2026-03-02 10:00:00Z", tick=False)
    token, secret = make_token(member)
    headers = {"Authorization": f"Bearer {secret}"}
    call(client, "get", "/me", headers=headers)
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use == timezone.now()

    time_machine.move_to("2026-03-02 10:00:30Z", tick=False)
    call(client, "get", "/me", headers=headers)
    token.refresh_from_db()
    assert token.last_used_at == first_use

    time_machine.move_to("2026-03-02 10:02:00Z", tick=False)
    call(client, "get", "/me", headers=headers)
    token.refresh_from_db()
    assert token.last_used_at == timezone.now()


# --- Me ---------------------------------------------------------------------------------------------------------


def test_mina_sees_her_own_membership_and_account(client, member):
    body = call(client, "get", "/me", member).json()
    assert body["id"] == member.pk
    assert body["community"] == "riverside"
    assert (body["display_name"], body["role"], body["status"]) == ("Mina", "member", "active")
    assert body["organisation"] is None
    assert (body["full_name"], body["email"], body["phone"]) == ("Mina Member", "mina@example.org", None)
    assert body["share_email"] is False


def test_sam_sees_the_organisation_he_works_for(client, staff):
    body = call(client, "get", "/me", staff).json()
    assert body["role"] == "staff"
    assert body["organisation"] == {"slug": "riverside-council", "name": "Riverside Council"}


def test_otto_s_token_belongs_to_hillside_only(client, outsider, member):
    assert call(client, "get", "/me", outsider).json()["community"] == "hillside"


# --- The member directory --------------------------------------------------------------------------------------


def test_mina_sees_the_active_listed_members_of_her_own_community(client, personas, pending, suspended):
    MemberFactory(community=personas["member"].community, display_name="Quiet", listed_in_directory=False)
    names = [m["display_name"] for m in call(client, "get", "/members", personas["member"]).json()["items"]]
    assert names == ["Cora", "Mina", "Sam"]


def test_a_coordinator_also_sees_who_is_waiting_or_suspended(client, coordinator, member, pending, suspended):
    body = call(client, "get", "/members", coordinator).json()
    assert {m["display_name"] for m in body["items"]} == {"Cora", "Mina", "Penny", "Sid"}
    waiting = call(client, "get", "/members?status=pending", coordinator).json()["items"]
    assert [m["display_name"] for m in waiting] == ["Penny"]


def test_otto_never_sees_riverside_members(client, personas):
    body = call(client, "get", "/members", personas["outsider"]).json()
    assert [m["display_name"] for m in body["items"]] == ["Otto"]
    assert body["count"] == 1


@pytest.mark.parametrize(
    ("query", "found"),
    [("gard", ["Mina"]), ("GARDEN walking", ["Mina"]), ("garden cooking", []), ("", ["Cora", "Mina"])],
)
def test_the_directory_search_needs_every_word(client, member, coordinator, query, found):
    body = call(client, "get", f"/members?q={query}", member).json()
    assert [m["display_name"] for m in body["items"]] == found


def test_members_see_only_what_others_share(client, member, coordinator):
    Member.objects.filter(pk=coordinator.pk).update(
        share_email=True, share_phone=False, share_location=False, postcode_district="LS6"
    )
    cora = call(client, "get", f"/members/{coordinator.pk}", member).json()
    assert cora["email"] == "cora@example.org"
    assert cora["phone"] is None
    assert cora["postcode_district"] is None
    assert cora["contact_preferences"] is None


def test_coordinators_see_everyone_s_contact_details(client, member, coordinator):
    Member.objects.filter(pk=member.pk).update(share_email=False, postcode_district="LS6", latitude="53.801")
    Member.objects.filter(pk=member.pk).update(longitude="-1.550")
    mina = call(client, "get", f"/members/{member.pk}", coordinator).json()
    assert mina["email"] == "mina@example.org"
    assert mina["postcode_district"] == "LS6"
    assert mina["location"] == {"latitude": 53.801, "longitude": -1.55}
    assert mina["contact_preferences"] == []


def test_another_community_s_member_is_not_found(client, member, outsider):
    body = assert_error(call(client, "get", f"/members/{outsider.pk}", member), 404, "not_found")
    assert body["message"] == "No member with that number here."


def test_a_pending_member_is_hidden_from_members_but_not_from_coordinators(client, member, coordinator, pending):
    assert_error(call(client, "get", f"/members/{pending.pk}", member), 404, "not_found")
    assert call(client, "get", f"/members/{pending.pk}", coordinator).json()["status"] == "pending"


@pytest.mark.parametrize("member_id", ["0", "-3", "abc", str(2**70)])
def test_a_member_number_that_cannot_exist_is_refused(client, member, member_id):
    assert_error(call(client, "get", f"/members/{member_id}", member), 422, "invalid_input")


def test_the_directory_makes_the_same_number_of_queries_for_2_or_20_members(
    client, member, organisation, time_machine, django_assert_max_num_queries
):
    # Frozen, so the token's last-used time and the rate-limit window stay put between the two counts.
    time_machine.move_to("2026-03-02 10:00:00Z", tick=False)
    headers = bearer(member)
    MemberFactory(community=member.community)
    call(client, "get", "/members", headers=headers)  # the first call also notes when the token was used
    with CaptureQueriesContext(connection) as few:
        assert call(client, "get", "/members", headers=headers).json()["count"] == 2
    for n in range(18):
        MemberFactory(community=member.community, organisation=organisation if n % 2 else None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(call(client, "get", "/members", headers=headers).json()["items"]) == 20


# --- Editing your own profile -----------------------------------------------------------------------------------


def test_mina_updates_her_profile(client, member):
    body = {
        "display_name": "  Mina   B ",
        "skills": ["Bike repair", "gardening"],
        "availability": ["weekends"],
        "postcode_district": "ls6",
        "location": {"latitude": 53.80149, "longitude": -1.55049},
        "share_email": True,
    }
    response = call(client, "patch", "/members/me", member, body)
    assert response.status_code == 200, response.content
    assert response.json()["display_name"] == "Mina B"
    member.refresh_from_db()
    assert member.display_name == "Mina B"
    assert member.skills == ["bike repair", "gardening"]
    assert member.postcode_district == "LS6"
    assert (str(member.latitude), str(member.longitude)) == ("53.801", "-1.550")
    assert member.share_email is True
    assert "bike repair" in member.search_text


def test_fields_left_out_stay_as_they_were(client, member):
    call(client, "patch", "/members/me", member, {"bio": "Retired teacher."})
    member.refresh_from_db()
    assert (member.bio, member.display_name, member.skills) == (
        "Retired teacher.",
        "Mina",
        ["gardening", "dog walking"],
    )


def test_a_null_location_removes_the_point(client, member):
    Member.objects.filter(pk=member.pk).update(latitude="53.8", longitude="-1.5")
    call(client, "patch", "/members/me", member, {"location": None})
    member.refresh_from_db()
    assert (member.latitude, member.longitude) == (None, None)


BAD_PROFILES = [
    ({"display_name": ""}, "display_name"),
    ({"display_name": "   "}, "display_name"),
    ({"display_name": None}, "display_name"),
    ({"display_name": "x" * 81}, "display_name"),
    ({"display_name": "Mi\x00na"}, "display_name"),
    ({"bio": "x" * 10_000}, "bio"),
    ({"postcode_district": "LS6 1AA"}, "postcode_district"),
    ({"postcode_district": "123"}, "postcode_district"),
    ({"location": {"latitude": 200, "longitude": 0}}, "location.latitude"),
    ({"location": {"latitude": 53.8}}, "location.longitude"),
    ({"location": [53.8, -1.5]}, "location"),
    ({"skills": "gardening"}, "skills"),
    ({"skills": ["x" * 41]}, "skills"),
    ({"skills": [f"skill {n}" for n in range(21)]}, "skills"),
    ({"skills": [1, 2]}, "skills"),
    ({"availability": ["sometimes"]}, "availability"),
    ({"share_email": "yes"}, "share_email"),
    ({"listed_in_directory": 0}, "listed_in_directory"),
    ({"role": "admin"}, "role"),
    ({"status": "active"}, "status"),
]


@pytest.mark.parametrize(("body", "field"), BAD_PROFILES, ids=[field for _, field in BAD_PROFILES])
def test_a_bad_profile_is_refused_and_nothing_changes(client, member, body, field):
    before = row(member)
    response = call(client, "patch", "/members/me", member, body)
    error = assert_error(response)
    assert response.status_code in (400, 422)
    assert field in error["fields"]
    assert "pydantic" not in error["fields"][field]
    assert row(member) == before


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"', "null"])
def test_a_body_that_is_not_a_profile_is_refused(client, member, raw):
    before = row(member)
    response = call(client, "patch", "/members/me", member, raw)
    assert_error(response)
    assert response.status_code in (400, 422)
    assert row(member) == before


def test_messages_are_written_for_people(client, member):
    error = assert_error(call(client, "patch", "/members/me", member, {"bio": "x" * 10_000}), 422, "invalid_input")
    assert error["message"] == "Keep this to 2,000 characters or fewer."
    error = assert_error(call(client, "patch", "/members/me", member, {"postcode_district": "LS6 1AA"}), 422)
    assert error["fields"]["postcode_district"].startswith("Enter only the first part of the postcode")
    error = assert_error(call(client, "patch", "/members/me", member, {"location": {"latitude": 200, "longitude": 0}}))
    assert error["fields"]["location.latitude"] == "Enter a number no bigger than 90."


# --- Organisations ----------------------------------------------------------------------------------------------


def test_members_list_the_active_partners_of_their_own_community(client, member, organisation, other_community):
    OrganisationFactory(community=member.community, name="Closed Charity", slug="closed", is_active=False)
    OrganisationFactory(community=other_community, name="Hillside School", slug="hillside-school")
    body = call(client, "get", "/organisations", member).json()
    assert [o["slug"] for o in body["items"]] == ["riverside-council"]
    assert body["items"][0]["kind"] == "council"


def test_an_inactive_partner_is_visible_to_coordinators_only(client, member, coordinator):
    OrganisationFactory(community=member.community, name="Closed Charity", slug="closed", is_active=False)
    assert_error(call(client, "get", "/organisations/closed", member), 404, "not_found")
    assert call(client, "get", "/organisations/closed", coordinator).json()["is_active"] is False


def test_otto_cannot_read_riverside_s_partners(client, outsider, organisation):
    assert_error(call(client, "get", "/organisations/riverside-council", outsider), 404, "not_found")


# --- Coordinators managing members ------------------------------------------------------------------------------


def test_cora_approves_a_waiting_member_and_the_audit_log_says_why(client, coordinator, pending):
    response = call(client, "post", f"/members/{pending.pk}/approve", coordinator, {"reason": "Met at the café"})
    assert response.json()["status"] == "active"
    pending.refresh_from_db()
    assert pending.status == domain.Status.ACTIVE
    entry = AuditEntry.objects.get(member=pending, action="member.approved")
    assert (entry.actor, entry.reason) == (coordinator.user, "Met at the café")


def test_cora_suspends_and_reinstates_a_member(client, coordinator, member):
    call(client, "post", f"/members/{member.pk}/suspend", coordinator, {"reason": "Repeated no-shows"})
    member.refresh_from_db()
    assert member.status == domain.Status.SUSPENDED
    call(client, "post", f"/members/{member.pk}/reinstate", coordinator, {"reason": ""})
    member.refresh_from_db()
    assert member.status == domain.Status.ACTIVE


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}])
def test_a_suspension_needs_a_reason(client, coordinator, member, body):
    before = row(member)
    assert_error(call(client, "post", f"/members/{member.pk}/suspend", coordinator, body), 422, "invalid_input")
    assert row(member) == before


@pytest.mark.parametrize("who", ["member", "staff", "outsider"])
def test_only_coordinators_may_manage_members(client, personas, pending, who):
    before = row(pending)
    body = assert_error(call(client, "post", f"/members/{pending.pk}/approve", personas[who], {}), 403, "forbidden")
    assert "coordinators" in body["message"]
    assert row(pending) == before


def test_a_coordinator_of_another_community_cannot_reach_riverside_members(client, other_community, pending):
    hillside_coordinator = CoordinatorFactory(community=other_community)
    before = row(pending)
    response = call(client, "post", f"/members/{pending.pk}/approve", hillside_coordinator, {})
    assert_error(response, 404, "not_found")
    assert row(pending) == before


def test_approving_someone_already_active_is_a_conflict_that_says_why(client, coordinator, member):
    body = assert_error(call(client, "post", f"/members/{member.pk}/approve", coordinator, {}), 409, "wrong_status")
    assert body["message"] == "This member is active."


def test_only_an_administrator_may_suspend_a_coordinator(client, coordinator, community):
    other = CoordinatorFactory(community=community)
    before = row(other)
    response = call(client, "post", f"/members/{other.pk}/suspend", coordinator, {"reason": "Disagreement"})
    assert_error(response, 403, "role_not_allowed")
    assert row(other) == before


def test_a_coordinator_cannot_suspend_themselves(client, coordinator):
    before = row(coordinator)
    response = call(client, "post", f"/members/{coordinator.pk}/suspend", coordinator, {"reason": "Tired"})
    assert_error(response, 403, "not_yourself")
    assert row(coordinator) == before


# --- Rate limits and the error format for everything else -------------------------------------------------------


def test_a_token_that_calls_too_often_is_told_to_wait(client, member, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    headers = bearer(member)
    assert call(client, "get", "/me", headers=headers).status_code == 200
    assert call(client, "get", "/me", headers=headers).status_code == 200
    response = call(client, "get", "/me", headers=headers)
    assert_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) >= 1
    assert call(client, "get", "/me", member).status_code == 200  # another token has its own allowance


def test_anonymous_callers_are_limited_per_address(client, community, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 1
    assert call(client, "get", "/communities").status_code == 200
    assert_error(call(client, "get", "/communities"), 429, "rate_limited")
    assert client.get(f"{API}/communities", REMOTE_ADDR="192.0.2.7").status_code == 200


def test_an_unexpected_crash_still_answers_in_the_error_format(client, member, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("ostrom.communities.access.visible_organisations", explode)
    body = assert_error(call(client, "get", "/organisations", member), 500, "server_error")
    assert "boom" not in body["message"]


def test_the_schema_and_the_docs_are_published(client, db):
    schema = client.get(f"{API}/openapi.json").json()
    assert schema["info"]["title"] == "Ostrom API"
    assert "/api/v1/members/{member_id}" in schema["paths"]
    assert client.get(f"{API}/docs").status_code == 200


@pytest.mark.parametrize(("method", "path"), [("get", "/nope"), ("post", "/nope/deeper"), ("get", "/")])
def test_an_unknown_address_answers_in_the_error_format(client, db, method, path):
    assert_error(getattr(client, method)(f"{API}{path}"), 404, "not_found")


def test_a_method_an_address_does_not_take_answers_in_the_error_format(client, member):
    response = call(client, "delete", "/me", member)
    body = assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET"
    assert "GET" in body["message"]
