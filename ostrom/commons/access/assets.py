"""Who may see or manage assets, kits and lending memberships. Every active member sees their community's active
assets (coordinators also the inactive ones); coordinators manage every asset, and an organisation's staff manage
the assets it owns. Membership plans are the coordinators'. Nothing here returns another community's rows."""

from __future__ import annotations

import hmac
from datetime import datetime

from django.core import signing
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from ostrom.communities.domain import Role
from ostrom.communities.models import Community, Member, Organisation

from ..models import (
    LIVE_STATUSES,
    Asset,
    AssetPermit,
    Booking,
    BookingStatus,
    BookingUnit,
    Kit,
    MaintenancePeriod,
    Membership,
    MembershipPlan,
    ShiftAssignment,
)

# The personal feed's token is the member's id signed with the site's secret: no table to keep, and a changed
# SECRET_KEY (or leaving the community) ends every old address.
FEED_SALT = "ostrom.commons.calendar"
# Shown as busy in the public feed: what is booked now or to come, and what was used lately.
BUSY_STATUSES = (*LIVE_STATUSES, BookingStatus.RETURNED)
MAX_FEED_EVENTS = 2_000


def visible_assets(viewer: Member) -> QuerySet[Asset]:
    """The viewer's community's assets: active ones, and for coordinators the inactive ones too."""
    assets = Asset.objects.filter(community_id=viewer.community_id).select_related("owner", "currency")
    if not viewer.is_active:
        return assets.none()
    return assets if viewer.is_coordinator else assets.filter(is_active=True)


def get_asset_or_404(viewer: Member, slug: str) -> Asset:
    asset = visible_assets(viewer).filter(slug=slug).first()
    if asset is None:
        raise Http404("No asset with that address here.")
    return asset


def can_manage_asset(viewer: Member | None, asset: Asset) -> bool:
    """Change an asset, its hours, maintenance and permits: a coordinator, or staff of the organisation owning it."""
    if viewer is None or not viewer.is_active or viewer.community_id != asset.community_id:
        return False
    if viewer.is_coordinator:
        return True
    return viewer.role == Role.STAFF and asset.owner_id is not None and viewer.organisation_id == asset.owner_id


def can_create_asset(viewer: Member | None) -> bool:
    """Coordinators add assets for anyone; staff add assets their organisation owns."""
    if viewer is None or not viewer.is_active:
        return False
    return viewer.is_coordinator or (viewer.role == Role.STAFF and viewer.organisation_id is not None)


def owners_for(viewer: Member) -> QuerySet[Organisation]:
    """The organisations the viewer may name as an asset's owner (coordinators: any active partner)."""
    organisations = Organisation.objects.filter(community_id=viewer.community_id, is_active=True).order_by("name")
    if not viewer.is_active:
        return organisations.none()
    if viewer.is_coordinator:
        return organisations
    if viewer.role == Role.STAFF and viewer.organisation_id:
        return organisations.filter(pk=viewer.organisation_id)
    return organisations.none()


def may_own_for(viewer: Member, owner: Organisation | None) -> bool:
    """May the viewer make ``owner`` (None: the community) the owner of an asset?"""
    if not viewer.is_active:
        return False
    if owner is None:
        return viewer.is_coordinator
    return owner.community_id == viewer.community_id and owners_for(viewer).filter(pk=owner.pk).exists()


def managed_assets(viewer: Member) -> QuerySet[Asset]:
    """The assets the viewer may manage, for kit forms and the coordinator's lists."""
    assets = Asset.objects.filter(community_id=viewer.community_id)
    if not viewer.is_active:
        return assets.none()
    if viewer.is_coordinator:
        return assets
    if viewer.role == Role.STAFF and viewer.organisation_id:
        return assets.filter(owner_id=viewer.organisation_id)
    return assets.none()


def asset_maintenance(asset: Asset) -> QuerySet[MaintenancePeriod]:
    return MaintenancePeriod.objects.filter(asset=asset).select_related("created_by").order_by("starts_at", "pk")


def get_maintenance_or_404(asset: Asset, period_id: int) -> MaintenancePeriod:
    period = asset_maintenance(asset).filter(pk=period_id).first()
    if period is None:
        raise Http404("No maintenance period with that number here.")
    return period


def asset_permits(asset: Asset) -> QuerySet[AssetPermit]:
    return (
        AssetPermit.objects.filter(asset=asset).select_related("member", "granted_by").order_by("member__display_name")
    )


def get_permit_or_404(asset: Asset, permit_id: int) -> AssetPermit:
    permit = asset_permits(asset).filter(pk=permit_id).first()
    if permit is None:
        raise Http404("No permit with that number here.")
    return permit


def has_permit(member: Member, asset: Asset) -> bool:
    return AssetPermit.objects.filter(asset=asset, member=member).exists()


def permit_candidates(asset: Asset) -> QuerySet[Member]:
    """Active members of the asset's community without a permit for it yet, by name."""
    return (
        Member.objects.filter(community_id=asset.community_id, status="active")
        .exclude(asset_permits__asset=asset)
        .order_by("display_name", "pk")
    )


