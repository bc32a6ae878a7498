"""Request windows' pages through Django's test client, as a browser without JavaScript uses them: Cora opens a
window for the allotment plots, Mina asks (and ranks, for a fair assignment), Cora weights a need with a reason and
allocates once it closes; everyone sees the result, the certificate, and can check it again."""

import html
import json
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ostrom.commons.actions import allocation as actions
from ostrom.commons.actions.allocation import SlotSpec, WindowFields
from ostrom.commons.models import AllocationMethod, AllocationRequest, RequestWindow, WindowStatus
from ostrom.communities.tests.factories import MemberFactory

DAY = timedelta(days=1)


def as_(persona) -> Client:
    client = Client()
    if persona is not None:
        client.force_login(persona.user)
    return client


def url(name, *args) -> str:
    return reverse(name, args=["riverside", *args])


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def local(moment) -> str:
    return timezone.localtime(moment, timezone.get_default_timezone()).strftime("%Y-%m-%dT%H:%M")


def window_for(coordinator, method=AllocationMethod.LOTTERY, labels=("Plot 1", "Plot 2")) -> RequestWindow:
    fields = WindowFields(
        title="Allotment plots", closes_at=timezone.now() + DAY, method=method,
        slots=[SlotSpec(label) for label in labels],
    )  # fmt: skip
    return actions.open_window(coordinator, fields)


def test_a_coordinator_opens_a_window_from_the_form(coordinator):
    cora = as_(coordinator)
    assert cora.get(url("commons-window-new")).status_code == 200
    sent = {
        "title": "Kitchen Saturdays", "method": "fair_assignment", "closes_at": local(timezone.now() + 3 * DAY),
        "slots": "Morning, 2030-03-02 09:00, 2030-03-02 12:00\nAfternoon, 2030-03-02 13:00, 2030-03-02 17:00\n\nEvening",
        "periods": "1",
    }  # fmt: skip

    done = cora.post(url("commons-window-new"), sent, follow=True)

    window = RequestWindow.objects.get()
    assert "Kitchen Saturdays is open for requests." in text_of(done)
    labels = list(window.slots.order_by("position").values_list("label", flat=True))
    assert labels == ["Morning", "Afternoon", "Evening"]
    assert window.slots.get(label="Evening").starts_at is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"slots": "Morning, tomorrow, later"}, "write times like 2027-03-06 10:00"),
        ({"slots": "A\na"}, "is listed twice"),
        ({"closes_at": local(timezone.now() - DAY)}, "The closing time has already passed"),
        ({"method": "rotation", "periods": "3", "turning_period": "3"}, "The direction can only change"),
    ],
)
def test_bad_windows_are_shown_beside_the_field(coordinator, changes, message):
    sent = {"title": "Plots", "method": "lottery", "closes_at": local(timezone.now() + DAY), "slots": "A\nB"}
    response = as_(coordinator).post(url("commons-window-new"), sent | changes)
    assert response.status_code == 400
    assert "There is a problem" in text_of(response) and message in text_of(response)
    assert not RequestWindow.objects.exists()


def test_members_cannot_open_windows(member):
    assert as_(member).get(url("commons-window-new")).status_code == 403


def test_a_member_asks_and_withdraws_without_javascript(coordinator, member):
    window = window_for(coordinator)
    mina = as_(member)
    page = mina.get(url("commons-window", window.pk))
    assert "Ask for a slot" in text_of(page) and text_of(page).count("<h1>") == 1

    asked = mina.post(url("commons-window-request", window.pk), follow=True)
    assert "Your request for Allotment plots is in." in text_of(asked)
    assert AllocationRequest.objects.filter(member=member).exists()

    gone = mina.post(url("commons-window-withdraw", window.pk), follow=True)
    assert "Your request is withdrawn." in text_of(gone)
    assert not AllocationRequest.objects.exists()


def test_a_member_ranks_slots_for_a_fair_assignment(coordinator, member):
    window = window_for(coordinator, AllocationMethod.FAIR_ASSIGNMENT, labels=("Morning", "Afternoon", "Evening"))
    morning, afternoon, evening = window.slots.order_by("position")
    mina = as_(member)

    same_place = mina.post(
        url("commons-window-request", window.pk),
        {"slots_wanted": "1", f"rank_{morning.pk}": "1", f"rank_{afternoon.pk}": "1"},
    )
    assert same_place.status_code == 400
    assert "Give each slot you want a different place" in text_of(same_place)

    mina.post(
        url("commons-window-request", window.pk),
        {"slots_wanted": "2", f"rank_{evening.pk}": "1", f"rank_{morning.pk}": "2"},
    )
    request = AllocationRequest.objects.get()
    scores = dict(request.scores.values_list("slot_id", "score"))
    assert request.slots_wanted == 2 and scores == {evening.pk: 100, morning.pk: 99}


