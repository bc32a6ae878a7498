"""The booking pages through Django's test client, as a browser without JavaScript sends them: plain forms, POST
then redirect. Mina books the kitchen, sees it in her bookings with its instructions, cancels it; a taken time
offers the waiting list; the desk hands things over and takes them back; strangers see nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ostrom.commons.actions import bookings as actions
from ostrom.commons.actions import waiting_list
from ostrom.commons.models import Booking, BookingStatus, WaitingListEntry
from ostrom.commons.tests.test_bookings_helpers import HOUR, TOMORROW_10, clock, drills, fresh, kitchen
from ostrom.communities.tests.factories import PASSWORD

__all__ = ["clock", "drills", "kitchen"]

pytestmark = pytest.mark.django_db


def login(client, member):
    assert client.login(username=member.user.email, password=PASSWORD)
    return client


def url(name, *args):
    return reverse(name, args=("riverside", *args))


FORM = {"start_date": "2027-03-02", "start_time": "10:00", "end_time": "12:00", "purpose": "Soup"}


def test_mina_books_the_kitchen_with_a_plain_form(client, member, kitchen):
    kitchen.instructions = "The key is in the red box; the code is on your booking."
    kitchen.save()
    login(client, member)

    page = client.get(url("commons-book-asset", kitchen.slug))
    response = client.post(url("commons-book-asset", kitchen.slug), FORM)

    assert page.status_code == 200 and b"<h1>Book Fire station kitchen</h1>" in page.content
    booking = Booking.objects.get()
    assert response.status_code == 302 and response["Location"] == url("commons-booking", booking.pk)
    assert (booking.starts_at, booking.ends_at, booking.purpose) == (TOMORROW_10, TOMORROW_10 + 2 * HOUR, "Soup")
    detail = client.get(response["Location"])
    assert b"The key is in the red box" in detail.content and b"Confirmed" in detail.content
    mine = client.get(url("commons-my-bookings"))
    assert b"Fire station kitchen" in mine.content


def test_a_refused_booking_shows_why_beside_the_form_and_offers_the_waiting_list(client, member, coordinator, kitchen):
    actions.book(coordinator, kitchen, TOMORROW_10, TOMORROW_10 + 2 * HOUR)
    login(client, member)

    response = client.post(url("commons-book-asset", kitchen.slug), FORM)

    assert response.status_code == 400
    assert b"Someone else has it booked at that time." in response.content
    assert b"Join the waiting list for that time" in response.content
    joined = client.post(
        url("commons-waiting-join", kitchen.slug),
        {"starts_at": TOMORROW_10.isoformat(), "ends_at": (TOMORROW_10 + 2 * HOUR).isoformat(), "units": "1"},
    )
    assert joined.status_code == 302
    assert WaitingListEntry.objects.get().member == member


def test_times_outside_opening_hours_are_refused_in_words(client, member, kitchen):
    login(client, member)

    response = client.post(
        url("commons-book-asset", kitchen.slug), {**FORM, "start_time": "21:00", "end_time": "23:00"}
    )

    assert response.status_code == 400
    assert b"It is not open for the whole of that time" in response.content
    assert b"Join the waiting list" not in response.content and not Booking.objects.exists()


def test_a_form_typed_wrong_says_what_to_type(client, member, drills):
    login(client, member)

    response = client.post(url("commons-book-asset", drills.slug), {**FORM, "start_time": "ten", "units": "-2"})

    assert response.status_code == 400
    assert b"Enter a time, for example 10:00." in response.content and b"Ask for at least 1." in response.content


def test_mina_cancels_from_her_bookings(client, member, kitchen):
    booking = actions.book(member, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)
    login(client, member)

    response = client.post(url("commons-booking-cancel", booking.pk))

    assert response.status_code == 302 and fresh(booking).status == BookingStatus.CANCELLED


def test_a_stranger_sees_no_booking_and_no_desk(client, member, outsider, kitchen, community):
    booking = actions.book(member, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)
    from ostrom.communities.tests.factories import MemberFactory

    login(client, MemberFactory(community=community))
    assert client.get(url("commons-booking", booking.pk)).status_code == 404
    assert client.get(url("commons-desk")).status_code == 404
    assert client.post(url("commons-booking-cancel", booking.pk)).status_code == 404
    client.logout()
    login(client, outsider)
    assert client.get(url("commons-booking", booking.pk)).status_code == 403


def test_the_desk_lists_todays_pickups_and_hands_things_over(client, member, coordinator, kitchen, clock):
    booking = actions.book(member, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)
    clock.move_to(TOMORROW_10 - HOUR, tick=False)
    login(client, coordinator)

    desk = client.get(url("commons-desk"))
    clock.move_to(TOMORROW_10, tick=False)
    out = client.post(url("commons-booking-check-out", booking.pk), {"next": "desk"})
    back = client.post(url("commons-booking-check-in", booking.pk), {"check_in-deposit_kept_units": "0"})

    assert desk.status_code == 200 and b"Mina" in desk.content and b"Check out" in desk.content
    assert out.status_code == 302 and out["Location"] == url("commons-desk")
    assert back.status_code == 302 and fresh(booking).status == BookingStatus.RETURNED


def test_the_desk_shows_who_is_waiting_to_coordinators_only(client, member, coordinator, kitchen):
    actions.book(coordinator, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)
    waiting_list.join(member, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)
    login(client, coordinator)

    desk = client.get(url("commons-desk"))

    assert desk.status_code == 200
    assert b"Waiting lists" in desk.content and member.display_name.encode() in desk.content
    assert b"Nobody is waiting" not in desk.content
    client.logout()
    login(client, member)
    assert client.get(url("commons-desk")).status_code == 404


def test_a_coordinator_books_for_a_member_who_phoned(client, member, coordinator, kitchen):
    login(client, coordinator)

    client.post(url("commons-book-asset", kitchen.slug), {**FORM, "member": member.pk, "reason": "Phoned the office"})

    booking = Booking.objects.get()
    assert booking.member == member and booking.booked_by == coordinator


def test_an_offer_is_taken_from_my_bookings(client, member, coordinator, kitchen):
    taken = actions.book(coordinator, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)
    from ostrom.commons.actions import waiting_list

    entry = waiting_list.join(member, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)
    actions.cancel(coordinator, taken)
    login(client, member)

    mine = client.get(url("commons-my-bookings"))
    client.post(url("commons-waiting-accept", entry.pk))

    assert b"it came free and is held for you" in mine.content
    entry.refresh_from_db()
    assert entry.offered_booking.status == BookingStatus.CONFIRMED


def test_a_kit_is_booked_from_its_page(client, member, community, drills):
    from ostrom.commons.tests.test_bookings_helpers import party_kit

    kit = party_kit(community, (drills, 2))
    login(client, member)

    response = client.post(url("commons-book-kit", kit.slug), FORM)

    assert response.status_code == 302
    assert Booking.objects.get().kit == kit
