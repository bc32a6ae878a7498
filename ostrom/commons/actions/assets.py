"""Assets' state changes: add an asset, edit its details and booking rules, change its stock, replace its opening
hours, add or remove maintenance, grant or revoke training permits, deactivate it; make kits; and the lending
membership plans and who is on which.

Coordinators (or staff of the organisation that owns an asset) do these; each leaves an audit row. The rules come
from domain.booking_rules (BookingRules, OpeningHours, check_stock_quantity); every refusal is a DomainError with a
stable code and writes nothing. Rows are locked (``select_for_update``) before anything is read to decide on."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from ostrom.communities.actions import audit
from ostrom.communities.domain import DomainError
from ostrom.communities.models import Member, Organisation
from ostrom.ledger.models import Currency

from ..access import assets as access
from ..asset_rules import booking_rules_of, live_units_overlapping, zone_of
from ..domain.booking_rules import (
    MAX_RULE_MINUTES,
    OpeningHours,
    Period,
    WhoMayBook,
    Window,
    check_stock_quantity,
)
from ..models import (
    Asset,
    AssetKind,
    AssetPermit,
    AssetUnit,
    Booking,
    BookingStatus,
    BookingUnit,
    Kit,
    KitItem,
    MaintenancePeriod,
    Membership,
    MembershipPlan,
    OpeningWindow,
)
from ..models.assets import NAME_MAX_CHARS, TEXT_MAX_CHARS

LOCATION_MAX_CHARS = 200
REASON_MAX_CHARS = 200
PLAN_NAME_MAX_CHARS = 80
SLUG_MAX_CHARS = 60
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# "new" names the page for adding an asset or a kit, so nothing may be called that.
RESERVED_SLUGS = frozenset({"new"})
MAX_CAPACITY_PEOPLE = 100_000
# Money in the currency's smallest unit: a billion is far beyond any neighbourhood fee and fits every database.
MAX_MONEY_UNITS = 1_000_000_000
MAX_MAINTENANCE_DAYS = 366
MAX_KIT_ITEMS = 50
MAX_ITEMS_OUT = 10_000
# Each item is a row (a unit a booking can take): a library of things has a handful of each thing, not a warehouse.
MAX_ASSET_STOCK = 1_000
MONEY_FIELDS = ("fee_units", "deposit_units", "daily_overdue_fee_units")
RULE_FIELDS = ("who_may_book", "lead_time_minutes", "max_duration_minutes", "max_bookings_per_month", "buffer_minutes")
# What create_asset and update_asset accept besides the kind, slug and stock.
ASSET_FIELDS = frozenset(
    {
        "name",
        "description",
        "instructions",
        "location",
        "capacity_people",
        "owner",
        "hold_minutes",
        "currency",
        "block_when_overdue",
        *RULE_FIELDS,
        *MONEY_FIELDS,
    }
)


# --- checks ------------------------------------------------------------------------------------------------------


def _text(value: str, field: str, max_chars: int, what: str, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(f"{field}_required", f"Please give {what}.", field)
    if len(value) > max_chars:
        raise DomainError("too_long_text", f"Please keep {what} to {max_chars:,} characters.", field)
    return value


def _whole(value: Any, field: str, low: int, high: int, message: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DomainError("invalid_number", message, field)
    return value


def _check_fields(actor: Member, fields: dict[str, Any]) -> dict[str, Any]:
    """The asset's fields, tidied and checked one by one; rules and money are checked together after."""
    unknown = set(fields) - ASSET_FIELDS
    if unknown:
        raise TypeError(f"unknown asset fields: {sorted(unknown)}")
    checked = dict(fields)
    if "name" in fields:
        checked["name"] = _text(fields["name"], "name", NAME_MAX_CHARS, "a name", required=True)
    for name, limit, what in (
        ("description", TEXT_MAX_CHARS, "the description"),
        ("instructions", TEXT_MAX_CHARS, "the instructions"),
        ("location", LOCATION_MAX_CHARS, "the location"),
    ):
        if name in fields:
            checked[name] = _text(fields[name], name, limit, what)
    if fields.get("capacity_people") is not None:
        _whole(
            fields["capacity_people"],
            "capacity_people",
            1,
            MAX_CAPACITY_PEOPLE,
            f"Give how many people fit, from 1 to {MAX_CAPACITY_PEOPLE:,}, or leave it blank.",
        )
    if "hold_minutes" in fields:
        _whole(fields["hold_minutes"], "hold_minutes", 0, MAX_RULE_MINUTES, "A hold lasts from 0 minutes to 366 days.")
    for name in MONEY_FIELDS:
        if name in fields:
            _whole(fields[name], name, 0, MAX_MONEY_UNITS, "Give an amount from 0 upwards, in whole units.")
    if "who_may_book" in fields:
        try:
            checked["who_may_book"] = WhoMayBook(fields["who_may_book"]).value
        except ValueError:
            raise DomainError(
                "invalid_booking_rules", "Choose who may book it from the list.", "who_may_book"
            ) from None
    currency = fields.get("currency")
    if currency is not None and (not isinstance(currency, Currency) or currency.community_id != actor.community_id):
        raise DomainError("currency_unknown", "There is no such currency in this community.", "currency")
    owner = fields.get("owner")
    if owner is not None and (not isinstance(owner, Organisation) or owner.community_id != actor.community_id):
        raise DomainError("organisation_unknown", "There is no such organisation here.", "owner")
    return checked