def community_members(viewer: Member) -> QuerySet[Member]:
    """Active members of the viewer's community, by name (for the membership form)."""
    return Member.objects.filter(community_id=viewer.community_id, status="active").order_by("display_name", "pk")


# --- kits --------------------------------------------------------------------------------------------------------


def visible_kits(viewer: Member) -> QuerySet[Kit]:
    kits = Kit.objects.filter(community_id=viewer.community_id).prefetch_related("items__asset")
    if not viewer.is_active:
        return kits.none()
    return kits if viewer.is_coordinator else kits.filter(is_active=True)


def get_kit_or_404(viewer: Member, slug: str) -> Kit:
    kit = visible_kits(viewer).filter(slug=slug).first()
    if kit is None:
        raise Http404("No kit with that address here.")
    return kit


def can_manage_kits(viewer: Member | None) -> bool:
    """Kits mix items from several owners, so coordinators make them."""
    return viewer is not None and viewer.is_coordinator


def kits_containing(asset: Asset) -> QuerySet[Kit]:
    return Kit.objects.filter(items__asset=asset, is_active=True).distinct().order_by("name")


# --- lending memberships -----------------------------------------------------------------------------------------


def can_manage_memberships(viewer: Member | None) -> bool:
    return viewer is not None and viewer.is_coordinator


def membership_plans(viewer: Member) -> QuerySet[MembershipPlan]:
    return MembershipPlan.objects.filter(community_id=viewer.community_id).order_by("name", "pk")


def get_plan_or_404(viewer: Member, plan_id: int) -> MembershipPlan:
    plan = membership_plans(viewer).filter(pk=plan_id).first()
    if plan is None:
        raise Http404("No membership plan with that number here.")
    return plan


def memberships(viewer: Member) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(community_id=viewer.community_id)
        .select_related("member", "plan")
        .order_by("member__display_name", "pk")
    )


# --- calendar feeds ----------------------------------------------------------------------------------------------


def asset_for_feed(community_slug: str, asset_slug: str, token: str) -> Asset:
    """The asset whose public feed this is, for anyone holding its address; any mismatch is a plain 404."""
    asset = (
        Asset.objects.filter(community__slug=community_slug, slug=asset_slug, is_active=True)
        .select_related("community")
        .first()
    )
    # Compared in constant time, so the token cannot be guessed a character at a time.
    if asset is None or not hmac.compare_digest(asset.feed_token.encode(), token.encode()):
        raise Http404("No calendar at this address.")
    return asset


def member_for_feed(community: Community, member_id: int) -> Member:
    """The active member of ``community`` a personal feed belongs to, or a 404."""
    member = (
        Member.objects.filter(Q(community=community) & Q(pk=member_id), status="active")
        .select_related("community")
        .first()
    )
    if member is None:
        raise Http404("No calendar at this address.")
    return member


def personal_feed_token(member: Member) -> str:
    return signing.dumps(member.pk, salt=FEED_SALT)


def member_from_feed_token(community: Community, token: str) -> Member:
    """The active member of ``community`` whose personal feed token this is, or a 404 (a forged or mangled
    token, or someone who has left)."""
    try:
        member_id = signing.loads(token, salt=FEED_SALT)
    except signing.BadSignature:
        raise Http404("No calendar at this address.") from None
    if isinstance(member_id, bool) or not isinstance(member_id, int):
        raise Http404("No calendar at this address.")
    return member_for_feed(community, member_id)


def busy_bookings(asset: Asset, start: datetime, end: datetime) -> list[dict]:
    """The asset's bookings overlapping [start, end) as busy times: booking id, start, end and units taken, never
    who booked them."""
    rows = (
        BookingUnit.objects.filter(
            asset=asset, booking__status__in=BUSY_STATUSES, starts_at__lt=end, booking__ends_at__gt=start
        )
        .values("booking_id", "booking__starts_at", "booking__ends_at", "booking__status")
        .annotate(units=Count("id"))
        .order_by("booking__starts_at", "booking_id")
    )
    return list(rows[:MAX_FEED_EVENTS])


def feed_bookings(member: Member, since: datetime) -> QuerySet[Booking]:
    """The member's live bookings not yet over (since ``since``), for their personal feed."""
    return (
        Booking.objects.filter(
            community_id=member.community_id, member=member, status__in=LIVE_STATUSES, ends_at__gt=since
        )
        .select_related("asset", "kit")
        .order_by("starts_at", "pk")[:MAX_FEED_EVENTS]
    )


def feed_shifts(member: Member, since: datetime) -> QuerySet[ShiftAssignment]:
    """The member's shift assignments not yet over, for their personal feed."""
    return (
        ShiftAssignment.objects.filter(community_id=member.community_id, member=member, shift__ends_at__gt=since)
        .select_related("shift__team")
        .order_by("shift__starts_at", "pk")[:MAX_FEED_EVENTS]
    )
