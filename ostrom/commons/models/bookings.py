"""Bookings and what surrounds them: the units each booking takes, waiting lists, lending memberships and the
requests nothing was free for (idle-capacity reports count them).

Double booking is impossible, and the database says so. A booking takes one ``BookingUnit`` row per unit (a kit's
booking takes units of several assets), holding the time the unit is blocked: from the start to the end plus the
asset's buffer. On PostgreSQL an exclusion constraint (migration 0002, btree_gist) refuses two live rows of one
unit whose blocked times overlap, so two requests racing for the last slot cannot both win, whatever the Python
code checked first. SQLite has no exclusion constraints; there every booking runs in a write transaction that
SQLite serialises (BEGIN IMMEDIATE: one writer at a time), and the action's overlap check runs inside it, so the
check and the insert cannot interleave with another booking's."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from ostrom.communities.models import Community, Member
from ostrom.ledger.models import Transfer

from .assets import Asset, AssetUnit, Kit

__all__ = [
    "LIVE_STATUSES",
    "Booking",
    "BookingSource",
    "BookingStatus",
    "BookingUnit",
    "Membership",
    "MembershipPlan",
    "UnmetRequest",
    "WaitingListEntry",
    "WaitingStatus",
]


class BookingStatus(models.TextChoices):
    HELD = "held", "Held"  # awaiting confirmation or pickup until hold_expires_at
    CONFIRMED = "confirmed", "Confirmed"
    OUT = "out", "Checked out"
    RETURNED = "returned", "Returned"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Hold expired"
    NO_SHOW = "no_show", "No-show"


# The statuses whose units are taken; the exclusion constraint's WHERE clause reads BookingUnit.is_live, which
# actions keep equal to "booking.status in LIVE_STATUSES".
LIVE_STATUSES = (BookingStatus.HELD, BookingStatus.CONFIRMED, BookingStatus.OUT)


class BookingSource(models.TextChoices):
    DIRECT = "direct", "Booked directly"
    WAITING_LIST = "waiting_list", "Offered from the waiting list"
    ALLOCATION = "allocation", "Allocated in a request window"


class Booking(models.Model):
    """A member's booking of an asset (``units`` of it) or of a kit, from ``starts_at`` to ``ends_at``."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="bookings")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="bookings")
    asset = models.ForeignKey(Asset, null=True, blank=True, on_delete=models.PROTECT, related_name="bookings")
    kit = models.ForeignKey(Kit, null=True, blank=True, on_delete=models.PROTECT, related_name="bookings")
    units = models.PositiveIntegerField(default=1, help_text="For an asset: how many items. A kit: 1.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=BookingStatus.choices)
    source = models.CharField(max_length=12, choices=BookingSource.choices, default=BookingSource.DIRECT)
    purpose = models.CharField(max_length=200, blank=True)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    # Ledger holds (pending transfers) for the fee and deposit: posted or voided when the booking ends.
    fee_transfer = models.ForeignKey(Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    deposit_transfer = models.ForeignKey(Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    overdue_fee_units = models.PositiveIntegerField(default=0)
    overdue_fee_transfer = models.ForeignKey(
        Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    booked_by = models.ForeignKey(
        Member,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="A coordinator who booked on the member's behalf.",
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    return_reminded_at = models.DateTimeField(null=True, blank=True)
    overdue_reminded_on = models.DateField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["asset", "status", "starts_at"], name="booking_asset_calendar"),
            models.Index(fields=["member", "status", "starts_at"], name="booking_member_upcoming"),
        ]
        constraints = [
            models.CheckConstraint(name="booking_ends_after_start", condition=Q(ends_at__gt=F("starts_at"))),
            models.CheckConstraint(
                name="booking_asset_or_kit",
                condition=(Q(asset__isnull=False) & Q(kit__isnull=True))
                | (Q(asset__isnull=True) & Q(kit__isnull=False)),
            ),
            models.CheckConstraint(name="booking_units_positive", condition=Q(units__gte=1)),
            models.CheckConstraint(
                name="booking_held_has_expiry", condition=~Q(status="held") | Q(hold_expires_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asset or self.kit} for {self.member} from {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES


class BookingUnit(models.Model):
    """One unit a booking takes, blocked from ``starts_at`` to ``blocked_until`` (the end plus the buffer)."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="booked_units")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(AssetUnit, on_delete=models.PROTECT, related_name="booked")
    starts_at = models.DateTimeField()
    blocked_until = models.DateTimeField()
    is_live = models.BooleanField(default=True)

    class Meta:
        indexes = [models.Index(fields=["asset", "is_live", "starts_at"], name="booking_unit_calendar")]
        constraints = [
            models.UniqueConstraint(fields=["booking", "unit"], name="booking_unit_once"),
            models.CheckConstraint(
                name="booking_unit_blocked_after_start", condition=Q(blocked_until__gt=F("starts_at"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} for booking {self.booking_id}"


class WaitingStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    OFFERED = "offered", "Offered a place"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    LAPSED = "lapsed", "Offer lapsed"
    CANCELLED = "cancelled", "Left the list"


class WaitingListEntry(models.Model):
    """Someone who wanted a time that was taken. When a live booking overlapping it ends early, the first in line
    whose wish now fits is offered it (a held booking) by SMS or email, and has until ``offer_expires_at``."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="waiting_list")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="waiting_for")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    units = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=10, choices=WaitingStatus.choices, default=WaitingStatus.WAITING)
    offered_booking = models.OneToOneField(
        Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="waiting_list_entry"
    )
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["asset", "status", "created_at"], name="waiting_list_queue")]
        constraints = [
            models.CheckConstraint(name="waiting_ends_after_start", condition=Q(ends_at__gt=F("starts_at"))),
            models.CheckConstraint(name="waiting_units_positive", condition=Q(units__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.member} waiting for {self.asset}"


class MembershipPlan(models.Model):
    """A lending membership type (Lend Engine's "membership"): how many items a member on it may have out."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="membership_plans")
    name = models.CharField(max_length=80)
    max_items_out = models.PositiveIntegerField(null=True, blank=True, help_text="Blank for no limit.")
    is_default = models.BooleanField(default=False, help_text="Applies to members with no membership of their own.")

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="membership_plan_name_unique"),
            models.UniqueConstraint(
                fields=["community"], condition=Q(is_default=True), name="membership_plan_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="lending_membership")
    plan = models.ForeignKey(MembershipPlan, on_delete=models.PROTECT, related_name="memberships")
    expires_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.member}: {self.plan}"


class UnmetRequest(models.Model):
    """A booking turned away because nothing was free (codes in domain.utilisation.UNMET_CODES): the demand an
    asset could not meet, counted in utilisation reports."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="unmet_requests")
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    code = models.CharField(max_length=40)
    requested_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-requested_at", "id"]
        indexes = [models.Index(fields=["asset", "requested_at"], name="unmet_request_month")]

    def __str__(self) -> str:
        return f"{self.asset}: {self.code}"
