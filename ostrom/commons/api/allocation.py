"""Request windows' JSON API: list and read windows (with their slots and, once allocated, the result), open one
(coordinators), ask for slots or withdraw, set a need weight (coordinators, always with a reason), run the
allocation, and fetch or check the certificate. Thin adapters over commons.access.allocation and
commons.actions.allocation. Times are ISO 8601 with a zone and come back in UTC."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Strict

from ostrom.communities.api import MAX_ID, NOT_BLANK, SLUG, PageQuery, Text, error_responses, page_of, whole
from ostrom.communities.domain import DomainError
from ostrom.communities.models import Member
from ostrom.ledger.api import AwareDatetime, BodyId

from ..access import allocation as access
from ..actions import allocation as actions
from ..actions.allocation import SlotSpec, WindowFields
from ..domain import fair_assignment, lottery
from ..models import AllocationMethod, AllocationRequest, Asset, RequestWindow, WindowStatus

router = Router(tags=["commons: allocation"])

# The statuses this part's DomainError codes answer with (see api/__init__.py); every other code is a 400.
ERROR_STATUS: dict[str, int] = {
    "window_unknown": 404,
    "asset_unknown": 404,
    "slot_unknown": 404,
    "window_closed": 409,
    "window_still_open": 409,
    "window_cancelled": 409,
    "already_allocated": 409,
    "already_followed": 409,
    "follows_not_lottery": 409,
    "not_allocated": 409,
    # Nobody asked: how the window stands now, not a bad request (someone may still ask in the next window).
    "no_participants": 409,
    "date_in_past": 409,
    "date_too_far": 409,
    # Rules JSON Schema cannot state (one field against another, or against the window's slots): the request
    # conflicts with itself or with the window, so 409, keeping 400 and 422 for what the schema itself refuses.
    "duplicate_slot": 409,
    "slot_times_incomplete": 409,
    "slot_ends_before_start": 409,
    "invalid_turning_period": 409,
    "ranking_and_scores": 409,
    "duplicate_score": 409,
    "duplicate_rank": 409,
    "invalid_slots_wanted": 409,
    "nothing_ranked": 409,
    # Unreachable through the schema (a reason must have a letter in it); kept so it can never be a 400.
    "need_reason_required": 422,
}


def _once(ranking: list[int]) -> list[int]:
    if len(set(ranking)) != len(ranking):
        raise ValueError("Each slot can appear only once in a ranking.")
    return ranking


WindowId = Annotated[int, Path(ge=1, le=MAX_ID)]
RequestId = Annotated[int, Path(ge=1, le=MAX_ID)]
ERRORS = (400, 401, 403, 404, 409, 422)
Periods = Annotated[int, Strict(), Field(ge=1, le=actions.MAX_PERIODS), BeforeValidator(whole)]
PeriodMinutes = Annotated[int, Strict(), Field(ge=1, le=actions.MAX_PERIOD_MINUTES), BeforeValidator(whole)]
SlotsWanted = Annotated[int, Strict(), Field(ge=1, le=actions.MAX_SLOTS_WANTED), BeforeValidator(whole)]
Score = Annotated[int, Strict(), Field(ge=0, le=fair_assignment.SCORE_MAX), BeforeValidator(whole)]
Points = Annotated[int, Strict(), Field(ge=1, le=lottery.MAX_POINTS), BeforeValidator(whole)]
Ranking = Annotated[
    list[BodyId], Field(max_length=actions.MAX_SLOTS, json_schema_extra={"uniqueItems": True}), AfterValidator(_once)
]
Tier = Literal[tuple(lottery.NEED_TIERS)]  # type: ignore[valid-type]


class CommonsWindowSlotIn(Schema):
    model_config = ConfigDict(extra="forbid")

    label: Text(actions.LABEL_MAX_CHARS, NOT_BLANK)
    starts_at: AwareDatetime | None = Field(None, description="With ends_at, or neither.")
    ends_at: AwareDatetime | None = Field(None, description="After starts_at.")


class CommonsWindowIn(Schema):
    model_config = ConfigDict(extra="forbid")

    title: Text(actions.TITLE_MAX_CHARS, NOT_BLANK)
    description: Text(actions.DESCRIPTION_MAX_CHARS) = ""
    method: AllocationMethod
    closes_at: AwareDatetime = Field(description="In the future, within a year.")
    slots: list[CommonsWindowSlotIn] = Field(min_length=1, max_length=actions.MAX_SLOTS)
    asset: Text(60, SLUG) | None = Field(None, description="The asset's slug: timed slots become its bookings.")
    periods: Periods = Field(1, description="Rotation only: how many periods.")
    period_minutes: PeriodMinutes | None = Field(None, description="Rotation only: how long a period lasts.")
    turning_period: Periods | None = Field(None, description="Rotation only: turn back after this period.")
    follows: BodyId | None = Field(None, description="Lottery only: the earlier draw whose losers weigh more here.")


class CommonsWindowScoreIn(Schema):
    model_config = ConfigDict(extra="forbid")

    slot: BodyId
    score: Score


class CommonsWindowRequestIn(Schema):
    model_config = ConfigDict(extra="forbid")

    slots_wanted: SlotsWanted = Field(1, description="Fair assignment only: how many slots you want.")
    ranking: Ranking | None = Field(None, description="Fair assignment: slot ids, best first, each once.")
    scores: list[CommonsWindowScoreIn] | None = Field(
        None, max_length=actions.MAX_SLOTS, description="Fair assignment, instead of a ranking: 0 to 100 a slot."
    )


class CommonsWindowNeedIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Text(actions.REASON_MAX_CHARS, NOT_BLANK) = Field(description="Why: recorded, for coordinators only.")
    tiers: list[Tier] = Field(default_factory=list, max_length=len(lottery.NEED_TIERS))
    points: Points | None = Field(None, description=f"Instead of tiers; the usual is {lottery.DEFAULT_POINTS}.")


class CommonsWindowSlotOut(Schema):
    id: int
    label: str
    starts_at: datetime | None
    ends_at: datetime | None
    position: int


class CommonsWindowScoreOut(Schema):
    slot: int
    score: int


class CommonsWindowRequestOut(Schema):
    id: int
    member: int
    member_name: str
    slots_wanted: int
    need_points: int
    need_tiers: list[str]
    lost_rounds: int
    scores: list[CommonsWindowScoreOut]
    need_reason: str | None = Field(description="Only coordinators see the reason; null for everyone else.")


class CommonsWindowAllocatedOut(Schema):
    slot: int
    label: str
    member: int
    member_name: str
    period: int
    booking: int | None


class CommonsWindowPersonOut(Schema):
    member: int
    slots: list[str]
    weight: int | None
    tiers: list[str]
    chance_permille: int | None = Field(description="Lottery: the chance of being drawn first, in thousandths.")
    position: int | None = Field(description="Where the lottery drew them (1 = first).")
    explanation: str


class CommonsWindowResultOut(Schema):
    summary: str
    allocated_at: datetime | None
    people: list[CommonsWindowPersonOut]
    allocated: list[CommonsWindowAllocatedOut]
    unbooked: list[dict[str, Any]]
    certificate: dict[str, Any]


class CommonsWindowOut(Schema):
    id: int
    title: str
    description: str
    method: AllocationMethod
    status: WindowStatus
    is_open: bool
    opens_at: datetime
    closes_at: datetime
    asset: str | None
    periods: int
    period_minutes: int | None
    turning_period: int | None
    follows: int | None
    slots: list[CommonsWindowSlotOut]
    requests: int
    my_request: CommonsWindowRequestOut | None
    result: CommonsWindowResultOut | None


class CommonsWindowSummary(Schema):
    id: int
    title: str
    method: AllocationMethod
    status: WindowStatus
    closes_at: datetime


class CommonsWindowPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CommonsWindowSummary]


class CommonsWindowVerifyOut(Schema):
    holds: bool = Field(description="The re-run gave the same result, from the same inputs.")
    inputs_match: bool
    result_match: bool
    properties: dict[str, bool]


def request_out(request: AllocationRequest, with_reason: bool) -> dict[str, Any]:
    return {
        "id": request.pk,
        "member": request.member_id,
        "member_name": request.member.display_name,
        "slots_wanted": request.slots_wanted,
        "need_points": request.need_points,
        "need_tiers": list(request.need_tiers),
        "lost_rounds": request.lost_rounds,
        "scores": [{"slot": s.slot_id, "score": s.score} for s in request.scores.order_by("slot_id")],
        "need_reason": request.need_reason if with_reason else None,
    }


def window_out(viewer: Member, window: RequestWindow) -> dict[str, Any]:
    mine = access.own_request(viewer, window)
    return {
        "id": window.pk,
        "title": window.title,
        "description": window.description,
        "method": window.method,
        "status": window.status,
        "is_open": access.is_open(window, timezone.now()),
        "opens_at": window.opens_at,
        "closes_at": window.closes_at,
        "asset": window.asset.slug if window.asset_id else None,
        "periods": window.periods,
        "period_minutes": window.period_minutes,
        "turning_period": window.turning_period,
        "follows": window.follows_id,
        "slots": list(access.window_slots(window)),
        "requests": window.requests.count(),
        "my_request": request_out(mine, access.can_coordinate(viewer, window)) if mine else None,
        "result": _result_out(window) if window.status == WindowStatus.ALLOCATED else None,
    }


def _result_out(window: RequestWindow) -> dict[str, Any]:
    people = window.result.get("people", {})
    return {
        "summary": window.result.get("summary", ""),
        "allocated_at": window.allocated_at,
        "people": [
            {
                "member": int(member),
                "slots": person.get("slots", []),
                "weight": person.get("weight"),
                "tiers": person.get("tiers", []),
                "chance_permille": person.get("chance_permille"),
                "position": person.get("position"),
                "explanation": person.get("explanation", ""),
            }
            for member, person in people.items()
        ],
        "allocated": [
            {
                "slot": held.slot_id,
                "label": held.slot.label,
                "member": held.member_id,
                "member_name": held.member.display_name,
                "period": held.period,
                "booking": held.booking_id,
            }
            for held in access.allocated_slots(window)
        ],
        "unbooked": window.result.get("unbooked", []),
        "certificate": window.certificate or {},
    }


@router.get("/commons/windows", response={200: CommonsWindowPage, **error_responses(401, 422)})
def list_windows(request: HttpRequest, page: Query[PageQuery]) -> dict[str, Any]:
    """Your community's request windows, latest closing first."""
    return page_of(access.visible_windows(request.auth), page)


