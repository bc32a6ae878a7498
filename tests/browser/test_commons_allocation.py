"""axe-core finds nothing wrong on contested allocation's and travelling services' pages, and they work without
JavaScript: Mina ranks the kitchen's Saturday sessions in a browser with JavaScript off; the allotment draw's
result and the mobile library's published timetable, with the coordinators' forms, pass axe."""

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from ostrom.commons.actions import allocation as allocation_actions
from ostrom.commons.actions import travelling as travelling_actions
from ostrom.commons.actions.allocation import SlotSpec, WindowFields
from ostrom.commons.actions.travelling import ServiceFields
from ostrom.commons.models import AllocationRequest
from ostrom.communities.tests.factories import MemberFactory
from tests.browser.conftest import assert_accessible, login_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def kitchen_window(coordinator):
    fields = WindowFields(
        title="Kitchen Saturdays", closes_at=timezone.now() + timedelta(days=2), method="fair_assignment",
        slots=[SlotSpec("Saturday morning"), SlotSpec("Saturday afternoon"), SlotSpec("Sunday morning")],
    )  # fmt: skip
    return allocation_actions.open_window(coordinator, fields)


@pytest.fixture
def allotment_draw(coordinator, community, member):
    fields = WindowFields(
        title="Allotment plots", closes_at=timezone.now() + timedelta(minutes=5), method="lottery",
        slots=[SlotSpec("Plot 1"), SlotSpec("Plot 2")],
    )  # fmt: skip
    window = allocation_actions.open_window(coordinator, fields)
    people = [member, *MemberFactory.create_batch(3, community=community)]
    requests = [allocation_actions.request_slots(person, window) for person in people]
    allocation_actions.set_need(coordinator, requests[0], "No bus on Sundays", tiers=["no_car"])
    with time_machine.travel(window.closes_at + timedelta(minutes=1), tick=False):
        return allocation_actions.allocate(window, coordinator)


@pytest.fixture
def mobile_library(coordinator, member):
    fields = ServiceFields(
        name="Mobile library",
        visits=6,
        period_starts_on=date.today() + timedelta(days=30),
        period_ends_on=date.today() + timedelta(days=82),
    )
    service = travelling_actions.create_service(coordinator, fields, [("Ashby", "the green"), ("Brill", "")])
    travelling_actions.register_need(member, service.places.get(name="Ashby"), "no_car")
    travelling_actions.publish(coordinator, service)
    return service


def test_a_member_ranks_slots_without_javascript(page_without_js, live_server, member, kitchen_window):
    page = page_without_js
    login_as(page, live_server, member)
    page.goto(f"{live_server.url}/c/riverside/commons/windows/{kitchen_window.pk}/")
    page.get_by_label("Saturday afternoon").select_option("1")
    page.get_by_label("Sunday morning").select_option("2")
    page.get_by_role("button", name="Ask for a slot").click()
    page.wait_for_load_state()
    assert "Your request for Kitchen Saturdays is in." in page.content()
    request = AllocationRequest.objects.get(member=member)
    assert sorted(request.scores.values_list("score", flat=True)) == [99, 100]


def test_the_result_and_the_services_pages_are_accessible(
    page, live_server, member, coordinator, allotment_draw, mobile_library, kitchen_window
):
    for persona, paths in (
        (member, [
            "windows/", f"windows/{kitchen_window.pk}/", f"windows/{allotment_draw.pk}/",
            f"windows/{allotment_draw.pk}/verify/", "services/",
            f"services/{mobile_library.slug}/",
        ]),
        (coordinator, [
            f"windows/{allotment_draw.pk}/", f"windows/{kitchen_window.pk}/", "windows/new/", "services/new/", f"services/{mobile_library.slug}/",
            f"services/{mobile_library.slug}/need-for/",
        ]),
    ):  # fmt: skip
        login_as(page, live_server, persona)
        for path in paths:
            response = page.goto(f"{live_server.url}/c/riverside/commons/{path}")
            assert response.status == 200, path
            assert_accessible(page)
        page.context.clear_cookies()
