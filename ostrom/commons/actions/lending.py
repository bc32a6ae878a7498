"""Lending at the desk and the money around it: check-out and check-in, fees and deposits in community credits
as ledger holds, the daily overdue fee, and the daily overdue reminders.

Money: when a booking is made, its fee and its deposit (each ``units`` times the asset's) are held in the ledger
(pending transfers) from the member's account to the owner's: the owner organisation's account, or the currency's
fees account when the community owns the asset. At check-in the fee is taken (posted) and the deposit released
(voided), or part of it taken by the desk with a reason; a no-show pays the fee and gets the deposit back; a
cancellation releases both. Ledger holds last at most 90 days (ledger MAX_HOLD_DAYS), so they are set to expire a
week after the booking ends (MONEY_HOLD_GRACE) and a booking with money too far ahead is refused in words. Should a
hold have lapsed by check-in (an item returned weeks late), the fee is charged as a plain transfer instead.

Every ledger call's key is derived from the booking (uuid5 of its id and the purpose), so a retry -- a desk double
click, a task run twice -- never charges twice: the ledger answers a known key with the first result."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from ostrom.communities.actions import audit
from ostrom.communities.domain import DomainError
from ostrom.communities.models import Member, User
from ostrom.ledger import actions as ledger
from ostrom.ledger.actions.transfers import MAX_HOLD_DAYS
from ostrom.ledger.models import Account, AccountKind, Transfer

from ..domain import booking_rules as rules
from ..models import Asset, Booking, BookingStatus, BookingUnit
from ..notices import bookings as notices

if TYPE_CHECKING:
    from .bookings import Wanted

# uuid5 namespace for every key the commons' bookings give the ledger.
KEYS = uuid.UUID("0b7f4b8e-3c1d-5a7e-9f2b-6d4c8e1a2b3c")
MONEY_HOLD_GRACE = timedelta(days=7)
REASON_MAX_CHARS = 200


def key_for(booking: Booking, purpose: str) -> uuid.UUID:
    """The ledger key of one money movement of a booking: the same booking and purpose always give the same key."""
    return uuid.uuid5(KEYS, f"commons.booking:{booking.pk}:{purpose}")


# --- holds when booked -------------------------------------------------------------------------------------------


def hold_money(booking: Booking, wanted: list[Wanted]) -> None:
    """Hold the fee and deposit of an asset's booking (kits are lent without money in this version). Called inside
    the booking's transaction: a ledger refusal (not enough credits) refuses the booking."""
    if booking.asset_id is None or len(wanted) != 1:
        return
    asset = wanted[0].asset
    fee, deposit = asset.fee_units * booking.units, asset.deposit_units * booking.units
    if asset.currency_id is None or not (fee or deposit):
        return
    expires_at = booking.ends_at + MONEY_HOLD_GRACE
    if expires_at > timezone.now() + timedelta(days=MAX_HOLD_DAYS):
        latest = MAX_HOLD_DAYS - MONEY_HOLD_GRACE.days
        raise DomainError(
            "too_far_ahead",
            f"{asset.name} has a fee or deposit, which is set aside from your credits until a week after the "
            f"booking ends; that can be done for at most {MAX_HOLD_DAYS} days, so please book so that it ends within "
            f"{latest} days from now.",
            "end",
        )
    debit = ledger.open_account(asset.currency, member=booking.member)
    credit = owner_account(asset)
    fields = []
    for purpose, amount, column in (("fee", fee, "fee_transfer_id"), ("deposit", deposit, "deposit_transfer_id")):
        if not amount:
            continue
        posted = ledger.hold(
            debit=debit, credit=credit, amount=amount, key=key_for(booking, purpose), expires_at=expires_at,
            memo=f"{purpose.title()} for booking {asset.name}", category="commons", reference=f"booking:{booking.pk}",
        )  # fmt: skip
        setattr(booking, column, posted.id)
        fields.append(column.removesuffix("_id"))
    booking.save(update_fields=fields)


def owner_account(asset: Asset) -> Account:
    """Where an asset's fees go: its owner organisation's account, or the currency's fees account."""
    if asset.owner_id is not None:
        return ledger.open_account(asset.currency, organisation=asset.owner)
    return ledger.system_account(asset.currency, AccountKind.FEES)