@router.post("/commons/windows", response={201: CommonsWindowOut, **error_responses(*ERRORS)})
def create_window(request: HttpRequest, payload: CommonsWindowIn) -> Status:
    """Open a request window (coordinators). Members ask until ``closes_at``; then the allocation runs."""
    viewer: Member = request.auth
    asset = None
    if payload.asset:
        asset = Asset.objects.filter(community_id=viewer.community_id, slug=payload.asset).first()
        if asset is None:
            raise DomainError("asset_unknown", "There is no such asset in this community.", "asset")
    follows = None
    if payload.follows is not None:
        follows = access.visible_windows(viewer).filter(pk=payload.follows).first()
        if follows is None:
            raise DomainError("window_unknown", "There is no such request window here.", "follows")
    fields = WindowFields(
        title=payload.title, description=payload.description, method=payload.method, closes_at=payload.closes_at,
        slots=[SlotSpec(s.label, s.starts_at, s.ends_at) for s in payload.slots], asset=asset,
        periods=payload.periods, period_minutes=payload.period_minutes, turning_period=payload.turning_period,
        follows=follows,
    )  # fmt: skip
    window = actions.open_window(viewer, fields)
    return Status(201, window_out(viewer, window))


@router.get("/commons/windows/{window_id}", response={200: CommonsWindowOut, **error_responses(401, 404, 422)})
def get_window(request: HttpRequest, window_id: WindowId) -> dict[str, Any]:
    """A window with its slots, your request and, once allocated, who got what and why, with the certificate."""
    return window_out(request.auth, access.get_window_or_404(request.auth, window_id))