def _check_whole_asset(asset: Asset) -> None:
    """Rules and money, checked on the asset as it would be saved."""
    booking_rules_of(asset)  # BookingRules refuses settings out of bounds
    if asset.currency_id is None and any(getattr(asset, name) for name in MONEY_FIELDS):
        raise DomainError(
            "money_needs_currency", "Choose the currency the fee, deposit or overdue fee is paid in.", "currency"
        )


def _require_manager(actor: Member, asset: Asset) -> None:
    if not access.can_manage_asset(actor, asset):
        raise DomainError("not_allowed", "Only a coordinator, or staff of the organisation that owns it, can do this.")


def _require_coordinator(actor: Member, what: str) -> None:
    if not actor.is_coordinator:
        raise DomainError("not_allowed", f"Only a coordinator can {what}.")


def _free_slug(model: type[Asset] | type[Kit], community_id: int, name: str, wanted: str) -> str:
    """The slug asked for (checked), or one made from the name with -2, -3… added until it is free."""
    if wanted:
        if not SLUG_PATTERN.match(wanted) or len(wanted) > SLUG_MAX_CHARS or wanted in RESERVED_SLUGS:
            raise DomainError(
                "invalid_slug",
                "Use only small letters, numbers and single hyphens for the web address (and not “new”).",
                "slug",
            )
        if model.objects.filter(community_id=community_id, slug=wanted).exists():
            raise DomainError("slug_taken", "Something here already has that web address; choose another.", "slug")
        return wanted
    base = slugify(name)[: SLUG_MAX_CHARS - 6].strip("-") or model.__name__.lower()
    taken = set(
        model.objects.filter(community_id=community_id, slug__startswith=base).values_list("slug", flat=True)
    ) | set(RESERVED_SLUGS)
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def _lock(asset: Asset) -> Asset:
    return Asset.objects.select_for_update(of=("self",)).select_related("community").get(pk=asset.pk)


# --- assets ------------------------------------------------------------------------------------------------------


def create_asset(actor: Member, *, kind: str, stock: int = 1, slug: str = "", **fields: Any) -> Asset:
    """Add a space, a piece of equipment or items with a stock (one unit each, numbered 1…stock). Staff may add
    only assets their organisation owns; coordinators any, or the community's own (owner None)."""
    if not access.can_create_asset(actor):
        raise DomainError("not_allowed", "Only coordinators, or staff of a partner organisation, can add assets.")
    try:
        kind = AssetKind(kind).value
    except ValueError:
        raise DomainError("invalid_kind", "Choose a space, equipment or items.", "kind") from None
    fields = {"name": fields.get("name", ""), **fields}
    checked = _check_fields(actor, fields)
    if not access.may_own_for(actor, checked.get("owner")):
        message = (
            "That organisation is no longer a partner here."
            if actor.is_coordinator
            else "Staff can add assets only for their own organisation."
        )
        raise DomainError("not_allowed", message, "owner")
    _check_stock_for_kind(kind, stock)
    asset = Asset(community_id=actor.community_id, kind=kind, stock=stock, feed_token=secrets.token_urlsafe(32))
    for name, value in checked.items():
        setattr(asset, name, value)
    _check_whole_asset(asset)
    try:
        with transaction.atomic():
            asset.slug = _free_slug(Asset, actor.community_id, asset.name, slug)
            asset.save()
            AssetUnit.objects.bulk_create(
                AssetUnit(community_id=asset.community_id, asset=asset, number=n) for n in range(1, stock + 1)
            )
            audit(actor.community, actor.user, "commons.asset_created", None, "", asset=asset.pk, name=asset.name)
    except IntegrityError:
        # Another coordinator took the same address a moment ago.
        raise DomainError("slug_taken", "Something here already has that web address; try again.", "slug") from None
    return asset


