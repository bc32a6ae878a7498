"""The bookings API: book, list, read, cancel, confirm, the desk's check-out and check-in, and waiting lists, with
refusals as stable codes and statuses, and nothing of another community's in sight."""

from __future__ import annotations

import pytest

from ostrom.commons.actions import bookings as actions
from ostrom.commons.models import Booking, BookingStatus, WaitingListEntry
from ostrom.commons.tests.test_bookings_helpers import HOUR, TOMORROW_10, clock, drills, kitchen
from ostrom.communities.tests.factories import make_token

__all__ = ["clock", "drills", "kitchen"]

pytestmark = pytest.mark.django_db

API = "/api/v1/commons"


def headers(member):
    _, secret = make_token(member)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def body(**changes):
    return {"starts_at": TOMORROW_10.isoformat(), "ends_at": (TOMORROW_10 + 2 * HOUR).isoformat(), **changes}


def test_a_member_books_lists_reads_and_cancels(client, member, drills):
    auth = headers(member)

    made = client.post(
        f"{API}/assets/cordless-drill/bookings", body(units=2, purpose="Shelves"), "application/json", **auth
    )
    listed = client.get(f"{API}/bookings", **auth)
    one = client.get(f"{API}/bookings/{made.json()['id']}", **auth)
    cancelled = client.post(f"{API}/bookings/{made.json()['id']}/cancel", {}, "application/json", **auth)

    assert made.status_code == 201, made.content
    assert (
        made.json()["units"] == 2 and made.json()["status"] == "confirmed" and made.json()["asset"] == "cordless-drill"
    )
    assert listed.json()["count"] == 1 and listed.json()["items"][0]["purpose"] == "Shelves"
    assert one.status_code == 200
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"starts_at": "2027-03-02T21:00:00Z", "ends_at": "2027-03-02T23:00:00Z"}, 409, "outside_opening_hours"),
        ({"starts_at": "2027-03-01T08:00:00Z", "ends_at": "2027-03-01T10:00:00Z"}, 409, "in_the_past"),
        ({"ends_at": "2027-03-02T09:00:00Z"}, 409, "ends_before_start"),
        ({"starts_at": "9999-12-31T20:00:00Z", "ends_at": "9999-12-31T21:00:00Z"}, 409, "too_far_ahead"),
        ({"units": 4}, 409, "not_enough_stock"),
        ({"units": -1}, 422, "invalid_input"),
        ({"units": 1.5}, 422, "invalid_input"),
        ({"starts_at": "2027-03-02T10:00:00"}, 422, "invalid_input"),
        ({"member": 10**6}, 404, "member_unknown"),
    ],
)
def test_bad_bookings_are_refused_with_a_code(client, coordinator, drills, changes, status, code):
    response = client.post(
        f"{API}/assets/cordless-drill/bookings", body(**changes), "application/json", **headers(coordinator)
    )

    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert not Booking.objects.exists()


def test_an_unknown_asset_or_another_communitys_is_a_404(client, outsider, drills):
    response = client.post(f"{API}/assets/cordless-drill/bookings", body(), "application/json", **headers(outsider))

    assert response.status_code == 404


def test_a_member_cannot_book_for_someone_else_but_a_coordinator_can(client, member, coordinator, kitchen):
    refused = client.post(
        f"{API}/assets/{kitchen.slug}/bookings", body(member=coordinator.pk), "application/json", **headers(member)
    )
    made = client.post(
        f"{API}/assets/{kitchen.slug}/bookings", body(member=member.pk, reason="Phoned"), "application/json",
        **headers(coordinator),
    )  # fmt: skip

    assert refused.status_code == 403
    assert made.status_code == 201 and made.json()["member"] == member.pk and made.json()["booked_by"] == coordinator.pk


def test_the_desk_checks_out_and_in_and_members_cannot(client, member, coordinator, kitchen, clock):
    booking = actions.book(member, kitchen, TOMORROW_10, TOMORROW_10 + 2 * HOUR)
    clock.move_to(TOMORROW_10, tick=False)

    by_member = client.post(f"{API}/bookings/{booking.pk}/check-out", {}, "application/json", **headers(member))
    out = client.post(f"{API}/bookings/{booking.pk}/check-out", {}, "application/json", **headers(coordinator))
    back = client.post(f"{API}/bookings/{booking.pk}/check-in", {}, "application/json", **headers(coordinator))

    assert by_member.status_code == 403
    assert out.json()["status"] == "out" and back.json()["status"] == "returned"


def test_a_taken_time_is_joined_on_the_waiting_list_and_the_offer_taken(client, member, coordinator, kitchen):
    taken = actions.book(coordinator, kitchen, TOMORROW_10, TOMORROW_10 + 2 * HOUR)
    auth = headers(member)

    refused = client.post(f"{API}/assets/{kitchen.slug}/bookings", body(), "application/json", **auth)
    joined = client.post(f"{API}/assets/{kitchen.slug}/waiting-list", body(), "application/json", **auth)
    actions.cancel(coordinator, taken)
    waiting = client.get(f"{API}/waiting-list", **auth)
    accepted = client.post(f"{API}/waiting-list/{joined.json()['id']}/accept", {}, "application/json", **auth)

    assert refused.status_code == 409 and refused.json()["code"] == "overlaps_booking"
    assert joined.status_code == 201
    assert waiting.json()["items"][0]["status"] == "offered"
    assert accepted.json()["status"] == "accepted"
    entry = WaitingListEntry.objects.get()
    assert entry.offered_booking.status == BookingStatus.CONFIRMED


def test_someone_elses_booking_is_a_404(client, member, community, kitchen):
    from ostrom.communities.tests.factories import MemberFactory

    booking = actions.book(member, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)
    neighbour = MemberFactory(community=community)

    assert client.get(f"{API}/bookings/{booking.pk}", **headers(neighbour)).status_code == 404
    assert (
        client.post(f"{API}/bookings/{booking.pk}/cancel", {}, "application/json", **headers(neighbour)).status_code
        == 404
    )
