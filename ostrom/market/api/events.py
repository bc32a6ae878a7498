"""Events' JSON API: what is coming up, putting an event on, answering it (going or not), cancelling it and taking
the register. Thin adapters over market.access.events and market.actions.events. Times are ISO 8601 with a zone
and come back in UTC."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import BeforeValidator, ConfigDict, Strict, StrictBool

from ostrom.communities.api import MAX_ID, NOT_BLANK, SLUG, PageQuery, Text, error_responses, page_of, whole
from ostrom.communities.domain import DomainError
from ostrom.communities.models import Member, Organisation
from ostrom.ledger.api import AwareDatetime, BodyId

from ..access import events as access
from ..actions import events as actions
from ..domain import events as domain
from ..domain.events import EventFields
from ..models import Attendance, Event, EventStatus, Rsvp, RsvpStatus

router = Router(tags=["market: events"])

# The statuses this part's DomainError codes answer with (see api/__init__.py); every other code is a 400.
ERROR_STATUS = {
    "event_unknown": 404,
    "event_cancelled": 409,
    "event_started": 409,
    "event_not_started": 409,
    "event_over": 409,
    "register_closed": 409,
    "event_full": 409,
    "already_marked": 409,
    "capacity_below_going": 409,
    # A start that has passed, or is not yet within two years: the same request is fine at another time (as the
    # ledger's expired holds are 409s).
    "date_in_past": 409,
    "date_too_far": 409,
}

EventId = Annotated[int, Path(ge=1, le=MAX_ID)]
ERRORS = (400, 401, 403, 404, 409, 422)
Capacity = Annotated[int, Strict(), Field(ge=1, le=domain.MAX_CAPACITY), BeforeValidator(whole)]


class MarketEventOut(Schema):
    id: int
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    place: str
    host: int = Field(description="The hosting member's id.")
    host_name: str
    organisation: str | None = Field(description="The slug of the organisation it is hosted for, if any.")
    capacity: int | None = Field(description="Null: no limit.")
    going: int = Field(description="How many are going.")
    places_left: int | None = Field(description="Null: no limit.")
    status: EventStatus
    rsvp_code: str = Field(description="Text RSVP <code> to go, RSVP <code> NO to give the place up.")
    my_answer: RsvpStatus | None = Field(description="Your answer, if you gave one.")


class MarketEventPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[MarketEventOut]


class MarketEventIn(Schema):
    model_config = ConfigDict(extra="forbid")

    title: Text(domain.EVENT_TITLE_MAX_CHARS, NOT_BLANK)
    description: Text(domain.EVENT_DESCRIPTION_MAX_CHARS, NOT_BLANK)
    starts_at: AwareDatetime = Field(description="In the future.")
    ends_at: AwareDatetime = Field(description="After the start, at most 14 days later.")
    place: Text(domain.PLACE_MAX_CHARS, NOT_BLANK)
    capacity: Capacity | None = Field(None, description="Leave out for no limit.")
    organisation: Text(60, SLUG) | None = Field(None, description="Host for your organisation (its staff only).")


class MarketRsvpIn(Schema):
    model_config = ConfigDict(extra="forbid")

    going: StrictBool = Field(True, description="false: you are not going after all (your place goes to the next).")


class MarketRsvpOut(Schema):
    event: MarketEventOut
    status: RsvpStatus | None = Field(description="going, waitlisted, cancelled; null if you never answered.")
    changed: bool = Field(description="False when the answer was already this (nothing was written).")
    promoted: int = Field(description="How many people on the waiting list got a place because of this answer.")


class MarketCancelIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Text(domain.CANCEL_REASON_MAX_CHARS) = Field("", description="Told to everyone going or waiting.")


class MarketCapacityIn(Schema):
    model_config = ConfigDict(extra="forbid")

    capacity: Capacity | None = Field(description="null: no limit. Never below the number already going.")


class MarketAttendanceIn(Schema):
    model_config = ConfigDict(extra="forbid")

    member: BodyId | None = Field(None, description="A member who came; or give walk_in_name instead.")
    walk_in_name: Text(domain.WALK_IN_NAME_MAX_CHARS) = Field("", description="Someone who came without membership.")


class MarketAttendanceOut(Schema):
    id: int
    event: int
    member: int | None
    walk_in_name: str
    created_at: datetime


def event_out(event: Event, answer: str | None) -> dict[str, Any]:
    return {
        "id": event.pk,
        "title": event.title,
        "description": event.description,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "place": event.place,
        "host": event.host_id,
        "host_name": event.host.display_name,
        "organisation": event.organisation.slug if event.organisation_id else None,
        "capacity": event.capacity,
        "going": event.going_count,
        "places_left": event.places_left,
        "status": event.status,
        "rsvp_code": event.rsvp_code,
        "my_answer": answer,
    }


def _answer_of(viewer: Member, event: Event) -> str | None:
    mine: Rsvp | None = access.own_rsvp(viewer, event)
    return mine.status if mine else None


@router.get("/market/events", response={200: MarketEventPage, **error_responses(401, 422)})
def list_events(request: HttpRequest, page: Query[PageQuery]) -> dict[str, Any]:
    """Scheduled events of your community that are not over yet, soonest first, with your answer to each."""
    viewer: Member = request.auth
    result = page_of(access.upcoming_events(viewer, timezone.now()), page)
    answers = dict(viewer.rsvps.filter(event__in=result["items"]).values_list("event_id", "status"))
    result["items"] = [event_out(event, answers.get(event.pk)) for event in result["items"]]
    return result


@router.post("/market/events", response={201: MarketEventOut, **error_responses(*ERRORS)})
def create_event(request: HttpRequest, payload: MarketEventIn) -> Status:
    """Put on an event; you are its host. It gets a short code people text (RSVP <code>) to come."""
    viewer: Member = request.auth
    organisation = None
    if payload.organisation:
        organisation = Organisation.objects.filter(community_id=viewer.community_id, slug=payload.organisation).first()
        if organisation is None:
            raise DomainError("organisation_unknown", "There is no such organisation here.", "organisation")
    fields = EventFields(
        payload.title, payload.description, payload.starts_at, payload.ends_at, payload.place, payload.capacity
    )
    event = actions.create_event(viewer, fields, organisation)
    return Status(201, event_out(event, None))


@router.get("/market/events/{event_id}", response={200: MarketEventOut, **error_responses(401, 404, 422)})
def get_event(request: HttpRequest, event_id: EventId) -> dict[str, Any]:
    event = access.get_event_or_404(request.auth, event_id)
    return event_out(event, _answer_of(request.auth, event))


@router.post("/market/events/{event_id}/rsvp", response={200: MarketRsvpOut, **error_responses(*ERRORS)})
def rsvp(request: HttpRequest, event_id: EventId, payload: MarketRsvpIn) -> dict[str, Any]:
    """Going: a place if one is free, otherwise the waiting list (status waitlisted). Not going: your place goes
    to the first on the waiting list, who is told. Answering the same again changes nothing (changed false).
    Answers close when the event starts (event_started) or if it is cancelled (event_cancelled)."""
    viewer: Member = request.auth
    event = access.get_event_or_404(viewer, event_id)
    answered = actions.rsvp(viewer, event, going=payload.going)
    status = answered.rsvp.status if answered.rsvp else None
    return {
        "event": event_out(answered.event, status),
        "status": status,
        "changed": answered.changed,
        "promoted": len(answered.promoted),
    }


def _managed(viewer: Member, event_id: int) -> Event:
    event = access.get_event_or_404(viewer, event_id)
    if not access.can_manage_event(viewer, event):
        raise DomainError("not_allowed", "Only the host or a coordinator can do this.")
    return event


@router.post("/market/events/{event_id}/cancel", response={200: MarketEventOut, **error_responses(*ERRORS)})
def cancel_event(request: HttpRequest, event_id: EventId, payload: MarketCancelIn) -> dict[str, Any]:
    """The host (or a coordinator) cancels; everyone going or waiting is told. Cancelling twice changes nothing."""
    event = actions.cancel_event(request.auth, _managed(request.auth, event_id), payload.reason)
    return event_out(event, _answer_of(request.auth, event))


@router.post("/market/events/{event_id}/capacity", response={200: MarketEventOut, **error_responses(*ERRORS)})
def change_capacity(request: HttpRequest, event_id: EventId, payload: MarketCapacityIn) -> dict[str, Any]:
    """The host changes the number of places; new places go to the waiting list first."""
    event = actions.change_capacity(request.auth, _managed(request.auth, event_id), payload.capacity)
    return event_out(event, _answer_of(request.auth, event))


@router.post("/market/events/{event_id}/attendance", response={201: MarketAttendanceOut, **error_responses(*ERRORS)})
def mark_attendance(request: HttpRequest, event_id: EventId, payload: MarketAttendanceIn) -> Status:
    """The host notes someone who came (a member, or a walk-in by name), from the start of the event until two
    weeks after it. A member already on the register is refused (already_marked)."""
    viewer: Member = request.auth
    event = _managed(viewer, event_id)
    member = None
    if payload.member is not None:
        member = Member.objects.filter(community_id=viewer.community_id, pk=payload.member).first()
        if member is None:
            raise DomainError("member_unknown", "There is no such member in this community.", "member")
    row: Attendance = actions.mark_present(viewer, event, member, payload.walk_in_name)
    return Status(
        201,
        {
            "id": row.pk,
            "event": event.pk,
            "member": row.member_id,
            "walk_in_name": row.walk_in_name,
            "created_at": row.created_at,
        },
    )
