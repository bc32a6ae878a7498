"""Travelling services' JSON API: list and read services (with places, the published timetable and each place's
share), define one and add places (coordinators), register or withdraw a need (yours, or a phone-only resident's as
a coordinator), and publish the timetable. Thin adapters over commons.access.travelling and
commons.actions.travelling. Times come back in UTC."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import BeforeValidator, ConfigDict, Strict

from ostrom.communities.api import NOT_BLANK, SLUG, PageQuery, Text, error_responses, page_of, whole
from ostrom.communities.domain import DomainError
from ostrom.communities.models import Member, Organisation
from ostrom.ledger.api import BodyId

from ..access import travelling as access
from ..actions import travelling as actions
from ..actions.travelling import ServiceFields
from ..domain import apportionment
from ..models import ServicePlace, TravellingService, VisitMethod

router = Router(tags=["commons: travelling services"])

# The statuses this part's DomainError codes answer with (see api/__init__.py); every other code is a 400.
ERROR_STATUS: dict[str, int] = {
    "place_unknown": 404,
    "organisation_unknown": 404,
    "duplicate_place": 409,
    "too_many_places": 409,
    "name_taken": 409,
    # Publishing depends on what has been registered so far: the same request succeeds once needs come in.
    "no_registered_need": 409,
    "no_places": 409,
    "minimums_exceed_visits": 409,
    "schedule_over_capacity": 409,
    # Rules JSON Schema cannot state (one field against another): the request conflicts with itself, so 409,
    # keeping 400 and 422 for what the schema itself refuses.
    "period_ends_before_start": 409,
    "period_too_long": 409,
    "minimum_above_visits": 409,
    "visit_past_midnight": 409,
    "date_in_past": 409,
    "date_too_far": 409,
}

ServiceSlug = Annotated[str, Path(max_length=60, pattern=SLUG)]
ERRORS = (400, 401, 403, 404, 409, 422)
Visits = Annotated[int, Strict(), Field(ge=1, le=actions.MAX_VISITS), BeforeValidator(whole)]
Minimum = Annotated[int, Strict(), Field(ge=0, le=actions.MAX_VISITS), BeforeValidator(whole)]
StartMinute = Annotated[int, Strict(), Field(ge=0, le=24 * 60 - 1), BeforeValidator(whole)]
VisitMinutes = Annotated[
    int, Strict(), Field(ge=actions.MIN_VISIT_MINUTES, le=actions.MAX_VISIT_MINUTES), BeforeValidator(whole)
]
TierName = Literal[tuple(apportionment.NEED_TIERS)]  # type: ignore[valid-type]


class CommonsTravelPlaceIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: Text(actions.NAME_MAX_CHARS, NOT_BLANK)
    stop: Text(actions.STOP_MAX_CHARS) = Field("", description="Where the service stops: the green, the pub.")


class CommonsTravelServiceIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: Text(actions.NAME_MAX_CHARS, NOT_BLANK)
    description: Text(actions.DESCRIPTION_MAX_CHARS) = ""
    visits: Visits
    method: VisitMethod = VisitMethod.SAINTE_LAGUE
    minimum_per_place: Minimum = 0
    period_starts_on: date
    period_ends_on: date
    visit_start_minute: StartMinute = Field(600, description="Minutes after midnight, local time: 600 is 10:00.")
    visit_minutes: VisitMinutes = 120
    provider: Text(60, SLUG) | None = Field(None, description="The organisation running it, by slug.")
    places: list[CommonsTravelPlaceIn] = Field(default_factory=list, max_length=actions.MAX_PLACES)


class CommonsTravelNeedIn(Schema):
    model_config = ConfigDict(extra="forbid")

    place: BodyId
    tier: TierName = Field(
        description="standard (2 points), no_car (3: the visit is the only way), housebound (4: cannot travel)."
    )
    reason: Text(actions.REASON_MAX_CHARS) = ""
    member: BodyId | None = Field(None, description="Coordinators: register for this resident (audited).")


class CommonsTravelWithdrawIn(Schema):
    model_config = ConfigDict(extra="forbid")

    member: BodyId | None = Field(None, description="Coordinators: withdraw this resident's need.")


class CommonsTravelPlaceOut(Schema):
    id: int
    name: str
    stop: str
    registered: int = Field(description="How many have registered a need here.")
    weighted_need: int = Field(description="Their need points together.")


class CommonsTravelShareOut(Schema):
    place: int
    name: str
    registered: int
    weighted_need: int
    exact_share: str = Field(description="The place's exact share of the visits, to two decimal places.")
    visits: int


class CommonsTravelVisitOut(Schema):
    place: int
    place_name: str
    starts_at: datetime
    ends_at: datetime


class CommonsTravelNeedOut(Schema):
    place: int
    tier: str | None
    points: int


class CommonsTravelServiceOut(Schema):
    slug: str
    name: str
    description: str
    visits: int
    method: VisitMethod
    minimum_per_place: int
    period_starts_on: date
    period_ends_on: date
    visit_start_minute: int
    visit_minutes: int
    published_at: datetime | None
    places: list[CommonsTravelPlaceOut]
    shares: list[CommonsTravelShareOut]
    changes: list[str] = Field(description="What the last publication changed.")
    certificate: dict[str, Any] | None
    schedule: list[CommonsTravelVisitOut]
    my_need: CommonsTravelNeedOut | None


class CommonsTravelServiceSummary(Schema):
    slug: str
    name: str
    visits: int
    period_starts_on: date
    period_ends_on: date
    published_at: datetime | None


class CommonsTravelServicePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CommonsTravelServiceSummary]


class CommonsTravelPublishedOut(Schema):
    service: CommonsTravelServiceOut
    changes: list[str]
    told: int = Field(description="How many residents were sent their visit dates.")


def service_out(viewer: Member, service: TravellingService) -> dict[str, Any]:
    record = service.certificate or {}
    mine = access.own_need(viewer, service)
    return {
        "slug": service.slug,
        "name": service.name,
        "description": service.description,
        "visits": service.visits,
        "method": service.method,
        "minimum_per_place": service.minimum_per_place,
        "period_starts_on": service.period_starts_on,
        "period_ends_on": service.period_ends_on,
        "visit_start_minute": service.visit_start_minute,
        "visit_minutes": service.visit_minutes,
        "published_at": service.published_at,
        "places": [
            {"id": p.pk, "name": p.name, "stop": p.stop, "registered": p.registered, "weighted_need": p.weight}
            for p in access.service_places(service)
        ],
        "shares": record.get("places", []),
        "changes": record.get("changes", []),
        "certificate": record.get("certificate"),
        "schedule": [
            {"place": v.place_id, "place_name": v.place.name, "starts_at": v.starts_at, "ends_at": v.ends_at}
            for v in access.schedule_of(service)
        ],
        "my_need": {"place": mine.place_id, "tier": (mine.tiers or [None])[0], "points": mine.points} if mine else None,
    }


def _service(viewer: Member, service_slug: str) -> TravellingService:
    return access.get_service_or_404(viewer.community, viewer, service_slug)


def _place(service: TravellingService, place_id: int) -> ServicePlace:
    place = service.places.filter(pk=place_id).first()
    if place is None:
        raise DomainError("place_unknown", "There is no such place on this service.", "place")
    return place


def _resident(viewer: Member, member_id: int | None) -> Member | None:
    if member_id is None:
        return None
    member = Member.objects.filter(community_id=viewer.community_id, pk=member_id).first()
    if member is None:
        raise DomainError("member_unknown", "There is no such member in this community.", "member")
    return member


@router.get("/commons/services", response={200: CommonsTravelServicePage, **error_responses(401, 422)})
def list_services(request: HttpRequest, page: Query[PageQuery]) -> dict[str, Any]:
    """Your community's travelling services."""
    viewer: Member = request.auth
    return page_of(access.community_services(viewer.community, viewer), page)


