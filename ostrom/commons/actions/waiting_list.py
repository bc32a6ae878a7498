"""Waiting lists: someone refused because the time was taken joins the asset's list for that time; when units free
up (a cancellation, an early return, a lapsed hold, a no-show) the first in line whose wish now fits every rule is
offered it: a held booking that keeps the units until ``offer_expires_at`` (12 hours, never past the start), sent by
SMS or email with a YES reply and a button on the page. Accepting confirms the booking; declining or letting it
lapse offers it to the next in line."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ostrom.communities.domain import DomainError
from ostrom.communities.models import Member

from ..domain.booking_rules import Period
from ..models import (
    Asset,
    AssetKind,
    Booking,
    BookingSource,
    BookingStatus,
    WaitingListEntry,
    WaitingStatus,
)
from ..notices import bookings as notices
from . import bookings

OFFER_FOR = timedelta(hours=12)
# An offer shorter than this is not worth sending: nobody could act on it.
MIN_OFFER = timedelta(minutes=15)
# Limits: how many places one member may hold on waiting lists, and how many entries one freed slot looks at.
MAX_WAITING_PER_MEMBER = 20
MAX_LOOKED_AT = 50
MAX_WISH_MINUTES = 366 * 24 * 60


def join(member: Member, asset: Asset, starts_at: datetime, ends_at: datetime, units: int = 1) -> WaitingListEntry:
    """Put the member on the asset's waiting list for that time; asking again for the same time changes nothing."""
    if not member.is_active or member.community_id != asset.community_id or not asset.is_active:
        raise DomainError("not_allowed", "Only active members of this community can join its waiting lists.")
    bookings.check_horizon(starts_at, ends_at, timezone.now())
    wish = Period(starts_at, ends_at)
    bookings._check_units_given(units)
    if asset.kind != AssetKind.ITEMS and units != 1:
        raise DomainError("invalid_units", f"{asset.name} is booked whole: ask for 1.", "units")
    if units > asset.stock:
        raise DomainError("not_enough_stock", f"There are only {asset.stock} of these.", "units")
    if wish.minutes > MAX_WISH_MINUTES:
        raise DomainError("too_long", "Wait for at most 366 days at a time.", "end")
    with transaction.atomic():
        same = WaitingListEntry.objects.filter(
            member=member, asset=asset, starts_at=starts_at, ends_at=ends_at,
            status__in=[WaitingStatus.WAITING, WaitingStatus.OFFERED],
        ).first()  # fmt: skip
        if same is not None:
            return same
        waiting = WaitingListEntry.objects.filter(
            member=member, status__in=[WaitingStatus.WAITING, WaitingStatus.OFFERED]
        ).count()
        if waiting >= MAX_WAITING_PER_MEMBER:
            raise DomainError(
                "too_many_waiting_lists", f"You are on {waiting} waiting lists already; please leave one first."
            )
        return WaitingListEntry.objects.create(
            community_id=asset.community_id, asset=asset, member=member, starts_at=starts_at, ends_at=ends_at,
            units=units,
        )  # fmt: skip


def leave(member: Member, entry: WaitingListEntry) -> WaitingListEntry:
    """Leave a waiting list (an offer open to you is declined, and goes to the next)."""
    if entry.member_id != member.pk:
        raise DomainError("not_allowed", "That is someone else's place on the list.")
    if entry.status == WaitingStatus.OFFERED and entry.offered_booking_id:
        return decline(member, entry)
    if entry.status != WaitingStatus.WAITING:
        return entry
    now = timezone.now()
    WaitingListEntry.objects.filter(pk=entry.pk, status=WaitingStatus.WAITING).update(
        status=WaitingStatus.CANCELLED, updated_at=now
    )
    entry.refresh_from_db()
    return entry


