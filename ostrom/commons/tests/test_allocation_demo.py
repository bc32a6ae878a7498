"""The demo's contested allocation and travelling service: Riverside's allotment draw has run with a certificate that
checks out, Northgate's kitchen window is open with rankings coming in, and the mobile library's timetable is out."""

import pytest
from django.core.management import call_command
from django.db import transaction

from ostrom.commons.actions import allocation as actions
from ostrom.commons.models import AllocatedSlot, RequestWindow, ScheduledVisit, TravellingService, WindowStatus
from ostrom.notify.models import Message


@pytest.fixture(scope="module")
def millbrook(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("demo", "--if-empty", verbosity=0)
        yield
        transaction.set_rollback(True)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("millbrook")]


def test_the_allotment_draw_has_run_and_checks_out():
    draw = RequestWindow.objects.get(community__slug="riverside-timebank", title="Allotment plots 2027")
    assert draw.status == WindowStatus.ALLOCATED
    assert AllocatedSlot.objects.filter(window=draw).count() == 12
    assert draw.requests.count() >= 20
    assert draw.requests.exclude(need_reason="").count() == 5
    assert actions.verify(draw).holds


def test_the_kitchen_window_is_open_for_fair_assignment():
    kitchen = RequestWindow.objects.get(community__slug="northgate", method="fair_assignment")
    assert kitchen.status == WindowStatus.OPEN and kitchen.asset is not None
    assert kitchen.slots.exclude(starts_at=None).count() == 8
    assert kitchen.requests.count() >= 5


def test_the_mobile_library_is_published_and_sent():
    library = TravellingService.objects.get(community__slug="northgate", slug="mobile-library")
    assert library.published_at is not None
    assert ScheduledVisit.objects.filter(service=library).count() == 36
    assert all(library.certificate["certificate"]["properties"].values())
    assert Message.objects.filter(kind="commons.travelling_visits").exists()
