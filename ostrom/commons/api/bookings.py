"""Bookings' JSON API: book an asset or a kit, list and read your bookings, cancel, confirm a hold; the desk's
check-out, check-in and no-show; and waiting lists (join, leave, take up or pass on an offer). Thin adapters over
commons.access.bookings and the bookings actions. Times are ISO 8601 with a zone and come back in UTC."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import BeforeValidator, ConfigDict, Strict

from ostrom.communities.api import MAX_ID, SLUG, PageQuery, Text, error_responses, page_of, whole
from ostrom.communities.domain import DomainError
from ostrom.communities.models import Member
from ostrom.ledger.api import AwareDatetime, BodyId

from ..access import bookings as access
from ..actions import bookings as actions
from ..actions import lending, waiting_list
from ..models import Booking, BookingSource, BookingStatus, WaitingListEntry, WaitingStatus

router = Router(tags=["commons: bookings"])

# The statuses this part's DomainError codes answer with (see api/__init__.py); every other code is a 400. Who may
# book or act is 403; what the community does not have, 404; everything about how things stand now or the times
# asked for (taken, closed, too soon, too long, too far ahead, over a limit) is 409: the same request may succeed
# at another time or for another slot.
ERROR_STATUS: dict[str, int] = {
    "not_allowed_to_book": 403,
    "kit_unknown": 404,
    "asset_unavailable": 409,
    "kit_empty": 409,
    "in_the_past": 409,
    "ends_before_start": 409,
    "lead_time": 409,
    "too_long": 409,
    "monthly_limit": 409,
    "overdue_block": 409,
    "under_maintenance": 409,
    "outside_opening_hours": 409,
    "overlaps_booking": 409,
    "not_enough_stock": 409,
    "slot_taken": 409,
    "items_out_cap": 409,
    "too_far_ahead": 409,
    "range_too_long": 409,
    "invalid_units": 409,
    "booking_not_held": 409,
    "booking_not_live": 409,
    "booking_not_out": 409,
    "booking_not_cancellable": 409,
    "booking_over": 409,
    "already_started": 409,
    "not_started": 409,
    "too_early": 409,
    "reason_needed": 409,
    "more_than_deposit": 409,
    "no_offer": 409,
    "too_many_waiting_lists": 409,
}

BookingId = Annotated[int, Path(ge=1, le=MAX_ID)]
EntryId = Annotated[int, Path(ge=1, le=MAX_ID)]
AssetSlug = Annotated[str, Path(max_length=60, pattern=SLUG)]
ERRORS = (400, 401, 403, 404, 409, 422)
Units = Annotated[int, Strict(), Field(ge=1, le=actions.MAX_UNITS), BeforeValidator(whole)]
Credits = Annotated[int, Strict(), Field(ge=0, le=10**9), BeforeValidator(whole)]


class CommonsBookingOut(Schema):
    id: int
    asset: str | None = Field(description="The asset's slug, for a booking of an asset.")
    kit: str | None = Field(description="The kit's slug, for a booking of a kit.")
    name: str
    units: int
    starts_at: datetime
    ends_at: datetime
    status: BookingStatus
    source: BookingSource
    purpose: str
    member: int = Field(description="The member's id.")
    booked_by: int | None = Field(description="The coordinator who booked for them, if any.")
    hold_expires_at: datetime | None = Field(description="A held booking lapses at this time unless confirmed.")
    checked_out_at: datetime | None
    checked_in_at: datetime | None
    fee_units: int = Field(description="The fee held or taken, in the asset's currency's smallest unit.")
    deposit_units: int
    overdue_fee_units: int
    instructions: str = Field(description="How to use it; shown once booked.")


class CommonsBookingPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CommonsBookingOut]


class CommonsBookIn(Schema):
    model_config = ConfigDict(extra="forbid")

    starts_at: AwareDatetime
    ends_at: AwareDatetime = Field(description="After the start.")
    units: Units = Field(1, description="How many items (items with a stock); 1 for a space or equipment.")
    purpose: Text(actions.PURPOSE_MAX_CHARS) = ""
    member: BodyId | None = Field(None, description="Coordinators: book for this member (audited).")
    reason: Text(actions.REASON_MAX_CHARS) = Field("", description="Why you book for someone else.")


class CommonsKitBookIn(Schema):
    model_config = ConfigDict(extra="forbid")

    starts_at: AwareDatetime
    ends_at: AwareDatetime
    purpose: Text(actions.PURPOSE_MAX_CHARS) = ""
    member: BodyId | None = Field(None, description="Coordinators: book for this member (audited).")
    reason: Text(actions.REASON_MAX_CHARS) = ""


class CommonsCancelIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Text(actions.REASON_MAX_CHARS) = Field("", description="Needed when cancelling someone else's booking.")


class CommonsCheckInIn(Schema):
    model_config = ConfigDict(extra="forbid")

    deposit_kept_units: Credits = Field(0, description="Part of the deposit kept (damage, a missing part).")
    reason: Text(actions.REASON_MAX_CHARS) = Field("", description="Needed when part of the deposit is kept.")


class CommonsWaitIn(Schema):
    model_config = ConfigDict(extra="forbid")

    starts_at: AwareDatetime
    ends_at: AwareDatetime
    units: Units = 1


class CommonsWaitingOut(Schema):
    id: int
    asset: str
    starts_at: datetime
    ends_at: datetime
    units: int
    status: WaitingStatus
    offered_booking: int | None = Field(description="The held booking offered to you, if any.")
    offer_expires_at: datetime | None


class CommonsWaitingPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CommonsWaitingOut]


def booking_out(booking: Booking) -> dict[str, Any]:
    thing = booking.asset or booking.kit
    amounts = _transfer_amounts(booking.fee_transfer_id, booking.deposit_transfer_id)
    live = booking.status in (BookingStatus.HELD, BookingStatus.CONFIRMED, BookingStatus.OUT)
    return {
        "id": booking.pk,
        "asset": booking.asset.slug if booking.asset_id else None,
        "kit": booking.kit.slug if booking.kit_id else None,
        "name": str(thing),
        "units": booking.units,
        "starts_at": booking.starts_at,
        "ends_at": booking.ends_at,
        "status": booking.status,
        "source": booking.source,
        "purpose": booking.purpose,
        "member": booking.member_id,
        "booked_by": booking.booked_by_id,
        "hold_expires_at": booking.hold_expires_at,
        "checked_out_at": booking.checked_out_at,
        "checked_in_at": booking.checked_in_at,
        "fee_units": amounts.get(booking.fee_transfer_id, 0),
        "deposit_units": amounts.get(booking.deposit_transfer_id, 0),
        "overdue_fee_units": booking.overdue_fee_units,
        "instructions": booking.asset.instructions if live and booking.asset_id else "",
    }


def _transfer_amounts(*ids: int | None) -> dict[int, int]:
    from ostrom.ledger.models import Transfer

    wanted = [pk for pk in ids if pk]
    return dict(Transfer.objects.filter(pk__in=wanted).values_list("pk", "amount")) if wanted else {}


def waiting_out(entry: WaitingListEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "asset": entry.asset.slug,
        "starts_at": entry.starts_at,
        "ends_at": entry.ends_at,
        "units": entry.units,
        "status": entry.status,
        "offered_booking": entry.offered_booking_id,
        "offer_expires_at": entry.offer_expires_at,
    }


def _member_and_booker(viewer: Member, member_id: int | None) -> tuple[Member, Member | None]:
    if member_id is None or member_id == viewer.pk:
        return viewer, None
    if not viewer.is_coordinator:
        raise DomainError("not_allowed", "Only a coordinator can book for someone else.", "member")
    member = access.find_member(viewer, member_id)
    if member is None:
        raise DomainError("member_unknown", "There is no such active member in this community.", "member")
    return member, viewer


@router.post("/commons/assets/{asset_slug}/bookings", response={201: CommonsBookingOut, **error_responses(*ERRORS)})
def book_asset(request: HttpRequest, asset_slug: AssetSlug, payload: CommonsBookIn) -> Status:
    """Book an asset first come, first served. Refusals say why with a stable code: a taken time is 409
    overlaps_booking (or not_enough_stock, or slot_taken when someone took it a moment before), and the demand is
    counted; join the waiting list for it with POST .../waiting-list. Held (status held) when the asset holds
    bookings until they are confirmed or picked up."""
    viewer: Member = request.auth
    asset = access.get_asset_or_404(viewer, asset_slug)
    member, booked_by = _member_and_booker(viewer, payload.member)
    booking = actions.book(
        member, asset, payload.starts_at, payload.ends_at, units=payload.units, purpose=payload.purpose,
        booked_by=booked_by, reason=payload.reason,
    )  # fmt: skip
    return Status(201, booking_out(booking))


@router.post("/commons/kits/{kit_slug}/bookings", response={201: CommonsBookingOut, **error_responses(*ERRORS)})
def book_kit(request: HttpRequest, kit_slug: AssetSlug, payload: CommonsKitBookIn) -> Status:
    """Book every item of a kit at once, or nothing (the refusal names the item that is not free)."""
    viewer: Member = request.auth
    kit = access.get_kit_or_404(viewer, kit_slug)
    member, booked_by = _member_and_booker(viewer, payload.member)
    booking = actions.book_kit(
        member, kit, payload.starts_at, payload.ends_at, purpose=payload.purpose, booked_by=booked_by,
        reason=payload.reason,
    )  # fmt: skip
    return Status(201, booking_out(booking))


@router.get("/commons/bookings", response={200: CommonsBookingPage, **error_responses(401, 422)})
def list_bookings(request: HttpRequest, page: Query[PageQuery]) -> dict[str, Any]:
    """Your bookings not yet over (and anything you have out), soonest first."""
    result = page_of(access.my_upcoming(request.auth, timezone.now()), page)
    result["items"] = [booking_out(booking) for booking in result["items"]]
    return result


@router.get("/commons/bookings/{booking_id}", response={200: CommonsBookingOut, **error_responses(401, 404, 422)})
def get_booking(request: HttpRequest, booking_id: BookingId) -> dict[str, Any]:
    """One of your bookings (the desk sees those it handles)."""
    return booking_out(access.get_booking_or_404(request.auth, booking_id))


def _act(request: HttpRequest, booking_id: int, do) -> dict[str, Any]:
    booking = access.get_booking_or_404(request.auth, booking_id)
    return booking_out(do(request.auth, booking))


@router.post("/commons/bookings/{booking_id}/cancel", response={200: CommonsBookingOut, **error_responses(*ERRORS)})
def cancel_booking(request: HttpRequest, booking_id: BookingId, payload: CommonsCancelIn) -> dict[str, Any]:
    """Cancel your booking before it starts (or, at the desk, anyone's, with a reason they are told). Fee and
    deposit holds are released and the time goes to the waiting list. Cancelling twice changes nothing."""
    return _act(request, booking_id, lambda viewer, booking: actions.cancel(viewer, booking, payload.reason))


@router.post("/commons/bookings/{booking_id}/confirm", response={200: CommonsBookingOut, **error_responses(*ERRORS)})
def confirm_booking(request: HttpRequest, booking_id: BookingId) -> dict[str, Any]:
    """Confirm a held booking (a waiting-list offer, or one awaiting confirmation) before it lapses."""
    return _act(request, booking_id, actions.confirm_hold)


@router.post("/commons/bookings/{booking_id}/check-out", response={200: CommonsBookingOut, **error_responses(*ERRORS)})
def check_out(request: HttpRequest, booking_id: BookingId) -> dict[str, Any]:
    """The desk hands it over (coordinators, the owner's staff): from half an hour before the start."""
    return _act(request, booking_id, lending.check_out)


@router.post("/commons/bookings/{booking_id}/check-in", response={200: CommonsBookingOut, **error_responses(*ERRORS)})
def check_in(request: HttpRequest, booking_id: BookingId, payload: CommonsCheckInIn) -> dict[str, Any]:
    """The desk takes it back: the fee is taken, the deposit released (or part kept, with a reason), a late return
    pays the daily overdue fee once. Checking in twice changes nothing."""
    return _act(
        request,
        booking_id,
        lambda viewer, booking: lending.check_in(
            viewer, booking, deposit_kept_units=payload.deposit_kept_units, reason=payload.reason
        ),
    )


@router.post("/commons/bookings/{booking_id}/no-show", response={200: CommonsBookingOut, **error_responses(*ERRORS)})
def no_show(request: HttpRequest, booking_id: BookingId) -> dict[str, Any]:
    """The desk marks a booking nobody collected, once it has started."""
    return _act(request, booking_id, actions.mark_no_show)


@router.post("/commons/assets/{asset_slug}/waiting-list", response={201: CommonsWaitingOut, **error_responses(*ERRORS)})
def join_waiting_list(request: HttpRequest, asset_slug: AssetSlug, payload: CommonsWaitIn) -> Status:
    """Wait for a time that is taken: if it comes free you are offered it (a held booking) by text or email."""
    viewer: Member = request.auth
    asset = access.get_asset_or_404(viewer, asset_slug)
    entry = waiting_list.join(viewer, asset, payload.starts_at, payload.ends_at, payload.units)
    return Status(201, waiting_out(entry))


@router.get("/commons/waiting-list", response={200: CommonsWaitingPage, **error_responses(401, 422)})
def my_waiting_list(request: HttpRequest, page: Query[PageQuery]) -> dict[str, Any]:
    """Your places on waiting lists, still waiting or offered."""
    result = page_of(access.my_waiting(request.auth), page)
    result["items"] = [waiting_out(entry) for entry in result["items"]]
    return result


def _waiting(request: HttpRequest, entry_id: int, do) -> dict[str, Any]:
    entry = access.get_waiting_entry_or_404(request.auth, entry_id)
    do(request.auth, entry)
    entry.refresh_from_db()
    return waiting_out(entry)


@router.post("/commons/waiting-list/{entry_id}/leave", response={200: CommonsWaitingOut, **error_responses(*ERRORS)})
def leave_waiting_list(request: HttpRequest, entry_id: EntryId) -> dict[str, Any]:
    """Leave the list (an open offer is passed on to the next)."""
    return _waiting(request, entry_id, waiting_list.leave)


@router.post("/commons/waiting-list/{entry_id}/accept", response={200: CommonsWaitingOut, **error_responses(*ERRORS)})
def accept_offer(request: HttpRequest, entry_id: EntryId) -> dict[str, Any]:
    """Take up the offer: the held booking is confirmed."""
    return _waiting(request, entry_id, waiting_list.accept)


@router.post("/commons/waiting-list/{entry_id}/decline", response={200: CommonsWaitingOut, **error_responses(*ERRORS)})
def decline_offer(request: HttpRequest, entry_id: EntryId) -> dict[str, Any]:
    """Pass on the offer: it goes to the next in line."""
    return _waiting(request, entry_id, waiting_list.decline)