def test_a_coordinator_sets_a_need_only_with_a_reason(coordinator, member):
    window = window_for(coordinator)
    request = actions.request_slots(member, window)
    cora = as_(coordinator)
    need_url = url("commons-window-need", window.pk, request.pk)

    refused = cora.post(need_url, {"tiers": ["no_car"], "reason": ""})
    assert refused.status_code == 400 and "Enter why this person's need counts for more." in text_of(refused)
    request.refresh_from_db()
    assert request.need_tiers == []

    cora.post(need_url, {"tiers": ["no_car"], "reason": "No bus on Sundays"})
    request.refresh_from_db()
    assert (request.need_points, request.need_reason) == (15, "No bus on Sundays")
    assert as_(member).get(need_url).status_code == 403


def test_the_result_shows_tiers_to_members_and_reasons_to_coordinators(coordinator, member, community):
    others = MemberFactory.create_batch(3, community=community)
    window = window_for(coordinator)
    request = actions.request_slots(member, window)
    for person in others:
        actions.request_slots(person, window)
    actions.set_need(coordinator, request, "Her knees are bad", tiers=["disability"])
    with time_machine.travel(window.closes_at + timedelta(minutes=1), tick=False):
        done = as_(coordinator).post(url("commons-window-allocate", window.pk), follow=True)
        assert "The allocation has run." in text_of(done)
        members_view = text_of(as_(member).get(url("commons-window", window.pk)))
        coordinators_view = text_of(as_(coordinator).get(url("commons-window", window.pk)))

    window.refresh_from_db()
    assert window.status == WindowStatus.ALLOCATED
    for page in (members_view, coordinators_view):
        assert "Mina" in page and "disability" in page and str(window.seed) in page
        assert window.certificate["inputs_hash"] in page and "Check it yourself" in page
    assert "Her knees are bad" in coordinators_view and "Her knees are bad" not in members_view
    assert "Your result" in members_view


def test_anyone_in_the_community_downloads_the_certificate_and_checks_it(coordinator, member, staff):
    window = window_for(coordinator)
    actions.request_slots(member, window)
    with time_machine.travel(window.closes_at + timedelta(minutes=1), tick=False):
        actions.allocate(window)

    download = as_(staff).get(url("commons-window-certificate", window.pk))
    published = json.loads(download.content)
    assert download["Content-Disposition"].startswith("attachment")
    assert published["certificate"]["seed"] == RequestWindow.objects.get().seed
    assert published["inputs"]["needs"][0][0] == member.pk

    checked = text_of(as_(staff).get(url("commons-window-verify", window.pk)))
    assert "The same result came out." in checked


def test_allocating_before_the_close_is_refused_in_words(coordinator, member):
    window = window_for(coordinator)
    actions.request_slots(member, window)
    done = as_(coordinator).post(url("commons-window-allocate", window.pk), follow=True)
    assert "Requests are still open" in text_of(done)
    assert RequestWindow.objects.get().status == WindowStatus.OPEN


def test_other_communities_cannot_see_a_window(coordinator, outsider):
    window = window_for(coordinator)
    assert as_(outsider).get(url("commons-window", window.pk)).status_code == 403
    assert as_(None).get(url("commons-window", window.pk)).status_code == 302


def test_the_list_shows_open_and_allocated_windows(coordinator, member):
    window_for(coordinator)
    page = text_of(as_(member).get(url("commons-windows")))
    assert "Allotment plots" in page and "Open a request window" not in page
    assert "Open a request window" in text_of(as_(coordinator).get(url("commons-windows")))


def test_a_rotation_result_shows_the_schedule(coordinator, community):
    people = MemberFactory.create_batch(3, community=community)
    fields = WindowFields(
        title="Fishing sites", closes_at=timezone.now() + DAY, method=AllocationMethod.ROTATION,
        slots=[SlotSpec("East point"), SlotSpec("The bay"), SlotSpec("West rocks")], periods=4,
    )  # fmt: skip
    window = actions.open_window(coordinator, fields)
    for person in people:
        actions.request_slots(person, window)
    with time_machine.travel(window.closes_at + timedelta(minutes=1), tick=False):
        actions.allocate(window)
    page = text_of(as_(people[0]).get(url("commons-window", window.pk)))
    assert "The rotation, period by period" in page and "West rocks" in page
