"""Volunteering through the JSON API, as stories about the cast: Sam (council staff) posts a role, accepts Mina
and logs her hours, sending the same key twice; an employer pledges. Every refusal answers {code, message,
fields} and writes nothing; another community's rows are 404s."""

import uuid

import pytest

from ostrom.communities.tests.factories import MemberFactory
from ostrom.communities.tests.test_api import assert_error, call
from ostrom.ledger.models import Transfer
from ostrom.market.actions import volunteering as actions
from ostrom.market.models import ApplicationStatus, VolunteerApplication, VolunteerLog, VolunteerRole
from ostrom.market.tests.factories_community_life import (
    HOUR,
    VolunteerApplicationFactory,
    VolunteerRoleFactory,
    balance,
    garden_role,
    hours,
    minas_place,
)

__all__ = ["garden_role", "hours", "minas_place"]  # fixtures, imported for pytest to find


def today(member) -> str:
    return actions.community_today(member).isoformat()


# --- volunteering --------------------------------------------------------------------------------------------------


def test_staff_post_a_role_and_members_see_it(client, staff, member, organisation):
    body = {
        "organisation": organisation.slug, "title": "Befriender", "description": "A weekly visit.",
        "minutes_per_week": 90, "starts_on": today(member),
    }  # fmt: skip
    created = call(client, "post", "/market/volunteering/roles", staff, body)

    assert created.status_code == 201, created.content
    assert created.json()["display"]["minutes_per_week"] == "1 h 30 min"
    listed = call(client, "get", "/market/volunteering/roles", member).json()
    assert [role["title"] for role in listed["items"]] == ["Befriender"]


def test_a_member_cannot_post_a_role(client, member, organisation):
    body = {
        "organisation": organisation.slug, "title": "Befriender", "description": "A weekly visit.",
        "minutes_per_week": 90, "starts_on": today(member),
    }  # fmt: skip

    assert_error(call(client, "post", "/market/volunteering/roles", member, body), 403, "not_allowed")
    assert not VolunteerRole.objects.exists()


@pytest.mark.parametrize(
    ("changes", "status"),
    [({"minutes_per_week": 0}, 422), ({"minutes_per_week": 1.5}, 422), ({"title": " "}, 422), ({"extra": 1}, 422)],
)
def test_a_role_with_bad_input_is_refused(client, staff, member, organisation, changes, status):
    body = {
        "organisation": organisation.slug, "title": "Befriender", "description": "A weekly visit.",
        "minutes_per_week": 90, "starts_on": today(member),
    }  # fmt: skip

    assert_error(call(client, "post", "/market/volunteering/roles", staff, body | changes), status)
    assert not VolunteerRole.objects.exists()


def test_a_member_applies_and_staff_accept(client, garden_role, member, staff):
    applied = call(client, "post", f"/market/volunteering/roles/{garden_role.pk}/applications", member, {"note": "Hi"})
    assert applied.status_code == 201
    application_id = applied.json()["id"]

    again = call(client, "post", f"/market/volunteering/roles/{garden_role.pk}/applications", member, {})
    assert assert_error(again, code="already_applied")
    assert_error(call(client, "post", f"/market/volunteering/applications/{application_id}/accept", member, {}), 403)
    accepted = call(client, "post", f"/market/volunteering/applications/{application_id}/accept", staff, {})

    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    listed = call(client, "get", f"/market/volunteering/roles/{garden_role.pk}/applications", staff).json()
    assert [a["member"]["display_name"] for a in listed["items"]] == ["Mina"]


def test_logging_hours_twice_with_one_key_credits_once(client, hours, garden_role, minas_place, staff, member):
    body = {"key": str(uuid.uuid4()), "member": member.pk, "minutes": 120, "worked_on": today(member)}

    first = call(client, "post", f"/market/volunteering/roles/{garden_role.pk}/hours", staff, body)
    second = call(client, "post", f"/market/volunteering/roles/{garden_role.pk}/hours", staff, body)

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["balance_after"] == 120 and first.json()["display"]["minutes"] == "2 h"
    assert second.json()["replayed"] and second.json()["id"] == first.json()["id"]
    assert VolunteerLog.objects.count() == 1 and Transfer.objects.count() == 1
    assert balance(member, hours) == 120
    other = call(client, "post", f"/market/volunteering/roles/{garden_role.pk}/hours", staff, body | {"minutes": 60})
    assert_error(other, code="exists_with_different_details")


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"minutes": 0}, 422, None),
        ({"minutes": -30}, 422, None),
        ({"minutes": 24 * HOUR + 1}, 422, None),
        ({"minutes": "60"}, 422, None),
        ({"key": "not-a-uuid"}, 422, None),
        ({"worked_on": "2999-01-01"}, 400, "date_in_future"),
        ({"member": 999_999}, 404, "member_unknown"),
    ],
)
def test_bad_hours_are_refused_and_nothing_is_credited(
    client, hours, garden_role, minas_place, staff, member, changes, status, code
):
    body = {"key": str(uuid.uuid4()), "member": member.pk, "minutes": 60, "worked_on": today(member)} | changes

    assert_error(call(client, "post", f"/market/volunteering/roles/{garden_role.pk}/hours", staff, body), status, code)
    assert not VolunteerLog.objects.exists() and balance(member, hours) == 0


def test_only_staff_log_hours_and_others_see_no_such_role(client, hours, garden_role, minas_place, member, outsider):
    body = {"key": str(uuid.uuid4()), "member": member.pk, "minutes": 60, "worked_on": today(member)}

    for who in (member, outsider):
        assert_error(call(client, "post", f"/market/volunteering/roles/{garden_role.pk}/hours", who, body), 404)
    assert not VolunteerLog.objects.exists()


def test_another_communitys_role_is_404(client, garden_role, outsider):
    assert_error(call(client, "get", f"/market/volunteering/roles/{garden_role.pk}", outsider), 404)
    applied = call(client, "post", f"/market/volunteering/roles/{garden_role.pk}/applications", outsider, {})
    assert_error(applied, 404)
    assert not VolunteerApplication.objects.exists()


def test_an_employer_pledges_and_reads_its_totals(client, hours, staff, coordinator, community, organisation):
    """The council's own staff volunteer for a charity's role: their hours count for the council's pledge."""
    volunteer = MemberFactory(community=community, organisation=organisation)
    charity_role = VolunteerRoleFactory(community=community)
    VolunteerApplicationFactory(role=charity_role, member=volunteer, status=ApplicationStatus.ACCEPTED)
    actions.log_hours(coordinator, charity_role, volunteer, 3 * HOUR, actions.community_today(staff), uuid.uuid4())
    year = actions.community_today(staff).year

    saved = call(client, "post", f"/market/volunteering/pledges/{organisation.slug}", staff,
                 {"year": year, "minutes_pledged": 10 * HOUR})  # fmt: skip

    assert saved.status_code == 200, saved.content
    assert (saved.json()["minutes_given"], saved.json()["percent"]) == (3 * HOUR, 30)
    read = call(client, "get", f"/market/volunteering/pledges/{organisation.slug}?year={year}", staff).json()
    assert read["display"]["minutes_remaining"] == "7 h"
