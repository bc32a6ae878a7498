"""Rotas' JSON API: teams and care circles, their people and weekly shifts, availability, making the rota, the
shifts with who is on them, swaps (offer, take, withdraw), taking an empty seat and logging hours. Thin adapters
over commons.access.rotas and commons.actions.rotas. Times come back in UTC; weekly times (availability, shift
patterns) are minutes of local wall-clock time in the community's zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import BeforeValidator, ConfigDict, Strict, StrictBool

from ostrom.communities.api import MAX_ID, NOT_BLANK, SLUG, PageQuery, Text, error_responses, page_of, whole
from ostrom.communities.domain import DomainError
from ostrom.communities.models import Member
from ostrom.ledger.api import BodyId
from ostrom.ledger.models import Currency

from ..access import rotas as access
from ..actions import rotas as actions
from ..domain import rota as domain
from ..models import Shift, ShiftAssignment, SwapRequest, SwapStatus, Team, TeamKind, TeamMember

router = Router(tags=["commons: rotas"])

# The statuses this part's DomainError codes answer with (see api/__init__.py); every other code is a 400.
ERROR_STATUS: dict[str, int] = {
    "not_your_shift": 403,
    "not_in_team": 403,
    "not_your_trade": 403,
    "timebank_unknown": 404,
    "shift_unknown": 404,
    "already_in_team": 409,
    "team_full": 409,
    "last_organiser": 409,
    "too_many_shifts": 409,
    "name_taken": 409,
    "no_shifts": 409,
    "no_members": 409,
    "nothing_to_plan": 409,
    "rota_in_past": 409,
    "rota_too_far": 409,
    "shift_started": 409,
    "shift_not_over": 409,
    "shift_full": 409,
    "shift_moved": 409,
    "shift_too_far": 409,
    "swap_already_open": 409,
    "swap_closed": 409,
    "own_offer": 409,
    "already_on_shift": 409,
    "already_on_both_shifts": 409,
    "swap_overlap": 409,
    "swap_over_maximum": 409,
    "swap_over_fair_share": 409,
    "swap_not_available": 409,
    "no_timebank": 409,
    "issuance_unavailable": 409,
}

ERRORS = (400, 401, 403, 404, 409, 422)
TeamSlug = Annotated[str, Path(max_length=60, pattern=SLUG)]
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _bounded(low: int, high: int) -> Any:
    return Annotated[int, Strict(), Field(ge=low, le=high), BeforeValidator(whole)]


class TeamOut(Schema):
    id: int
    slug: str
    name: str
    kind: TeamKind
    description: str
    timebank: str | None = Field(description="The code of the timebank currency hours are logged in, if any.")
    in_team: bool = Field(description="Whether you are in this team.")


class TeamPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[TeamOut]


class TeamIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: Text(actions.NAME_MAX_CHARS, NOT_BLANK)
    kind: TeamKind = TeamKind.TEAM
    description: Text(actions.DESCRIPTION_MAX_CHARS) = ""
    timebank: Text(20, SLUG) | None = Field(None, description="The code of a timebank (time) currency.")


class TeamMemberOut(Schema):
    id: int
    member: int
    name: str
    is_organiser: bool
    max_minutes: int | None = Field(description="Most minutes on one rota; null: no limit.")


class TeamMemberIn(Schema):
    model_config = ConfigDict(extra="forbid")

    member: BodyId
    is_organiser: StrictBool = False
    max_minutes: _bounded(0, actions.MAX_MINUTES_PER_ROTA) | None = None


class PatternOut(Schema):
    id: int
    title: str
    weekday: int = Field(description="0 is Monday.")
    start_minute: int = Field(description="Minutes after local midnight.")
    duration_minutes: int
    people_needed: int


class PatternIn(Schema):
    model_config = ConfigDict(extra="forbid")

    title: Text(actions.TITLE_MAX_CHARS, NOT_BLANK)
    weekday: _bounded(0, 6) = Field(description="0 is Monday, 6 is Sunday.")
    start_minute: _bounded(0, 24 * 60 - 1) = Field(description="Minutes after local midnight.")
    duration_minutes: _bounded(1, domain.MAX_SHIFT_MINUTES)
    people_needed: _bounded(1, actions.MAX_PEOPLE_PER_SHIFT) = 1


class LoadOut(Schema):
    member: int
    minutes: int = Field(description="Minutes on the rota from now on.")
    fair_share_minutes: int = Field(description="Their fair share of those minutes, rounded.")
    within_one_shift: bool


class TeamDetailOut(TeamOut):
    members: list[TeamMemberOut]
    patterns: list[PatternOut]
    loads: list[LoadOut]


class WindowSchema(Schema):
    model_config = ConfigDict(extra="forbid")

    start_minute_of_week: _bounded(0, domain.MINUTES_PER_WEEK - 1) = Field(
        description="Minutes after Monday 00:00, local time."
    )
    duration_minutes: _bounded(1, domain.MINUTES_PER_WEEK) = Field(
        description="How long from the start (it may run past Sunday midnight into Monday)."
    )


class AvailabilityIn(Schema):
    model_config = ConfigDict(extra="forbid")

    windows: list[WindowSchema] = Field(max_length=domain.MAX_WINDOWS)


class AvailabilityOut(Schema):
    windows: list[WindowSchema]


class GenerateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    week_of: date = Field(description="Any day of the rota's first week: the rota starts on that week's Monday.")
    weeks: _bounded(1, actions.MAX_WEEKS) = 4


class GenerateOut(Schema):
    shifts: int = Field(description="Shifts written.")
    unfilled_places: int = Field(description="Places on shifts nobody could take.")
    kept: int = Field(description="Shifts in those weeks kept as they were (already started).")


class AssignmentOut(Schema):
    id: int
    member: int
    name: str
    hours_logged: bool


class ShiftOut(Schema):
    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    people_needed: int
    people: list[AssignmentOut]
    unfilled_reason: str = Field(description="Why places are empty, in words; empty when full.")


class ShiftPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ShiftOut]


class SwapIn(Schema):
    model_config = ConfigDict(extra="forbid")

    note: Text(actions.NOTE_MAX_CHARS) = ""
    in_exchange_for: BodyId | None = Field(None, description="A trade: the assignment id of the shift you want.")


class TakeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    accept_over_fair_share: StrictBool = False


class SwapOut(Schema):
    id: int
    assignment: int
    shift: int
    in_exchange_for: int | None
    status: SwapStatus
    taken_by: int | None
    note: str


class HoursOut(Schema):
    assignment: int
    minutes: int
    currency: str
    transfer: int
    replayed: bool


def team_out(team: Team, viewer: Member) -> dict[str, Any]:
    return {
        "id": team.pk,
        "slug": team.slug,
        "name": team.name,
        "kind": team.kind,
        "description": team.description,
        "timebank": team.timebank.code if team.timebank_id else None,
        "in_team": access.membership_of(viewer, team) is not None,
    }


def _member_out(tm: TeamMember) -> dict[str, Any]:
    return {
        "id": tm.pk,
        "member": tm.member_id,
        "name": tm.member.display_name,
        "is_organiser": tm.is_organiser,
        "max_minutes": tm.max_minutes_per_rota,
    }


def _pattern_out(pattern) -> dict[str, Any]:
    return {
        "id": pattern.pk,
        "title": pattern.title,
        "weekday": pattern.weekday,
        "start_minute": pattern.start_minute,
        "duration_minutes": pattern.duration_minutes,
        "people_needed": pattern.people_needed,
    }


def _shift_out(shift: Shift) -> dict[str, Any]:
    people = sorted(shift.assignments.all(), key=lambda a: a.pk)
    short = len(people) < shift.people_needed
    return {
        "id": shift.pk,
        "title": shift.title,
        "starts_at": shift.starts_at,
        "ends_at": shift.ends_at,
        "people_needed": shift.people_needed,
        "people": [
            {
                "id": a.pk,
                "member": a.member_id,
                "name": a.member.display_name,
                "hours_logged": bool(a.hours_transfer_id),
            }
            for a in people
        ],
        "unfilled_reason": actions.UNFILLED_MESSAGES.get(shift.unfilled_reason, "Nobody has taken it yet.")
        if short
        else "",
    }


def _swap_out(swap: SwapRequest) -> dict[str, Any]:
    return {
        "id": swap.pk,
        "assignment": swap.assignment_id,
        "shift": swap.assignment.shift_id,
        "in_exchange_for": swap.in_exchange_for_id,
        "status": swap.status,
        "taken_by": swap.taken_by_id,
        "note": swap.note,
    }


def _windows_out(team_member: TeamMember) -> list[dict[str, int]]:
    return [{"start_minute_of_week": s, "duration_minutes": e - s} for s, e in actions.windows_of(team_member)]


def _timebank(viewer: Member, code: str | None) -> Currency | None:
    if code is None:
        return None
    currency = access.timebank_currencies(viewer).filter(code=code).first()
    if currency is None:
        raise DomainError("timebank_unknown", "This community has no timebank currency with that code.", "timebank")
    return currency


def _managed(viewer: Member, team_slug: str) -> Team:
    team = access.get_team_or_404(viewer, team_slug)
    if not access.can_manage_team(viewer, team):
        raise DomainError("not_allowed", "Only the team's organisers can do this.")
    return team


@router.get("/commons/teams", response={200: TeamPage, **error_responses(401, 422)})
def list_teams(request: HttpRequest, page: Query[PageQuery]) -> dict[str, Any]:
    """Self-managed teams of your community and the care circles you are in."""
    viewer: Member = request.auth
    result = page_of(access.visible_teams(viewer).select_related("timebank").order_by("name", "pk"), page)
    result["items"] = [team_out(team, viewer) for team in result["items"]]
    return result


@router.post("/commons/teams", response={201: TeamOut, **error_responses(*ERRORS)})
def create_team(request: HttpRequest, payload: TeamIn) -> Status:
    """Start a team or care circle; you are its organiser."""
    viewer: Member = request.auth
    team = actions.create_team(
        viewer, payload.name, payload.kind, payload.description, _timebank(viewer, payload.timebank)
    )
    return Status(201, team_out(team, viewer))


@router.get("/commons/teams/{team_slug}", response={200: TeamDetailOut, **error_responses(401, 404, 422)})
def get_team(request: HttpRequest, team_slug: TeamSlug) -> dict[str, Any]:
    """The team, its people, its weekly shifts and each person's minutes from now on against their fair share."""
    viewer: Member = request.auth
    team = access.get_team_or_404(viewer, team_slug)
    now = timezone.now()
    loads = actions.team_rota(team, now, now + actions.UPCOMING).load_rows()
    return {
        **team_out(team, viewer),
        "members": [_member_out(tm) for tm in access.team_members(team)],
        "patterns": [_pattern_out(p) for p in access.team_patterns(team)],
        "loads": [
            {
                "member": row.member.pk,
                "minutes": row.minutes,
                "fair_share_minutes": round(row.fair_share_minutes),
                "within_one_shift": row.within_one_shift,
            }
            for row in loads
        ],
    }