def accept(member: Member, entry: WaitingListEntry) -> Booking:
    """Take up an offer: the held booking is confirmed (the same as confirming any hold)."""
    if entry.member_id != member.pk:
        raise DomainError("not_allowed", "That offer was made to someone else.")
    if entry.status != WaitingStatus.OFFERED or entry.offered_booking_id is None:
        raise DomainError("no_offer", "There is no open offer on this place in the list.")
    return bookings.confirm_hold(member, entry.offered_booking)


def decline(member: Member, entry: WaitingListEntry) -> WaitingListEntry:
    """Turn an offer down: its booking is released and offered to the next in line."""
    if entry.member_id != member.pk:
        raise DomainError("not_allowed", "That offer was made to someone else.")
    if entry.status != WaitingStatus.OFFERED or entry.offered_booking_id is None:
        raise DomainError("no_offer", "There is no open offer on this place in the list.")
    with transaction.atomic():
        booking = bookings.lock(entry.offered_booking)
        if booking.status != BookingStatus.HELD:
            raise DomainError("no_offer", "This offer is no longer open.")
        now = timezone.now()
        bookings.end(booking, BookingStatus.CANCELLED, now, reason="Offer declined.")
        from . import lending

        lending.release_money(booking, actor=member.user, reason="Offer declined.")
        WaitingListEntry.objects.filter(pk=entry.pk).update(status=WaitingStatus.DECLINED, updated_at=now)
        booking_ended(booking)
    entry.refresh_from_db()
    return entry


# --- what other actions call -------------------------------------------------------------------------------------


def offer_accepted(booking: Booking) -> None:
    """A held booking was confirmed or picked up: if it was an offer, its entry is accepted."""
    if booking.source == BookingSource.WAITING_LIST:
        WaitingListEntry.objects.filter(offered_booking=booking, status=WaitingStatus.OFFERED).update(
            status=WaitingStatus.ACCEPTED, updated_at=timezone.now()
        )


def offer_lapsed(booking: Booking) -> None:
    """A held offer expired unanswered: its entry lapses (the freed time goes to the next: booking_ended)."""
    if booking.source == BookingSource.WAITING_LIST:
        WaitingListEntry.objects.filter(offered_booking=booking, status=WaitingStatus.OFFERED).update(
            status=WaitingStatus.LAPSED, updated_at=timezone.now()
        )


def booking_ended(booking: Booking) -> list[WaitingListEntry]:
    """Units of ``booking`` came free: offer them to the waiting lists of the assets it took."""
    assets = {booking.asset} if booking.asset_id else {item.asset for item in booking.kit.items.select_related("asset")}
    offered = []
    for asset in sorted(assets, key=lambda a: a.pk):
        offered += offer_freed(asset)
    return offered


def offer_freed(asset: Asset, now: datetime | None = None) -> list[WaitingListEntry]:
    """Offer freed time to the waiting list, first in line first: every entry whose wish now fits every rule gets
    a held booking (in a savepoint, so one that does not fit leaves nothing behind) and a message."""
    now = now or timezone.now()
    entries = WaitingListEntry.objects.filter(
        asset=asset, status=WaitingStatus.WAITING, starts_at__gt=now + MIN_OFFER
    ).select_related("member__community", "member__user", "asset__community")
    offered = []
    for entry in entries.order_by("created_at", "pk")[:MAX_LOOKED_AT]:
        until = min(now + OFFER_FOR, entry.starts_at)
        try:
            with transaction.atomic():
                booking = bookings._booked(
                    entry.member, [bookings.Wanted(entry.asset, entry.units)], entry.starts_at, entry.ends_at,
                    asset=entry.asset, purpose="", booked_by=None, reason="", source=BookingSource.WAITING_LIST,
                    hold_until=until,
                )  # fmt: skip
                entry.status, entry.offered_booking, entry.offer_expires_at, entry.updated_at = (
                    WaitingStatus.OFFERED, booking, until, now
                )  # fmt: skip
                entry.save(update_fields=["status", "offered_booking", "offer_expires_at", "updated_at"])
                notices.waiting_offer(entry)
        except DomainError:
            continue  # still taken, or a rule no longer lets them book it: the next in line may fit
        offered.append(entry)
    return offered