def _check_stock_for_kind(kind: str, stock: Any) -> None:
    if isinstance(stock, bool) or not isinstance(stock, int):
        raise DomainError("invalid_units", "Give the number in stock as a whole number.", "stock")
    check_stock_quantity(stock)
    if stock > MAX_ASSET_STOCK:
        raise DomainError("invalid_units", f"An asset can have at most {MAX_ASSET_STOCK:,} in stock.", "stock")
    if kind != AssetKind.ITEMS and stock != 1:
        raise DomainError(
            "single_unit", "A space or a piece of equipment is one unit; only items have a stock quantity.", "stock"
        )


def update_asset(actor: Member, asset: Asset, reason: str = "", **changes: Any) -> list[str]:
    """Change an asset's details and booking rules; returns the names of the fields that changed."""
    _require_manager(actor, asset)
    checked = _check_fields(actor, changes)
    if "owner" in checked and checked["owner"] != asset.owner and not access.may_own_for(actor, checked["owner"]):
        raise DomainError("not_allowed", "You cannot give this asset to that owner.", "owner")
    with transaction.atomic():
        locked = _lock(asset)
        changed = [name for name, value in checked.items() if getattr(locked, name) != value]
        for name in changed:
            setattr(locked, name, checked[name])
        _check_whole_asset(locked)
        if changed:
            locked.updated_at = timezone.now()
            locked.save(update_fields=[*changed, "updated_at"])
            audit(actor.community, actor.user, "commons.asset_updated", None, reason, asset=locked.pk, fields=changed)
    return changed


def set_active(actor: Member, asset: Asset, active: bool, reason: str = "") -> Asset:
    """Deactivate an asset (no new bookings; it leaves members' lists) or bring it back."""
    _require_manager(actor, asset)
    with transaction.atomic():
        locked = _lock(asset)
        if locked.is_active != active:
            locked.is_active, locked.updated_at = active, timezone.now()
            locked.save(update_fields=["is_active", "updated_at"])
            action = "commons.asset_reactivated" if active else "commons.asset_deactivated"
            audit(actor.community, actor.user, action, None, reason, asset=locked.pk)
    return locked


def set_stock(actor: Member, asset: Asset, stock: int) -> Asset:
    """Change how many items there are. Raising adds units; lowering retires the highest-numbered ones, but only
    if none of them has a booking still to come, and never below what a kit needs."""
    _require_manager(actor, asset)
    _check_stock_for_kind(asset.kind, stock)
    with transaction.atomic():
        locked = _lock(asset)
        if stock == locked.stock:
            return locked
        if stock < locked.stock:
            _retire_units(locked, stock)
        else:
            _add_units(locked, stock)
        before, locked.stock, locked.updated_at = locked.stock, stock, timezone.now()
        locked.save(update_fields=["stock", "updated_at"])
        audit(
            actor.community, actor.user, "commons.stock_changed", None, "", asset=locked.pk, before=before, after=stock
        )
    return locked


def _retire_units(asset: Asset, stock: int) -> None:
    going = AssetUnit.objects.filter(asset=asset, number__gt=stock, is_retired=False)
    booked = (
        BookingUnit.objects.filter(unit__in=going, is_live=True, blocked_until__gt=timezone.now())
        .values("booking_id")
        .distinct()
        .count()
    )
    if booked:
        bookings = "a booking" if booked == 1 else f"{booked} bookings"
        raise DomainError(
            "stock_booked",
            f"The items you would take away have {bookings} still to come; move or cancel those first.",
            "stock",
        )
    needing = KitItem.objects.filter(asset=asset, quantity__gt=stock, kit__is_active=True).select_related("kit").first()
    if needing is not None:
        raise DomainError(
            "kit_needs_stock",
            f"The kit “{needing.kit.name}” needs {needing.quantity} of these; change the kit first.",
            "stock",
        )
    going.update(is_retired=True)