@router.post("/commons/teams/{team_slug}/members", response={201: TeamMemberOut, **error_responses(*ERRORS)})
def add_member(request: HttpRequest, team_slug: TeamSlug, payload: TeamMemberIn) -> Status:
    """An organiser adds an active member of the community."""
    viewer: Member = request.auth
    team = _managed(viewer, team_slug)
    member = Member.objects.filter(community_id=viewer.community_id, pk=payload.member).first()
    if member is None:
        raise DomainError("member_unknown", "There is no such member in this community.", "member")
    added = actions.add_member(viewer, team, member, is_organiser=payload.is_organiser, max_minutes=payload.max_minutes)
    return Status(201, _member_out(added))


@router.post("/commons/teams/{team_slug}/patterns", response={201: PatternOut, **error_responses(*ERRORS)})
def add_pattern(request: HttpRequest, team_slug: TeamSlug, payload: PatternIn) -> Status:
    """An organiser adds a weekly shift (local wall-clock time)."""
    viewer: Member = request.auth
    team = _managed(viewer, team_slug)
    pattern = actions.add_pattern(
        viewer, team, payload.title, payload.weekday, payload.start_minute, payload.duration_minutes,
        payload.people_needed,
    )  # fmt: skip
    return Status(201, _pattern_out(pattern))