def release_money(booking: Booking, *, actor: User | None, reason: str) -> None:
    """Release the fee and deposit holds (a cancellation, a lapsed hold). Safe to call twice."""
    for purpose, held_id in (("fee", booking.fee_transfer_id), ("deposit", booking.deposit_transfer_id)):
        if held_id:
            _void(Transfer.objects.get(pk=held_id), key_for(booking, f"{purpose}-void"), actor, reason)


def settle_no_show(booking: Booking, *, actor: User | None) -> None:
    """A no-show pays the fee (the time was kept for them) and gets the deposit back."""
    if booking.fee_transfer_id:
        _take(booking, Transfer.objects.get(pk=booking.fee_transfer_id), "fee-post", None, actor)
    if booking.deposit_transfer_id:
        held = Transfer.objects.get(pk=booking.deposit_transfer_id)
        _void(held, key_for(booking, "deposit-void"), actor, "No-show: the deposit is returned.")


def _void(held: Transfer, key: uuid.UUID, actor: User | None, reason: str) -> None:
    resolution = Transfer.objects.filter(pending=held).first()
    if resolution is not None:
        return  # already released (by us, or it lapsed in the ledger)
    ledger.void_hold(held, key=key, actor=actor, reason=reason)


def _take(booking: Booking, held: Transfer, purpose: str, amount: int | None, actor: User | None) -> None:
    """Post ``amount`` (all when None) of a hold; if the hold lapsed in the ledger meanwhile, charge it directly."""
    key = key_for(booking, purpose)
    resolution = Transfer.objects.filter(pending=held).first()
    if resolution is None or resolution.key == key:
        ledger.post_hold(held, key=key, amount=amount, actor=actor)
        return
    ledger.transfer(
        debit=held.debit_account, credit=held.credit_account, amount=amount or held.amount,
        key=key_for(booking, f"{purpose}-direct"), memo=held.memo, category=held.category, reference=held.reference,
        actor=actor,
    )  # fmt: skip


# --- the desk ----------------------------------------------------------------------------------------------------


def check_out(actor: Member, booking: Booking) -> Booking:
    """The desk hands over the keys or the items: a held or confirmed booking becomes out. From half an hour
    before the start until its end. Checking out twice changes nothing."""
    from . import bookings

    _require_desk(actor, booking, "check things out")
    now = timezone.now()
    with transaction.atomic():
        locked = bookings.lock(booking)
        if locked.status == BookingStatus.OUT:
            return locked
        if locked.status not in (BookingStatus.HELD, BookingStatus.CONFIRMED):
            raise DomainError(
                "booking_not_live", f"This booking is {locked.get_status_display().lower()}, so it cannot go out."
            )
        if now < locked.starts_at - bookings.EARLY_PICKUP:
            raise DomainError("too_early", "It is too early to hand this over; the booking has not started yet.")
        if now >= locked.ends_at:
            raise DomainError("booking_over", "This booking's time is over, so it can no longer be picked up.")
        locked.status, locked.checked_out_at, locked.hold_expires_at, locked.updated_at = (
            BookingStatus.OUT, now, None, now
        )  # fmt: skip
        locked.save(update_fields=["status", "checked_out_at", "hold_expires_at", "updated_at"])
        from . import waiting_list

        waiting_list.offer_accepted(locked)
        audit(actor.community, actor.user, "commons.checked_out", locked.member, "", booking=locked.pk)
    return locked


