"""Travelling services' state changes: define a service and its places, register (or withdraw) a need at a place,
and publish the schedule: the visits apportioned across places in proportion to weighted need
(domain.apportionment.apportion), spread over the period's days (domain.apportionment.schedule), stored with a
certificate and an explanation of each place's share, and sent to everyone who registered a need there."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from ostrom.communities.actions import audit
from ostrom.communities.domain import DomainError
from ostrom.communities.models import Member, Organisation

from ..access import travelling as access
from ..domain import apportionment, certificates
from ..models import PlaceNeed, ScheduledVisit, ServicePlace, TravellingService, VisitMethod
from ..notices import travelling as notices

NAME_MAX_CHARS = 120
STOP_MAX_CHARS = 200
DESCRIPTION_MAX_CHARS = 4000
REASON_MAX_CHARS = apportionment.MAX_REASON_CHARS
MAX_VISITS = 1_000  # a mobile library's stops in a year, with room to spare
MAX_PLACES = 100
MAX_DAYS = apportionment.MAX_PERIODS  # the schedule's limit on periods (days here)
MIN_VISIT_MINUTES = 15
MAX_VISIT_MINUTES = 12 * 60
# Visits in a day follow one another from the start time until this hour: one vehicle, one place at a time.
DAY_ENDS_MINUTE = 20 * 60
MAX_SLUG_TRIES = 50
# A timetable is for this season: its period may have started, but not ended over a year ago, nor start in years.
MAX_PAST_DAYS = 366
MAX_AHEAD_DAYS = 2 * 366
RESERVED_SLUGS = {"new"}  # services/new/ is the form to define one


@dataclass(frozen=True)
class ServiceFields:
    name: str
    visits: int
    period_starts_on: date
    period_ends_on: date
    method: str = VisitMethod.SAINTE_LAGUE
    minimum_per_place: int = 0
    description: str = ""
    visit_start_minute: int = 10 * 60
    visit_minutes: int = 120
    provider: Organisation | None = None


def create_service(
    coordinator: Member, fields: ServiceFields, places: Sequence[tuple[str, str]] = ()
) -> TravellingService:
    """A coordinator defines a service: how many visits to share over which days, by which method, and where."""
    if not access.can_coordinate(coordinator):
        raise DomainError("not_coordinator", "Only a coordinator can set up a travelling service.")
    name = _text(fields.name, "name", NAME_MAX_CHARS, "the service's name", required=True)
    description = _text(fields.description, "description", DESCRIPTION_MAX_CHARS, "the description", required=False)
    _check_fields(fields)
    if fields.provider is not None and fields.provider.community_id != coordinator.community_id:
        raise DomainError("organisation_unknown", "There is no such organisation here.", "provider")
    checked_places = _checked_places(places)
    with transaction.atomic():
        service = TravellingService.objects.create(
            community_id=coordinator.community_id, provider=fields.provider, name=name,
            slug=_free_slug(coordinator.community_id, name), description=description, visits=fields.visits,
            method=fields.method, minimum_per_place=fields.minimum_per_place,
            period_starts_on=fields.period_starts_on, period_ends_on=fields.period_ends_on,
            visit_start_minute=fields.visit_start_minute, visit_minutes=fields.visit_minutes, created_by=coordinator,
        )  # fmt: skip
        ServicePlace.objects.bulk_create(
            ServicePlace(community_id=service.community_id, service=service, name=place, stop=stop)
            for place, stop in checked_places
        )
    return service


def _text(value: str, field: str, max_chars: int, what: str, required: bool) -> str:
    value = " ".join((value or "").split()) if field != "description" else (value or "").strip()
    if required and not value:
        raise DomainError(f"{field}_required", f"Enter {what}.", field)
    if len(value) > max_chars:
        raise DomainError(f"{field}_too_long", f"Keep {what} to {max_chars} characters or fewer.", field)
    return value


def _check_fields(fields: ServiceFields) -> None:
    if fields.method not in VisitMethod.values:
        raise DomainError("unknown_method", "Choose Sainte-Laguë, D'Hondt or largest remainder.", "method")
    if isinstance(fields.visits, bool) or not 1 <= fields.visits <= MAX_VISITS:
        raise DomainError("visits_not_positive", f"Share from 1 to {MAX_VISITS:,} visits.", "visits")
    if isinstance(fields.minimum_per_place, bool) or fields.minimum_per_place < 0:
        raise DomainError("minimum_negative", "The minimum per place is a whole number, 0 or more.", "minimum")
    if fields.minimum_per_place > fields.visits:
        raise DomainError(
            "minimum_above_visits", "The minimum per place cannot be more than the visits to share.", "minimum"
        )
    today = timezone.localdate()
    if fields.period_ends_on < today - timedelta(days=MAX_PAST_DAYS):
        raise DomainError("date_in_past", "That period ended long ago: give this season's dates.", "period")
    if fields.period_starts_on > today + timedelta(days=MAX_AHEAD_DAYS):
        raise DomainError("date_too_far", "A period can start at most two years from now.", "period")
    if fields.period_ends_on < fields.period_starts_on:
        raise DomainError("period_ends_before_start", "The period must end on or after the day it starts.", "period")
    if (fields.period_ends_on - fields.period_starts_on).days + 1 > MAX_DAYS:
        raise DomainError("period_too_long", f"A period can be at most {MAX_DAYS} days long.", "period")
    if not 0 <= fields.visit_start_minute < 24 * 60:
        raise DomainError("invalid_start_time", "Give the first visit's time of day, from 00:00 to 23:59.", "start")
    if not MIN_VISIT_MINUTES <= fields.visit_minutes <= MAX_VISIT_MINUTES:
        raise DomainError(
            "invalid_visit_length",
            f"A visit lasts from {MIN_VISIT_MINUTES} minutes to {MAX_VISIT_MINUTES // 60} hours.",
            "visit_minutes",
        )
    if fields.visit_start_minute + fields.visit_minutes > 24 * 60:
        raise DomainError("visit_past_midnight", "A visit must end by midnight: start earlier or shorten it.", "start")


def _checked_places(places: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    if len(places) > MAX_PLACES:
        raise DomainError("too_many_places", f"A service can cover at most {MAX_PLACES} places.", "places")
    checked, seen = [], set()
    for name, stop in places:
        name = _text(name, "place", NAME_MAX_CHARS, "each place's name", required=True)
        stop = _text(stop, "stop", STOP_MAX_CHARS, "where it stops", required=False)
        if name.casefold() in seen:
            raise DomainError("duplicate_place", f"{name} is listed twice; list each place once.", "places")
        seen.add(name.casefold())
        checked.append((name, stop))
    return checked


def _free_slug(community_id: int, name: str) -> str:
    base = slugify(name)[:50] or "service"
    for number in range(1, MAX_SLUG_TRIES + 1):
        slug = base if number == 1 else f"{base}-{number}"
        if slug in RESERVED_SLUGS:
            continue
        if not TravellingService.objects.filter(community_id=community_id, slug=slug).exists():
            return slug
    raise DomainError("name_taken", "There are too many services with this name: choose another.", "name")


def add_place(coordinator: Member, service: TravellingService, name: str, stop: str = "") -> ServicePlace:
    """Add a village (and where the service stops there) to a service."""
    if not access.can_coordinate(coordinator, service):
        raise DomainError("not_coordinator", "Only a coordinator can add places.")
    [(name, stop)] = _checked_places([(name, stop)])
    with transaction.atomic():
        locked = _lock(service)
        if locked.places.count() >= MAX_PLACES:
            raise DomainError("too_many_places", f"A service can cover at most {MAX_PLACES} places.", "places")
        if locked.places.filter(name__iexact=name).exists():
            raise DomainError("duplicate_place", f"{name} is already one of this service's places.", "name")
        return ServicePlace.objects.create(community_id=locked.community_id, service=locked, name=name, stop=stop)


# --- needs ---------------------------------------------------------------------------------------------------------


def register_need(
    actor: Member, place: ServicePlace, tier: str, reason: str = "", member: Member | None = None
) -> PlaceNeed:
    """Register a need at a place (one place per service: registering again moves it). A coordinator may register
    for a resident who only uses the phone (``member``); that is audited."""
    member = member or actor
    service = place.service
    if not access.can_register(member, service):
        raise DomainError("not_allowed", "Only active members of this community can register a need.")
    if member.pk != actor.pk:
        if not access.can_coordinate(actor, service):
            raise DomainError("not_coordinator", "Only a coordinator can register a need for someone else.")
        if member.community_id != actor.community_id:
            raise DomainError("member_unknown", "There is no such member in this community.", "member")
    need = apportionment.tier_need(place.pk, tier)  # refuses a tier that does not exist, in words
    reason = " ".join((reason or "").split())
    if len(reason) > REASON_MAX_CHARS:
        raise DomainError("need_reason_too_long", f"Keep the reason under {REASON_MAX_CHARS} characters.", "reason")
    with transaction.atomic():
        _lock(service)
        PlaceNeed.objects.filter(place__service=service, member=member).exclude(place=place).delete()
        row, _ = PlaceNeed.objects.update_or_create(
            place=place, member=member,
            defaults={
                "community_id": service.community_id, "tiers": [tier], "points": need.weight_points,
                "reason": reason or need.reason, "registered_at": timezone.now(),
            },
        )  # fmt: skip
        if member.pk != actor.pk:
            audit(
                actor.community, actor.user, "commons.travelling_need_registered", member, reason or need.reason,
                service=service.pk, place=place.pk, tier=tier,
            )  # fmt: skip
    return row


def withdraw_need(actor: Member, service: TravellingService, member: Member | None = None) -> bool:
    """Take back a registered need (yours, or a resident's as a coordinator); False if there was none."""
    member = member or actor
    if member.pk != actor.pk and not access.can_coordinate(actor, service):
        raise DomainError("not_coordinator", "Only a coordinator can withdraw someone else's need.")
    with transaction.atomic():
        _lock(service)
        deleted, _ = PlaceNeed.objects.filter(place__service=service, member=member).delete()
        if deleted and member.pk != actor.pk:
            audit(actor.community, actor.user, "commons.travelling_need_withdrawn", member, "", service=service.pk)
    return bool(deleted)


# --- publishing ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    service: TravellingService
    visits_by_place: dict[int, int]
    changes: list[str]
    told: int


def publish(coordinator: Member, service: TravellingService) -> Published:
    """Apportion the visits by weighted need, schedule them over the period's days, replace the published
    timetable, and tell everyone who registered a need at each place when the service comes there."""
    if not access.can_coordinate(coordinator, service):
        raise DomainError("not_coordinator", "Only a coordinator can publish a service's timetable.")
    with transaction.atomic():
        locked = _lock(service)
        places = list(locked.places.order_by("pk"))
        needs = list(
            PlaceNeed.objects.filter(place__service=locked).select_related("member__community", "member__user")
        )
        weighted = apportionment.weighted_need(
            [apportionment.Need(need.place_id, need.points, need.reason or "registered") for need in needs],
            [place.pk for place in places],
        )
        visits = apportionment.apportion(locked.visits, weighted, locked.method, locked.minimum_per_place)
        days = (locked.period_ends_on - locked.period_starts_on).days + 1
        per_day = max(
            1,
            (max(DAY_ENDS_MINUTE, locked.visit_start_minute + locked.visit_minutes) - locked.visit_start_minute)
            // locked.visit_minutes,
        )
        timetable = apportionment.schedule(visits, days, per_day)
        before = _visits_before(locked)
        ScheduledVisit.objects.filter(service=locked).delete()
        starts = _write_visits(locked, timetable.periods)
        now = timezone.now()
        record = _record(locked, places, needs, weighted, visits, timetable, days, per_day)
        changes = _changes(before, starts, {place.pk: place.name for place in places}) if locked.published_at else []
        record["changes"] = changes
        record["published_at"] = now.isoformat()
        locked.certificate, locked.published_at = record, now
        locked.save(update_fields=["certificate", "published_at"])
        by_place = {place.pk: place for place in places}
        for need in needs:
            notices.visits_published(
                locked, by_place[need.place_id], need.member, starts.get(need.place_id, []), now, bool(before)
            )
        audit(coordinator.community, coordinator.user, "commons.travelling_published", None, "", service=locked.pk)
    return Published(locked, visits, changes, len(needs))


def _visits_before(service: TravellingService) -> dict[int, list[datetime]]:
    before: dict[int, list[datetime]] = {}
    for visit in service.schedule.order_by("starts_at", "pk"):
        before.setdefault(visit.place_id, []).append(visit.starts_at)
    return before


def _write_visits(service: TravellingService, periods) -> dict[int, list[datetime]]:
    """One visit after another each day from the service's start time, in the community's time zone."""
    zone = ZoneInfo(service.community.time_zone)
    starts: dict[int, list[datetime]] = {}
    rows = []
    for offset, visited in enumerate(periods):
        day = service.period_starts_on + timedelta(days=offset)
        for turn, place_id in enumerate(visited):
            minute = service.visit_start_minute + turn * service.visit_minutes
            start = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
            rows.append(
                ScheduledVisit(
                    community_id=service.community_id,
                    service=service,
                    place_id=place_id,
                    starts_at=start,
                    ends_at=start + timedelta(minutes=service.visit_minutes),
                )
            )
            starts.setdefault(place_id, []).append(start)
    ScheduledVisit.objects.bulk_create(rows)
    return starts


def _record(service, places, needs, weighted, visits, timetable, days, per_day) -> dict[str, object]:
    """The certificate (method, no seed: apportionment has no chance in it, inputs hash, properties) with the
    inputs and result it hashes, and each place's share explained."""
    quotas = apportionment.ideal_shares(service.visits, weighted)
    inputs = {
        "visits": service.visits,
        "method": service.method,
        "minimum_per_place": service.minimum_per_place,
        "weighted_need": {str(place): need for place, need in weighted.items()},
        "days": days,
        "visits_per_day": per_day,
    }
    result = {
        "visits": {str(place): count for place, count in visits.items()},
        "timetable": [list(day) for day in timetable.periods],
    }
    ordered = sorted(weighted, key=lambda place: weighted[place])
    properties = {
        "visits_add_up": sum(visits.values()) == service.visits,
        "every_place_has_its_minimum": all(count >= service.minimum_per_place for count in visits.values()),
        "more_need_never_fewer_visits": all(
            visits[a] <= visits[b] for a, b in itertools.pairwise(ordered) if weighted[a] < weighted[b]
        ),
        "visits_spread_evenly": timetable.every_window_even,
    }
    if service.method == VisitMethod.LARGEST_REMAINDER and service.minimum_per_place == 0:
        properties["each_place_within_one_of_its_exact_share"] = all(
            int(quotas[place]) <= visits[place] <= -(-quotas[place].numerator // quotas[place].denominator)
            for place in visits
        )
    certificate = certificates.certify(f"apportionment_{service.method}", 0, inputs, result, properties)
    registered: dict[int, int] = {}
    for need in needs:
        registered[need.place_id] = registered.get(need.place_id, 0) + 1
    shares = [
        {
            "place": place.pk,
            "name": place.name,
            "stop": place.stop,
            "registered": registered.get(place.pk, 0),
            "weighted_need": weighted[place.pk],
            "exact_share": decimal_text(quotas[place.pk]),
            "visits": visits[place.pk],
        }
        for place in sorted(places, key=lambda place: place.name)
    ]
    return {"certificate": certificate.as_dict(), "inputs": inputs, "result": result, "places": shares}


def decimal_text(share: Fraction, places: int = 2) -> str:
    """An exact share as people read it, rounded half up in integers: Fraction(41, 12) -> "3.42"."""
    scale = 10**places
    hundredths = (share.numerator * scale * 2 + share.denominator) // (share.denominator * 2)
    return f"{hundredths // scale}.{hundredths % scale:0{places}d}"


def _changes(before: dict[int, list[datetime]], after: dict[int, list[datetime]], names: dict[int, str]) -> list[str]:
    changes = []
    for place_id in sorted(names, key=lambda pk: names[pk]):
        old, new = before.get(place_id, []), after.get(place_id, [])
        if len(old) != len(new):
            changes.append(f"{names[place_id]}: {len(old)} visits before, {len(new)} now.")
        elif old != new:
            changes.append(f"{names[place_id]}: the same {len(new)} visits, on different days or times.")
    return changes or ["Nothing changed: the timetable is the same as before."]


def _lock(service: TravellingService) -> TravellingService:
    return TravellingService.objects.select_for_update(of=("self",)).select_related("community").get(pk=service.pk)
