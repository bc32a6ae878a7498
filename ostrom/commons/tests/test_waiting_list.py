"""Waiting lists: a freed time goes to the first in line whose wish fits, as a held offer they take up (on the page
or by text) or pass on; an offer left to lapse goes to the next."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache

from ostrom.commons.actions import bookings as actions
from ostrom.commons.actions import lending, waiting_list
from ostrom.commons.models import BookingSource, BookingStatus, WaitingListEntry, WaitingStatus
from ostrom.commons.tests.test_bookings_helpers import (
    HOUR,
    NOW,
    TOMORROW_10,
    clock,
    drills,
    fresh,
    kitchen,
    refusal,
)
from ostrom.communities.tests.factories import MemberFactory, UserFactory
from ostrom.notify.actions.inbound import handle_inbound
from ostrom.notify.channels.webhooks import InboundSms
from ostrom.notify.models import Message

__all__ = ["clock", "drills", "kitchen"]

pytestmark = pytest.mark.django_db

NEIL = "+447700900111"


@pytest.fixture
def neil(community):
    cache.clear()  # each number's rate limit counts in the cache
    yield MemberFactory(community=community, display_name="Neil", user=UserFactory(full_name="Neil N", phone=NEIL))
    cache.clear()


def text(body, n=[0]):  # noqa: B006 -- a counter for unique provider ids
    n[0] += 1
    return handle_inbound(InboundSms(provider_id=f"wl-{n[0]}", phone=NEIL, text=body)).body


@pytest.fixture
def taken(kitchen, member):
    """Mina has the kitchen tomorrow 10:00-12:00."""
    return actions.book(member, kitchen, TOMORROW_10, TOMORROW_10 + 2 * HOUR)


def test_joining_twice_for_the_same_time_keeps_one_place(kitchen, taken, neil):
    first = waiting_list.join(neil, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)
    again = waiting_list.join(neil, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)

    assert first == again and WaitingListEntry.objects.count() == 1


def test_a_wish_in_the_past_or_backwards_is_refused(kitchen, neil):
    assert refusal(waiting_list.join, neil, kitchen, NOW - HOUR, NOW).code == "in_the_past"
    assert refusal(waiting_list.join, neil, kitchen, TOMORROW_10, TOMORROW_10 - HOUR).code == "ends_before_start"
    assert not WaitingListEntry.objects.exists()


def test_a_cancellation_offers_the_time_to_the_first_in_line_by_text(kitchen, member, taken, neil, community):
    later = MemberFactory(community=community)
    waiting_list.join(neil, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)
    waiting_list.join(later, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)

    actions.cancel(member, taken)

    entry = WaitingListEntry.objects.get(member=neil)
    offer = entry.offered_booking
    assert entry.status == WaitingStatus.OFFERED and entry.offer_expires_at == NOW + 12 * HOUR
    assert (offer.status, offer.source, offer.hold_expires_at) == (
        BookingStatus.HELD, BookingSource.WAITING_LIST, NOW + 12 * HOUR,
    )  # fmt: skip
    assert WaitingListEntry.objects.get(member=later).status == WaitingStatus.WAITING
    message = Message.objects.get(member=neil, kind="commons.waiting_offer")
    assert message.channel == "sms" and f"YES B{offer.pk:03d}" in message.body


def test_an_offer_is_taken_up_by_text(kitchen, member, taken, neil):
    waiting_list.join(neil, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)
    actions.cancel(member, taken)
    offer = WaitingListEntry.objects.get(member=neil).offered_booking

    reply = text(f"yes b{offer.pk:03d}")

    assert reply.startswith("Done: Fire station kitchen Tuesday 2 March, 10:00 is yours.")
    assert fresh(offer).status == BookingStatus.CONFIRMED
    assert WaitingListEntry.objects.get(member=neil).status == WaitingStatus.ACCEPTED


def test_someone_elses_offer_code_reads_as_unknown(kitchen, member, taken, neil, community):
    other = MemberFactory(community=community)
    waiting_list.join(other, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)
    actions.cancel(member, taken)
    offer = WaitingListEntry.objects.get(member=other).offered_booking

    reply = text(f"YES B{offer.pk:03d}")

    assert "No request with code" in reply
    assert fresh(offer).status == BookingStatus.HELD


def test_passing_on_an_offer_offers_it_to_the_next(kitchen, member, taken, neil, community):
    later = MemberFactory(community=community)
    waiting_list.join(neil, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)
    waiting_list.join(later, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)
    actions.cancel(member, taken)
    offer = WaitingListEntry.objects.get(member=neil).offered_booking

    reply = text(f"NO B{offer.pk:03d}")

    assert reply.startswith("OK, you passed on Fire station kitchen")
    assert WaitingListEntry.objects.get(member=neil).status == WaitingStatus.DECLINED
    assert fresh(offer).status == BookingStatus.CANCELLED
    assert WaitingListEntry.objects.get(member=later).status == WaitingStatus.OFFERED


def test_a_lapsed_offer_goes_to_the_next_in_line(kitchen, member, taken, neil, community, clock):
    later = MemberFactory(community=community)
    waiting_list.join(neil, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)
    waiting_list.join(later, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)
    actions.cancel(member, taken)
    clock.move_to(NOW + 16 * HOUR, tick=False)  # the offer lapsed at 21:00; it is 01:00 now

    assert actions.expire_holds() == 1

    first = WaitingListEntry.objects.get(member=neil)
    assert first.status == WaitingStatus.LAPSED and fresh(first.offered_booking).status == BookingStatus.EXPIRED
    second = WaitingListEntry.objects.get(member=later)
    assert second.status == WaitingStatus.OFFERED
    assert second.offer_expires_at == TOMORROW_10  # twelve hours would run past the start


def test_an_offer_accepted_on_the_page_confirms_it(kitchen, member, taken, neil):
    entry = waiting_list.join(neil, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)
    actions.cancel(member, taken)
    entry.refresh_from_db()

    booking = waiting_list.accept(neil, entry)

    assert booking.status == BookingStatus.CONFIRMED
    assert refusal(waiting_list.accept, member, entry).code == "not_allowed"


def test_a_wish_that_does_not_fit_stays_waiting(drills, member, neil, community):
    actions.book(member, drills, TOMORROW_10, TOMORROW_10 + HOUR, units=3)
    entry = waiting_list.join(neil, drills, TOMORROW_10, TOMORROW_10 + HOUR, units=2)
    small = actions.book(MemberFactory(community=community), drills, TOMORROW_10 + 3 * HOUR, TOMORROW_10 + 4 * HOUR)

    actions.cancel(small.member, small)  # frees a later time, not Neil's

    assert fresh_entry(entry).status == WaitingStatus.WAITING


def test_an_early_return_offers_the_rest_of_the_time(drills, member, neil, coordinator, clock):
    booking = actions.book(member, drills, TOMORROW_10, TOMORROW_10 + 4 * HOUR, units=3)
    entry = waiting_list.join(neil, drills, TOMORROW_10 + 2 * HOUR, TOMORROW_10 + 3 * HOUR)
    clock.move_to(TOMORROW_10, tick=False)
    lending.check_out(coordinator, booking)
    clock.move_to(TOMORROW_10 + HOUR, tick=False)

    lending.check_in(coordinator, booking)

    assert fresh_entry(entry).status == WaitingStatus.OFFERED


def test_leaving_the_list(kitchen, taken, neil):
    entry = waiting_list.join(neil, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)

    waiting_list.leave(neil, entry)

    assert fresh_entry(entry).status == WaitingStatus.CANCELLED


def test_bookings_by_text_lists_the_next_ones(kitchen, drills, neil):
    assert text("BOOKINGS") == "You have no bookings coming up."
    actions.book(neil, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)
    actions.book(neil, drills, TOMORROW_10 + timedelta(days=1), TOMORROW_10 + timedelta(days=1, hours=1), units=2)

    reply = text("bookings")

    assert reply == "Fire station kitchen Tuesday 2 March, 10:00; 2 x Cordless drill Wednesday 3 March, 10:00."


def fresh_entry(entry) -> WaitingListEntry:
    return WaitingListEntry.objects.get(pk=entry.pk)
