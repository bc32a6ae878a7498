"""Offers and requests (one table, ``kind`` tells which) and the community's category tree."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from ostrom.communities.models import Community, Member, Organisation
from ostrom.ledger.models import Currency

__all__ = ["Category", "Listing", "ListingKind", "ListingStatus"]

TITLE_MAX_CHARS = 120
DESCRIPTION_MAX_CHARS = 4000
MAX_TAGS = 12
TAG_MAX_CHARS = 30


class Category(models.Model):
    """A node of the community's category tree ("Home and garden" > "Gardening"); coordinators edit it."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="market_categories")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    name = models.CharField(max_length=60)
    slug = models.SlugField(max_length=60)
    position = models.PositiveIntegerField(default=0, help_text="Order among its siblings, smallest first.")
    is_active = models.BooleanField(
        default=True, help_text="Retired categories keep their listings but take no new ones."
    )

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "slug"], name="category_slug_unique_in_community"),
            models.CheckConstraint(name="category_not_its_own_parent", condition=~Q(parent=models.F("id"))),
        ]

    def __str__(self) -> str:
        return self.name


class ListingKind(models.TextChoices):
    OFFER = "offer", "Offer"
    REQUEST = "request", "Request"


class ListingStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    EXPIRED = "expired", "Expired"
    CLOSED = "closed", "Closed"  # the poster took it down, or the help was given


class Listing(models.Model):
    """An offer of help, a skill or a thing, or a request for one, by a member or on an organisation's behalf.

    ``search_text`` is what full-text search reads (title, description, tags and category, kept by the actions);
    on PostgreSQL a GIN index over its tsvector (migration 0002) makes search fast."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="listings")
    kind = models.CharField(max_length=8, choices=ListingKind.choices)
    status = models.CharField(max_length=8, choices=ListingStatus.choices, default=ListingStatus.DRAFT)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="listings")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="listings",
        help_text="Set when the member posts for their organisation (a partner's offer).",
    )  # fmt: skip
    posted_by = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="A coordinator who posted it on the member's behalf (e.g. for a resident without internet).",
    )  # fmt: skip
    title = models.CharField(max_length=TITLE_MAX_CHARS)
    description = models.TextField(max_length=DESCRIPTION_MAX_CHARS)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="listings")
    tags = models.JSONField(default=list, blank=True)
    place_name = models.CharField(max_length=80, blank=True, help_text="A rough place, e.g. a street or an area.")
    # Rough location only (3 decimals, about 100 m), as on Member.
    latitude = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    longitude = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    availability = models.JSONField(default=list, blank=True, help_text="Day parts, as on a member's profile.")
    remote_ok = models.BooleanField(default=False, help_text="Can be done by phone or online.")
    estimated_minutes = models.PositiveIntegerField(null=True, blank=True, help_text="Roughly how long it takes.")
    # A partner's offer priced in community credits (a swimming session for 1 credit), in the currency's smallest unit.
    price_amount = models.BigIntegerField(null=True, blank=True)
    price_currency = models.ForeignKey(Currency, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    photo = models.ImageField(upload_to="market/photos/%Y/%m/", blank=True)
    search_text = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Moderation: a coordinator hid it (it stays for the record and the poster sees why).
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    hidden_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            # Newest first within a community (keyset pagination on (published_at, id)).
            models.Index(fields=["community", "status", "-published_at", "-id"], name="listing_newest"),
            models.Index(fields=["community", "category", "status"], name="listing_category"),
            models.Index(fields=["member", "status"], name="listing_member"),
            models.Index(fields=["status", "expires_at"], name="listing_expiry"),
            # Distance search takes a bounding box first (search.py); without this it scans the whole community.
            models.Index(fields=["community", "status", "latitude", "longitude"], name="listing_place"),
        ]
        constraints = [
            models.CheckConstraint(
                name="listing_price_with_currency",
                condition=Q(price_amount__isnull=True, price_currency__isnull=True)
                | Q(price_amount__gt=0, price_currency__isnull=False),
            ),
            models.CheckConstraint(
                name="listing_price_only_on_offers", condition=Q(price_amount__isnull=True) | Q(kind="offer")
            ),
            models.CheckConstraint(
                name="listing_published_unless_draft", condition=Q(status="draft") | Q(published_at__isnull=False)
            ),
            models.CheckConstraint(
                name="listing_location_whole",
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_visible(self) -> bool:
        """Shown to other members: active and not hidden by a coordinator."""
        return self.status == ListingStatus.ACTIVE and self.hidden_at is None
