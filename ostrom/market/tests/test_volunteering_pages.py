"""The volunteering pages through Django's test client, as a browser without JavaScript uses them: Mina finds the
garden role and applies; Sam (council staff) posts a role, accepts her and logs her hours from the role's page,
and pressing "Log the hours" twice credits once; an employer sees its pledge. Who may open what, and bad input
shown beside its field with nothing written."""

import datetime
import html
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from ostrom.communities.tests.factories import OrganisationFactory, StaffFactory
from ostrom.communities.tests.test_pages import FormReader
from ostrom.ledger.models import Transfer
from ostrom.market.actions import volunteering as actions
from ostrom.market.models import ApplicationStatus, VolunteerApplication, VolunteerLog, VolunteerPledge, VolunteerRole
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

PROBLEM = "There is a problem"


def as_(persona) -> Client:
    client = Client()
    if persona is not None:
        client.force_login(persona.user)
    return client


def url(name, *args) -> str:
    return reverse(name, args=["riverside", *args])


def form_posting_to(page, action: str) -> dict:
    """The fields of the form on ``page`` that posts to ``action``, as a browser would send them."""
    reader = FormReader()
    reader.feed(page.content.decode())
    forms = [form for form in reader.forms if form["method"].lower() == "post" and form["action"] == action]
    assert forms, f"no form posts to {action}"
    return forms[0]["fields"]


def text_of(response) -> str:
    return html.unescape(response.content.decode())


# --- members -------------------------------------------------------------------------------------------------------


def test_a_member_finds_a_role_and_applies(garden_role, member):
    mina = as_(member)
    listing = mina.get(url("market_volunteering"))
    assert listing.status_code == 200
    assert "Community garden shift" in text_of(listing)

    page = mina.get(url("market_volunteer_role", garden_role.pk))
    fields = form_posting_to(page, url("market_volunteer_apply", garden_role.pk))
    done = mina.post(url("market_volunteer_apply", garden_role.pk), fields | {"note": "Saturdays"}, follow=True)

    assert "You applied to volunteer as Community garden shift" in text_of(done)
    assert "Withdraw your application" in text_of(done)
    assert VolunteerApplication.objects.get(member=member).note == "Saturdays"


def test_applying_twice_shows_why_beside_the_form(garden_role, member):
    VolunteerApplicationFactory(role=garden_role, member=member)

    response = as_(member).post(url("market_volunteer_apply", garden_role.pk), {"note": ""})

    assert response.status_code == 400
    assert PROBLEM in text_of(response) and "You have already applied for this role." in text_of(response)
    assert VolunteerApplication.objects.count() == 1


def test_a_member_withdraws_her_application(garden_role, member):
    application = VolunteerApplicationFactory(role=garden_role, member=member)

    as_(member).post(url("market_volunteer_withdraw", application.pk))

    assert VolunteerApplication.objects.get(pk=application.pk).status == ApplicationStatus.WITHDRAWN


def test_the_list_shows_the_hours_logged_for_the_member(hours, garden_role, minas_place, staff, member):
    actions.log_hours(staff, garden_role, member, 90, actions.community_today(member), uuid.uuid4())

    page = text_of(as_(member).get(url("market_volunteering")))

    assert "add up to 1 h 30 min" in page


# --- organisations -------------------------------------------------------------------------------------------------


def test_staff_post_a_role_and_see_bad_input_beside_the_fields(staff, organisation):
    sam = as_(staff)
    page = sam.get(url("market_volunteer_role_new"))
    fields = form_posting_to(page, "")

    refused = sam.post(url("market_volunteer_role_new"), fields | {"title": "", "time_per_week": "0",
                                                                   "starts_on": "2026-02-30"})  # fmt: skip
    assert refused.status_code == 400
    body = text_of(refused)
    assert "Enter the name of the role." in body
    assert "The amount must be more than zero." in body
    assert "Enter a real date" in body
    assert not VolunteerRole.objects.exists()

    posted = sam.post(url("market_volunteer_role_new"), fields | {
        "title": "Befriender", "description": "A weekly visit.", "time_per_week": "1:30", "volunteers_needed": "2",
        "starts_on": "2026-01-05",
    })  # fmt: skip
    role = VolunteerRole.objects.get()
    assert posted.status_code == 302 and posted["Location"] == url("market_volunteer_role_manage", role.pk)
    assert (role.minutes_per_week, role.organisation, role.volunteers_needed) == (90, organisation, 2)


def test_a_member_cannot_post_or_manage_roles(garden_role, member):
    mina = as_(member)

    assert mina.get(url("market_volunteer_role_new")).status_code == 403
    assert mina.get(url("market_volunteer_manage")).status_code == 403
    assert mina.get(url("market_volunteer_role_manage", garden_role.pk)).status_code == 404
    assert mina.post(url("market_volunteer_role_close", garden_role.pk)).status_code == 404
    assert VolunteerRole.objects.get(pk=garden_role.pk).status == "open"