def _add_units(asset: Asset, stock: int) -> None:
    AssetUnit.objects.filter(asset=asset, number__lte=stock, is_retired=True).update(is_retired=False)
    have = set(AssetUnit.objects.filter(asset=asset).values_list("number", flat=True))
    AssetUnit.objects.bulk_create(
        AssetUnit(community_id=asset.community_id, asset=asset, number=n) for n in range(1, stock + 1) if n not in have
    )


def set_opening_hours(actor: Member, asset: Asset, windows: Sequence[tuple[int, int, int]]) -> list[OpeningWindow]:
    """Replace the weekly opening hours with ``windows`` of (weekday 0 = Monday, start minute, end minute).
    Overlapping windows, or a closing time before the opening, are refused and nothing is written."""
    _require_manager(actor, asset)
    checked = OpeningHours(zone=zone_of(asset), windows=tuple(Window(*w) for w in windows))
    with transaction.atomic():
        locked = _lock(asset)
        OpeningWindow.objects.filter(asset=locked).delete()
        rows = OpeningWindow.objects.bulk_create(
            OpeningWindow(
                community_id=locked.community_id,
                asset=locked,
                weekday=w.weekday,
                start_minute=w.start_minute,
                end_minute=w.end_minute,
            )
            for w in sorted(checked.windows, key=lambda w: (w.weekday, w.start_minute))
        )
        audit(
            actor.community,
            actor.user,
            "commons.opening_hours_set",
            None,
            "",
            asset=locked.pk,
            windows=[[w.weekday, w.start_minute, w.end_minute] for w in rows],
        )
    return rows


# --- maintenance -------------------------------------------------------------------------------------------------


def add_maintenance(
    actor: Member, asset: Asset, starts_at: datetime, ends_at: datetime, reason: str, force: bool = False
) -> MaintenancePeriod:
    """Block a time for a repair or a closure. If live bookings overlap it, it is refused (saying how many)
    unless the manager confirms with ``force``, which the audit row records: then the bookings not yet collected
    are cancelled with the maintenance as the reason, and their members are told (things already out stay out)."""
    _require_manager(actor, asset)
    reason = _text(reason, "reason", REASON_MAX_CHARS, "the reason", required=True)
    period = Period(starts_at, ends_at)
    if period.end <= timezone.now():
        raise DomainError("in_the_past", "That time is already over; please choose a time still to come.", "ends_at")
    if period.end - period.start > timedelta(days=MAX_MAINTENANCE_DAYS):
        raise DomainError(
            "maintenance_too_long",
            f"A maintenance period can be at most {MAX_MAINTENANCE_DAYS} days; add another after it if needed.",
            "ends_at",
        )
    with transaction.atomic():
        locked = _lock(asset)
        overlapping = live_units_overlapping(locked, period.start, period.end).values("booking_id").distinct().count()
        if overlapping and not force:
            bookings = "1 booking overlaps" if overlapping == 1 else f"{overlapping} bookings overlap"
            raise DomainError(
                "maintenance_overlaps_bookings",
                f"{bookings} that time. Confirm to add the maintenance anyway: bookings not yet collected will be "
                "cancelled and the people who made them told.",
                "starts_at",
            )
        row = MaintenancePeriod.objects.create(
            community_id=locked.community_id,
            asset=locked,
            starts_at=period.start,
            ends_at=period.end,
            reason=reason,
            created_by=actor,
        )
        audit(
            actor.community,
            actor.user,
            "commons.maintenance_added",
            None,
            reason,
            asset=locked.pk,
            maintenance=row.pk,
            overlapping_bookings=overlapping,
            forced=bool(force and overlapping),
        )
        if overlapping:  # after the period exists, so the time freed is not offered to the waiting list
            _cancel_for_maintenance(actor, locked, period, reason)
    return row


def _cancel_for_maintenance(actor: Member, asset: Asset, period: Period, reason: str) -> None:
    from . import bookings

    ids = live_units_overlapping(asset, period.start, period.end).values_list("booking_id", flat=True)
    waiting = Booking.objects.filter(pk__in=ids, status__in=(BookingStatus.HELD, BookingStatus.CONFIRMED))
    for booking in waiting.order_by("pk"):
        bookings.cancel(actor, booking, reason=f"{asset.name} is closed for maintenance: {reason}"[:REASON_MAX_CHARS])


def remove_maintenance(actor: Member, period: MaintenancePeriod) -> None:
    _require_manager(actor, period.asset)
    with transaction.atomic():
        _lock(period.asset)
        deleted, _ = MaintenancePeriod.objects.filter(pk=period.pk).delete()
        if deleted:
            audit(
                actor.community,
                actor.user,
                "commons.maintenance_removed",
                None,
                period.reason,
                asset=period.asset_id,
                starts_at=period.starts_at.isoformat(),
            )


