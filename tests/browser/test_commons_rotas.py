"""The rota pages in a real browser: axe-core finds nothing wrong on a care circle's page (its rota with a shift
nobody can do, a swap offered, each person's hours against their fair share) or on the organisers' and members'
forms; and Ann gives her availability and offers a shift with JavaScript off."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ostrom.commons.actions import rotas as actions
from ostrom.commons.models import ShiftAssignment, SwapRequest, TeamKind, TeamMember
from ostrom.communities.tests.factories import MemberFactory, UserFactory
from tests.browser.conftest import assert_accessible, login_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HOUR = 60


@pytest.fixture
def circle(member):
    """Mina's care circle for Edith with Ann and Bob: a morning visit each day, a night sit nobody can do, and
    Ann's offer of one of her mornings."""
    ann, bob = (
        MemberFactory(community=member.community, user=UserFactory(full_name=f"{name} Neighbour"), display_name=name)
        for name in ("Ann", "Bob")
    )
    team = actions.create_team(member, "Care for Edith", TeamKind.CARE_CIRCLE, "Daily visits to Edith.")
    for person in (ann, bob):
        actions.add_member(member, team, person, max_minutes=20 * HOUR)
    for day in range(7):
        actions.add_pattern(member, team, "Morning visit", day, 9 * HOUR, HOUR)
    actions.add_pattern(member, team, "Night sit", 2, 2 * HOUR, HOUR)
    for tm in team.memberships.all():
        actions.set_availability(tm.member, tm, [(d * 1440 + 8 * HOUR, d * 1440 + 12 * HOUR) for d in range(7)])
    today = timezone.localdate()
    actions.generate_rota(member, team, today + timedelta(days=7 - today.weekday()), 2)
    hers = ShiftAssignment.objects.filter(member=ann).order_by("shift__starts_at").first()
    actions.offer_swap(ann, hers, "I have a hospital appointment.")
    return team


def test_the_rota_pages_are_accessible(page, live_server, member, circle):
    login_as(page, live_server, member)
    base = f"{live_server.url}/c/riverside/commons/teams"
    for path in ("", "/care-for-edith/", "/care-for-edith/members/", "/care-for-edith/shifts/",
                 "/care-for-edith/availability/", "/care-for-edith/rota/", "/care-for-edith/settings/", "/new/"):  # fmt: skip
        response = page.goto(f"{base}{path}")
        assert response.status == 200, path
        assert_accessible(page)
    page.goto(f"{base}/care-for-edith/")
    assert page.get_by_text("Nobody in the team has said they can do this shift.").first.is_visible()
    assert page.get_by_text("I have a hospital appointment.").is_visible()

    page.goto(f"{base}/care-for-edith/shifts/")
    page.get_by_role("button", name="Add the shift").click()  # nothing filled in: errors shown
    assert page.get_by_role("alert").is_visible()
    assert_accessible(page)


def test_ann_gives_her_times_and_offers_a_shift_without_javascript(page_without_js, live_server, circle):
    ann = TeamMember.objects.get(team=circle, member__display_name="Ann").member
    page = page_without_js
    login_as(page, live_server, ann)
    page.goto(f"{live_server.url}/c/riverside/commons/teams/care-for-edith/availability/")
    page.get_by_label("Saturday", exact=True).check()
    page.get_by_label("From", exact=True).fill("14:00")
    page.get_by_label("Until", exact=True).fill("17:00")
    page.get_by_role("button", name="Add these times").click()
    assert page.get_by_text("Your availability is saved.").is_visible()
    assert page.get_by_text("Saturday 14:00 to 17:00").is_visible()

    page.goto(f"{live_server.url}/c/riverside/commons/teams/care-for-edith/")
    page.get_by_role("link", name="Offer or trade").nth(1).click()
    page.get_by_label("A note for the team").fill("Away that weekend")
    page.get_by_role("button", name="Offer it").click()
    assert page.get_by_text("Your shift is offered.").is_visible()
    assert SwapRequest.objects.filter(note="Away that weekend").exists()
