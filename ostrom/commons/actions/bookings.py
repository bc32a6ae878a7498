"""Bookings' state changes: book an asset or a kit first come, first served; book an allocated slot; confirm,
expire and cancel holds and bookings; mark a no-show; and send the day-before reminders.

Double booking is impossible. Every booking locks the rows of the assets it takes (ascending primary key, so two
bookings never deadlock), checks the rules (domain.booking_rules), chooses free units and writes one BookingUnit
per unit in the same transaction. On PostgreSQL the exclusion constraint of migration 0002 refuses two live rows of
one unit whose blocked times overlap, whatever Python checked: its IntegrityError becomes DomainError
``slot_taken`` and the whole booking rolls back. On SQLite every transaction begins IMMEDIATE (config/settings.py),
so SQLite runs one writer at a time and the check and the insert cannot interleave with another booking's.

A refusal because nothing was free (domain.utilisation.UNMET_CODES, or ``slot_taken``) is counted as an
UnmetRequest, written after the failed transaction rolled back, so idle-capacity reports see the demand; the
pages then offer the waiting list. Money (fees and deposits as ledger holds, overdue fees) is in actions/lending.py,
waiting lists in actions/waiting_list.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from ostrom.communities.actions import audit
from ostrom.communities.domain import DomainError
from ostrom.communities.models import Member
from ostrom.ledger.errors import constraint_name

from .. import asset_rules
from ..access import bookings as access
from ..domain import booking_rules as rules
from ..domain.booking_rules import Period, UnitBooking
from ..domain.utilisation import UNMET_CODES
from ..models import (
    LIVE_STATUSES,
    Asset,
    AssetKind,
    AssetUnit,
    Booking,
    BookingSource,
    BookingStatus,
    BookingUnit,
    Kit,
    Membership,
    MembershipPlan,
    UnmetRequest,
)
from ..notices import bookings as notices
from . import lending

NO_OVERLAP_CONSTRAINT = "booking_unit_no_overlap"
# Limits on everything: a request for more items than this is a typo, not a booking; texts fit their columns.
MAX_UNITS = 1_000
PURPOSE_MAX_CHARS = 200
REASON_MAX_CHARS = 200
# A booking whose pickup is not confirmed keeps its units this long at most past its start, then lapses.
# The reminders: the day before a booking; before the return is due (a quarter of the booking, at most a day).
REMINDER_BEFORE = timedelta(days=1)
MAX_RETURN_REMINDER_BEFORE = timedelta(days=1)
# A batch of reminders or expiries per task run; a full batch asks for another run at once.
BATCH = 200
# A pickup may be checked out a little before the start (the desk opens early), never earlier.
EARLY_PICKUP = timedelta(minutes=30)
# Nobody books a neighbourhood asset more than three years ahead; the limit also keeps date sums far from the end of
# the calendar.
MAX_AHEAD = timedelta(days=3 * 366)
UNMET = UNMET_CODES | {"slot_taken"}


class BookingRefused(DomainError):
    """A DomainError that says which asset refused (a kit's booking names the item that was not free)."""

    def __init__(self, error: DomainError, asset: Asset) -> None:
        super().__init__(error.code, error.message, error.field)
        self.asset = asset


@dataclass(frozen=True)
class Wanted:
    """One asset's share of a booking: ``units`` of ``asset`` (a kit's booking wants several)."""

    asset: Asset
    units: int


# --- booking -----------------------------------------------------------------------------------------------------


def book(
    member: Member,
    asset: Asset,
    starts_at: datetime,
    ends_at: datetime,
    *,
    units: int = 1,
    purpose: str = "",
    booked_by: Member | None = None,
    reason: str = "",
) -> Booking:
    """Book ``units`` of ``asset`` from ``starts_at`` to ``ends_at``, first come first served, under every rule.
    A coordinator (``booked_by``) may book for a member; that is audited. Held when the asset holds bookings."""
    _check_member(member, asset.community_id)
    _check_booker(booked_by, member)
    _check_units_given(units)
    purpose = _text(purpose, PURPOSE_MAX_CHARS, "purpose", "The purpose")
    try:
        return _booked(
            member, [Wanted(asset, units)], starts_at, ends_at, asset=asset, purpose=purpose, booked_by=booked_by,
            reason=reason,
        )  # fmt: skip
    except BookingRefused as refused:
        _record_unmet(refused, member, starts_at, ends_at)
        raise


def book_kit(
    member: Member,
    kit: Kit,
    starts_at: datetime,
    ends_at: datetime,
    *,
    purpose: str = "",
    booked_by: Member | None = None,
    reason: str = "",
) -> Booking:
    """Book every item of a kit at once, or nothing: one item not free refuses the whole kit."""
    _check_member(member, kit.community_id)
    _check_booker(booked_by, member)
    if not kit.is_active:
        raise DomainError("kit_unknown", "That kit is no longer lent out.", "kit")
    items = list(kit.items.select_related("asset__community", "asset__owner", "asset__currency").order_by("asset_id"))
    if not items:
        raise DomainError("kit_empty", "This kit has nothing in it yet, so it cannot be booked.", "kit")
    purpose = _text(purpose, PURPOSE_MAX_CHARS, "purpose", "The purpose")
    wanted = [Wanted(item.asset, item.quantity) for item in items]
    try:
        return _booked(member, wanted, starts_at, ends_at, kit=kit, purpose=purpose, booked_by=booked_by, reason=reason)
    except BookingRefused as refused:
        _record_unmet(refused, member, starts_at, ends_at)
        raise


def book_allocated(
    asset: Asset, member: Member, starts_at: datetime, ends_at: datetime, *, purpose: str = ""
) -> Booking:
    """A confirmed booking of one unit, allocated in a request window: made inside the caller's transaction and
    without the first-come rules (lead time, monthly limit, opening hours: the coordinator's window decided), but
    never double booked: a unit must be free, else DomainError ``slot_taken`` (and nothing is written)."""
    _check_member(member, asset.community_id)
    # The caller's window title makes the purpose: cut it to fit rather than refuse a slot for a long title.
    purpose = _text(purpose[:PURPOSE_MAX_CHARS], PURPOSE_MAX_CHARS, "purpose", "The purpose")
    check_horizon(starts_at, ends_at, timezone.now(), past_allowed=True)
    try:
        with transaction.atomic():
            (locked,) = _lock_assets([asset])
            if not locked.is_active:
                raise DomainError("asset_unavailable", f"{locked.name} is no longer lent out.", "asset")
            if asset_rules.maintenance_of(locked, starts_at, ends_at):
                raise DomainError("under_maintenance", "It is out of use for maintenance at that time.", "start")
            booking = Booking.objects.create(
                community_id=locked.community_id, member=member, asset=locked, units=1, starts_at=starts_at,
                ends_at=ends_at, status=BookingStatus.CONFIRMED, source=BookingSource.ALLOCATION, purpose=purpose,
            )  # fmt: skip
            _take_units(booking, [Wanted(locked, 1)], taken_message=_slot_taken_message())
    except IntegrityError as error:
        raise _integrity(error) from None
    return booking


def _booked(
    member: Member,
    wanted: list[Wanted],
    starts_at: datetime,
    ends_at: datetime,
    *,
    asset: Asset | None = None,
    kit: Kit | None = None,
    purpose: str,
    booked_by: Member | None,
    reason: str,
    source: str = BookingSource.DIRECT,
    hold_until: datetime | None = None,
) -> Booking:
    """Check, take units, hold the money, audit: one transaction; a refusal writes nothing."""
    now = timezone.now()
    try:
        with transaction.atomic():
            # The member's row first (then assets): two bookings by one member of different assets queue here, so
            # the monthly limit and the items-out cap count each other.
            list(Member.objects.select_for_update().filter(pk=member.pk).values_list("pk", flat=True))
            locked = {a.pk: a for a in _lock_assets([w.asset for w in wanted])}
            wanted = [Wanted(locked[w.asset.pk], w.units) for w in wanted]
            for share in wanted:
                check_may_book(member, share.asset, share.units, starts_at, ends_at, now, in_kit=kit is not None)
            first = wanted[0].asset
            hold_minutes = max(w.asset.hold_minutes for w in wanted)
            status, expires = BookingStatus.CONFIRMED, None
            if hold_until is not None:
                status, expires = BookingStatus.HELD, hold_until
            elif hold_minutes:
                status, expires = BookingStatus.HELD, now + timedelta(minutes=hold_minutes)
            booking = Booking.objects.create(
                community_id=first.community_id, member=member, asset=asset and locked[asset.pk], kit=kit,
                units=wanted[0].units if asset else 1, starts_at=starts_at, ends_at=ends_at, status=status,
                source=source, purpose=purpose, hold_expires_at=expires,
                booked_by=booked_by if booked_by is not None and booked_by.pk != member.pk else None,
            )  # fmt: skip
            _take_units(booking, wanted)
            lending.hold_money(booking, wanted)
            if booking.booked_by_id:
                audit(
                    member.community, booked_by.user, "commons.booked_for", member, reason,
                    booking=booking.pk, what=str(booking.asset or booking.kit),
                )  # fmt: skip
                notices.booked_for_you(booking)
    except IntegrityError as error:
        raise BookingRefused(_integrity(error), wanted[0].asset) from None
    return booking


def check_may_book(
    member: Member,
    asset: Asset,
    units: int,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    *,
    in_kit: bool = False,
) -> None:
    """Every first-come rule for ``units`` of ``asset`` (read with its row locked): who may book it, the times,
    the member's monthly limit and overdue items, the asset's lead time, length, maintenance and opening hours,
    free units and the member's membership cap. Raises BookingRefused naming the asset."""
    try:
        _check_rules(member, asset, units, starts_at, ends_at, now)
    except DomainError as error:
        if in_kit:
            error = DomainError(error.code, f"{asset.name}: {error.message}", error.field)
        raise BookingRefused(error, asset) from None


def check_horizon(start: datetime, end: datetime, now: datetime, *, past_allowed: bool = False) -> None:
    """Refuse times in the past (unless allowed) or beyond three years ahead, before any date arithmetic."""
    try:
        Period(start, end)  # naive_time, ends_before_start
    except OverflowError:  # a time at the very end of the calendar, whose UTC reading does not exist
        raise DomainError("too_far_ahead", "Bookings can be made at most three years ahead.", "start") from None
    if not past_allowed and start < now:
        raise DomainError("in_the_past", "That time has already passed; please choose a time from now on.", "start")
    if end > now + MAX_AHEAD or start < now - MAX_AHEAD:
        raise DomainError("too_far_ahead", "Bookings can be made at most three years ahead.", "start")


def _check_rules(member: Member, asset: Asset, units: int, start: datetime, end: datetime, now: datetime) -> None:
    check_horizon(start, end, now)
    if not asset.is_active:
        raise DomainError("asset_unavailable", f"{asset.name} is no longer lent out.", "asset")
    booking_rules = asset_rules.booking_rules_of(asset)
    rules.check_may_book(booking_rules, access.booker_level(member, asset))
    requested = Period(start, end)
    blocked = Period(start, end + timedelta(minutes=asset.buffer_minutes))
    taken = list(asset_rules.live_units_overlapping(asset, blocked.start, blocked.end))
    existing = [] if asset.kind == AssetKind.ITEMS else _intervals(taken, asset.buffer_minutes)
    rules.check_booking(
        booking_rules,
        asset_rules.opening_hours_of(asset),
        start,
        end,
        now,
        existing,
        asset_rules.maintenance_of(asset, start, end),
        bookings_this_month(member, asset, start),
        has_overdue(member, now),
        asset.block_when_overdue,
    )
    if asset.kind != AssetKind.ITEMS:
        if units != 1:
            raise DomainError("invalid_units", f"{asset.name} is booked whole: ask for 1.", "units")
        return
    stock = AssetUnit.objects.filter(asset=asset, is_retired=False).count()
    rules.check_units(stock, units, [UnitBooking(Period(u.starts_at, u.blocked_until), 1) for u in taken], blocked)
    rules.check_items_out(items_cap(member), items_out(member, requested), units)


def _intervals(taken: list[BookingUnit], buffer_minutes: int) -> list[Period]:
    """Other bookings as check_booking reads them (their end, before the buffer); a row shortened by an early
    return to less than its buffer still blocks its own span, which the unit check below covers."""
    buffer = timedelta(minutes=buffer_minutes)
    return [Period(u.starts_at, u.blocked_until - buffer) for u in taken if u.blocked_until - buffer > u.starts_at]


def _take_units(booking: Booking, wanted: list[Wanted], taken_message: str | None = None) -> None:
    """Choose free units (lowest numbers first) for each share and write their rows; the exclusion constraint
    (PostgreSQL) stands behind the choice."""
    rows = []
    for share in wanted:
        asset = share.asset
        blocked_until = booking.ends_at + timedelta(minutes=asset.buffer_minutes)
        busy = set(
            asset_rules.live_units_overlapping(asset, booking.starts_at, blocked_until).values_list(
                "unit_id", flat=True
            )
        )
        free = [
            u for u in AssetUnit.objects.filter(asset=asset, is_retired=False).order_by("number") if u.pk not in busy
        ]
        if len(free) < share.units:
            # Free items exist only in pieces (one free until noon, another from noon): none is free throughout.
            message = taken_message or (
                f"Only {len(free)} of these are free for the whole of that time; you asked for {share.units}."
                if asset.kind == AssetKind.ITEMS
                else "Someone else has it booked at that time."
            )
            code = (
                "slot_taken"
                if taken_message
                else "not_enough_stock"
                if asset.kind == AssetKind.ITEMS
                else "overlaps_booking"
            )
            raise BookingRefused(DomainError(code, message, "units" if code == "not_enough_stock" else "start"), asset)
        rows += [
            BookingUnit(
                community_id=booking.community_id,
                booking=booking,
                asset=asset,
                unit=unit,
                starts_at=booking.starts_at,
                blocked_until=blocked_until,
                is_live=True,
            )
            for unit in free[: share.units]
        ]
    BookingUnit.objects.bulk_create(rows)


def _slot_taken_message() -> str:
    return "Someone else has just taken that time; please choose another."


def _integrity(error: IntegrityError) -> DomainError:
    if constraint_name(error) == NO_OVERLAP_CONSTRAINT or NO_OVERLAP_CONSTRAINT in str(error):
        return DomainError("slot_taken", _slot_taken_message(), "start")
    raise error


def _lock_assets(assets: list[Asset]) -> list[Asset]:
    """Lock the assets' rows in ascending primary-key order (one query), so bookings of one asset queue."""
    ids = sorted({a.pk for a in assets})
    query = Asset.objects.filter(pk__in=ids).order_by("pk").select_related("community", "owner", "currency")
    if connection.vendor == "postgresql":
        query = query.select_for_update(of=("self",))
    return list(query)


def _record_unmet(refused: BookingRefused, member: Member, starts_at: datetime, ends_at: datetime) -> None:
    """Count demand the asset could not meet (after the refused booking rolled back)."""
    if refused.code not in UNMET or starts_at is None or ends_at is None or ends_at <= starts_at:
        return
    UnmetRequest.objects.create(
        community_id=refused.asset.community_id, asset=refused.asset, member=member, starts_at=starts_at,
        ends_at=ends_at, code=refused.code,
    )  # fmt: skip


# --- what the rules read -----------------------------------------------------------------------------------------


def bookings_this_month(member: Member, asset: Asset, start: datetime) -> int:
    """The member's bookings of the asset (directly or in a kit) starting in the local calendar month of
    ``start``; cancelled and lapsed ones do not count."""
    zone = ZoneInfo(asset.community.time_zone)
    local = start.astimezone(zone)
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (first + timedelta(days=32)).replace(day=1)
    return (
        Booking.objects.filter(member=member, booked_units__asset=asset, starts_at__gte=first, starts_at__lt=following)
        .exclude(status__in=[BookingStatus.CANCELLED, BookingStatus.EXPIRED])
        .distinct()
        .count()
    )


def has_overdue(member: Member, now: datetime) -> bool:
    """Whether the member has something checked out past its return time."""
    return Booking.objects.filter(member=member, status=BookingStatus.OUT, ends_at__lt=now).exists()


def items_cap(member: Member) -> int | None:
    """How many items the member may have out at once: their membership's plan (unless it has expired), else the
    community's default plan; None means no limit."""
    today = timezone.now().date()
    own = Membership.objects.filter(member=member).select_related("plan").first()
    if own is not None and (own.expires_on is None or own.expires_on >= today):
        return own.plan.max_items_out
    default = MembershipPlan.objects.filter(community_id=member.community_id, is_default=True).first()
    return default.max_items_out if default else None


def items_out(member: Member, during: Period) -> int:
    """Items (of items-kind assets) the member would have out during ``during``: everything checked out now, as it
    may not come back in time, plus every live booking overlapping it. Spaces and equipment do not count."""
    rows = BookingUnit.objects.filter(booking__member=member, is_live=True, asset__kind=AssetKind.ITEMS).filter(
        Q(booking__status=BookingStatus.OUT) | Q(starts_at__lt=during.end, booking__ends_at__gt=during.start)
    )
    return rows.count()


# --- holds, cancelling, no-shows ---------------------------------------------------------------------------------


def confirm_hold(actor: Member, booking: Booking) -> Booking:
    """The member (or the desk) confirms a held booking before its hold lapses; accepting a waiting-list offer is
    the same. Confirming a confirmed booking changes nothing."""
    _require_own_or_desk(actor, booking, "confirm it")
    with transaction.atomic():
        locked = lock(booking)
        if locked.status == BookingStatus.CONFIRMED:
            return locked
        if locked.status != BookingStatus.HELD:
            raise DomainError("booking_not_held", f"This booking is {locked.get_status_display().lower()}.")
        if rules.hold_expired(locked.hold_expires_at, timezone.now()):
            raise DomainError("hold_expired", "Sorry, the time to confirm this has passed and it was released.")
        locked.status, locked.hold_expires_at, locked.updated_at = BookingStatus.CONFIRMED, None, timezone.now()
        locked.save(update_fields=["status", "hold_expires_at", "updated_at"])
        from . import waiting_list  # waiting_list books through this module

        waiting_list.offer_accepted(locked)
        if actor.pk != locked.member_id:
            audit(actor.community, actor.user, "commons.booking_confirmed", locked.member, "", booking=locked.pk)
    return locked


def cancel(actor: Member, booking: Booking, reason: str = "") -> Booking:
    """The member cancels their own booking before it starts, or the desk cancels one (a reason is needed, the
    member is told, and it is audited). Units go back; fee and deposit holds are released; the freed time is
    offered to the waiting list. Cancelling a cancelled booking changes nothing."""
    _require_own_or_desk(actor, booking, "cancel it")
    for_someone = actor.pk != booking.member_id
    reason = _text(reason, REASON_MAX_CHARS, "reason", "The reason")
    if for_someone and not reason:
        raise DomainError(
            "reason_needed", "Say why you are cancelling someone else's booking; they will be told.", "reason"
        )
    now = timezone.now()
    with transaction.atomic():
        locked = lock(booking)
        if locked.status == BookingStatus.CANCELLED:
            return locked
        if locked.status not in (BookingStatus.HELD, BookingStatus.CONFIRMED):
            raise DomainError(
                "booking_not_cancellable",
                f"This booking is {locked.get_status_display().lower()}, so it can no longer be cancelled.",
            )
        if not for_someone and locked.starts_at <= now:
            raise DomainError(
                "already_started", "This booking has started, so please ask the desk or a coordinator to cancel it."
            )
        end(locked, BookingStatus.CANCELLED, now, reason=reason)
        lending.release_money(locked, actor=actor.user, reason=reason or "Booking cancelled.")
        if for_someone:
            audit(actor.community, actor.user, "commons.booking_cancelled", locked.member, reason, booking=locked.pk)
            notices.cancelled_for_you(locked)
        from . import waiting_list

        waiting_list.booking_ended(locked)
    return locked


def mark_no_show(actor: Member, booking: Booking) -> Booking:
    """The desk marks a confirmed booking nobody collected once its start has passed: its units go back (the rest
    of the time is offered to the waiting list), the deposit is released and the fee is taken, since the time was
    kept for them. Utilisation reports count it."""
    if not access.can_manage_booking(actor, booking):
        raise DomainError("not_allowed", "Only the desk (a coordinator or the owner's staff) can mark a no-show.")
    now = timezone.now()
    with transaction.atomic():
        locked = lock(booking)
        if locked.status == BookingStatus.NO_SHOW:
            return locked
        if locked.status not in (BookingStatus.HELD, BookingStatus.CONFIRMED):
            raise DomainError(
                "booking_not_live", f"This booking is {locked.get_status_display().lower()}, not waiting for pickup."
            )
        if locked.starts_at > now:
            raise DomainError("not_started", "It has not started yet, so nobody can have missed it.")
        end(locked, BookingStatus.NO_SHOW, now)
        lending.settle_no_show(locked, actor=actor.user)
        audit(actor.community, actor.user, "commons.booking_no_show", locked.member, "", booking=locked.pk)
        from . import waiting_list

        waiting_list.booking_ended(locked)
    return locked


def expire_holds(now: datetime | None = None, limit: int = BATCH) -> int:
    """Release held bookings whose hold has lapsed (pickup or confirmation never came, a waiting-list offer not
    taken up): status expired, units back, money released, the time offered to the next in line. Idempotent."""
    now = now or timezone.now()
    due = list(
        Booking.objects.filter(status=BookingStatus.HELD, hold_expires_at__lte=now).order_by("hold_expires_at", "pk")[
            :limit
        ]
    )
    expired = 0
    for booking in due:
        with transaction.atomic():
            locked = lock(booking)
            if locked.status != BookingStatus.HELD or not rules.hold_expired(locked.hold_expires_at, now):
                continue  # confirmed or cancelled a moment ago
            end(locked, BookingStatus.EXPIRED, now)
            lending.release_money(locked, actor=None, reason="The hold lapsed.")
            from . import waiting_list

            waiting_list.offer_lapsed(locked)
            waiting_list.booking_ended(locked)
            expired += 1
    return expired


def end(booking: Booking, status: str, now: datetime, *, reason: str = "") -> None:
    """Move a locked booking out of the live statuses: its units stop blocking (is_live follows the status)."""
    booking.status, booking.updated_at = status, now
    fields = ["status", "updated_at"]
    if status == BookingStatus.CANCELLED:
        booking.cancelled_at, booking.cancel_reason = now, reason
        fields += ["cancelled_at", "cancel_reason"]
    if booking.hold_expires_at is not None and status != BookingStatus.HELD:
        booking.hold_expires_at = None
        fields.append("hold_expires_at")
    booking.save(update_fields=fields)
    BookingUnit.objects.filter(booking=booking).update(is_live=status in LIVE_STATUSES)


def lock(booking: Booking) -> Booking:
    query = Booking.objects.select_related("member__community", "member__user", "asset__community", "kit", "community")
    if connection.vendor == "postgresql":
        query = query.select_for_update(of=("self",))
    return query.get(pk=booking.pk)


# --- reminders ---------------------------------------------------------------------------------------------------


def send_reminders(now: datetime | None = None, limit: int = BATCH) -> int:
    """The day-before reminders, the return reminders and the daily overdue reminders, each at most once (the
    row records it in the same transaction as the message is written). Returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    upcoming = Booking.objects.filter(
        status__in=[BookingStatus.HELD, BookingStatus.CONFIRMED],
        reminded_at__isnull=True,
        starts_at__gt=now,
        starts_at__lte=now + REMINDER_BEFORE,
    ).order_by("starts_at", "pk")[:limit]
    for booking in upcoming:
        with transaction.atomic():
            if Booking.objects.filter(pk=booking.pk, reminded_at__isnull=True).update(reminded_at=now):
                notices.booking_reminder(lock(booking))
                sent += 1
    out = Booking.objects.filter(status=BookingStatus.OUT, return_reminded_at__isnull=True, ends_at__gt=now).order_by(
        "ends_at", "pk"
    )[: limit * 5]
    for booking in out:
        if now < booking.ends_at - return_reminder_before(booking):
            continue
        with transaction.atomic():
            if Booking.objects.filter(pk=booking.pk, return_reminded_at__isnull=True).update(return_reminded_at=now):
                notices.return_reminder(lock(booking))
                sent += 1
    return sent + lending.send_overdue_reminders(now, limit)


def return_reminder_before(booking: Booking) -> timedelta:
    """How long before the return is due the reminder goes: a quarter of the booking, at most a day."""
    return min(MAX_RETURN_REMINDER_BEFORE, (booking.ends_at - booking.starts_at) / 4)


# --- small checks ------------------------------------------------------------------------------------------------


def _check_member(member: Member, community_id: int) -> None:
    if not member.is_active or member.community_id != community_id:
        raise DomainError("not_allowed", "Only active members of this community can book here.", "member")


def _check_booker(booked_by: Member | None, member: Member) -> None:
    if booked_by is None or booked_by.pk == member.pk:
        return
    if not booked_by.is_coordinator or booked_by.community_id != member.community_id:
        raise DomainError("not_allowed", "Only a coordinator can book for someone else.", "member")


def _check_units_given(units: int) -> None:
    if isinstance(units, bool) or not isinstance(units, int) or not 1 <= units <= MAX_UNITS:
        raise DomainError("invalid_units", f"Ask for a whole number of items, from 1 to {MAX_UNITS}.", "units")


def _require_own_or_desk(actor: Member, booking: Booking, what: str) -> None:
    if actor.community_id == booking.community_id and actor.is_active and actor.pk == booking.member_id:
        return
    if not access.can_manage_booking(actor, booking):
        raise DomainError("not_allowed", f"Only the person who booked, or the desk, can {what}.")


def _text(value: str, max_chars: int, field: str, what: str) -> str:
    value = " ".join((value or "").split())
    if "\x00" in value:
        raise DomainError("invalid_text", f"{what} has an invisible NUL character; please remove it.", field)
    if len(value) > max_chars:
        raise DomainError("text_too_long", f"{what} can be at most {max_chars} characters.", field)
    return value
