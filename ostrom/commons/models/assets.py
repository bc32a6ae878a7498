"""Shared assets: a space (a fire-station kitchen, a hall), a piece of equipment (a minibus, a chainsaw) or items
with a stock quantity (a library of things with three drills). Each has units (one for a space or equipment, one
per item in stock) because a booking takes units, and the database refuses two live bookings of one unit at once.

Opening hours are weekly wall-clock windows in the community's zone (see domain/booking_rules.py); maintenance
periods and closures block booking; the booking rules are columns here, read into `domain.booking_rules`."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from ostrom.communities.models import Community, Member, Organisation
from ostrom.ledger.models import Currency

from ..domain.booking_rules import MAX_STOCK, WhoMayBook

__all__ = [
    "Asset",
    "AssetKind",
    "AssetPermit",
    "AssetUnit",
    "Kit",
    "KitItem",
    "MaintenancePeriod",
    "OpeningWindow",
]

NAME_MAX_CHARS = 120
TEXT_MAX_CHARS = 4000


class AssetKind(models.TextChoices):
    SPACE = "space", "Space"
    EQUIPMENT = "equipment", "Equipment"
    ITEMS = "items", "Items with a stock quantity"


class Asset(models.Model):
    """Something the community shares. Owned by an organisation (the fire service, the council) or, when
    ``owner`` is blank, by the community itself."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="assets")
    owner = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assets",
        help_text="Blank when the community itself owns it.",
    )
    kind = models.CharField(max_length=10, choices=AssetKind.choices)
    name = models.CharField(max_length=NAME_MAX_CHARS)
    slug = models.SlugField(max_length=60)
    description = models.TextField(max_length=TEXT_MAX_CHARS, blank=True)
    instructions = models.TextField(
        max_length=TEXT_MAX_CHARS, blank=True, help_text="Shown to whoever books it: keys, alarm, cleaning up."
    )
    location = models.CharField(max_length=200, blank=True)
    latitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    capacity_people = models.PositiveIntegerField(null=True, blank=True, help_text="For a space: how many fit.")
    stock = models.PositiveIntegerField(default=1, help_text="How many units there are; 1 for a space.")
    # Booking rules (domain.booking_rules.BookingRules).
    who_may_book = models.CharField(
        max_length=16, choices=[(w.value, w.value) for w in WhoMayBook], default=WhoMayBook.ANY_MEMBER.value
    )
    lead_time_minutes = models.PositiveIntegerField(default=0)
    max_duration_minutes = models.PositiveIntegerField(default=24 * 60)
    max_bookings_per_month = models.PositiveIntegerField(null=True, blank=True)
    buffer_minutes = models.PositiveIntegerField(default=0)
    hold_minutes = models.PositiveIntegerField(
        default=0, help_text="0: bookings are confirmed at once; otherwise held this long awaiting pickup/confirmation."
    )
    # Money, all in the smallest unit of ``currency`` (community credits): taken as ledger holds.
    currency = models.ForeignKey(Currency, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    fee_units = models.PositiveIntegerField(default=0)
    deposit_units = models.PositiveIntegerField(default=0)
    daily_overdue_fee_units = models.PositiveIntegerField(default=0)
    block_when_overdue = models.BooleanField(default=False)
    # An unguessable token in the public iCal feed's address (busy times only, no names).
    feed_token = models.CharField(max_length=43, unique=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "slug"], name="asset_slug_unique"),
            models.CheckConstraint(name="asset_stock_sane", condition=Q(stock__gte=0, stock__lte=MAX_STOCK)),
            models.CheckConstraint(name="asset_single_unit_unless_items", condition=Q(kind="items") | Q(stock=1)),
            models.CheckConstraint(
                name="asset_money_needs_currency",
                condition=Q(currency__isnull=False) | Q(fee_units=0, deposit_units=0, daily_overdue_fee_units=0),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AssetUnit(models.Model):
    """One bookable unit: the kitchen itself, or drill no. 2. Units are never deleted while bookings name them;
    lowering the stock retires the highest-numbered units."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="units")
    number = models.PositiveIntegerField()
    label = models.CharField(max_length=60, blank=True)
    is_retired = models.BooleanField(default=False)

    class Meta:
        ordering = ["asset", "number"]
        constraints = [models.UniqueConstraint(fields=["asset", "number"], name="asset_unit_number_unique")]

    def __str__(self) -> str:
        return self.label or f"{self.asset} #{self.number}"


class OpeningWindow(models.Model):
    """A weekly window when the asset may be used: ``weekday`` 0 = Monday, minutes after local midnight."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="opening_windows")
    weekday = models.PositiveSmallIntegerField()
    start_minute = models.PositiveSmallIntegerField()
    end_minute = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["asset", "weekday", "start_minute"]
        constraints = [
            models.CheckConstraint(name="opening_window_weekday", condition=Q(weekday__lte=6)),
            models.CheckConstraint(
                name="opening_window_within_day",
                condition=Q(start_minute__lt=F("end_minute"), end_minute__lte=24 * 60),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asset} day {self.weekday} {self.start_minute}-{self.end_minute}"


class MaintenancePeriod(models.Model):
    """A time the asset cannot be booked: a repair, a service, a bank-holiday closure."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="maintenance")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(name="maintenance_ends_after_start", condition=Q(ends_at__gt=F("starts_at")))
        ]

    def __str__(self) -> str:
        return f"{self.asset}: {self.reason}"


class AssetPermit(models.Model):
    """A member trained (inducted) to book an asset whose rule is "trained members"."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="permits")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="asset_permits")
    granted_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["asset", "member"], name="asset_permit_once")]

    def __str__(self) -> str:
        return f"{self.member} may book {self.asset}"


class Kit(models.Model):
    """Several items booked together: "party kit" = 2 gazebos + 1 urn + 40 chairs."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="kits")
    name = models.CharField(max_length=NAME_MAX_CHARS)
    slug = models.SlugField(max_length=60)
    description = models.TextField(max_length=TEXT_MAX_CHARS, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["community", "slug"], name="kit_slug_unique")]

    def __str__(self) -> str:
        return self.name


class KitItem(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    kit = models.ForeignKey(Kit, on_delete=models.CASCADE, related_name="items")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="in_kits")
    quantity = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kit", "asset"], name="kit_item_once"),
            models.CheckConstraint(name="kit_item_quantity_positive", condition=Q(quantity__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.asset}"
