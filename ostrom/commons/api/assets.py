"""Assets' JSON API: what the community shares, one asset with its opening hours and rules, its free times on a
day, utilisation per asset and per owner; and for coordinators (or the owner's staff) adding and changing assets,
replacing opening hours and adding maintenance. Thin adapters over commons.access.assets, commons.actions.assets
and commons.usage. Times are ISO 8601 with a zone and come back in UTC; minutes and money are whole numbers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import BeforeValidator, ConfigDict, Strict, StrictBool

from ostrom.communities.api import NOT_BLANK, SLUG, PageQuery, Text, error_responses, page_of, whole
from ostrom.communities.domain import DomainError
from ostrom.communities.models import Member, Organisation
from ostrom.ledger.api import AwareDatetime, Day
from ostrom.ledger.models import Currency

from .. import usage
from ..access import assets as access
from ..actions import assets as actions
from ..domain.booking_rules import MAX_BOOKINGS_PER_MONTH, MAX_RULE_MINUTES, MAX_WINDOWS, WhoMayBook
from ..domain.utilisation import MonthUsage
from ..models import Asset, AssetKind, MaintenancePeriod
from ..models.assets import NAME_MAX_CHARS, TEXT_MAX_CHARS

router = Router(tags=["commons: assets"])

# The statuses this part's DomainError codes answer with (see api/__init__.py); every other code is a 400.
# Opening hours that overlap, a period that ends before it starts and the like are 409s: the request is
# well-formed, and conflicts with itself or with what is booked (as the market's dates in the past are 409s).
ERROR_STATUS = {
    "asset_unknown": 404,
    "organisation_unknown": 404,
    "slug_taken": 409,
    "invalid_slug": 409,
    "single_unit": 409,
    "money_needs_currency": 409,
    "opening_hours_overlap": 409,
    "opening_hours_ends_before_start": 409,
    "ends_before_start": 409,
    "in_the_past": 409,
    "maintenance_too_long": 409,
    "maintenance_overlaps_bookings": 409,
}

AssetSlug = Annotated[str, Path(max_length=60, pattern=SLUG)]
ERRORS = (400, 401, 403, 404, 409, 422)
ASSET_SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


def Whole(low: int, high: int, description: str = "") -> Any:
    return Annotated[int, Strict(), Field(ge=low, le=high, description=description), BeforeValidator(whole)]


Minutes = Whole(0, MAX_RULE_MINUTES)
Money = Whole(0, actions.MAX_MONEY_UNITS, "In the currency's smallest unit.")


class CommonsOpeningWindow(Schema):
    model_config = ConfigDict(extra="forbid")

    weekday: Whole(0, 6, "0 is Monday, 6 Sunday.")
    start_minute: Whole(0, 24 * 60 - 1, "Minutes after local midnight.")
    end_minute: Whole(1, 24 * 60, "Minutes after local midnight; 1440 is midnight at the end of the day.")


class CommonsFreePeriod(Schema):
    start: datetime
    end: datetime


class CommonsMaintenanceOut(Schema):
    id: int
    starts_at: datetime
    ends_at: datetime
    reason: str


class CommonsAssetOut(Schema):
    slug: str
    name: str
    kind: AssetKind
    owner: str | None = Field(description="The owning organisation's slug; null when the community owns it.")
    owner_name: str
    description: str
    location: str
    capacity_people: int | None
    stock: int
    is_active: bool


class CommonsAssetPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CommonsAssetOut]


class CommonsAssetDetail(CommonsAssetOut):
    instructions: str
    time_zone: str
    opening_hours: list[CommonsOpeningWindow]
    who_may_book: WhoMayBook
    lead_time_minutes: int
    max_duration_minutes: int
    max_bookings_per_month: int | None
    buffer_minutes: int
    hold_minutes: int
    currency: str | None = Field(description="The code of the currency fees are paid in, if any.")
    fee_units: int
    deposit_units: int
    daily_overdue_fee_units: int
    block_when_overdue: bool
    maintenance: list[CommonsMaintenanceOut] = Field(description="Maintenance not yet over.")


class CommonsAssetQuery(PageQuery):
    kind: AssetKind | None = Field(None, description="Only assets of this kind.")


class CommonsAssetChanges(Schema):
    """Only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")

    name: Text(NAME_MAX_CHARS, NOT_BLANK) = None
    owner: Text(60, SLUG) | None = Field(None, description="An organisation's slug; null for the community itself.")
    description: Text(TEXT_MAX_CHARS) = None
    instructions: Text(TEXT_MAX_CHARS) = None
    location: Text(actions.LOCATION_MAX_CHARS) = None
    capacity_people: Whole(1, actions.MAX_CAPACITY_PEOPLE) | None = None
    who_may_book: WhoMayBook = None
    lead_time_minutes: Minutes = None
    max_duration_minutes: Whole(1, MAX_RULE_MINUTES) = None
    max_bookings_per_month: Whole(1, MAX_BOOKINGS_PER_MONTH) | None = None
    buffer_minutes: Minutes = None
    hold_minutes: Minutes = None
    currency: Text(20, SLUG) | None = Field(None, description="A currency code; null for no fees.")
    fee_units: Money = None
    deposit_units: Money = None
    daily_overdue_fee_units: Money = None
    block_when_overdue: StrictBool = None