@router.post("/commons/services", response={201: CommonsTravelServiceOut, **error_responses(*ERRORS)})
def create_service(request: HttpRequest, payload: CommonsTravelServiceIn) -> Status:
    """Define a travelling service and its places (coordinators)."""
    viewer: Member = request.auth
    provider = None
    if payload.provider:
        provider = Organisation.objects.filter(community_id=viewer.community_id, slug=payload.provider).first()
        if provider is None:
            raise DomainError("organisation_unknown", "There is no such organisation here.", "provider")
    fields = ServiceFields(
        name=payload.name, description=payload.description, visits=payload.visits, method=payload.method,
        minimum_per_place=payload.minimum_per_place, period_starts_on=payload.period_starts_on,
        period_ends_on=payload.period_ends_on, visit_start_minute=payload.visit_start_minute,
        visit_minutes=payload.visit_minutes, provider=provider,
    )  # fmt: skip
    service = actions.create_service(viewer, fields, [(place.name, place.stop) for place in payload.places])
    return Status(201, service_out(viewer, service))


@router.get(
    "/commons/services/{service_slug}", response={200: CommonsTravelServiceOut, **error_responses(401, 404, 422)}
)
def get_service(request: HttpRequest, service_slug: ServiceSlug) -> dict[str, Any]:
    """A service with its places, the published timetable and why each place has its share."""
    return service_out(request.auth, _service(request.auth, service_slug))


