"""Bookings by text message: ``BOOKINGS`` lists the sender's next bookings, and ``YES B123`` / ``NO B123`` take up
or pass on a waiting-list offer (or confirm a held booking). The offer's code is "B" and the booking's number, which
can never be one of notify's four-digit codes nor the marketplace's six-digit ones, so notify asks this module
about it first (a code answerer) and gets None for every other code. The same actions as the web's answer both."""

from __future__ import annotations

from django.utils import timezone

from ostrom.communities.domain import DomainError, Status
from ostrom.notify import registry
from ostrom.notify.domain import sms_text
from ostrom.notify.domain.sms_commands import CommandSpec, ParsedCommand
from ostrom.notify.registry import SmsCommand, SmsContext, SmsReply

from ..access import bookings as access
from ..actions import bookings as actions
from ..actions import waiting_list
from ..models import Booking, BookingStatus, WaitingListEntry, WaitingStatus
from ..notices.bookings import booking_id_of, offer_code, what, when

BOOKINGS = CommandSpec("BOOKINGS", aliases=("BOOKED",), summary="list my next bookings")
ANSWERER = "commons.booking_offer"
# A text holds about three bookings; the page has the rest.
MAX_LISTED = 3


def register() -> None:
    """Add BOOKINGS and the offer codes' answerer to notify's registry; safe to call twice."""
    registry.register_command(SmsCommand(BOOKINGS, list_bookings))
    registry.register_code_answerer(ANSWERER, answer_code)


def list_bookings(context: SmsContext, command: ParsedCommand) -> SmsReply:
    """BOOKINGS: the sender's next live bookings in this community, and anything they have out."""
    member = context.member
    if member is None:  # the dispatcher only calls member commands for members; this is a guard
        raise DomainError("member_unknown", "This number is not linked to a member.")
    upcoming = list(access.my_upcoming(member, timezone.now())[: MAX_LISTED + 1])
    if not upcoming:
        return SmsReply("You have no bookings coming up.")
    parts = [_describe(booking) for booking in upcoming[:MAX_LISTED]]
    more = " More on the website." if len(upcoming) > MAX_LISTED else ""
    return SmsReply(sms_text.fit_one("; ".join(parts) + "." + more))


def _describe(booking: Booking) -> str:
    member = booking.member
    if booking.status == BookingStatus.OUT:
        return f"{what(booking)} out, due back {when(booking.ends_at, member)}"
    text = f"{what(booking)} {when(booking.starts_at, member)}"
    if booking.status == BookingStatus.HELD:
        code = offer_code(booking)
        text += f" (held: reply YES {code} to keep it)" if code else " (held: confirm it on the website)"
    return text


def answer_code(context: SmsContext, code: str, accept: bool) -> str | None:
    """YES/NO B<number>: keep or pass on a held booking of the sender's; None for codes that are not ours (or name
    someone else's booking, which then reads as unknown, revealing nothing)."""
    booking_id = booking_id_of(code)
    if booking_id is None or context.user is None:
        return None
    booking = (
        Booking.objects.filter(pk=booking_id, member__user=context.user, member__status=Status.ACTIVE)
        .select_related("member__community", "member__user", "asset", "kit")
        .first()
    )
    if booking is None:
        return None
    member = booking.member
    if accept:
        actions.confirm_hold(member, booking)
        return sms_text.fit_one(f"Done: {what(booking)} {when(booking.starts_at, member)} is yours.")
    entry = WaitingListEntry.objects.filter(offered_booking=booking, status=WaitingStatus.OFFERED).first()
    if entry is not None:
        waiting_list.decline(member, entry)
    elif booking.status in (BookingStatus.HELD, BookingStatus.CONFIRMED):
        actions.cancel(member, booking)
    return sms_text.fit_one(f"OK, you passed on {what(booking)}. It goes to the next in line.")