class CommonsAssetIn(CommonsAssetChanges):
    name: Text(NAME_MAX_CHARS, NOT_BLANK)
    kind: AssetKind
    slug: Text(60, ASSET_SLUG) | None = Field(None, description="Made from the name when left out.")
    stock: Whole(0, actions.MAX_ASSET_STOCK, "Items only; 1 for a space or equipment.") = 1


class CommonsOpeningHoursIn(Schema):
    model_config = ConfigDict(extra="forbid")

    windows: Annotated[list[CommonsOpeningWindow], Field(max_length=MAX_WINDOWS)]


class CommonsMaintenanceIn(Schema):
    model_config = ConfigDict(extra="forbid")

    starts_at: AwareDatetime
    ends_at: AwareDatetime
    reason: Text(actions.REASON_MAX_CHARS, NOT_BLANK)
    force: StrictBool = Field(False, description="Add it even though live bookings overlap (recorded in the audit).")


class CommonsFreeQuery(Schema):
    day: Day = Field(description="A day in the community's local calendar.")


class CommonsFreeOut(Schema):
    day: date
    time_zone: str
    closed: bool = Field(description="True when it is not open at all that day.")
    free: list[CommonsFreePeriod]


class CommonsUsageMonth(Schema):
    month: date = Field(description="The first day of the local calendar month.")
    open_minutes: int
    booked_minutes: int
    utilisation_permille: int = Field(description="Booked over open minutes, in thousandths.")
    no_show_minutes: int
    no_shows: int
    unmet_requests: int


class CommonsUsageRow(Schema):
    key: str = Field(description="The asset's slug; for owners, the organisation's slug or “community”.")
    name: str
    months: list[CommonsUsageMonth]


# --- turning rows into answers -----------------------------------------------------------------------------------


def asset_out(asset: Asset) -> dict[str, Any]:
    return {
        "slug": asset.slug,
        "name": asset.name,
        "kind": asset.kind,
        "owner": asset.owner.slug if asset.owner_id else None,
        "owner_name": asset.owner.name if asset.owner_id else asset.community.name,
        "description": asset.description,
        "location": asset.location,
        "capacity_people": asset.capacity_people,
        "stock": asset.stock,
        "is_active": asset.is_active,
    }


