"""Travelling services through the JSON API: Cora defines the mobile library's visits to two villages, Mina and a
phone-only resident register needs, Cora publishes and everyone reads each place's share and the timetable."""

from datetime import date, timedelta

import pytest

from ostrom.commons.models import PlaceNeed, ScheduledVisit, TravellingService
from ostrom.communities.models import AuditEntry
from ostrom.communities.tests.test_api import assert_error, call
from ostrom.notify.models import Message

# Periods start next month: a timetable is for this season (not one that ended long ago, nor years ahead).
START = date.today() + timedelta(days=30)


def service_body(**changes) -> dict:
    body = {
        "name": "Mobile library", "visits": 6, "period_starts_on": START.isoformat(),
        "period_ends_on": (START + timedelta(days=52)).isoformat(),
        "places": [{"name": "Ashby", "stop": "the green"}, {"name": "Brill"}],
    }  # fmt: skip
    return body | changes


def test_a_service_from_definition_to_publication(client, coordinator, member, staff):
    created = call(client, "post", "/commons/services", coordinator, service_body())
    assert created.status_code == 201, created.content
    slug = created.json()["slug"]
    ashby, brill = sorted(created.json()["places"], key=lambda place: place["name"])

    mine = call(client, "post", f"/commons/services/{slug}/need", member, {"place": ashby["id"], "tier": "no_car"})
    assert mine.json() == {"place": ashby["id"], "tier": "no_car", "points": 3}
    for_staff = {"place": brill["id"], "tier": "housebound", "member": staff.pk, "reason": "Phoned"}
    assert call(client, "post", f"/commons/services/{slug}/need", coordinator, for_staff).status_code == 200
    assert AuditEntry.objects.filter(action="commons.travelling_need_registered", member=staff).exists()

    published = call(client, "post", f"/commons/services/{slug}/publish", coordinator)

    assert published.status_code == 200, published.content
    body = published.json()
    assert body["told"] == 2
    shares = {share["name"]: share for share in body["service"]["shares"]}
    assert (shares["Ashby"]["weighted_need"], shares["Brill"]["weighted_need"]) == (3, 4)
    assert shares["Ashby"]["visits"] + shares["Brill"]["visits"] == 6
    assert len(body["service"]["schedule"]) == ScheduledVisit.objects.count() == 6
    assert Message.objects.filter(kind="commons.travelling_visits").count() == 2
    read = call(client, "get", f"/commons/services/{slug}", member).json()
    assert read["my_need"]["place"] == ashby["id"] and read["certificate"]["method"] == "apportionment_sainte_lague"


def test_publishing_before_anyone_registers_is_a_conflict(client, coordinator):
    slug = call(client, "post", "/commons/services", coordinator, service_body()).json()["slug"]
    assert_error(call(client, "post", f"/commons/services/{slug}/publish", coordinator), 409, "no_registered_need")
    assert TravellingService.objects.get().published_at is None


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"period_ends_on": (START - timedelta(days=1)).isoformat()}, 409, "period_ends_before_start"),
        ({"visits": 0}, 422, None),
        ({"minimum_per_place": 7}, 409, "minimum_above_visits"),
        ({"places": [{"name": "Ashby"}, {"name": "ashby "}]}, 409, "duplicate_place"),
        ({"visit_start_minute": 23 * 60, "visit_minutes": 120}, 409, "visit_past_midnight"),
        ({"tier": "x"}, 422, None),
    ],
)
def test_bad_services_are_refused(client, coordinator, changes, status, code):
    assert_error(call(client, "post", "/commons/services", coordinator, service_body(**changes)), status, code)
    assert not TravellingService.objects.exists()


def test_members_cannot_define_publish_or_register_for_others(client, coordinator, member, staff):
    assert_error(call(client, "post", "/commons/services", member, service_body()), 403, "not_coordinator")
    created = call(client, "post", "/commons/services", coordinator, service_body()).json()
    slug, place = created["slug"], created["places"][0]["id"]
    assert_error(call(client, "post", f"/commons/services/{slug}/publish", member), 403)
    body = {"place": place, "tier": "standard", "member": staff.pk}
    assert_error(call(client, "post", f"/commons/services/{slug}/need", member, body), 403)
    assert not PlaceNeed.objects.exists()
    assert_error(
        call(client, "post", f"/commons/services/{slug}/need", member, {"place": 10**9, "tier": "standard"}), 404
    )
