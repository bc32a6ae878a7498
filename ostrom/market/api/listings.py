"""The marketplace API for offers and requests: your own ads, posting, reading, changing, publishing, pausing,
renewing and closing one, its photo (photos are added on the web, where a person sees what they upload), and the
community's categories.

Thin adapters over market.access (who may see what) and market.actions (every change), so the API refuses what
the web refuses, in the same words. A token sees one community; an ad of another community is a 404."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Annotated, Any

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Strict, StrictBool, StringConstraints

from ostrom.communities.api import MAX_ID, SLUG, Location, PageQuery, Text, error_responses, page_of, whole
from ostrom.communities.domain import Availability, DomainError
from ostrom.communities.models import Member, Organisation
from ostrom.ledger.domain.amounts import format_amount

from ..access import listings as access
from ..actions import listings as actions
from ..domain import listings as rules
from ..models import Category, Listing, ListingKind, ListingStatus

router = Router(tags=["market"])

# The statuses this part's DomainError codes answer with, for config/api.py's DOMAIN_ERROR_STATUS (every other code
# is a 400). Naming a category, organisation, credit or ad the community does not have: 404. Something only others
# may do (post for an organisation, set a price): 403. How things stand now (a retired category): 409. Posting more
# than the daily limit: 429, as any rate limit.
ERROR_STATUS = {
    "listing_unknown": 404,
    "category_unknown": 404,
    "organisation_unknown": 404,
    "currency_unknown": 404,
    "organisation_not_allowed": 403,
    "price_not_allowed": 403,
    "not_allowed": 403,
    "not_coordinator": 403,
    "category_retired": 409,
    "wrong_status": 409,
    "member_not_active": 409,
    "posting_rate_limited": 429,
}
ERRORS = (400, 401, 403, 404, 409, 422)

ListingId = Annotated[int, Path(ge=1, le=MAX_ID)]
# Strict whole numbers, where JSON's 60.0 is the whole number 60 (as the ledger's API reads them).
Minutes = Annotated[int, Strict(), Field(ge=1, le=rules.MAX_ESTIMATED_MINUTES), BeforeValidator(whole)]
PriceUnits = Annotated[int, Strict(), Field(ge=1, le=rules.MAX_PRICE_UNITS), BeforeValidator(whole)]
Days = Annotated[int, Strict(), Field(ge=1, le=rules.MAX_LIFETIME.days), BeforeValidator(whole)]
DAYS = f"Show it for this many days from now, 1 to {rules.MAX_LIFETIME.days} (default {rules.DEFAULT_LIFETIME.days})."
CONTENT_TYPES = dict(rules.PHOTO_FORMATS.values())


def _not_blank(count: int) -> str:
    """A pattern for text with at least ``count`` characters that are neither blank nor NUL."""
    some = r"[^\s\x00]"
    return r"^[^\x00]*" + r"[^\x00]*".join([some] * count) + r"[^\x00]*$"


def Checked(max_length: int, pattern: str, message: str, rule: Callable[[str], Any]) -> Any:
    """Text the schema describes exactly (its length and a pattern clients can check before sending) and the
    server checks the same way, answering 422 with ``message``; anything the pattern allows, the rule allows."""

    def check(value: str) -> str:
        if not re.search(pattern, value):
            raise ValueError(message)
        try:
            rule(value)
        except DomainError as error:  # not reached for text the pattern allows; kept as the last word
            raise ValueError(error.message) from None
        return value

    return Annotated[
        str, StringConstraints(max_length=max_length), Field(json_schema_extra={"pattern": pattern}),
        AfterValidator(check),
    ]  # fmt: skip


Title = Checked(
    rules.TITLE_MAX_CHARS, _not_blank(rules.TITLE_MIN_CHARS),
    f"Use at least {rules.TITLE_MIN_CHARS} letters or digits for the title.", rules.clean_title,
)  # fmt: skip
Description = Checked(
    rules.DESCRIPTION_MAX_CHARS, _not_blank(rules.DESCRIPTION_MIN_CHARS),
    f"Say a little more: at least {rules.DESCRIPTION_MIN_CHARS} characters.", rules.clean_description,
)  # fmt: skip
# Letters and digits of any script ([^\W_]), spaces and hyphens.
Tag = Checked(
    rules.TAG_MAX_CHARS, r"^(?:[^\W_]| |-)*$", "Use only letters, numbers, spaces and hyphens in a tag.",
    lambda tag: rules.normalise_tags([tag]),
)  # fmt: skip
Tags = Annotated[list[Tag], Field(max_length=rules.MAX_TAGS, description=f"At most {rules.MAX_TAGS}, lower-cased.")]
Availabilities = Annotated[list[Availability], Field(max_length=len(Availability))]
CategoryChoice = Annotated[int, Strict(), Field(ge=1, le=MAX_ID), BeforeValidator(whole)] | Text(60, SLUG)


# --- Schemas ------------------------------------------------------------------------------------------------------


class CategoryRef(Schema):
    id: int
    name: str
    slug: str


class CategoryOut(CategoryRef):
    parent: int | None = Field(description="The category it sits inside; null at the top.")
    position: int = Field(description="Order among its siblings, smallest first.")
    is_active: bool = Field(description="False when retired: it keeps its ads but takes no new ones.")
    path: str = Field(description='Its place in the tree, e.g. "Home and garden › Gardening".')


class CategoryPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CategoryOut]


class PriceIn(Schema):
    """A partner's price, in one of the community's credits (GET /currencies, kind credit)."""

    model_config = ConfigDict(extra="forbid")

    amount: PriceUnits = Field(description="In the credit's smallest unit: 100 is 1.00 of a credit in hundredths.")
    currency: Text(20, SLUG) = Field(description="The credit's code.")


class PriceOut(Schema):
    amount: int
    currency: str
    display: str = Field(description='The price as people read it, e.g. "1.00 LC".')


class ListingOut(Schema):
    id: int
    kind: ListingKind
    status: ListingStatus
    title: str
    description: str
    category: CategoryRef
    tags: list[str]
    place_name: str
    location: Location | None = Field(description="Rounded to about 100 m.")
    availability: list[str]
    remote_ok: bool
    estimated_minutes: int | None
    price: PriceOut | None = Field(description="Only on an organisation's offer.")
    organisation: str | None = Field(description="The slug of the organisation it was posted for.")
    poster: str = Field(description="The name members see: the organisation's, else the member's display name.")
    member: int = Field(description="The member who posted it (or for whom a coordinator did).")
    posted_on_behalf: bool = Field(description="True when a coordinator posted it for the member.")
    has_photo: bool
    hidden: bool = Field(description="Hidden by a coordinator; only its poster and coordinators see it.")
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    expires_at: datetime | None
    closed_at: datetime | None


class ListingPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ListingOut]


class MyListingsQuery(PageQuery):
    status: ListingStatus = Field(None, description="Only ads in this state.")


class ListingIn(Schema):
    model_config = ConfigDict(extra="forbid")

    kind: ListingKind = Field(description="offer or request.")
    title: Title = Field(description=f"{rules.TITLE_MIN_CHARS} to {rules.TITLE_MAX_CHARS} characters.")
    description: Description = Field(
        description=f"{rules.DESCRIPTION_MIN_CHARS} to {rules.DESCRIPTION_MAX_CHARS:,} characters."
    )
    category: CategoryChoice = Field(description="The category's id or slug (GET /market/categories).")
    tags: Tags = Field(default_factory=list)
    place_name: Text(rules.PLACE_MAX_CHARS) = Field("", description="A street or an area, never an address.")
    location: Location | None = Field(None, description="Rounded to about 100 m.")
    availability: Availabilities = Field(default_factory=list)
    remote_ok: StrictBool = False
    estimated_minutes: Minutes | None = None
    expires_in_days: Days | None = Field(None, description=DAYS)
    price: PriceIn | None = Field(None, description="Only on an offer posted for your organisation.")
    organisation: Text(60, SLUG) | None = Field(None, description="Post for your organisation (its staff).")
    publish: StrictBool = Field(True, description="False keeps it as a draft only you see.")


class ListingPatch(Schema):
    """Only the fields sent change. ``location: null`` removes the point, ``price: null`` the price."""

    model_config = ConfigDict(extra="forbid")

    kind: ListingKind = None
    title: Title = None
    description: Description = None
    category: CategoryChoice = None
    tags: Tags = None
    place_name: Text(rules.PLACE_MAX_CHARS) = None
    location: Location | None = None
    availability: Availabilities = None
    remote_ok: StrictBool = None
    estimated_minutes: Minutes | None = None
    expires_in_days: Days = Field(None, description=DAYS)
    price: PriceIn | None = None
    organisation: Text(60, SLUG) | None = None
    remove_photo: StrictBool = Field(False, description="True removes the photo.")
    reason: Text(500) = Field("", description="A coordinator changing someone's ad says why (audit log).")


class ReasonIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Text(500) = Field("", description="A coordinator acting on someone's ad says why (audit log).")


class ShowIn(ReasonIn):
    expires_in_days: Days | None = Field(None, description=DAYS)


# --- Turning rows into answers ------------------------------------------------------------------------------------


def category_path(category: Category) -> str:
    return f"{category.parent.name} › {category.name}" if category.parent_id else category.name


def category_out(category: Category) -> dict[str, Any]:
    return {
        "id": category.pk,
        "name": category.name,
        "slug": category.slug,
        "parent": category.parent_id,
        "position": category.position,
        "is_active": category.is_active,
        "path": category_path(category),
    }


def price_out(listing: Listing) -> dict[str, Any] | None:
    currency = listing.price_currency
    if currency is None or listing.price_amount is None:
        return None
    display = format_amount(listing.price_amount, currency.kind, currency.scale, currency.symbol)
    return {"amount": listing.price_amount, "currency": currency.code, "display": display}


def listing_out(listing: Listing) -> dict[str, Any]:
    """An ad; load it with access.LISTING_RELATIONS. Nobody's contact details are part of it."""
    has_point = listing.latitude is not None and listing.longitude is not None
    return {
        "id": listing.pk,
        "kind": listing.kind,
        "status": listing.status,
        "title": listing.title,
        "description": listing.description,
        "category": {"id": listing.category_id, "name": listing.category.name, "slug": listing.category.slug},
        "tags": listing.tags,
        "place_name": listing.place_name,
        "location": {"latitude": float(listing.latitude), "longitude": float(listing.longitude)} if has_point else None,
        "availability": listing.availability,
        "remote_ok": listing.remote_ok,
        "estimated_minutes": listing.estimated_minutes,
        "price": price_out(listing),
        "organisation": listing.organisation.slug if listing.organisation_id else None,
        "poster": listing.organisation.name if listing.organisation_id else listing.member.display_name,
        "member": listing.member_id,
        "posted_on_behalf": listing.posted_by_id is not None,
        "has_photo": bool(listing.photo),
        "hidden": listing.hidden_at is not None,
        "created_at": listing.created_at,
        "updated_at": listing.updated_at,
        "published_at": listing.published_at,
        "expires_at": listing.expires_at,
        "closed_at": listing.closed_at,
    }


