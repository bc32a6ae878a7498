"""Travelling services' pages through Django's test client, without JavaScript: Cora sets up the mobile library,
Mina registers her need, Cora registers one for a resident on the phone and publishes; the timetable and why each
place has its share are public, and nobody's name is on it."""

import html
from datetime import date, timedelta

from django.test import Client
from django.urls import reverse

from ostrom.commons.actions import travelling as actions
from ostrom.commons.actions.travelling import ServiceFields
from ostrom.commons.models import PlaceNeed, ScheduledVisit, TravellingService
from ostrom.notify.models import Message

# Periods start next month: a timetable is for this season (not one that ended long ago, nor years ahead).
START = date.today() + timedelta(days=30)


def as_(persona) -> Client:
    client = Client()
    if persona is not None:
        client.force_login(persona.user)
    return client


def url(name, *args) -> str:
    return reverse(name, args=["riverside", *args])


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def library(coordinator) -> TravellingService:
    fields = ServiceFields(
        name="Mobile library", visits=8, period_starts_on=START, period_ends_on=START + timedelta(days=52)
    )
    return actions.create_service(coordinator, fields, [("Ashby", "the green"), ("Brill", "")])


def test_a_coordinator_sets_up_a_service_from_the_form(coordinator):
    cora = as_(coordinator)
    assert cora.get(url("commons-service-new")).status_code == 200
    sent = {
        "name": "GP outreach", "visits": "10", "method": "dhondt", "minimum_per_place": "1",
        "period_starts_on": START.isoformat(), "period_ends_on": (START + timedelta(days=84)).isoformat(), "visit_start": "09:30",
        "visit_minutes": "180", "places": "Ashby, village hall\nBrill",
    }  # fmt: skip

    done = cora.post(url("commons-service-new"), sent, follow=True)

    service = TravellingService.objects.get()
    assert "GP outreach is set up." in text_of(done)
    assert (service.slug, service.visit_start_minute, service.method) == ("gp-outreach", 570, "dhondt")
    assert list(service.places.order_by("name").values_list("name", "stop")) == [
        ("Ashby", "village hall"),
        ("Brill", ""),
    ]


def test_a_bad_service_is_shown_beside_the_field(coordinator):
    sent = {
        "name": "GP outreach", "visits": "10", "method": "dhondt", "minimum_per_place": "0",
        "period_starts_on": START.isoformat(), "period_ends_on": (START - timedelta(days=5)).isoformat(), "visit_start": "09:30", "visit_minutes": "60",
    }  # fmt: skip
    response = as_(coordinator).post(url("commons-service-new"), sent)
    assert response.status_code == 400
    assert "The period must end on or after the day it starts." in text_of(response)
    assert not TravellingService.objects.exists()


def test_a_member_registers_and_withdraws_a_need(coordinator, member):
    service = library(coordinator)
    ashby = service.places.get(name="Ashby")
    mina = as_(member)
    page = text_of(mina.get(url("commons-service", service.slug)))
    assert "Register my need" in page and page.count("<h1>") == 1

    done = mina.post(url("commons-service-need", service.slug), {"place": ashby.pk, "tier": "no_car"}, follow=True)
    assert "Your need at Ashby is registered." in text_of(done)
    assert PlaceNeed.objects.get().points == 3

    refused = mina.post(url("commons-service-need", service.slug), {"place": ashby.pk, "tier": "loudest"})
    assert refused.status_code == 400 and "There is a problem" in text_of(refused)

    mina.post(url("commons-service-withdraw", service.slug))
    assert not PlaceNeed.objects.exists()


def test_a_coordinator_registers_for_a_phone_resident_publishes_and_everyone_can_read_why(coordinator, member, staff):
    service = library(coordinator)
    brill = service.places.get(name="Brill")
    cora = as_(coordinator)
    cora.post(
        url("commons-service-need-for", service.slug),
        {"member": staff.pk, "place": brill.pk, "tier": "housebound", "reason": "Phoned on Tuesday"},
    )
    actions.register_need(member, service.places.get(name="Ashby"), "standard")

    done = cora.post(url("commons-service-publish", service.slug), follow=True)

    assert "The timetable is published. 2 residents have been sent their visit dates." in text_of(done)
    assert ScheduledVisit.objects.count() == 8
    assert Message.objects.filter(kind="commons.travelling_visits").count() == 2
    public = text_of(as_(None).get(url("commons-service", service.slug)))
    assert "Why each place has its visits" in public and "Brill" in public and "the green" in public
    assert "Sam" not in public and "Mina" not in public and "Phoned on Tuesday" not in public
    assert public.count("<h1>") == 1


def test_an_unpublished_service_is_for_members_only(coordinator, outsider):
    service = library(coordinator)
    assert as_(None).get(url("commons-service", service.slug)).status_code == 404
    assert as_(outsider).get(url("commons-service", service.slug)).status_code == 404
    assert "Mobile library" not in text_of(as_(None).get(url("commons-services")))


def test_members_cannot_publish_or_register_for_others(coordinator, member, staff):
    service = library(coordinator)
    assert as_(member).post(url("commons-service-publish", service.slug)).status_code == 403
    assert as_(member).get(url("commons-service-need-for", service.slug)).status_code == 403


def test_a_coordinator_adds_a_place(coordinator):
    service = library(coordinator)
    as_(coordinator).post(url("commons-service-place", service.slug), {"name": "Crane", "stop": "pub car park"})
    again = as_(coordinator).post(url("commons-service-place", service.slug), {"name": "crane"})
    assert again.status_code == 400 and "already one of this service's places" in text_of(again)
    assert service.places.filter(name="Crane").count() == 1
