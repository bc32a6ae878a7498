"""Assets through the JSON API: members list and read assets, their free times and utilisation; Cora the
coordinator adds and changes assets, replaces opening hours and adds maintenance; members are refused; every
refusal answers {code, message, fields} and writes nothing; another community's assets are 404s."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ostrom.commons.models import Asset, MaintenancePeriod, OpeningWindow
from ostrom.commons.tests.factories import AssetFactory, ItemsFactory
from ostrom.commons.tests.test_assets_actions import book
from ostrom.communities.tests.test_api import assert_error, call

pytestmark = pytest.mark.django_db


@pytest.fixture
def kitchen(community, organisation):
    return AssetFactory(community=community, name="Kitchen", slug="kitchen", owner=organisation, buffer_minutes=30)


def test_members_list_and_read_assets(client, member, kitchen, community):
    ItemsFactory(community=community, name="Drill", slug="drill")

    listed = call(client, "get", "/commons/assets", member).json()
    items_only = call(client, "get", "/commons/assets?kind=items", member).json()
    one = call(client, "get", "/commons/assets/kitchen", member).json()

    assert [a["slug"] for a in listed["items"]] == ["drill", "kitchen"] and listed["count"] == 2
    assert [a["slug"] for a in items_only["items"]] == ["drill"]
    assert one["owner"] == "riverside-council" and one["buffer_minutes"] == 30
    assert one["opening_hours"][0] == {"weekday": 0, "start_minute": 480, "end_minute": 1320}
    assert len(one["opening_hours"]) == 7


def test_another_communitys_asset_is_a_404(client, outsider, kitchen):
    assert_error(call(client, "get", "/commons/assets/kitchen", outsider), 404, "asset_unknown")
    assert call(client, "get", "/commons/assets", outsider).json()["count"] == 0


def test_free_times_on_a_day(client, member, coordinator, kitchen):
    day = (timezone.localtime() + timedelta(days=2)).date()
    start = timezone.localtime().replace(year=day.year, month=day.month, day=day.day, hour=12, minute=0, second=0)
    book(kitchen, coordinator, start)

    free = call(client, "get", f"/commons/assets/kitchen/free?day={day.isoformat()}", member).json()

    local = [(timezone.localtime(timezone.datetime.fromisoformat(p["start"])).strftime("%H:%M"),
              timezone.localtime(timezone.datetime.fromisoformat(p["end"])).strftime("%H:%M")) for p in free["free"]]  # fmt: skip
    assert local == [("08:00", "11:30"), ("14:30", "22:00")]
    assert free["closed"] is False and free["time_zone"] == "Europe/London"


def test_utilisation_per_asset_and_owner(client, member, kitchen):
    assets = call(client, "get", "/commons/utilisation/assets", member).json()
    owners = call(client, "get", "/commons/utilisation/owners", member).json()

    assert [row["key"] for row in assets] == ["kitchen"] and len(assets[0]["months"]) == 12
    assert [row["key"] for row in owners] == ["riverside-council"]
    assert set(assets[0]["months"][0]) >= {"open_minutes", "booked_minutes", "utilisation_permille", "unmet_requests"}


def test_a_coordinator_adds_an_asset_and_sets_its_hours(client, coordinator):
    body = {"kind": "items", "name": "Cordless drill", "stock": 3, "max_duration_minutes": 10080}

    created = call(client, "post", "/commons/assets", coordinator, body)
    hours = call(client, "put", "/commons/assets/cordless-drill/opening-hours", coordinator,
                 {"windows": [{"weekday": 1, "start_minute": 600, "end_minute": 780}]})  # fmt: skip
    patched = call(client, "patch", "/commons/assets/cordless-drill", coordinator, {"buffer_minutes": 15.0})

    assert created.status_code == 201, created.content
    assert created.json()["stock"] == 3 and created.json()["slug"] == "cordless-drill"
    assert hours.json()["opening_hours"] == [{"weekday": 1, "start_minute": 600, "end_minute": 780}]
    assert patched.json()["buffer_minutes"] == 15 and patched.json()["max_duration_minutes"] == 10080


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"kind": "space", "name": "Hall", "stock": 2}, 409, "single_unit"),
        ({"kind": "space", "name": "Hall", "fee_units": 5}, 409, "money_needs_currency"),
        ({"kind": "space", "name": "Hall", "owner": "nobody"}, 404, "organisation_unknown"),
        ({"kind": "space", "name": "Hall", "currency": "gold"}, 404, "currency_unknown"),
        ({"kind": "items", "name": "Drill", "stock": -1}, 422, None),
        ({"kind": "space", "name": "Hall", "buffer_minutes": 1.5}, 422, None),
        ({"kind": "space", "name": "   "}, 422, None),
        ({"kind": "space", "name": "Hall", "colour": "red"}, 422, None),
    ],
)
def test_bad_assets_are_refused_and_nothing_is_written(client, coordinator, body, status, code):
    assert_error(call(client, "post", "/commons/assets", coordinator, body), status, code)
    assert not Asset.objects.exists()


def test_members_cannot_add_or_change_assets(client, member, kitchen):
    assert_error(call(client, "post", "/commons/assets", member, {"kind": "space", "name": "Shed"}), 403, "not_allowed")
    assert_error(call(client, "patch", "/commons/assets/kitchen", member, {"name": "Mine"}), 403, "not_allowed")
    assert Asset.objects.get().name == "Kitchen"


def test_overlapping_hours_are_a_409_and_change_nothing(client, coordinator, kitchen):
    windows = [
        {"weekday": 0, "start_minute": 540, "end_minute": 780},
        {"weekday": 0, "start_minute": 720, "end_minute": 900},
    ]

    answer = call(client, "put", "/commons/assets/kitchen/opening-hours", coordinator, {"windows": windows})

    assert_error(answer, 409, "opening_hours_overlap")
    assert OpeningWindow.objects.filter(asset=kitchen).count() == 7


def test_maintenance_over_a_booking_needs_force(client, coordinator, member, kitchen):
    start = (timezone.now() + timedelta(days=3)).replace(hour=12, minute=0, second=0, microsecond=0)
    book(kitchen, member, start)
    body = {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=4)).isoformat(), "reason": "Oven"}

    refused = call(client, "post", "/commons/assets/kitchen/maintenance", coordinator, body)
    forced = call(client, "post", "/commons/assets/kitchen/maintenance", coordinator, body | {"force": True})
    past = call(client, "post", "/commons/assets/kitchen/maintenance", coordinator,
                {"starts_at": "2020-01-01T10:00:00Z", "ends_at": "2020-01-01T12:00:00Z", "reason": "Old"})  # fmt: skip

    assert_error(refused, 409, "maintenance_overlaps_bookings")
    assert forced.status_code == 201 and forced.json()["reason"] == "Oven"
    assert_error(past, 409, "in_the_past")
    assert MaintenancePeriod.objects.count() == 1
