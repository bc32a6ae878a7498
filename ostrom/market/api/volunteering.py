"""Volunteering's JSON API: roles, applying, answering applications, logging hours (which earn time credits) and
employers' pledges. Thin adapters over market.access.volunteering (who may see what) and
market.actions.volunteering (every change). Times are whole minutes; each answer also carries a ``display`` text
("1 h 30 min")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import BeforeValidator, ConfigDict, Strict

from ostrom.communities.api import (
    MAX_ID,
    NOT_BLANK,
    SLUG,
    PageQuery,
    StrictQuery,
    Text,
    error_responses,
    page_of,
    whole,
)
from ostrom.communities.domain import DomainError
from ostrom.communities.models import Member, Organisation
from ostrom.ledger.api import BodyId, IdempotencyKey

from ..access import volunteering as access
from ..actions import volunteering as actions
from ..domain import volunteering as domain
from ..domain.volunteering import PledgeProgress, RoleFields, hours
from ..models import ApplicationStatus, RoleStatus, VolunteerApplication, VolunteerLog, VolunteerRole

router = Router(tags=["market: volunteering"])

# The statuses this part's DomainError codes answer with (see api/__init__.py); every other code is a 400.
ERROR_STATUS = {
    "not_your_application": 403,
    "organisation_unknown": 404,
    "role_not_open": 409,
    "role_ended": 409,
    "already_applied": 409,
    "not_accepted": 409,
    "day_over_full": 409,
    "exists_with_different_details": 409,
    "no_time_currency": 409,
    "issuance_unavailable": 409,
    "issuance_limit_reached": 409,
    "organisation_inactive": 409,
}

RoleId = Annotated[int, Path(ge=1, le=MAX_ID)]
ApplicationId = Annotated[int, Path(ge=1, le=MAX_ID)]
OrganisationSlug = Annotated[str, Path(max_length=60, pattern=SLUG)]
ERRORS = (400, 401, 403, 404, 409, 422)


def Minutes(high: int, description: str) -> Any:
    return Annotated[int, Strict(), Field(ge=1, le=high, description=description), BeforeValidator(whole)]


# --- schemas -----------------------------------------------------------------------------------------------------


class VolunteerOrganisationRef(Schema):
    slug: str
    name: str


class VolunteerRoleOut(Schema):
    id: int
    organisation: VolunteerOrganisationRef
    title: str
    description: str
    minutes_per_week: int = Field(description="Time one volunteer gives in a typical week, in minutes.")
    volunteers_needed: int
    place: str
    starts_on: date
    ends_on: date | None = Field(description="Null for an ongoing role.")
    status: RoleStatus
    created_at: datetime
    display: dict[str, str]


class VolunteerRolePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[VolunteerRoleOut]


class VolunteerRoleIn(Schema):
    model_config = ConfigDict(extra="forbid")

    organisation: Text(60, SLUG) = Field(
        description="The organisation's slug: your own (staff), or any (coordinators)."
    )
    title: Text(domain.ROLE_TITLE_MAX_CHARS, NOT_BLANK)
    description: Text(domain.ROLE_DESCRIPTION_MAX_CHARS, NOT_BLANK)
    minutes_per_week: Minutes(domain.MAX_MINUTES_PER_WEEK, "Time one volunteer gives in a typical week.")
    volunteers_needed: Annotated[
        int, Strict(), Field(ge=1, le=domain.MAX_VOLUNTEERS_NEEDED), BeforeValidator(whole)
    ] = 1
    place: Text(domain.PLACE_MAX_CHARS) = ""
    starts_on: date
    ends_on: date | None = Field(None, description="Leave out for an ongoing role.")


class VolunteerMemberRef(Schema):
    id: int
    display_name: str


class VolunteerApplicationOut(Schema):
    id: int
    role: int
    member: VolunteerMemberRef
    note: str
    status: ApplicationStatus
    created_at: datetime
    decided_at: datetime | None
    answer: str = Field(description="What the organisation said when it answered.")


class VolunteerApplicationList(Schema):
    items: list[VolunteerApplicationOut]


class VolunteerApplyIn(Schema):
    model_config = ConfigDict(extra="forbid")

    note: Text(domain.NOTE_MAX_CHARS) = Field("", description="What you want the organisation to know.")


class VolunteerAnswerIn(Schema):
    model_config = ConfigDict(extra="forbid")

    answer: Text(domain.ANSWER_MAX_CHARS) = Field("", description="A message for the applicant.")


class VolunteerLogIn(Schema):
    model_config = ConfigDict(extra="forbid")

    key: IdempotencyKey
    member: BodyId = Field(description="The volunteer: a member whose application to the role was accepted.")
    minutes: Minutes(domain.MAX_LOG_MINUTES, "Time worked that day, at most 24 hours.")
    worked_on: date = Field(description="The day worked, in the community's time zone: today or earlier.")
    note: Text(domain.LOG_NOTE_MAX_CHARS) = ""


class VolunteerLogOut(Schema):
    id: int
    role: int
    member: VolunteerMemberRef
    minutes: int
    worked_on: date
    note: str
    employer: str | None = Field(description="The volunteer's own organisation (slug) when the hours were logged.")
    transfer: int | None = Field(description="The ledger transfer that credited the volunteer.")
    currency: str = Field(description="The code of the currency credited.")
    balance_after: int = Field(description="The volunteer's balance just after, in minutes.")
    replayed: bool = Field(description="True when this key was already used and nothing new was written.")
    display: dict[str, str]


class VolunteerPledgeOut(Schema):
    organisation: VolunteerOrganisationRef
    year: int
    minutes_pledged: int = Field(description="0 when nothing is pledged for the year.")
    minutes_given: int = Field(description="Logged that year for people who were the organisation's staff then.")
    minutes_remaining: int
    percent: int = Field(description="Share of the pledge given, rounded down.")
    display: dict[str, str]


class VolunteerPledgeQuery(StrictQuery):
    year: int | None = Field(
        None, ge=domain.FIRST_PLEDGE_YEAR, le=domain.LAST_PLEDGE_YEAR, description="Default: this year."
    )


class VolunteerPledgeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    year: Annotated[
        int, Strict(), Field(ge=domain.FIRST_PLEDGE_YEAR, le=domain.LAST_PLEDGE_YEAR), BeforeValidator(whole)
    ]
    minutes_pledged: Minutes(domain.MAX_PLEDGE_MINUTES, "Minutes the organisation's staff will volunteer that year.")


# --- rows into answers -------------------------------------------------------------------------------------------


def role_out(role: VolunteerRole) -> dict[str, Any]:
    return {
        "id": role.pk,
        "organisation": {"slug": role.organisation.slug, "name": role.organisation.name},
        "title": role.title,
        "description": role.description,
        "minutes_per_week": role.minutes_per_week,
        "volunteers_needed": role.volunteers_needed,
        "place": role.place,
        "starts_on": role.starts_on,
        "ends_on": role.ends_on,
        "status": role.status,
        "created_at": role.created_at,
        "display": {"minutes_per_week": hours(role.minutes_per_week)},
    }


def application_out(application: VolunteerApplication) -> dict[str, Any]:
    member = application.member
    return {
        "id": application.pk,
        "role": application.role_id,
        "member": {"id": member.pk, "display_name": member.display_name},
        "note": application.note,
        "status": application.status,
        "created_at": application.created_at,
        "decided_at": application.decided_at,
        "answer": application.answer,
    }


def log_out(logged: actions.Logged) -> dict[str, Any]:
    log: VolunteerLog = logged.log
    return {
        "id": log.pk,
        "role": log.role_id,
        "member": {"id": log.member_id, "display_name": log.member.display_name},
        "minutes": log.minutes,
        "worked_on": log.worked_on,
        "note": log.note,
        "employer": log.employer.slug if log.employer_id else None,
        "transfer": log.transfer_id,
        "currency": logged.currency.code,
        "balance_after": logged.balance_after,
        "replayed": logged.replayed,
        "display": {"minutes": hours(log.minutes), "balance_after": hours(logged.balance_after)},
    }


# --- roles -------------------------------------------------------------------------------------------------------


@router.get("/market/volunteering/roles", response={200: VolunteerRolePage, **error_responses(401, 422)})
def list_roles(request: HttpRequest, page: Query[PageQuery]) -> dict[str, Any]:
    """Roles open for applications in your community, newest first."""
    roles = access.visible_roles(request.auth).filter(status=RoleStatus.OPEN).order_by("-created_at", "-pk")
    result = page_of(roles, page)
    result["items"] = [role_out(role) for role in result["items"]]
    return result


@router.post("/market/volunteering/roles", response={201: VolunteerRoleOut, **error_responses(*ERRORS)})
def create_role(request: HttpRequest, payload: VolunteerRoleIn) -> Status:
    """Post a role for an organisation: its staff, or a coordinator. A first day in the past is allowed (the role
    may have started already); a last day in the past, or before the first, is refused."""
    viewer: Member = request.auth
    organisation = Organisation.objects.filter(community_id=viewer.community_id, slug=payload.organisation).first()
    if organisation is None:
        raise DomainError("organisation_unknown", "There is no such organisation in this community.", "organisation")
    fields = RoleFields(
        payload.title,
        payload.description,
        payload.minutes_per_week,
        payload.volunteers_needed,
        payload.place,
        payload.starts_on,
        payload.ends_on,
    )
    role = actions.post_role(viewer, organisation, fields)
    return Status(201, role_out(role))


@router.get("/market/volunteering/roles/{role_id}", response={200: VolunteerRoleOut, **error_responses(401, 404, 422)})
def get_role(request: HttpRequest, role_id: RoleId) -> dict[str, Any]:
    """An open role, or one you manage or applied for."""
    return role_out(access.get_role_or_404(request.auth, role_id))


@router.post("/market/volunteering/roles/{role_id}/close", response={200: VolunteerRoleOut, **error_responses(*ERRORS)})
def close_role(request: HttpRequest, role_id: RoleId) -> dict[str, Any]:
    """Stop taking applications (those waiting are declined). Closing a closed role changes nothing."""
    role = access.get_managed_role_or_404(request.auth, role_id)
    return role_out(actions.close_role(request.auth, role))


# --- applications ------------------------------------------------------------------------------------------------


@router.post(
    "/market/volunteering/roles/{role_id}/applications",
    response={201: VolunteerApplicationOut, **error_responses(*ERRORS)},
)
def apply(request: HttpRequest, role_id: RoleId, payload: VolunteerApplyIn) -> Status:
    """Apply for an open role. A second application while one is waiting or accepted is refused (already_applied)."""
    role = access.get_role_or_404(request.auth, role_id)
    return Status(201, application_out(actions.apply(request.auth, role, payload.note)))


@router.get(
    "/market/volunteering/roles/{role_id}/applications",
    response={200: VolunteerApplicationList, **error_responses(401, 404, 422)},
)
def list_applications(request: HttpRequest, role_id: RoleId) -> dict[str, Any]:
    """A role's applications, for its organisation's staff and coordinators (anyone else: 404)."""
    role = access.get_managed_role_or_404(request.auth, role_id)
    return {"items": [application_out(a) for a in access.role_applications(role)]}


def _decided(request: HttpRequest, application_id: int, payload: VolunteerAnswerIn, accept: bool) -> dict[str, Any]:
    application = access.get_application_or_404(request.auth, application_id)
    decide = actions.accept if accept else actions.decline
    return application_out(decide(request.auth, application, payload.answer))


@router.post(
    "/market/volunteering/applications/{application_id}/accept",
    response={200: VolunteerApplicationOut, **error_responses(*ERRORS)},
)
def accept_application(request: HttpRequest, application_id: ApplicationId, payload: VolunteerAnswerIn) -> dict:
    """Take the applicant on (the organisation's staff or a coordinator); they are told. Only a waiting application
    can be answered (wrong_status otherwise)."""
    return _decided(request, application_id, payload, accept=True)


@router.post(
    "/market/volunteering/applications/{application_id}/decline",
    response={200: VolunteerApplicationOut, **error_responses(*ERRORS)},
)
def decline_application(request: HttpRequest, application_id: ApplicationId, payload: VolunteerAnswerIn) -> dict:
    """Say no to the applicant, with an optional message they see."""
    return _decided(request, application_id, payload, accept=False)


@router.post(
    "/market/volunteering/applications/{application_id}/withdraw",
    response={200: VolunteerApplicationOut, **error_responses(*ERRORS)},
)
def withdraw_application(request: HttpRequest, application_id: ApplicationId) -> dict[str, Any]:
    """Take back your own waiting or accepted application."""
    application = access.get_application_or_404(request.auth, application_id)
    return application_out(actions.withdraw(request.auth, application))


# --- hours -------------------------------------------------------------------------------------------------------


@router.post(
    "/market/volunteering/roles/{role_id}/hours",
    response={201: VolunteerLogOut, 200: VolunteerLogOut, **error_responses(*ERRORS)},
)
def log_hours(request: HttpRequest, role_id: RoleId, payload: VolunteerLogIn) -> Status:
    """Log the minutes an accepted volunteer worked on a day; they earn as many minutes of the community's
    timebank hours, issued on the organisation's word. Only the organisation's staff or a coordinator may log
    (anyone else: 404 for the role). Answers 201 with the log and the volunteer's balance after; the same ``key``
    again answers 200 with the first log (``replayed: true``) and credits nothing more; the same key with other
    details is refused (exists_with_different_details). A community without timebank hours, or whose issuance
    limit is reached, is refused with a message saying what a coordinator must set up."""
    viewer: Member = request.auth
    role = access.get_managed_role_or_404(viewer, role_id)
    volunteer = Member.objects.filter(community_id=viewer.community_id, pk=payload.member).first()
    if volunteer is None:
        raise DomainError("member_unknown", "There is no such member in this community.", "member")
    logged = actions.log_hours(viewer, role, volunteer, payload.minutes, payload.worked_on, payload.key, payload.note)
    return Status(200 if logged.replayed else 201, log_out(logged))


# --- pledges -----------------------------------------------------------------------------------------------------


def _pledge_out(employer: Organisation, year: int) -> dict[str, Any]:
    pledged = access.pledges(employer).filter(year=year).first()
    given, _ = access.hours_given_by_staff(employer, year)
    progress = PledgeProgress(pledged.minutes_pledged if pledged else 0, given)
    return {
        "organisation": {"slug": employer.slug, "name": employer.name},
        "year": year,
        "minutes_pledged": progress.pledged,
        "minutes_given": progress.given,
        "minutes_remaining": progress.remaining,
        "percent": progress.percent,
        "display": {
            "minutes_pledged": hours(progress.pledged),
            "minutes_given": hours(progress.given),
            "minutes_remaining": hours(progress.remaining),
        },
    }


@router.get(
    "/market/volunteering/pledges/{organisation}", response={200: VolunteerPledgeOut, **error_responses(401, 404, 422)}
)
def get_pledge(request: HttpRequest, organisation: OrganisationSlug, filters: Query[VolunteerPledgeQuery]) -> dict:
    """An employer's pledge for a year against the hours its staff gave: for its staff and coordinators."""
    employer = access.get_pledge_employer_or_404(request.auth, organisation)
    return _pledge_out(employer, filters.year or actions.community_today(request.auth).year)


@router.post(
    "/market/volunteering/pledges/{organisation}", response={200: VolunteerPledgeOut, **error_responses(*ERRORS)}
)
def set_pledge(request: HttpRequest, organisation: OrganisationSlug, payload: VolunteerPledgeIn) -> dict[str, Any]:
    """Pledge (or change the pledge of) the minutes an employer's staff will volunteer in this year or a coming
    one."""
    employer = access.get_pledge_employer_or_404(request.auth, organisation)
    pledge = actions.set_pledge(request.auth, employer, payload.year, payload.minutes_pledged)
    return _pledge_out(employer, pledge.year)
