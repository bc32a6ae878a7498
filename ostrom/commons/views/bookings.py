"""Booking pages, under /c/<slug>/commons/: the booking form for an asset or a kit, my bookings (with waiting-list
places), a booking (its instructions once booked, status, fees, and the buttons that apply), and the desk where
coordinators and owners' staff hand things over and take them back. Thin: load through access, change through
actions, render. Every page works without JavaScript (plain forms, POST then redirect)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_POST

from ostrom.communities import access as community_access
from ostrom.communities.domain import DomainError
from ostrom.communities.forms import add_domain_error
from ostrom.communities.models import Member
from ostrom.ledger.models import Transfer

from ..access import bookings as access
from ..actions import bookings as actions
from ..actions import lending, waiting_list
from ..forms.bookings import BookingForm, CancelForm, CheckInForm, default_times
from ..models import AssetKind, Booking, BookingStatus
from ..notices.bookings import offer_code

LIST_SIZE = 100


def _zone(community) -> ZoneInfo:
    return ZoneInfo(community.time_zone)


# --- booking -----------------------------------------------------------------------------------------------------


@login_required
def book_asset(request: HttpRequest, slug: str, asset_slug: str) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    asset = access.get_asset_or_404(viewer, asset_slug)
    return _book(request, community, viewer, asset=asset)


@login_required
def book_kit(request: HttpRequest, slug: str, kit_slug: str) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    kit = access.get_kit_or_404(viewer, kit_slug)
    return _book(request, community, viewer, kit=kit)


def _book(request: HttpRequest, community, viewer: Member, *, asset=None, kit=None) -> HttpResponse:
    """The booking form: a day and times (as the community's clock reads them), how many for items; a refusal for
    want of a free time offers the waiting list."""
    zone = _zone(community)
    form = BookingForm(
        request.POST or None,
        zone=zone,
        items=asset is not None and asset.kind == AssetKind.ITEMS,
        members=access.members_to_book_for(viewer),
        initial=default_times(timezone.now(), zone),
    )
    waiting = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        member = data.get("member") or viewer
        booked_by = viewer if member.pk != viewer.pk else None
        try:
            if asset is not None:
                booking = actions.book(
                    member, asset, data["starts_at"], data["ends_at"], units=data.get("units") or 1,
                    purpose=data["purpose"], booked_by=booked_by, reason=data.get("reason") or "",
                )  # fmt: skip
            else:
                booking = actions.book_kit(
                    member, kit, data["starts_at"], data["ends_at"], purpose=data["purpose"], booked_by=booked_by,
                    reason=data.get("reason") or "",
                )  # fmt: skip
        except DomainError as error:
            add_domain_error(form, error)
            if error.code in actions.UNMET and asset is not None and member.pk == viewer.pk:
                waiting = {
                    "starts_at": data["starts_at"].isoformat(),
                    "ends_at": data["ends_at"].isoformat(),
                    "units": data.get("units") or 1,
                }
        else:
            messages.success(request, _booked_text(booking))
            return redirect("commons-booking", community.slug, booking.pk)
    context = {
        "community": community,
        "membership": viewer,
        "asset": asset,
        "kit": kit,
        "kit_items": kit.items.select_related("asset") if kit else None,
        "form": form,
        "waiting": waiting,
    }
    return render(request, "commons/bookings/book.html", context, status=400 if form.errors else 200)


def _booked_text(booking: Booking) -> str:
    thing = booking.asset or booking.kit
    if booking.status == BookingStatus.HELD:
        return f"{thing} is held for you. Please confirm it (or pick it up) before the hold runs out."
    return f"{thing} is booked."


# --- my bookings and one booking ---------------------------------------------------------------------------------


@login_required
def my_bookings(request: HttpRequest, slug: str) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    now = timezone.now()
    context = {
        "community": community,
        "membership": viewer,
        "upcoming": list(access.my_upcoming(viewer, now)[:LIST_SIZE]),
        "past": list(access.my_past(viewer, now)[:LIST_SIZE]),
        "waiting": list(access.my_waiting(viewer)),
        "now": now,
        "can_run_desk": access.can_run_desk(viewer),
    }
    return render(request, "commons/bookings/mine.html", context)


@login_required
def booking_detail(request: HttpRequest, slug: str, booking_id: int) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    booking = access.get_booking_or_404(viewer, booking_id)
    now = timezone.now()
    own = booking.member_id == viewer.pk
    desk = access.can_manage_booking(viewer, booking)
    live = booking.status in (BookingStatus.HELD, BookingStatus.CONFIRMED)
    money = [
        (label, Transfer.objects.filter(pk=transfer_id).select_related("currency").first())
        for label, transfer_id in (
            ("Fee", booking.fee_transfer_id),
            ("Deposit", booking.deposit_transfer_id),
            ("Overdue fee", booking.overdue_fee_transfer_id),
        )
        if transfer_id
    ]
    context = {
        "community": community,
        "membership": viewer,
        "booking": booking,
        "thing": booking.asset or booking.kit,
        "own": own,
        "desk": desk,
        "money": money,
        "can_confirm": live and booking.status == BookingStatus.HELD and (own or desk),
        "can_cancel": live and ((own and booking.starts_at > now) or desk),
        "can_check_out": desk and live and now >= booking.starts_at - actions.EARLY_PICKUP and now < booking.ends_at,
        "can_check_in": desk and booking.status == BookingStatus.OUT,
        "can_no_show": desk and live and booking.starts_at <= now,
        "show_instructions": booking.status in (BookingStatus.HELD, BookingStatus.CONFIRMED, BookingStatus.OUT),
        "instructions": _instructions(booking),
        "overdue": booking.status == BookingStatus.OUT and booking.ends_at < now,
        "offer_code": offer_code(booking) if booking.status == BookingStatus.HELD else None,
        "cancel_form": CancelForm(prefix="cancel"),
        "check_in_form": CheckInForm(prefix="check_in") if booking.status == BookingStatus.OUT else None,
    }
    return render(request, "commons/bookings/detail.html", context)


def _instructions(booking: Booking) -> list[tuple[str, str]]:
    if booking.asset_id:
        return [(booking.asset.name, booking.asset.instructions)] if booking.asset.instructions else []
    items = booking.kit.items.select_related("asset")
    return [(item.asset.name, item.asset.instructions) for item in items if item.asset.instructions]


def _act(request: HttpRequest, slug: str, booking_id: int, do, done: str) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    booking = access.get_booking_or_404(viewer, booking_id)
    try:
        do(viewer, booking)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    if request.POST.get("next") == "desk":  # pressed on the desk's list: back to the desk
        return redirect("commons-desk", community.slug)
    return redirect("commons-booking", community.slug, booking.pk)


@login_required
@require_POST
def booking_confirm(request: HttpRequest, slug: str, booking_id: int) -> HttpResponse:
    return _act(request, slug, booking_id, actions.confirm_hold, "Confirmed: it is yours.")


@login_required
@require_POST
def booking_cancel(request: HttpRequest, slug: str, booking_id: int) -> HttpResponse:
    form = CancelForm(request.POST, prefix="cancel")
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _act(
        request, slug, booking_id, lambda viewer, booking: actions.cancel(viewer, booking, reason), "Cancelled."
    )


@login_required
@require_POST
def booking_check_out(request: HttpRequest, slug: str, booking_id: int) -> HttpResponse:
    return _act(request, slug, booking_id, lending.check_out, "Checked out: handed over.")


@login_required
@require_POST
def booking_check_in(request: HttpRequest, slug: str, booking_id: int) -> HttpResponse:
    form = CheckInForm(request.POST, prefix="check_in")
    if not form.is_valid():
        community, _viewer = community_access.community_and_member(request.user, slug)
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("commons-booking", community.slug, booking_id)
    kept, reason = form.cleaned_data["deposit_kept_units"] or 0, form.cleaned_data["reason"]
    return _act(
        request,
        slug,
        booking_id,
        lambda viewer, booking: lending.check_in(viewer, booking, deposit_kept_units=kept, reason=reason),
        "Checked in: it is back.",
    )


@login_required
@require_POST
def booking_no_show(request: HttpRequest, slug: str, booking_id: int) -> HttpResponse:
    return _act(request, slug, booking_id, actions.mark_no_show, "Marked as a no-show; the time is free again.")


# --- the desk ----------------------------------------------------------------------------------------------------


@login_required
def desk(request: HttpRequest, slug: str) -> HttpResponse:
    """Today's pickups and returns, what is overdue, and bookings nobody collected."""
    community, viewer = community_access.community_and_member(request.user, slug)
    if not access.can_run_desk(viewer):
        raise Http404("The desk is for coordinators and the owners' staff.")
    now = timezone.now()
    local = now.astimezone(_zone(community))
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    # The next local midnight (a day with a clock change is 23 or 25 hours long).
    day_end = (day_start + timedelta(days=1, hours=2)).replace(hour=0).astimezone(ZoneInfo("UTC"))
    bookings = access.desk_bookings(viewer)
    live = [BookingStatus.HELD, BookingStatus.CONFIRMED]
    context = {
        "community": community,
        "membership": viewer,
        "today": local.date(),
        "pickups": list(
            bookings.filter(status__in=live, starts_at__gte=now, starts_at__lt=day_end).order_by("starts_at")[
                :LIST_SIZE
            ]
        ),
        "missed": list(bookings.filter(status__in=live, starts_at__lt=now).order_by("starts_at")[:LIST_SIZE]),
        "returns": list(
            bookings.filter(status=BookingStatus.OUT, ends_at__gte=now, ends_at__lt=day_end).order_by("ends_at")[
                :LIST_SIZE
            ]
        ),
        "overdue": list(bookings.filter(status=BookingStatus.OUT, ends_at__lt=now).order_by("ends_at")[:LIST_SIZE]),
        "waiting": list(
            access.desk_waiting(viewer).filter(ends_at__gt=now).order_by("starts_at", "created_at")[:LIST_SIZE]
        ),
    }
    return render(request, "commons/bookings/desk.html", context)


# --- waiting lists -----------------------------------------------------------------------------------------------


@login_required
@require_POST
def waiting_join(request: HttpRequest, slug: str, asset_slug: str) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    asset = access.get_asset_or_404(viewer, asset_slug)
    try:
        starts_at = datetime.fromisoformat(request.POST.get("starts_at", ""))
        ends_at = datetime.fromisoformat(request.POST.get("ends_at", ""))
        units = int(request.POST.get("units", "1"))
        waiting_list.join(viewer, asset, starts_at, ends_at, units)
    except (ValueError, OverflowError):
        messages.error(request, "That time could not be read; please book again.")
        return redirect("commons-book-asset", community.slug, asset.slug)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("commons-book-asset", community.slug, asset.slug)
    messages.success(request, f"You are on the waiting list for {asset.name}. We will tell you if it comes free.")
    return redirect("commons-my-bookings", community.slug)


def _waiting_act(request: HttpRequest, slug: str, entry_id: int, do, done: str) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    entry = access.get_waiting_entry_or_404(viewer, entry_id)
    try:
        do(viewer, entry)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("commons-my-bookings", community.slug)


@login_required
@require_POST
def waiting_leave(request: HttpRequest, slug: str, entry_id: int) -> HttpResponse:
    return _waiting_act(request, slug, entry_id, waiting_list.leave, "You have left the waiting list.")


@login_required
@require_POST
def waiting_accept(request: HttpRequest, slug: str, entry_id: int) -> HttpResponse:
    return _waiting_act(request, slug, entry_id, waiting_list.accept, "It is yours: the booking is confirmed.")


@login_required
@require_POST
def waiting_decline(request: HttpRequest, slug: str, entry_id: int) -> HttpResponse:
    return _waiting_act(request, slug, entry_id, waiting_list.decline, "You passed; it goes to the next in line.")


urlpatterns: list[URLPattern] = [
    path("assets/<slug:asset_slug>/book/", book_asset, name="commons-book-asset"),
    path("kits/<slug:kit_slug>/book/", book_kit, name="commons-book-kit"),
    path("bookings/", my_bookings, name="commons-my-bookings"),
    path("bookings/<int:booking_id>/", booking_detail, name="commons-booking"),
    path("bookings/<int:booking_id>/confirm/", booking_confirm, name="commons-booking-confirm"),
    path("bookings/<int:booking_id>/cancel/", booking_cancel, name="commons-booking-cancel"),
    path("bookings/<int:booking_id>/check-out/", booking_check_out, name="commons-booking-check-out"),
    path("bookings/<int:booking_id>/check-in/", booking_check_in, name="commons-booking-check-in"),
    path("bookings/<int:booking_id>/no-show/", booking_no_show, name="commons-booking-no-show"),
    path("desk/", desk, name="commons-desk"),
    path("assets/<slug:asset_slug>/waiting-list/", waiting_join, name="commons-waiting-join"),
    path("waiting-list/<int:entry_id>/leave/", waiting_leave, name="commons-waiting-leave"),
    path("waiting-list/<int:entry_id>/accept/", waiting_accept, name="commons-waiting-accept"),
    path("waiting-list/<int:entry_id>/decline/", waiting_decline, name="commons-waiting-decline"),
]