def _days(days: int | None) -> datetime | None:
    return timezone.now() + timedelta(days=days) if days is not None else None


def _fields(viewer: Member, sent: dict[str, Any]) -> dict[str, Any]:
    """The payload's fields as the actions take them: a point into two numbers, days into an end date, slugs and
    codes into the community's rows (a name it does not have is a 404)."""
    fields = dict(sent)
    if "location" in fields:
        point = fields.pop("location") or {}
        fields["latitude"], fields["longitude"] = point.get("latitude"), point.get("longitude")
    if "expires_in_days" in fields:
        fields["expires_at"] = _days(fields.pop("expires_in_days"))
    if "price" in fields:
        price = fields.pop("price")
        fields["price_amount"], fields["price_currency"] = None, None
        if price is not None:
            currency = access.price_currencies(viewer).filter(code=price["currency"]).first()
            if currency is None:
                raise DomainError("currency_unknown", "This community has no credit with that code.", "price")
            fields["price_amount"], fields["price_currency"] = price["amount"], currency
    if fields.get("organisation") is not None:
        organisation = Organisation.objects.filter(
            community_id=viewer.community_id, slug=fields["organisation"]
        ).first()
        if organisation is None:
            raise DomainError("organisation_unknown", "There is no such organisation here.", "organisation")
        fields["organisation"] = organisation
    return fields


