"""The JSON API for communities, members and organisations: thin adapters over access.py and actions.py.

Also the API vocabulary other apps' routers reuse: the error schema, error_responses(), Text and the page limits.
A token belongs to one membership, so every endpoint below sees only that membership's community."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema
from ninja.errors import ValidationError
from pydantic import ConfigDict, StrictBool, StrictFloat, StringConstraints, ValidationInfo, model_validator

from . import access, actions, domain
from .models import Community, Member, Organisation

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
# Deep offsets make the database walk every skipped row; past this, narrow the search instead.
MAX_OFFSET = 100_000
# Primary keys are 64-bit; a larger number can never name a row and would overflow SQLite's integers.
MAX_ID = 2**63 - 1


def whole(value: Any) -> Any:
    """JSON has one kind of number: 60.0 is the whole number 60 (as JSON Schema's ``integer`` says), 1.5 is not (and
    is refused, never rounded). Use as ``BeforeValidator(whole)`` on strict integer fields."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# PostgreSQL cannot store NUL characters, so free text refuses them up front instead of failing on save.
NO_NUL = r"^[^\x00]*$"
SLUG = r"^[-a-zA-Z0-9_]+$"
POSTCODE_DISTRICT = r"^$|^[A-Za-z]{1,2}[0-9][A-Za-z0-9]?$"
# At least one character Python does not treat as blank (\x1c-\x1f are blank to str.split but not to \s).
NOT_BLANK = r"^[^\x00]*[^\s\x00\x1c-\x1f][^\x00]*$"
# Human messages for pattern mismatches, read by the API's validation-error handler.
PATTERN_MESSAGES = {
    NO_NUL: "Remove the NUL characters from this text.",
    SLUG: "Use only letters, numbers, hyphens and underscores.",
    POSTCODE_DISTRICT: "Enter only the first part of the postcode, for example LS6, M1 or SW1A.",
    NOT_BLANK: "This cannot be blank.",
}


def Text(max_length: int, pattern: str = NO_NUL) -> Any:
    """A string with an explicit length limit, so nothing huge gets in."""
    return Annotated[str, StringConstraints(max_length=max_length, pattern=pattern)]


Tag = Text(domain.MAX_TAG_LENGTH)
Slug = Annotated[str, Path(max_length=60, pattern=SLUG)]
MemberId = Annotated[int, Path(ge=1, le=MAX_ID)]


class ApiError(Schema):
    """Every error the API returns has this shape."""

    code: str = Field(description="Stable and machine-readable, e.g. invalid_input, not_found, name_required.")
    message: str = Field(description="A sentence a person can act on.")
    fields: dict[str, str] = Field(default_factory=dict, description="Field name → what is wrong with it.")


def error_responses(*statuses: int) -> dict[int, type[ApiError]]:
    """Document the error statuses an endpoint can answer; every endpoint can be rate limited (429)."""
    return {status: ApiError for status in sorted({*statuses, 429})}


class StrictQuery(Schema):
    """Query parameters that refuse names they do not know, so a typo (``?serach=``) is an error, not ignored."""

    @model_validator(mode="after")
    def _no_unknown_parameters(self, info: ValidationInfo) -> Any:
        request = (info.context or {}).get("request")
        known = {field.alias or name for name, field in type(self).model_fields.items()}
        unknown = sorted(set(request.GET) - known) if request is not None else []
        if unknown:
            # Ninja's own error, not a ValueError, so the field names come out as the parameters themselves.
            raise ValidationError([{"loc": ("query", name), "type": "extra_forbidden", "msg": ""} for name in unknown])
        return self


class PageQuery(StrictQuery):
    limit: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="How many items to return.")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="How many items to skip.")


def merged_error_statuses(app: str, parts: tuple) -> dict[str, int]:
    """An app's API parts each say which statuses their DomainError codes answer with (``ERROR_STATUS``); merged
    here for config/api.py, refusing two parts that answer one code differently (a code means one thing)."""
    statuses: dict[str, int] = {}
    for part in parts:
        for code, status in getattr(part, "ERROR_STATUS", {}).items():
            if statuses.setdefault(code, status) != status:
                raise ValueError(f"Two {app} API parts answer {code} with different statuses.")
    return statuses