@router.post(
    "/commons/windows/{window_id}/request", response={200: CommonsWindowRequestOut, **error_responses(*ERRORS)}
)
def request_slots(request: HttpRequest, window_id: WindowId, payload: CommonsWindowRequestIn) -> dict[str, Any]:
    """Ask for a slot, or change your request, while the window is open (window_closed after). For fair
    assignment send a ranking (slot ids, best first) or scores, and how many slots you want."""
    viewer: Member = request.auth
    window = access.get_window_or_404(viewer, window_id)
    if payload.ranking is not None and payload.scores is not None:
        raise DomainError("ranking_and_scores", "Send a ranking or scores, not both.", "scores")
    scores = {s.slot: s.score for s in payload.scores} if payload.scores is not None else None
    if scores is not None and len(scores) != len(payload.scores):
        raise DomainError("duplicate_score", "Score each slot once.", "scores")
    mine = actions.request_slots(viewer, window, payload.slots_wanted, payload.ranking, scores)
    return request_out(mine, access.can_coordinate(viewer, window))


@router.post("/commons/windows/{window_id}/withdraw", response={204: None, **error_responses(*ERRORS)})
def withdraw(request: HttpRequest, window_id: WindowId) -> Status:
    """Withdraw your request while the window is open; withdrawing when you had none changes nothing."""
    actions.withdraw(request.auth, access.get_window_or_404(request.auth, window_id))
    return Status(204, None)