@router.post(
    "/commons/services/{service_slug}/places", response={201: CommonsTravelPlaceOut, **error_responses(*ERRORS)}
)
def add_place(request: HttpRequest, service_slug: ServiceSlug, payload: CommonsTravelPlaceIn) -> Status:
    """Add a place to a service (coordinators)."""
    place = actions.add_place(request.auth, _service(request.auth, service_slug), payload.name, payload.stop)
    return Status(201, {"id": place.pk, "name": place.name, "stop": place.stop, "registered": 0, "weighted_need": 0})


@router.post("/commons/services/{service_slug}/need", response={200: CommonsTravelNeedOut, **error_responses(*ERRORS)})
def register_need(request: HttpRequest, service_slug: ServiceSlug, payload: CommonsTravelNeedIn) -> dict[str, Any]:
    """Register your need at a place (registering again moves it); coordinators may register for a resident."""
    viewer: Member = request.auth
    service = _service(viewer, service_slug)
    need = actions.register_need(
        viewer, _place(service, payload.place), payload.tier, payload.reason, _resident(viewer, payload.member)
    )
    return {"place": need.place_id, "tier": (need.tiers or [None])[0], "points": need.points}


@router.post("/commons/services/{service_slug}/withdraw", response={204: None, **error_responses(*ERRORS)})
def withdraw_need(request: HttpRequest, service_slug: ServiceSlug, payload: CommonsTravelWithdrawIn) -> Status:
    """Withdraw your need (or, as a coordinator, a resident's); withdrawing none changes nothing."""
    viewer: Member = request.auth
    actions.withdraw_need(viewer, _service(viewer, service_slug), _resident(viewer, payload.member))
    return Status(204, None)


@router.post(
    "/commons/services/{service_slug}/publish", response={200: CommonsTravelPublishedOut, **error_responses(*ERRORS)}
)
def publish(request: HttpRequest, service_slug: ServiceSlug) -> dict[str, Any]:
    """Share the visits by weighted need, publish the timetable (replacing any before) and send each resident
    who registered a need their place's dates (coordinators). no_registered_need until someone registers."""
    viewer: Member = request.auth
    published = actions.publish(viewer, _service(viewer, service_slug))
    return {"service": service_out(viewer, published.service), "changes": published.changes, "told": published.told}
