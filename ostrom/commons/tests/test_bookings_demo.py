"""The bookings' share of the demo: sessions to come in the fire-station kitchen, someone on its waiting list, the
library of things lending drills, a gazebo and the party kit, and one drill overdue."""

import pytest
from django.utils import timezone

from ostrom.commons.demo import assets as assets_demo
from ostrom.commons.demo import bookings as bookings_demo
from ostrom.commons.models import Booking, BookingStatus, BookingUnit, WaitingListEntry
from ostrom.communities import demo
from ostrom.ledger import demo as ledger_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def millbrook():
    demo._Town(demo.DEFAULT_SEED).build()
    ledger_demo.load(demo.DEFAULT_SEED)
    assets_demo.load(demo.DEFAULT_SEED)
    bookings_demo.load(demo.DEFAULT_SEED)


def test_the_demo_has_kitchen_sessions_to_come_and_a_waiting_list(millbrook):
    now = timezone.now()
    coming = Booking.objects.filter(asset__slug="fire-station-kitchen", starts_at__gt=now, status="confirmed")

    assert coming.count() >= 3
    assert coming.filter(booked_by__isnull=False).exists()
    assert WaitingListEntry.objects.filter(asset__slug="fire-station-kitchen", status="waiting").exists()


def test_the_library_of_things_lends_and_one_drill_is_overdue(millbrook):
    now = timezone.now()

    overdue = Booking.objects.get(asset__slug="cordless-drill", status=BookingStatus.OUT)
    assert overdue.ends_at < now and BookingUnit.objects.get(booking=overdue).is_live
    assert Booking.objects.filter(asset__slug="cordless-drill", starts_at__gt=now).exists()
    assert Booking.objects.filter(kit__slug="party-kit").exists()