# --- training permits --------------------------------------------------------------------------------------------


def grant_permit(actor: Member, asset: Asset, member: Member) -> AssetPermit:
    """Note that a member has been trained (inducted) to use an asset whose rule is "trained members"."""
    _require_manager(actor, asset)
    if member.community_id != asset.community_id or not member.is_active:
        raise DomainError("member_unknown", "There is no such active member in this community.", "member")
    try:
        with transaction.atomic():
            permit = AssetPermit.objects.create(
                community_id=asset.community_id, asset=asset, member=member, granted_by=actor
            )
            audit(actor.community, actor.user, "commons.permit_granted", member, "", asset=asset.pk)
    except IntegrityError:
        raise DomainError("already_permitted", f"{member.display_name} may already book this.", "member") from None
    return permit


def revoke_permit(actor: Member, permit: AssetPermit, reason: str = "") -> None:
    _require_manager(actor, permit.asset)
    with transaction.atomic():
        deleted, _ = AssetPermit.objects.filter(pk=permit.pk).delete()
        if deleted:
            audit(actor.community, actor.user, "commons.permit_revoked", permit.member, reason, asset=permit.asset_id)


# --- kits --------------------------------------------------------------------------------------------------------


def _check_kit_items(actor: Member, items: Sequence[tuple[Asset, int]]) -> list[tuple[Asset, int]]:
    if not items:
        raise DomainError("kit_empty", "A kit needs at least one item.", "items")
    if len(items) > MAX_KIT_ITEMS:
        raise DomainError("kit_too_big", f"A kit can hold at most {MAX_KIT_ITEMS} different things.", "items")
    seen: set[int] = set()
    for asset, quantity in items:
        if asset.community_id != actor.community_id:
            raise DomainError("asset_unknown", "There is no such asset in this community.", "items")
        if asset.pk in seen:
            raise DomainError("kit_item_twice", f"{asset.name} is in the kit twice; give one quantity.", "items")
        seen.add(asset.pk)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise DomainError("invalid_units", f"Give at least 1 of {asset.name}.", "items")
        if quantity > asset.stock:
            raise DomainError(
                "kit_quantity_over_stock",
                f"There are only {asset.stock} of {asset.name}; the kit cannot need {quantity}.",
                "items",
            )
    return list(items)


def create_kit(
    actor: Member, name: str, items: Sequence[tuple[Asset, int]], description: str = "", slug: str = ""
) -> Kit:
    """Put several items together to be booked as one ("party kit": two gazebos and an urn)."""
    _require_coordinator(actor, "make kits")
    name = _text(name, "name", NAME_MAX_CHARS, "a name", required=True)
    description = _text(description, "description", TEXT_MAX_CHARS, "the description")
    checked = _check_kit_items(actor, items)
    try:
        with transaction.atomic():
            assets = _lock_assets([asset for asset, _ in checked])
            checked = _check_kit_items(actor, [(assets[asset.pk], quantity) for asset, quantity in checked])
            kit = Kit.objects.create(
                community_id=actor.community_id,
                name=name,
                slug=_free_slug(Kit, actor.community_id, name, slug),
                description=description,
            )
            KitItem.objects.bulk_create(
                KitItem(community_id=kit.community_id, kit=kit, asset=asset, quantity=quantity)
                for asset, quantity in checked
            )
            audit(actor.community, actor.user, "commons.kit_created", None, "", kit=kit.pk, name=kit.name)
    except IntegrityError:
        raise DomainError("slug_taken", "A kit here already has that web address; try again.", "slug") from None
    return kit


def update_kit(
    actor: Member,
    kit: Kit,
    name: str,
    items: Sequence[tuple[Asset, int]],
    description: str = "",
    is_active: bool = True,
) -> Kit:
    """Change a kit's name, description, contents or whether it can be booked."""
    _require_coordinator(actor, "change kits")
    name = _text(name, "name", NAME_MAX_CHARS, "a name", required=True)
    description = _text(description, "description", TEXT_MAX_CHARS, "the description")
    checked = _check_kit_items(actor, items)
    with transaction.atomic():
        locked = Kit.objects.select_for_update().get(pk=kit.pk)
        assets = _lock_assets([asset for asset, _ in checked])
        checked = _check_kit_items(actor, [(assets[asset.pk], quantity) for asset, quantity in checked])
        locked.name, locked.description, locked.is_active = name, description, is_active
        locked.save(update_fields=["name", "description", "is_active"])
        KitItem.objects.filter(kit=locked).delete()
        KitItem.objects.bulk_create(
            KitItem(community_id=locked.community_id, kit=locked, asset=asset, quantity=quantity)
            for asset, quantity in checked
        )
        audit(actor.community, actor.user, "commons.kit_updated", None, "", kit=locked.pk)
    return locked