def _my_membership(viewer: Member, team_slug: str) -> TeamMember:
    team = access.get_team_or_404(viewer, team_slug)
    mine = access.membership_of(viewer, team)
    if mine is None:
        raise DomainError("not_in_team", "You are not in this team.")
    mine.team = team
    return mine


@router.get("/commons/teams/{team_slug}/availability", response={200: AvailabilityOut, **error_responses(*ERRORS)})
def my_availability(request: HttpRequest, team_slug: TeamSlug) -> dict[str, Any]:
    """The weekly times you said you can work for this team."""
    mine = _my_membership(request.auth, team_slug)
    return {"windows": _windows_out(mine)}


@router.put("/commons/teams/{team_slug}/availability", response={200: AvailabilityOut, **error_responses(*ERRORS)})
def set_availability(request: HttpRequest, team_slug: TeamSlug, payload: AvailabilityIn) -> dict[str, Any]:
    """Replace the weekly times you can work (minutes after Monday 00:00, local time)."""
    viewer: Member = request.auth
    mine = _my_membership(viewer, team_slug)
    windows = [(w.start_minute_of_week, w.start_minute_of_week + w.duration_minutes) for w in payload.windows]
    actions.set_availability(viewer, mine, windows)
    return {"windows": _windows_out(mine)}