def test_staff_accept_an_application_from_the_role_page(garden_role, staff, member):
    application = VolunteerApplicationFactory(role=garden_role, member=member)
    sam = as_(staff)
    page = sam.get(url("market_volunteer_role_manage", garden_role.pk))
    assert "Accept" in text_of(page) and "Decline" in text_of(page)

    done = sam.post(url("market_volunteer_accept", application.pk), {"answer": "Welcome!"}, follow=True)

    assert "You accepted Mina. They have been told." in text_of(done)
    assert VolunteerApplication.objects.get(pk=application.pk).answer == "Welcome!"


def test_staff_log_hours_and_pressing_twice_credits_once(hours, garden_role, minas_place, staff, member):
    sam = as_(staff)
    action = url("market_volunteer_log", garden_role.pk)
    fields = form_posting_to(sam.get(url("market_volunteer_role_manage", garden_role.pk)), action)
    day = actions.community_today(member).isoformat()
    sent = fields | {"member": str(member.pk), "time": "2:30", "worked_on": day, "note": "Pruning"}

    first = sam.post(action, sent, follow=True)
    second = sam.post(action, sent, follow=True)

    assert "You logged 2 h 30 min for Mina. They earned 2 h 30 min of Timebank hours." in text_of(first)
    assert "These hours were already logged" in text_of(second)
    assert VolunteerLog.objects.count() == 1 and Transfer.objects.count() == 1
    assert balance(member, hours) == 150


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"time": "0"}, "The amount must be more than zero."),
        ({"time": "-1"}, "The amount must be more than zero."),
        ({"time": "25:00"}, "at most 24 h in a day"),
        ({"worked_on": (datetime.date.today() + datetime.timedelta(days=2)).isoformat()}, "a day that has passed"),
        ({"key": ""}, "This form is out of date"),
        ({"member": "999999"}, "Choose a volunteer from the list."),
    ],
)
def test_bad_hours_are_shown_beside_the_field_and_nothing_is_credited(
    changes, message, hours, garden_role, minas_place, staff, member
):
    sam = as_(staff)
    action = url("market_volunteer_log", garden_role.pk)
    fields = form_posting_to(sam.get(url("market_volunteer_role_manage", garden_role.pk)), action)
    sent = fields | {"member": str(member.pk), "time": "1:00", "worked_on": actions.community_today(member).isoformat()}

    response = sam.post(action, sent | changes)

    assert response.status_code == 400
    assert PROBLEM in text_of(response) and message in text_of(response)
    assert not VolunteerLog.objects.exists() and balance(member, hours) == 0


def test_a_member_cannot_log_hours_even_by_posting_the_form(hours, garden_role, minas_place, member, community):
    colleague = StaffFactory(community=community, organisation=OrganisationFactory(community=community))
    for who in (member, colleague):
        response = as_(who).post(
            url("market_volunteer_log", garden_role.pk),
            {"member": member.pk, "time": "1:00", "worked_on": "2026-01-05", "key": str(uuid.uuid4())},
        )
        assert response.status_code == 404
    assert not VolunteerLog.objects.exists()


def test_another_communitys_role_is_not_found_here(other_community, outsider, garden_role):
    hillside_role = VolunteerRoleFactory(community=other_community, created_by=outsider)
    otto = as_(outsider)

    assert otto.get(reverse("market_volunteer_role", args=["hillside", garden_role.pk])).status_code == 404
    assert otto.get(reverse("market_volunteer_role", args=["hillside", hillside_role.pk])).status_code == 200
    assert otto.get(url("market_volunteer_role", garden_role.pk)).status_code == 403  # not a Riverside member


def test_anonymous_visitors_are_asked_to_log_in(garden_role):
    response = Client().get(url("market_volunteering"))

    assert response.status_code == 302 and "login" in response["Location"]


# --- the pledge page -----------------------------------------------------------------------------------------------


def test_an_employer_pledges_hours_and_sees_those_given(hours, garden_role, staff, community):
    acme = OrganisationFactory(community=community, name="Acme Ltd", slug="acme", kind="business")
    eve = StaffFactory(community=community, organisation=acme, display_name="Eve")
    VolunteerApplicationFactory(role=garden_role, member=eve, status=ApplicationStatus.ACCEPTED)
    actions.log_hours(staff, garden_role, eve, 3 * HOUR, actions.community_today(eve), uuid.uuid4())
    page_url = url("market_volunteer_pledge", "acme")
    year = actions.community_today(eve).year

    saved = as_(eve).post(page_url, {"year": str(year), "time": "12"}, follow=True)

    body = text_of(saved)
    assert "Acme Ltd pledges 12 h in" in body
    assert "3 h (25%)" in body and "9 h" in body and "Eve" in body
    assert VolunteerPledge.objects.get().minutes_pledged == 12 * HOUR
    refused = as_(eve).post(page_url, {"year": str(year - 1), "time": "12"})
    assert refused.status_code == 400 and "That year is over." in text_of(refused)


def test_only_the_employers_staff_and_coordinators_see_its_pledge(staff, member, coordinator, community):
    OrganisationFactory(community=community, name="Acme Ltd", slug="acme", kind="business")
    page_url = url("market_volunteer_pledge", "acme")

    assert as_(member).get(page_url).status_code == 404
    assert as_(staff).get(page_url).status_code == 404  # the council's staff, not Acme's
    assert as_(coordinator).get(page_url).status_code == 200
