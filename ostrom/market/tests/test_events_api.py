"""Events through the JSON API: Mina puts on a repair café with one place, Sam takes it, Cora waits and gets it
when Sam gives it up; the host cancels or takes the register. Every refusal answers {code, message, fields} and
writes nothing; another community's events are 404s."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ostrom.communities.tests.test_api import assert_error, call
from ostrom.market.actions import events as event_actions
from ostrom.market.models import Event, Rsvp
from ostrom.market.tests.factories_community_life import EventFactory, litter_pick

__all__ = ["litter_pick"]  # a fixture, imported for pytest to find


def test_a_member_puts_on_an_event_and_others_answer(client, member, staff, coordinator):
    start = timezone.now() + timedelta(days=3)
    body = {
        "title": "Repair café", "description": "Bring something broken.", "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(), "place": "Library", "capacity": 1,
    }  # fmt: skip
    created = call(client, "post", "/market/events", member, body)
    assert created.status_code == 201, created.content
    event_id = created.json()["id"]

    first = call(client, "post", f"/market/events/{event_id}/rsvp", staff, {"going": True}).json()
    second = call(client, "post", f"/market/events/{event_id}/rsvp", coordinator, {}).json()
    gave_up = call(client, "post", f"/market/events/{event_id}/rsvp", staff, {"going": False}).json()

    assert (first["status"], second["status"]) == ("going", "waitlisted")
    assert gave_up["status"] == "cancelled" and gave_up["promoted"] == 1
    read = call(client, "get", f"/market/events/{event_id}", coordinator).json()
    assert (read["my_answer"], read["going"], read["places_left"]) == ("going", 1, 0)


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"starts_at": "2020-01-01T10:00:00Z", "ends_at": "2020-01-01T12:00:00Z"}, 409, "date_in_past"),
        ({"capacity": 0}, 422, None),
        ({"starts_at": "2030-01-01T10:00:00"}, 422, None),  # no time zone
        ({"title": ""}, 422, None),
    ],
)
def test_an_event_with_bad_input_is_refused(client, member, changes, status, code):
    start = timezone.now() + timedelta(days=3)
    body = {
        "title": "Repair café", "description": "Bring something broken.", "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(), "place": "Library",
    }  # fmt: skip

    assert_error(call(client, "post", "/market/events", member, body | changes), status, code)
    assert not Event.objects.exists()


def test_the_list_shows_upcoming_events_with_my_answer(client, litter_pick, member, community):
    EventFactory(community=community, title="Past", starts_at=timezone.now() - timedelta(days=2))
    event_actions.rsvp(member, litter_pick)

    items = call(client, "get", "/market/events", member).json()["items"]

    assert [(item["title"], item["my_answer"]) for item in items] == [("Litter pick", "going")]


def test_only_the_host_cancels_or_takes_the_register(client, litter_pick, staff, member):
    assert_error(call(client, "post", f"/market/events/{litter_pick.pk}/cancel", staff, {}), 403, "not_allowed")
    marked = call(client, "post", f"/market/events/{litter_pick.pk}/attendance", staff, {"walk_in_name": "Pat"})
    assert_error(marked, 403, "not_allowed")

    cancelled = call(client, "post", f"/market/events/{litter_pick.pk}/cancel", member, {"reason": "Rain"})
    assert cancelled.json()["status"] == "cancelled"


def test_the_host_marks_attendance_after_the_start(client, litter_pick, member, time_machine):
    early = call(client, "post", f"/market/events/{litter_pick.pk}/attendance", member, {"walk_in_name": "Pat"})
    assert_error(early, code="event_not_started")
    time_machine.move_to(litter_pick.starts_at + timedelta(minutes=5), tick=False)

    marked = call(client, "post", f"/market/events/{litter_pick.pk}/attendance", member, {"member": member.pk})

    assert marked.status_code == 201 and marked.json()["member"] == member.pk


def test_another_communitys_event_is_404(client, litter_pick, outsider):
    assert_error(call(client, "get", f"/market/events/{litter_pick.pk}", outsider), 404)
    assert_error(call(client, "post", f"/market/events/{litter_pick.pk}/rsvp", outsider, {}), 404)
    assert not Rsvp.objects.exists()


def test_the_endpoints_are_in_the_openapi_schema(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    for path in (
        "/api/v1/market/volunteering/roles",
        "/api/v1/market/volunteering/roles/{role_id}/applications",
        "/api/v1/market/volunteering/roles/{role_id}/hours",
        "/api/v1/market/volunteering/pledges/{organisation}",
        "/api/v1/market/events",
        "/api/v1/market/events/{event_id}/rsvp",
        "/api/v1/market/events/{event_id}/attendance",
    ):
        assert path in paths, path