@router.post("/commons/teams/{team_slug}/rota", response={201: GenerateOut, **error_responses(*ERRORS)})
def generate(request: HttpRequest, team_slug: TeamSlug, payload: GenerateIn) -> Status:
    """An organiser makes the rota for some weeks; shifts not yet started in them are made again."""
    viewer: Member = request.auth
    team = _managed(viewer, team_slug)
    first_monday = payload.week_of - timedelta(days=payload.week_of.weekday())
    made = actions.generate_rota(viewer, team, first_monday, payload.weeks)
    return Status(201, {"shifts": len(made.shifts), "unfilled_places": made.unfilled_seats, "kept": made.kept})


@router.get("/commons/teams/{team_slug}/shifts", response={200: ShiftPage, **error_responses(401, 404, 422)})
def list_shifts(request: HttpRequest, team_slug: TeamSlug, page: Query[PageQuery]) -> dict[str, Any]:
    """The team's shifts from the start of this week, soonest first, with who is on each."""
    viewer: Member = request.auth
    team = access.get_team_or_404(viewer, team_slug)
    now = timezone.now()
    start = now - timedelta(days=7)
    result = page_of(access.team_shifts(team, start, now + actions.UPCOMING), page)
    result["items"] = [_shift_out(shift) for shift in result["items"]]
    return result


@router.post("/commons/rota/assignments/{assignment_id}/swap", response={201: SwapOut, **error_responses(*ERRORS)})
def offer_swap(request: HttpRequest, assignment_id: ObjectId, payload: SwapIn) -> Status:
    """Offer your shift to the team, or propose a trade for another's (in_exchange_for)."""
    viewer: Member = request.auth
    assignment = access.get_assignment_or_404(viewer, assignment_id)
    wanted = None
    if payload.in_exchange_for is not None:
        wanted = (
            ShiftAssignment.objects.filter(
                community_id=viewer.community_id, pk=payload.in_exchange_for, shift__team_id=assignment.shift.team_id
            )
            .select_related("shift", "member")
            .first()
        )
        if wanted is None:
            raise DomainError("shift_unknown", "There is no such shift on this team's rota.", "in_exchange_for")
    swap = actions.offer_swap(viewer, assignment, payload.note, wanted)
    return Status(201, _swap_out(swap))


@router.post("/commons/rota/swaps/{swap_id}/take", response={200: SwapOut, **error_responses(*ERRORS)})
def take_swap(request: HttpRequest, swap_id: ObjectId, payload: TakeIn) -> dict[str, Any]:
    """Take an offered shift, or accept a trade offered for your shift; the shift moves at once."""
    viewer: Member = request.auth
    swap = access.get_swap_or_404(viewer, swap_id)
    return _swap_out(actions.take_swap(viewer, swap, accept_over_fair_share=payload.accept_over_fair_share))


@router.post("/commons/rota/swaps/{swap_id}/withdraw", response={200: SwapOut, **error_responses(*ERRORS)})
def withdraw_swap(request: HttpRequest, swap_id: ObjectId) -> dict[str, Any]:
    """Take back your offer; you stay on the shift."""
    viewer: Member = request.auth
    swap = access.get_swap_or_404(viewer, swap_id)
    return _swap_out(actions.withdraw_swap(viewer, swap))


@router.post("/commons/rota/shifts/{shift_id}/volunteer", response={201: AssignmentOut, **error_responses(*ERRORS)})
def volunteer(request: HttpRequest, shift_id: ObjectId) -> Status:
    """Take an empty place on a shift that is short of people."""
    viewer: Member = request.auth
    assignment = actions.volunteer_for_shift(viewer, access.get_shift_or_404(viewer, shift_id))
    return Status(201, {"id": assignment.pk, "member": viewer.pk, "name": viewer.display_name, "hours_logged": False})


@router.post("/commons/rota/assignments/{assignment_id}/hours", response={200: HoursOut, **error_responses(*ERRORS)})
def log_hours(request: HttpRequest, assignment_id: ObjectId) -> dict[str, Any]:
    """Log a finished shift's minutes to the team's timebank, once (a repeat answers replayed: true)."""
    viewer: Member = request.auth
    logged = actions.log_hours(viewer, access.get_assignment_or_404(viewer, assignment_id))
    return {
        "assignment": logged.assignment.pk,
        "minutes": logged.minutes,
        "currency": logged.currency.code,
        "transfer": logged.assignment.hours_transfer_id,
        "replayed": logged.replayed,
    }