def check_in(actor: Member, booking: Booking, *, deposit_kept_units: int = 0, reason: str = "") -> Booking:
    """The desk takes it back: the fee is taken, the deposit released (or ``deposit_kept_units`` of it taken, with
    a reason: damage, a missing part), a late return pays the daily overdue fee for each started day late, and an
    early return frees the rest of the time for the waiting list. Checking in twice changes nothing."""
    from . import bookings

    _require_desk(actor, booking, "check things in")
    reason = " ".join((reason or "").split())[:REASON_MAX_CHARS]
    if isinstance(deposit_kept_units, bool) or not isinstance(deposit_kept_units, int) or deposit_kept_units < 0:
        raise DomainError(
            "invalid_amount", "The part of the deposit kept must be a whole number, 0 or more.", "deposit"
        )
    if deposit_kept_units and not reason:
        raise DomainError("reason_needed", "Say why part of the deposit is kept; the member will see it.", "reason")
    now = timezone.now()
    with transaction.atomic():
        locked = bookings.lock(booking)
        if locked.status == BookingStatus.RETURNED:
            return locked
        if locked.status != BookingStatus.OUT:
            raise DomainError("booking_not_out", f"This booking is {locked.get_status_display().lower()}, not out.")
        deposit = Transfer.objects.filter(pk=locked.deposit_transfer_id).first()
        if deposit_kept_units and (deposit is None or deposit_kept_units > deposit.amount):
            raise DomainError("more_than_deposit", "You can keep at most the deposit that was paid.", "deposit")
        early = now < locked.ends_at
        locked.checked_in_at = now
        bookings.end(locked, BookingStatus.RETURNED, now)
        locked.save(update_fields=["checked_in_at"])
        _shorten(locked, now)
        if locked.fee_transfer_id:
            _take(locked, Transfer.objects.get(pk=locked.fee_transfer_id), "fee-post", None, actor.user)
        if deposit is not None:
            if deposit_kept_units:
                _take(locked, deposit, "deposit-post", deposit_kept_units, actor.user)
            else:
                _void(deposit, key_for(locked, "deposit-void"), actor.user, "Returned: the deposit is released.")
        charge_overdue_fee(locked, now, actor.user)
        details = {"booking": locked.pk, "deposit_kept": deposit_kept_units, "overdue_fee": locked.overdue_fee_units}
        audit(actor.community, actor.user, "commons.checked_in", locked.member, reason, **details)
        if early:
            from . import waiting_list

            waiting_list.booking_ended(locked)
    return locked


def _shorten(booking: Booking, now: datetime) -> None:
    """After a return the units' blocked time ends at the return plus the buffer (utilisation reads it); the rows
    are no longer live either way. Never earlier than just after their start (the table's CHECK)."""
    for row in BookingUnit.objects.filter(booking=booking).select_related("asset"):
        until = max(now, row.starts_at + timedelta(seconds=1)) + timedelta(minutes=row.asset.buffer_minutes)
        if until < row.blocked_until:
            BookingUnit.objects.filter(pk=row.pk).update(blocked_until=until)


def charge_overdue_fee(booking: Booking, now: datetime, actor: User | None) -> int:
    """The daily overdue fee for each started local day late, charged once as a transfer (its key is the
    booking's, so a retry charges nothing more). Returns the fee."""
    asset = booking.asset
    if asset is None or not asset.daily_overdue_fee_units or asset.currency_id is None:
        return 0
    zone = ZoneInfo(booking.community.time_zone)
    fee = rules.overdue_fee(booking.ends_at, booking.checked_in_at or now, asset.daily_overdue_fee_units, zone)
    fee *= booking.units
    if not fee:
        return 0
    posted = ledger.transfer(
        debit=ledger.open_account(asset.currency, member=booking.member), credit=owner_account(asset), amount=fee,
        key=key_for(booking, "overdue"), memo=f"Overdue fee: {asset.name}", category="commons",
        reference=f"booking:{booking.pk}", actor=actor,
    )  # fmt: skip
    booking.overdue_fee_units, booking.overdue_fee_transfer_id = fee, posted.id
    booking.save(update_fields=["overdue_fee_units", "overdue_fee_transfer"])
    return fee


def send_overdue_reminders(now: datetime, limit: int) -> int:
    """Tell each member with something overdue, once per local day (overdue_reminded_on)."""
    sent = 0
    overdue = Booking.objects.filter(status=BookingStatus.OUT, ends_at__lt=now).select_related("community")
    for booking in overdue.order_by("ends_at", "pk")[:limit]:
        today = now.astimezone(ZoneInfo(booking.community.time_zone)).date()
        if booking.overdue_reminded_on == today:
            continue
        with transaction.atomic():
            changed = (
                Booking.objects.filter(pk=booking.pk, status=BookingStatus.OUT)
                .exclude(overdue_reminded_on=today)
                .update(overdue_reminded_on=today)
            )
            if changed:
                from .bookings import lock

                notices.overdue_reminder(lock(booking), now)
                sent += 1
    return sent


def _require_desk(actor: Member, booking: Booking, what: str) -> None:
    from ..access import bookings as access

    if not access.can_manage_booking(actor, booking):
        raise DomainError("not_allowed", f"Only the desk (a coordinator or the owner's staff) can {what}.")