def asset_detail(asset: Asset) -> dict[str, Any]:
    windows = asset.opening_windows.order_by("weekday", "start_minute")
    maintenance = access.asset_maintenance(asset).filter(ends_at__gt=timezone.now())[:100]
    return {
        **asset_out(asset),
        "instructions": asset.instructions,
        "time_zone": asset.community.time_zone,
        "opening_hours": [
            {"weekday": w.weekday, "start_minute": w.start_minute, "end_minute": w.end_minute} for w in windows
        ],
        "who_may_book": asset.who_may_book,
        "lead_time_minutes": asset.lead_time_minutes,
        "max_duration_minutes": asset.max_duration_minutes,
        "max_bookings_per_month": asset.max_bookings_per_month,
        "buffer_minutes": asset.buffer_minutes,
        "hold_minutes": asset.hold_minutes,
        "currency": asset.currency.code if asset.currency_id else None,
        "fee_units": asset.fee_units,
        "deposit_units": asset.deposit_units,
        "daily_overdue_fee_units": asset.daily_overdue_fee_units,
        "block_when_overdue": asset.block_when_overdue,
        "maintenance": [
            {"id": m.pk, "starts_at": m.starts_at, "ends_at": m.ends_at, "reason": m.reason} for m in maintenance
        ],
    }


def _month_out(month: MonthUsage) -> dict[str, Any]:
    return {
        "month": month.month,
        "open_minutes": month.open_minutes,
        "booked_minutes": month.booked_minutes,
        "utilisation_permille": month.utilisation_permille,
        "no_show_minutes": month.no_show_minutes,
        "no_shows": month.no_shows,
        "unmet_requests": month.unmet_requests,
    }


def _row_out(row: usage.UsageRow) -> dict[str, Any]:
    return {"key": row.key, "name": row.name, "months": [_month_out(m) for m in row.months]}


def _asset(viewer: Member, slug: str) -> Asset:
    asset = access.visible_assets(viewer).select_related("community").filter(slug=slug).first()
    if asset is None:
        raise DomainError("asset_unknown", "There is no such asset in this community.")
    return asset


def _managed(viewer: Member, slug: str) -> Asset:
    asset = _asset(viewer, slug)
    if not access.can_manage_asset(viewer, asset):
        raise DomainError("not_allowed", "Only a coordinator, or staff of the organisation that owns it, can do this.")
    return asset


def _resolved(viewer: Member, changes: dict[str, Any]) -> dict[str, Any]:
    """Slugs and codes in the request turned into the community's rows (unknown ones are 404s)."""
    if changes.get("owner") is not None:
        owner = Organisation.objects.filter(community_id=viewer.community_id, slug=changes["owner"]).first()
        if owner is None:
            raise DomainError("organisation_unknown", "There is no such organisation here.", "owner")
        changes["owner"] = owner
    if changes.get("currency") is not None:
        currency = Currency.objects.filter(community_id=viewer.community_id, code=changes["currency"]).first()
        if currency is None:
            raise DomainError("currency_unknown", "There is no such currency in this community.", "currency")
        changes["currency"] = currency
    return changes


# --- endpoints ---------------------------------------------------------------------------------------------------


@router.get("/commons/assets", response={200: CommonsAssetPage, **error_responses(401, 422)})
def list_assets(request: HttpRequest, page: Query[CommonsAssetQuery]) -> dict[str, Any]:
    """What your community shares, by name (coordinators also see withdrawn assets)."""
    assets = access.visible_assets(request.auth).select_related("community").order_by("name", "pk")
    if page.kind:
        assets = assets.filter(kind=page.kind)
    result = page_of(assets, page)
    result["items"] = [asset_out(asset) for asset in result["items"]]
    return result


@router.post("/commons/assets", response={201: CommonsAssetDetail, **error_responses(*ERRORS)})
def create_asset(request: HttpRequest, payload: CommonsAssetIn) -> Status:
    """Add an asset (coordinators; staff for their own organisation). Set its opening hours next."""
    viewer: Member = request.auth
    fields = _resolved(viewer, payload.model_dump(exclude_unset=True))
    kind, stock, slug = fields.pop("kind"), fields.pop("stock", 1), fields.pop("slug", None) or ""
    asset = actions.create_asset(viewer, kind=kind, stock=stock, slug=slug, **fields)
    return Status(201, asset_detail(_asset(viewer, asset.slug)))