def page_of(items: QuerySet, page: PageQuery) -> dict[str, Any]:
    """One page of a queryset with the total count, so clients know when to stop."""
    return {
        "count": items.count(),
        "limit": page.limit,
        "offset": page.offset,
        "items": list(items[page.offset : page.offset + page.limit]),
    }


class CommunityOut(Schema):
    slug: str
    name: str
    description: str
    time_zone: str
    locale: str
    population: int | None
    join_policy: domain.JoinPolicy


class CommunityPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CommunityOut]


class OrganisationRef(Schema):
    slug: str
    name: str


class OrganisationOut(Schema):
    slug: str
    name: str
    kind: domain.OrganisationKind
    description: str
    website: str
    email: str
    phone: str
    is_active: bool


class OrganisationPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[OrganisationOut]


class Location(Schema):
    """A point rounded to about 100 m; both numbers or none."""

    model_config = ConfigDict(extra="forbid")

    latitude: StrictFloat = Field(ge=-90, le=90, allow_inf_nan=False)
    longitude: StrictFloat = Field(ge=-180, le=180, allow_inf_nan=False)


class MemberOut(Schema):
    """A profile as the viewer may see it: fields the member does not share with the viewer are null."""

    id: int
    display_name: str
    role: domain.Role
    status: domain.Status
    organisation: OrganisationRef | None
    bio: str
    skills: list[str]
    interests: list[str]
    languages: list[str]
    availability: list[str]
    contact_preferences: list[str] | None
    postcode_district: str | None
    location: Location | None
    email: str | None
    phone: str | None
    joined_at: datetime


class MemberPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[MemberOut]


class MeOut(MemberOut):
    """The token's own membership and account, with the privacy choices only its owner sees."""

    community: str
    full_name: str
    share_email: bool
    share_phone: bool
    share_location: bool
    listed_in_directory: bool


class MemberQuery(PageQuery):
    q: Text(100) = Field("", description="Words that must all appear in the name, skills, interests or area.")
    status: domain.Status = Field(None, description="Only members with this status.")


class ProfileIn(Schema):
    """Only the fields sent are changed. ``location: null`` removes the point."""

    model_config = ConfigDict(extra="forbid")

    display_name: Text(80, NOT_BLANK) = None
    bio: Text(2000) = None
    skills: Annotated[list[Tag], Field(max_length=domain.MAX_TAGS)] = None
    interests: Annotated[list[Tag], Field(max_length=domain.MAX_TAGS)] = None
    languages: Annotated[list[Tag], Field(max_length=domain.MAX_TAGS)] = None
    availability: Annotated[list[domain.Availability], Field(max_length=len(domain.Availability))] = None
    contact_preferences: Annotated[list[domain.ContactChannel], Field(max_length=len(domain.ContactChannel))] = None
    postcode_district: Text(8, POSTCODE_DISTRICT) = None
    location: Location | None = None
    share_email: StrictBool = None
    share_phone: StrictBool = None
    share_location: StrictBool = None
    listed_in_directory: StrictBool = None


class ReasonIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Text(500) = Field("", description="Why; kept in the audit log.")


class RequiredReasonIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Text(500, NOT_BLANK) = Field(description="Why; kept in the audit log and required.")


router = Router(tags=["communities"])


def member_out(viewer: Member, member: Member) -> dict[str, Any]:
    """A member's profile with what the viewer may not see blanked out."""
    visible = access.profile_visibility(viewer, member)
    has_point = visible.location and member.latitude is not None and member.longitude is not None
    return {
        "id": member.pk,
        "display_name": member.display_name,
        "role": member.role,
        "status": member.status,
        "organisation": member.organisation,
        "bio": member.bio,
        "skills": member.skills,
        "interests": member.interests,
        "languages": member.languages,
        "availability": member.availability,
        "contact_preferences": member.contact_preferences if visible.contact_details else None,
        "postcode_district": (member.postcode_district or None) if visible.location else None,
        "location": {"latitude": float(member.latitude), "longitude": float(member.longitude)} if has_point else None,
        "email": member.user.email if visible.email else None,
        "phone": member.user.phone if visible.phone else None,
        "joined_at": member.joined_at,
    }


def me_out(member: Member) -> dict[str, Any]:
    return {
        **member_out(member, member),
        "community": member.community.slug,
        "full_name": member.user.full_name,
        "share_email": member.share_email,
        "share_phone": member.share_phone,
        "share_location": member.share_location,
        "listed_in_directory": member.listed_in_directory,
    }