# The rules name the actions' fields; the API's own names for them, so an error points at what the client sent.
API_FIELDS = {
    "price_amount": "price",
    "price_currency": "price",
    "latitude": "location",
    "expires_at": "expires_in_days",
}


@contextmanager
def _api_names() -> Iterator[None]:
    try:
        yield
    except DomainError as error:
        error.field = API_FIELDS.get(error.field or "", error.field)
        raise


def _answer(viewer: Member, listing_id: int) -> dict[str, Any]:
    return listing_out(access.get_listing_or_404(viewer, listing_id))


# --- Endpoints ----------------------------------------------------------------------------------------------------


@router.get("/market/categories", response={200: CategoryPage, **error_responses(401, 422)})
def list_categories(request: HttpRequest, page: Query[PageQuery]) -> dict[str, Any]:
    """The community's category tree, top first, in the order the site shows it; retired ones say so."""
    categories = access.community_categories(request.auth).order_by("parent_id", "position", "name", "pk")
    result = page_of(categories, page)
    result["items"] = [category_out(category) for category in result["items"]]
    return result


@router.get("/market/listings/mine", response={200: ListingPage, **error_responses(401, 422)})
def list_my_listings(request: HttpRequest, filters: Query[MyListingsQuery]) -> dict[str, Any]:
    """Your own offers and requests in every state (staff: your organisation's too), most recently changed first."""
    listings = access.own_listings(request.auth)
    if filters.status:
        listings = listings.filter(status=filters.status)
    result = page_of(listings, filters)
    result["items"] = [listing_out(listing) for listing in result["items"]]
    return result