@router.get("/commons/assets/{asset_slug}", response={200: CommonsAssetDetail, **error_responses(401, 404, 422)})
def get_asset(request: HttpRequest, asset_slug: AssetSlug) -> dict[str, Any]:
    """One asset with its opening hours (weekly windows in its community's time zone), rules and maintenance."""
    return asset_detail(_asset(request.auth, asset_slug))


@router.patch("/commons/assets/{asset_slug}", response={200: CommonsAssetDetail, **error_responses(*ERRORS)})
def update_asset(request: HttpRequest, asset_slug: AssetSlug, payload: CommonsAssetChanges) -> dict[str, Any]:
    """Change an asset's details or booking rules; only the fields sent change."""
    viewer: Member = request.auth
    asset = _managed(viewer, asset_slug)
    actions.update_asset(viewer, asset, **_resolved(viewer, payload.model_dump(exclude_unset=True)))
    return asset_detail(_asset(viewer, asset_slug))


@router.put(
    "/commons/assets/{asset_slug}/opening-hours", response={200: CommonsAssetDetail, **error_responses(*ERRORS)}
)
def set_opening_hours(request: HttpRequest, asset_slug: AssetSlug, payload: CommonsOpeningHoursIn) -> dict[str, Any]:
    """Replace the weekly opening hours. Overlapping windows on one day are refused (opening_hours_overlap)."""
    viewer: Member = request.auth
    asset = _managed(viewer, asset_slug)
    windows = [(w.weekday, w.start_minute, w.end_minute) for w in payload.windows]
    actions.set_opening_hours(viewer, asset, windows)
    return asset_detail(_asset(viewer, asset_slug))


@router.post(
    "/commons/assets/{asset_slug}/maintenance", response={201: CommonsMaintenanceOut, **error_responses(*ERRORS)}
)
def add_maintenance(request: HttpRequest, asset_slug: AssetSlug, payload: CommonsMaintenanceIn) -> Status:
    """Block a time for maintenance. If live bookings overlap it, it is refused (maintenance_overlaps_bookings)
    unless ``force`` is true."""
    viewer: Member = request.auth
    asset = _managed(viewer, asset_slug)
    row: MaintenancePeriod = actions.add_maintenance(
        viewer, asset, payload.starts_at, payload.ends_at, payload.reason, payload.force
    )
    return Status(201, {"id": row.pk, "starts_at": row.starts_at, "ends_at": row.ends_at, "reason": row.reason})


@router.get("/commons/assets/{asset_slug}/free", response={200: CommonsFreeOut, **error_responses(401, 404, 422)})
def free_times(request: HttpRequest, asset_slug: AssetSlug, query: Query[CommonsFreeQuery]) -> dict[str, Any]:
    """The free times on a local day: open hours less bookings (with the buffer) and maintenance."""
    asset = _asset(request.auth, asset_slug)
    (day,) = usage.days_view(asset, query.day, days=1)
    return {
        "day": day.day,
        "time_zone": asset.community.time_zone,
        "closed": day.closed,
        "free": [{"start": p.start, "end": p.end} for p in day.free],
    }


def _report(viewer: Member) -> usage.UsageReport:
    community = viewer.community
    start, end = usage.report_range(timezone.now(), ZoneInfo(community.time_zone))
    return usage.usage_report(community, list(access.visible_assets(viewer).select_related("community")), start, end)


@router.get("/commons/utilisation/assets", response={200: list[CommonsUsageRow], **error_responses(401)})
def asset_utilisation(request: HttpRequest) -> list[dict[str, Any]]:
    """Each asset's open and booked minutes, no-shows and unmet requests, month by month for twelve months."""
    return [_row_out(row) for row in _report(request.auth).assets]


@router.get("/commons/utilisation/owners", response={200: list[CommonsUsageRow], **error_responses(401)})
def owner_utilisation(request: HttpRequest) -> list[dict[str, Any]]:
    """The same, summed per owner (each organisation, and the community for its own assets)."""
    return [_row_out(row) for row in _report(request.auth).owners]