@router.get("/communities", response={200: CommunityPage, **error_responses(422)}, auth=None)
def list_communities(request: HttpRequest, page: Query[PageQuery]) -> dict[str, Any]:
    """Every community on this installation (public)."""
    return page_of(Community.objects.all(), page)


@router.get("/communities/{slug}", response={200: CommunityOut, **error_responses(404, 422)}, auth=None)
def get_community(request: HttpRequest, slug: Slug) -> Community:
    """One community (public)."""
    return access.get_community_or_404(slug)


@router.get("/me", response={200: MeOut, **error_responses(401)})
def me(request: HttpRequest) -> dict[str, Any]:
    """The membership the token belongs to, with its account details."""
    return me_out(request.auth)


@router.patch("/members/me", response={200: MeOut, **error_responses(400, 401, 422)})
def update_my_profile(request: HttpRequest, payload: ProfileIn) -> dict[str, Any]:
    """Change your own profile. Fields left out stay as they are."""
    member = request.auth
    changes = payload.model_dump(exclude_unset=True, mode="json")
    if "location" in changes:
        point = changes.pop("location") or {}
        changes["latitude"], changes["longitude"] = point.get("latitude"), point.get("longitude")
    actions.update_profile(member.user, member, **changes)
    return me_out(member)


@router.get("/members", response={200: MemberPage, **error_responses(401, 422)})
def list_members(request: HttpRequest, filters: Query[MemberQuery]) -> dict[str, Any]:
    """The member directory of the token's community, searchable like the web directory."""
    viewer = request.auth
    members = access.visible_members(viewer)
    if filters.status:
        members = members.filter(status=filters.status)
    members = access.search_members(members, filters.q)
    page = page_of(members, filters)
    page["items"] = [member_out(viewer, member) for member in page["items"]]
    return page


@router.get("/members/{member_id}", response={200: MemberOut, **error_responses(401, 404, 422)})
def get_member(request: HttpRequest, member_id: MemberId) -> dict[str, Any]:
    """One member of the token's community."""
    return member_out(request.auth, access.get_member_or_404(request.auth, member_id))


@router.get("/organisations", response={200: OrganisationPage, **error_responses(401, 422)})
def list_organisations(request: HttpRequest, page: Query[PageQuery]) -> dict[str, Any]:
    """The partner organisations of the token's community."""
    return page_of(access.visible_organisations(request.auth), page)


@router.get("/organisations/{slug}", response={200: OrganisationOut, **error_responses(401, 404, 422)})
def get_organisation(request: HttpRequest, slug: Slug) -> Organisation:
    """One partner organisation of the token's community."""
    return access.get_organisation_or_404(request.auth, slug)


def _managed_member(viewer: Member, member_id: int) -> Member:
    """The member a coordinator acts on; anyone else gets 403 before learning whether the member exists."""
    if not access.can_manage_members(viewer):
        raise PermissionDenied("Only coordinators of this community can do this.")
    return access.get_managed_member_or_404(viewer, member_id)


MODERATION = {200: MemberOut, **error_responses(400, 401, 403, 404, 409, 422)}


@router.post("/members/{member_id}/approve", response=MODERATION)
def approve_member(request: HttpRequest, member_id: MemberId, payload: ReasonIn) -> dict[str, Any]:
    """Let someone who asked to join in (coordinators)."""
    member = _managed_member(request.auth, member_id)
    actions.approve_member(request.auth, member, payload.reason)
    return member_out(request.auth, member)


@router.post("/members/{member_id}/suspend", response=MODERATION)
def suspend_member(request: HttpRequest, member_id: MemberId, payload: RequiredReasonIn) -> dict[str, Any]:
    """Suspend an active member, saying why (coordinators)."""
    member = _managed_member(request.auth, member_id)
    actions.suspend_member(request.auth, member, payload.reason)
    return member_out(request.auth, member)


@router.post("/members/{member_id}/reinstate", response=MODERATION)
def reinstate_member(request: HttpRequest, member_id: MemberId, payload: ReasonIn) -> dict[str, Any]:
    """Lift a suspension (coordinators)."""
    member = _managed_member(request.auth, member_id)
    actions.reinstate_member(request.auth, member, payload.reason)
    return member_out(request.auth, member)
