"""Who may see or do what with bookings. A member sees and cancels their own bookings and waiting-list places;
coordinators see every booking in their community and run the desk (check-out, check-in, no-shows, booking or
cancelling for someone); an owner organisation's staff run the desk for their organisation's assets. Nothing here
returns another community's rows: every query starts from the viewer's community."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from ostrom.communities.domain import Role
from ostrom.communities.models import Member

from ..domain.booking_rules import WhoMayBook
from ..models import (
    LIVE_STATUSES,
    Asset,
    AssetPermit,
    Booking,
    BookingStatus,
    Kit,
    WaitingListEntry,
    WaitingStatus,
)

# --- assets and kits ---------------------------------------------------------------------------------------------


def bookable_assets(viewer: Member) -> QuerySet[Asset]:
    """Active assets of the viewer's community (none for a member who is not active)."""
    assets = Asset.objects.filter(community_id=viewer.community_id, is_active=True).select_related(
        "community", "owner", "currency"
    )
    return assets if viewer.is_active else assets.none()


def get_asset_or_404(viewer: Member, slug: str) -> Asset:
    asset = bookable_assets(viewer).filter(slug=slug).first()
    if asset is None:
        raise Http404("There is nothing to book with that name here.")
    return asset


def get_kit_or_404(viewer: Member, slug: str) -> Kit:
    kit = Kit.objects.filter(community_id=viewer.community_id, slug=slug, is_active=True).first()
    if kit is None or not viewer.is_active:
        raise Http404("There is no kit with that name here.")
    return kit


def booker_level(member: Member, asset: Asset) -> WhoMayBook:
    """The member's level for the asset's "who may book" rule: coordinator, trained (holds a permit) or member."""
    if member.is_coordinator:
        return WhoMayBook.COORDINATORS
    if AssetPermit.objects.filter(asset=asset, member=member).exists():
        return WhoMayBook.TRAINED_MEMBERS
    return WhoMayBook.ANY_MEMBER


# --- bookings ----------------------------------------------------------------------------------------------------


def can_run_desk(viewer: Member | None) -> bool:
    """The desk (check-out, check-in, no-shows): coordinators, and staff of an organisation that owns assets."""
    if viewer is None or not viewer.is_active:
        return False
    return viewer.is_coordinator or (viewer.role == Role.STAFF and viewer.organisation_id is not None)


def desk_bookings(viewer: Member) -> QuerySet[Booking]:
    """Bookings the viewer handles at the desk: all the community's for a coordinator, those of the viewer's
    organisation's assets for its staff (a kit counts when any of its items is the organisation's)."""
    bookings = Booking.objects.filter(community_id=viewer.community_id).select_related(
        "member", "asset", "kit", "community"
    )
    if not can_run_desk(viewer):
        return bookings.none()
    if viewer.is_coordinator:
        return bookings
    owned = Q(asset__owner_id=viewer.organisation_id) | Q(booked_units__asset__owner_id=viewer.organisation_id)
    return bookings.filter(owned).distinct()


def desk_waiting(viewer: Member) -> QuerySet[WaitingListEntry]:
    """Who is waiting (or has been offered a place) for the assets the viewer handles at the desk."""
    entries = WaitingListEntry.objects.filter(
        community_id=viewer.community_id, status__in=(WaitingStatus.WAITING, WaitingStatus.OFFERED)
    ).select_related("member", "asset")
    if not can_run_desk(viewer):
        return entries.none()
    if viewer.is_coordinator:
        return entries
    return entries.filter(asset__owner_id=viewer.organisation_id)


def can_manage_booking(viewer: Member | None, booking: Booking) -> bool:
    """Check out, check in, mark a no-show, cancel for someone: a coordinator, or the owner organisation's staff."""
    if viewer is None or not can_run_desk(viewer) or viewer.community_id != booking.community_id:
        return False
    return viewer.is_coordinator or desk_bookings(viewer).filter(pk=booking.pk).exists()


def visible_bookings(viewer: Member) -> QuerySet[Booking]:
    """The viewer's own bookings, plus those the viewer handles at the desk."""
    own = Booking.objects.filter(community_id=viewer.community_id, member=viewer)
    if not viewer.is_active:
        return own.none()
    if can_run_desk(viewer):
        ids = desk_bookings(viewer).values("pk")
        own = Booking.objects.filter(community_id=viewer.community_id).filter(Q(member=viewer) | Q(pk__in=ids))
    return own.select_related("member", "asset", "kit", "community", "booked_by")


def get_booking_or_404(viewer: Member, booking_id: int) -> Booking:
    booking = visible_bookings(viewer).filter(pk=booking_id).first()
    if booking is None:
        raise Http404("No booking with that number here.")
    return booking


def my_upcoming(viewer: Member, now: datetime) -> QuerySet[Booking]:
    """The viewer's live bookings not yet over (and items still out), soonest first."""
    mine = Booking.objects.filter(community_id=viewer.community_id, member=viewer).select_related("asset", "kit")
    return mine.filter(Q(status__in=LIVE_STATUSES, ends_at__gt=now) | Q(status=BookingStatus.OUT)).order_by(
        "starts_at", "pk"
    )


def my_past(viewer: Member, now: datetime) -> QuerySet[Booking]:
    """The viewer's bookings that are over, cancelled or lapsed, latest first."""
    mine = Booking.objects.filter(community_id=viewer.community_id, member=viewer).select_related("asset", "kit")
    return mine.exclude(Q(status__in=LIVE_STATUSES, ends_at__gt=now) | Q(status=BookingStatus.OUT)).order_by(
        "-starts_at", "-pk"
    )


def find_member(viewer: Member, member_id: int) -> Member | None:
    """An active member of the viewer's community, for booking on their behalf."""
    return Member.objects.filter(community_id=viewer.community_id, pk=member_id, status="active").first()


def members_to_book_for(viewer: Member) -> QuerySet[Member]:
    if not viewer.is_coordinator:
        return Member.objects.none()
    return Member.objects.filter(community_id=viewer.community_id, status="active").order_by("display_name", "pk")


# --- waiting lists -----------------------------------------------------------------------------------------------


def my_waiting(viewer: Member) -> QuerySet[WaitingListEntry]:
    """The viewer's waiting-list places with an open offer, or still waiting for a time to come, oldest first."""
    now = timezone.now()
    return (
        WaitingListEntry.objects.filter(community_id=viewer.community_id, member=viewer)
        .filter(Q(status=WaitingStatus.OFFERED) | Q(status=WaitingStatus.WAITING, starts_at__gt=now))
        .select_related("asset", "offered_booking")
        .order_by("created_at", "pk")
    )


def get_waiting_entry_or_404(viewer: Member, entry_id: int) -> WaitingListEntry:
    entry = (
        WaitingListEntry.objects.filter(community_id=viewer.community_id, member=viewer, pk=entry_id)
        .select_related("asset", "offered_booking", "member__community")
        .first()
    )
    if entry is None:
        raise Http404("No waiting-list place of yours with that number.")
    return entry
