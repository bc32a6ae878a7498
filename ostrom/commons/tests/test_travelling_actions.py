"""Travelling services through their actions: Cora sets up the mobile library's visits to three villages, residents
register their needs (one by phone, through Cora), and the published timetable shares the visits by weighted need,
exactly as the domain's apportionment does, and tells each resident their village's dates once."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from ostrom.commons.actions import travelling as actions
from ostrom.commons.actions.travelling import ServiceFields
from ostrom.commons.domain import apportionment, certificates
from ostrom.commons.models import PlaceNeed, ScheduledVisit, TravellingService
from ostrom.communities.domain import DomainError
from ostrom.communities.models import AuditEntry
from ostrom.communities.tests.factories import MemberFactory
from ostrom.notify.models import Message

KIND = "commons.travelling_visits"

# Periods start next month: a timetable is for this season (not one that ended long ago, nor years ahead).
START = date.today() + timedelta(days=30)


def library(coordinator, **changes) -> TravellingService:
    defaults = {
        "name": "Mobile library", "visits": 12, "period_starts_on": START,
        "period_ends_on": START + timedelta(days=81),
    }  # fmt: skip
    fields = ServiceFields(**(defaults | changes))
    return actions.create_service(coordinator, fields, [("Ashby", "the green"), ("Brill", ""), ("Crane", "pub")])


@pytest.fixture
def residents(community):
    return MemberFactory.create_batch(6, community=community)


def places_of(service):
    return {place.name: place for place in service.places.all()}


def test_publishing_shares_visits_by_weighted_need_and_tells_each_resident_once(coordinator, residents):
    service = library(coordinator)
    places = places_of(service)
    tiers = ["housebound", "no_car", "standard", "standard", "no_car", "standard"]
    villages = ["Ashby", "Ashby", "Ashby", "Brill", "Brill", "Crane"]
    for person, tier, village in zip(residents, tiers, villages, strict=True):
        actions.register_need(person, places[village], tier)

    published = actions.publish(coordinator, service)

    weighted = {places["Ashby"].pk: 4 + 3 + 2, places["Brill"].pk: 2 + 3, places["Crane"].pk: 2}
    expected = apportionment.apportion(12, weighted, apportionment.SAINTE_LAGUE)
    assert published.visits_by_place == expected
    counts = {name: ScheduledVisit.objects.filter(place=place).count() for name, place in places.items()}
    assert counts == {name: expected[place.pk] for name, place in places.items()}
    assert published.told == 6
    told = Message.objects.filter(kind=KIND)
    assert sorted(told.values_list("member_id", flat=True)) == sorted(p.pk for p in residents)
    service.refresh_from_db()
    record = service.certificate
    assert all(record["certificate"]["properties"].values())
    assert certificates.digest(record["inputs"]) == record["certificate"]["inputs_hash"]
    assert {share["name"]: share["weighted_need"] for share in record["places"]} == {"Ashby": 9, "Brill": 5, "Crane": 2}


def test_visits_fall_within_the_period_at_the_start_time(coordinator, residents, community):
    service = library(coordinator, visit_start_minute=9 * 60 + 30, visit_minutes=90)
    actions.register_need(residents[0], places_of(service)["Ashby"], "standard")
    actions.publish(coordinator, service)
    for visit in ScheduledVisit.objects.all():
        local = timezone.localtime(visit.starts_at, timezone.get_default_timezone())
        assert START <= local.date() <= START + timedelta(days=81)
        assert (local.hour * 60 + local.minute - 9 * 60 - 30) % 90 == 0
    assert ScheduledVisit.objects.count() == 12


def test_republishing_replaces_the_schedule_and_says_what_changed(coordinator, residents):
    service = library(coordinator)
    places = places_of(service)
    actions.register_need(residents[0], places["Ashby"], "standard")
    actions.publish(coordinator, service)
    actions.register_need(residents[1], places["Brill"], "housebound")

    again = actions.publish(coordinator, service)

    assert ScheduledVisit.objects.count() == 12
    assert any(change.startswith("Ashby: 12 visits before") for change in again.changes)
    assert Message.objects.filter(kind=KIND, member=residents[0]).count() == 2
    assert Message.objects.filter(kind=KIND, member=residents[1]).count() == 1


def test_publishing_with_no_needs_is_refused_and_writes_nothing(coordinator):
    service = library(coordinator)
    with pytest.raises(DomainError) as refused:
        actions.publish(coordinator, service)
    assert refused.value.code == "no_registered_need"
    assert not ScheduledVisit.objects.exists()
    service.refresh_from_db()
    assert service.published_at is None


def test_a_coordinator_registers_for_a_phone_only_resident_and_it_is_audited(coordinator, member):
    service = library(coordinator)
    need = actions.register_need(coordinator, places_of(service)["Crane"], "housebound", "Rang the office", member)
    assert (need.member, need.points) == (member, 4)
    entry = AuditEntry.objects.get(action="commons.travelling_need_registered")
    assert (entry.member, entry.reason) == (member, "Rang the office")


def test_a_member_cannot_register_for_someone_else(member, coordinator, staff):
    service = library(coordinator)
    with pytest.raises(DomainError) as refused:
        actions.register_need(member, places_of(service)["Crane"], "standard", member=staff)
    assert refused.value.code == "not_coordinator"
    assert not PlaceNeed.objects.exists()


def test_registering_again_moves_the_need_and_withdrawing_removes_it(coordinator, member):
    service = library(coordinator)
    places = places_of(service)
    actions.register_need(member, places["Ashby"], "standard")
    actions.register_need(member, places["Brill"], "no_car")
    assert list(PlaceNeed.objects.values_list("place__name", "points")) == [("Brill", 3)]
    assert actions.withdraw_need(member, service) is True
    assert not PlaceNeed.objects.exists()


def test_an_unknown_tier_is_refused(coordinator, member):
    service = library(coordinator)
    with pytest.raises(DomainError) as refused:
        actions.register_need(member, places_of(service)["Ashby"], "loudest")
    assert refused.value.code == "unknown_need_tier"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"visits": 0}, "visits_not_positive"),
        ({"period_ends_on": START - timedelta(days=1)}, "period_ends_before_start"),
        ({"period_starts_on": START + timedelta(days=800)}, "date_too_far"),
        ({"method": "loudest"}, "unknown_method"),
        ({"minimum_per_place": 13}, "minimum_above_visits"),
        ({"name": "  "}, "name_required"),
    ],
)
def test_bad_services_are_refused(coordinator, changes, code):
    with pytest.raises(DomainError) as refused:
        library(coordinator, **changes)
    assert refused.value.code == code
    assert not TravellingService.objects.exists()


def test_minimums_beyond_the_visits_are_refused_at_publishing(coordinator, member):
    service = library(coordinator, minimum_per_place=5)
    actions.register_need(member, places_of(service)["Ashby"], "standard")
    with pytest.raises(DomainError) as refused:
        actions.publish(coordinator, service)
    assert refused.value.code == "minimums_exceed_visits"


def test_only_coordinators_publish(coordinator, member):
    service = library(coordinator)
    actions.register_need(member, places_of(service)["Ashby"], "standard")
    with pytest.raises(DomainError) as refused:
        actions.publish(member, service)
    assert refused.value.code == "not_coordinator"