@router.post("/market/listings", response={201: ListingOut, **error_responses(*ERRORS)})
def create_listing(request: HttpRequest, payload: ListingIn) -> Status:
    """Post an offer or a request (``publish: false`` keeps a draft). Answers 201 with the ad. A category,
    organisation or credit the community does not have is 404; posting for an organisation you do not work for,
    or a price anywhere but on your organisation's offer, 403; a retired category 409; more than 10 ads in 24
    hours 429 ``posting_rate_limited``."""
    viewer = request.auth
    sent = payload.model_dump(exclude={"publish"})
    with _api_names():
        listing = actions.create_listing(viewer, publish=payload.publish, **_fields(viewer, sent))
    return Status(201, _answer(viewer, listing.pk))


@router.get("/market/listings/{listing_id}", response={200: ListingOut, **error_responses(401, 404, 422)})
def get_listing(request: HttpRequest, listing_id: ListingId) -> dict[str, Any]:
    """An ad you can see: one showing in your community, or one of your own in any state."""
    return listing_out(access.get_listing_or_404(request.auth, listing_id))


@router.patch("/market/listings/{listing_id}", response={200: ListingOut, **error_responses(*ERRORS)})
def update_listing(request: HttpRequest, listing_id: ListingId, payload: ListingPatch) -> dict[str, Any]:
    """Change some fields of your ad; the others stay. Someone else's ad is 403 (a coordinator may, audited); a
    closed ad cannot change (409 ``wrong_status``)."""
    viewer = request.auth
    listing = access.get_listing_or_404(viewer, listing_id)
    sent = payload.model_dump(exclude_unset=True, exclude={"remove_photo", "reason"})
    with _api_names():
        actions.update_listing(
            viewer, listing, remove_photo=payload.remove_photo, reason=payload.reason, **_fields(viewer, sent)
        )
    return _answer(viewer, listing.pk)


def _status(request: HttpRequest, listing_id: int, action: str, payload: ReasonIn) -> dict[str, Any]:
    viewer = request.auth
    listing = access.get_listing_or_404(viewer, listing_id)
    expires_at = _days(getattr(payload, "expires_in_days", None))
    actions.change_status(viewer, listing, action, expires_at=expires_at, reason=payload.reason)
    return _answer(viewer, listing.pk)


STATUS_ANSWERS = {200: ListingOut, **error_responses(*ERRORS)}


@router.post("/market/listings/{listing_id}/publish", response=STATUS_ANSWERS)
def publish_listing(request: HttpRequest, listing_id: ListingId, payload: ShowIn) -> dict[str, Any]:
    """Show a draft to the community (for ``expires_in_days``, default 60). Not a draft: 409 ``wrong_status``."""
    return _status(request, listing_id, "publish", payload)


@router.post("/market/listings/{listing_id}/pause", response=STATUS_ANSWERS)
def pause_listing(request: HttpRequest, listing_id: ListingId, payload: ReasonIn) -> dict[str, Any]:
    """Hide a showing ad for a while; it keeps its end date."""
    return _status(request, listing_id, "pause", payload)


@router.post("/market/listings/{listing_id}/resume", response=STATUS_ANSWERS)
def resume_listing(request: HttpRequest, listing_id: ListingId, payload: ReasonIn) -> dict[str, Any]:
    """Show a paused ad again; one past its end date must be renewed instead (409 ``wrong_status``)."""
    return _status(request, listing_id, "resume", payload)


@router.post("/market/listings/{listing_id}/renew", response=STATUS_ANSWERS)
def renew_listing(request: HttpRequest, listing_id: ListingId, payload: ShowIn) -> dict[str, Any]:
    """Show a showing, paused or expired ad for ``expires_in_days`` more days from now (default 60)."""
    return _status(request, listing_id, "renew", payload)


@router.post("/market/listings/{listing_id}/close", response=STATUS_ANSWERS)
def close_listing(request: HttpRequest, listing_id: ListingId, payload: ReasonIn) -> dict[str, Any]:
    """Take an ad down for good."""
    return _status(request, listing_id, "close", payload)


@router.get(
    "/market/listings/{listing_id}/photo",
    response={200: None, **error_responses(401, 404, 422)},
    openapi_extra={
        "responses": {200: {"description": "The picture.", "content": {t: {} for t in CONTENT_TYPES.values()}}}
    },
)
def get_photo(request: HttpRequest, listing_id: ListingId) -> FileResponse:
    """The ad's photo, if it has one."""
    listing = access.get_listing_or_404(request.auth, listing_id)
    if not listing.photo or not default_storage.exists(listing.photo.name):
        raise Http404("This offer or request has no photo.")
    extension = listing.photo.name.rsplit(".", 1)[-1].lower()
    return FileResponse(default_storage.open(listing.photo.name, "rb"), content_type=CONTENT_TYPES.get(extension))
