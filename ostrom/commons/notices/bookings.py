"""What bookings tell people, through notify's outbox (written in the action's transaction, sent after commit):
the day-before reminder, the return reminder, the daily overdue reminder, a waiting-list offer (answer YES <code>),
a booking a coordinator made or cancelled for you; and the digest's "Your upcoming bookings"."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.urls import reverse

from ostrom.communities.models import Member
from ostrom.ledger.notices import fit_memo, short
from ostrom.notify import registry
from ostrom.notify.actions import outbox
from ostrom.notify.registry import DigestSection, MessageKind

from ..models import LIVE_STATUSES, Booking, BookingStatus, WaitingListEntry

REMINDER = MessageKind("commons.booking_reminder", "A reminder the day before a booking", default_channel="sms")
RETURN_REMINDER = MessageKind(
    "commons.return_reminder", "A reminder before something is due back", default_channel="sms"
)
OVERDUE = MessageKind("commons.overdue", "Something you borrowed is overdue", default_channel="sms")
WAITING_OFFER = MessageKind("commons.waiting_offer", "A time you waited for came free", default_channel="sms")
BOOKED_FOR_YOU = MessageKind("commons.booked_for_you", "A coordinator booked something for you")
CANCELLED_FOR_YOU = MessageKind("commons.booking_cancelled", "A booking of yours was cancelled", default_channel="sms")
KINDS = (REMINDER, RETURN_REMINDER, OVERDUE, WAITING_OFFER, BOOKED_FOR_YOU, CANCELLED_FOR_YOU)
UPCOMING_SECTION = "commons.upcoming_bookings"
# The digest looks two weeks ahead and lists at most this many: the "my bookings" page has the rest.
UPCOMING_WINDOW = timedelta(days=14)
MAX_UPCOMING = 5
MAX_NAME_CHARS = 40
# A waiting-list offer is answered YES <code>: "B" and the booking's number (at least three digits), so it can never
# be one of notify's four-digit codes or the marketplace's six-digit ones.
OFFER_CODE_PREFIX = "B"
MAX_OFFER_CODE_ID = 9_999_999


def register() -> None:
    """Add the bookings' message kinds and the "Your upcoming bookings" digest section to notify's registry."""
    for kind in KINDS:
        registry.register_kind(kind)
    registry.register_digest_section(DigestSection(UPCOMING_SECTION, "Your upcoming bookings", 50, upcoming_lines))


def when(moment: datetime, member: Member) -> str:
    """A time as the community reads it: "Saturday 14 June, 10:00"."""
    local = moment.astimezone(ZoneInfo(member.community.time_zone))
    return f"{local:%A} {local.day} {local:%B}, {local:%H:%M}"


def what(booking: Booking) -> str:
    """What was booked, in a few words: "Cordless drill" or "2 × Cordless drill" or "Party kit"."""
    thing = booking.asset or booking.kit
    name = short(str(thing), MAX_NAME_CHARS)
    return f"{booking.units} x {name}" if booking.units > 1 else name


def offer_code(booking: Booking) -> str | None:
    """The code a waiting-list offer is answered with (YES B123), or None past the codes SMS can carry."""
    if booking.pk > MAX_OFFER_CODE_ID:
        return None
    return f"{OFFER_CODE_PREFIX}{booking.pk:03d}"


def booking_id_of(code: str) -> int | None:
    """The booking a code names, if it has the shape of an offer code."""
    code = code.strip().upper()
    if len(code) < 4 or not code.startswith(OFFER_CODE_PREFIX) or not code[1:].isdigit() or not code.isascii():
        return None
    return int(code[1:])


def _page(booking: Booking) -> str:
    return reverse("commons-booking", kwargs={"slug": booking.community.slug, "booking_id": booking.pk})


def booking_reminder(booking: Booking) -> None:
    member = booking.member
    at = when(booking.starts_at, member)
    subject = f"Tomorrow: {what(booking)}"
    body = (
        f"Hello {member.display_name},\n\nA reminder: you have booked {what(booking)} from {at} to "
        f"{when(booking.ends_at, member)}.\nThe details and how to cancel: {_page(booking)}"
    )
    if booking.status == BookingStatus.HELD:
        body += "\nIt is held for you until it is confirmed or picked up; please confirm it on its page."
    sms = fit_memo("Reminder: ", what(booking), f" booked {at}. Can't use it? Cancel on the booking page.")
    outbox.notify(member, REMINDER.key, subject=subject, body=body, sms_body=sms)


def return_reminder(booking: Booking) -> None:
    member = booking.member
    due = when(booking.ends_at, member)
    subject = f"Due back {due}: {what(booking)}"
    body = f"Hello {member.display_name},\n\n{what(booking)} is due back {due}. Thank you for bringing it back on time."
    sms = fit_memo("", what(booking), f" is due back {due}. Thanks!")
    outbox.notify(member, RETURN_REMINDER.key, subject=subject, body=body, sms_body=sms)


def overdue_reminder(booking: Booking, now: datetime) -> None:
    member = booking.member
    due = when(booking.ends_at, member)
    fee = ""
    asset = booking.asset
    if asset is not None and asset.daily_overdue_fee_units:
        fee = f" A fee of {asset.daily_overdue_fee_units * booking.units} credits is due for each day late."
    subject = f"Overdue: {what(booking)}"
    body = (
        f"Hello {member.display_name},\n\n{what(booking)} was due back {due}. Please bring it back as soon as you "
        f"can; others are waiting.{fee}"
    )
    sms = fit_memo("", what(booking), f" was due back {due}. Please return it soon.{fee}")
    key = f"commons.overdue:{booking.pk}:{now.astimezone(ZoneInfo(member.community.time_zone)).date()}"
    outbox.notify(member, OVERDUE.key, subject=subject, body=body, sms_body=sms, dedupe_key=key)


def waiting_offer(entry: WaitingListEntry) -> None:
    """Tell the first in line that the time they waited for is theirs if they answer in time."""
    booking, member = entry.offered_booking, entry.member
    by = when(entry.offer_expires_at, member)
    code = offer_code(booking)
    reply = f" Reply YES {code} to take it or NO {code} to pass" if code else " Take it on its page"
    subject = f"It came free: {what(booking)}"
    body = (
        f"Hello {member.display_name},\n\n{what(booking)} came free for the time you waited for: "
        f"{when(booking.starts_at, member)} to {when(booking.ends_at, member)}. It is held for you until {by}.\n"
        f"Take it or pass on its page ({_page(booking)})"
        + (f", or text YES {code} to take it, NO {code} to pass." if code else ".")
    )
    sms = fit_memo("Came free: ", what(booking), f" {when(booking.starts_at, member)}.{reply} by {by}.")
    outbox.notify(member, WAITING_OFFER.key, subject=subject, body=body, sms_body=sms)


def booked_for_you(booking: Booking) -> None:
    member = booking.member
    by = booking.booked_by.display_name if booking.booked_by_id else "A coordinator"
    subject = f"Booked for you: {what(booking)}"
    body = (
        f"Hello {member.display_name},\n\n{by} booked {what(booking)} for you, from "
        f"{when(booking.starts_at, member)} to {when(booking.ends_at, member)}. Details: {_page(booking)}"
    )
    outbox.notify(member, BOOKED_FOR_YOU.key, subject=subject, body=body)


def cancelled_for_you(booking: Booking) -> None:
    member = booking.member
    at = when(booking.starts_at, member)
    subject = f"Cancelled: {what(booking)}"
    body = f"Hello {member.display_name},\n\nYour booking of {what(booking)} on {at} was cancelled."
    if booking.cancel_reason:
        body += f"\nThe reason given: “{booking.cancel_reason}”"
    sms = fit_memo("Cancelled: your booking of ", what(booking), f" {at}.")
    outbox.notify(member, CANCELLED_FOR_YOU.key, subject=subject, body=body, sms_body=sms)


def upcoming_lines(member: Member, start: datetime, end: datetime) -> list[str]:
    """The member's live bookings starting within two weeks of the digest, and anything they have out."""
    bookings = list(
        Booking.objects.filter(member=member)
        .filter(
            Q(status__in=LIVE_STATUSES, starts_at__gte=end, starts_at__lt=end + UPCOMING_WINDOW)
            | Q(status=BookingStatus.OUT)
        )
        .select_related("asset", "kit", "member__community")
        .order_by("starts_at", "pk")[:MAX_UPCOMING]
    )
    return [_line(booking, member, end) for booking in bookings]


def _line(booking: Booking, member: Member, now: datetime) -> str:
    if booking.status == BookingStatus.OUT:
        due = when(booking.ends_at, member)
        late = " It is overdue: please bring it back." if booking.ends_at < now else ""
        return f"{what(booking)}: you have it out, due back {due}.{late}"
    line = f"{when(booking.starts_at, member)}: {what(booking)} until {when(booking.ends_at, member)}."
    if booking.status == BookingStatus.HELD:
        return f"{line} Held for you: please confirm it."
    return line