@router.get(
    "/commons/windows/{window_id}/requests",
    response={200: list[CommonsWindowRequestOut], **error_responses(401, 403, 404, 422)},
)
def list_requests(request: HttpRequest, window_id: WindowId) -> list[dict[str, Any]]:
    """Everyone's requests with their need weights and reasons (coordinators)."""
    viewer: Member = request.auth
    window = access.get_window_or_404(viewer, window_id)
    if not access.can_coordinate(viewer, window):
        raise DomainError("not_coordinator", "Only coordinators can see everyone's requests and reasons.")
    return [request_out(asked, True) for asked in access.window_requests(window)[: actions.MAX_SLOTS * 50]]


@router.post(
    "/commons/windows/{window_id}/requests/{request_id}/need",
    response={200: CommonsWindowRequestOut, **error_responses(*ERRORS)},
)
def set_need(
    request: HttpRequest, window_id: WindowId, request_id: RequestId, payload: CommonsWindowNeedIn
) -> dict[str, Any]:
    """Set someone's need weight (coordinators): tiers or points, always with a reason, which is audited."""
    viewer: Member = request.auth
    window = access.get_window_or_404(viewer, window_id)
    if not access.can_coordinate(viewer, window):
        raise DomainError("not_coordinator", "Only a coordinator can set need weights.")
    asked = access.get_request_or_404(window, request_id)
    done = actions.set_need(viewer, asked, payload.reason, tiers=payload.tiers, points=payload.points)
    return request_out(done, True)


@router.post("/commons/windows/{window_id}/allocate", response={200: CommonsWindowOut, **error_responses(*ERRORS)})
def allocate(request: HttpRequest, window_id: WindowId) -> dict[str, Any]:
    """Run the allocation now that the window has closed (coordinators). It runs once (already_allocated after);
    refused with no_participants when nobody asked."""
    viewer: Member = request.auth
    window = actions.allocate(access.get_window_or_404(viewer, window_id), viewer)
    return window_out(viewer, window)


@router.get(
    "/commons/windows/{window_id}/certificate", response={200: dict[str, Any], **error_responses(401, 404, 409, 422)}
)
def certificate(request: HttpRequest, window_id: WindowId) -> dict[str, Any]:
    """The certificate (method, seed, hashes, properties) with the inputs and result record it hashes."""
    return actions.published_certificate(access.get_window_or_404(request.auth, window_id))


@router.get(
    "/commons/windows/{window_id}/verify", response={200: CommonsWindowVerifyOut, **error_responses(401, 404, 409, 422)}
)
def verify(request: HttpRequest, window_id: WindowId) -> dict[str, Any]:
    """Re-run the allocation from its certificate and published inputs: does the same result come out?"""
    checked = actions.verify(access.get_window_or_404(request.auth, window_id))
    return {
        "holds": checked.holds,
        "inputs_match": checked.inputs_match,
        "result_match": checked.result_match,
        "properties": dict(checked.properties),
    }