def _lock_assets(assets: Sequence[Asset]) -> dict[int, Asset]:
    """Lock the assets in ascending primary-key order (so two requests never deadlock); their stock is fresh."""
    rows = Asset.objects.select_for_update().filter(pk__in=[a.pk for a in assets]).order_by("pk")
    return {row.pk: row for row in rows}


# --- lending memberships -----------------------------------------------------------------------------------------


def _check_plan(name: str, max_items_out: int | None) -> str:
    name = _text(name, "name", PLAN_NAME_MAX_CHARS, "a name", required=True)
    if max_items_out is not None:
        _whole(
            max_items_out,
            "max_items_out",
            0,
            MAX_ITEMS_OUT,
            f"Give how many items a member may have out, 0 to {MAX_ITEMS_OUT:,}, or leave it blank for no limit.",
        )
    return name


def create_plan(actor: Member, name: str, max_items_out: int | None, is_default: bool = False) -> MembershipPlan:
    """A lending membership type and how many items a member on it may have out at once (None: no limit); the
    default plan applies to members with none of their own, and there is at most one."""
    _require_coordinator(actor, "set up membership plans")
    name = _check_plan(name, max_items_out)
    try:
        with transaction.atomic():
            if is_default:
                _clear_default(actor)
            plan = MembershipPlan.objects.create(
                community_id=actor.community_id, name=name, max_items_out=max_items_out, is_default=is_default
            )
            audit(actor.community, actor.user, "commons.plan_created", None, "", plan=plan.pk, name=name)
    except IntegrityError:
        raise DomainError("plan_name_taken", "There is already a plan with that name.", "name") from None
    return plan


def update_plan(
    actor: Member, plan: MembershipPlan, name: str, max_items_out: int | None, is_default: bool
) -> MembershipPlan:
    _require_coordinator(actor, "change membership plans")
    name = _check_plan(name, max_items_out)
    try:
        with transaction.atomic():
            locked = MembershipPlan.objects.select_for_update().get(pk=plan.pk, community_id=actor.community_id)
            if is_default and not locked.is_default:
                _clear_default(actor)
            locked.name, locked.max_items_out, locked.is_default = name, max_items_out, is_default
            locked.save(update_fields=["name", "max_items_out", "is_default"])
            audit(actor.community, actor.user, "commons.plan_updated", None, "", plan=locked.pk)
    except IntegrityError:
        raise DomainError("plan_name_taken", "There is already a plan with that name.", "name") from None
    return locked


def _clear_default(actor: Member) -> None:
    MembershipPlan.objects.filter(community_id=actor.community_id, is_default=True).update(is_default=False)


def set_membership(
    actor: Member, member: Member, plan: MembershipPlan | None, expires_on: date | None = None, reason: str = ""
) -> Membership | None:
    """Put a member on a plan (until ``expires_on``, if given), or take them off theirs with ``plan`` None."""
    _require_coordinator(actor, "set members' lending memberships")
    if member.community_id != actor.community_id:
        raise DomainError("member_unknown", "There is no such member in this community.", "member")
    if plan is not None and plan.community_id != actor.community_id:
        raise DomainError("plan_unknown", "There is no such membership plan here.", "plan")
    if expires_on is not None and expires_on < timezone.localdate(timezone=ZoneInfo(actor.community.time_zone)):
        raise DomainError("in_the_past", "The end date has already passed.", "expires_on")
    with transaction.atomic():
        if plan is None:
            Membership.objects.filter(member=member).delete()
            audit(actor.community, actor.user, "commons.membership_ended", member, reason)
            return None
        membership, _ = Membership.objects.update_or_create(
            member=member, defaults={"community_id": member.community_id, "plan": plan, "expires_on": expires_on}
        )
        audit(actor.community, actor.user, "commons.membership_set", member, reason, plan=plan.pk)
    return membership
