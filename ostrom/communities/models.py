"""People and places: users, communities, members, organisations, invitations, tokens and the audit trail.

Every row that belongs to a community carries ``community_id`` and its unique constraints include it,
so communities stay independent shards (see ARCHITECTURE.md, tenancy)."""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone

from . import domain


class UserManager(BaseUserManager["User"]):
    def create_user(self, email=None, password=None, *, phone=None, **extra):
        user = self.model(email=domain.normalise_email(email) if email else None, phone=phone or None, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email=domain.normalise_email(username))


class User(AbstractBaseUser, PermissionsMixin):
    """A person's login. One person can belong to many communities through ``Member`` rows."""

    email = models.EmailField(unique=True, null=True, blank=True, max_length=254)
    phone = models.CharField("phone number", unique=True, null=True, blank=True, max_length=16)
    full_name = models.CharField(max_length=150)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Can use the Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)
    erased_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="user_has_email_or_phone_unless_erased",
                condition=Q(email__isnull=False) | Q(phone__isnull=False) | Q(erased_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email or self.phone or f"user {self.pk}"

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else ""


class Community(models.Model):
    """A timebank, neighbourhood network or scheme that runs on this installation."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True, max_length=2000)
    time_zone = models.CharField(max_length=64, default="Europe/London", validators=[domain.validate_time_zone])
    locale = models.CharField(max_length=10, default="en-gb", choices=settings.LANGUAGES)
    population = models.PositiveIntegerField(
        null=True, blank=True, help_text="People living in the area it serves; used for the participation rate."
    )
    join_policy = models.CharField(max_length=12, choices=domain.JoinPolicy.choices, default=domain.JoinPolicy.OPEN)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "communities"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    """A partner (council, NHS trust, school, charity, business) that co-produces with residents."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="organisations")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60)
    kind = models.CharField(max_length=12, choices=domain.OrganisationKind.choices)
    description = models.TextField(blank=True, max_length=4000)
    website = models.URLField(blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=16, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "slug"], name="organisation_slug_unique_in_community"),
            models.UniqueConstraint(fields=["community", "name"], name="organisation_name_unique_in_community"),
        ]

    def __str__(self) -> str:
        return self.name


class Member(models.Model):
    """A person's membership of one community, with the profile they show there."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    display_name = models.CharField(max_length=80)
    role = models.CharField(max_length=12, choices=domain.Role.choices, default=domain.Role.MEMBER)
    status = models.CharField(max_length=12, choices=domain.Status.choices, default=domain.Status.ACTIVE)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    bio = models.TextField(blank=True, max_length=2000)
    skills = models.JSONField(default=list, blank=True)
    interests = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True)
    availability = models.JSONField(default=list, blank=True)
    contact_preferences = models.JSONField(default=list, blank=True)
    postcode_district = models.CharField(max_length=4, blank=True)
    # Rounded to three decimal places (about 100 m) before it is stored: rough location only.
    latitude = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    longitude = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    share_email = models.BooleanField(default=False)
    share_phone = models.BooleanField(default=False)
    share_location = models.BooleanField(default=True)
    listed_in_directory = models.BooleanField(default=True)
    registered_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    consent_recorded_at = models.DateTimeField(null=True, blank=True)
    consent_note = models.CharField(max_length=500, blank=True)
    joined_at = models.DateTimeField(default=timezone.now)
    approved_at = models.DateTimeField(null=True, blank=True)
    # Lower-cased name, skills and interests, kept in step by actions, so search works the same on SQLite and PostgreSQL.
    search_text = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["display_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "user"], name="member_once_per_community"),
            models.CheckConstraint(
                name="staff_belong_to_an_organisation",
                condition=~Q(role=domain.Role.STAFF) | Q(organisation__isnull=False),
            ),
            models.CheckConstraint(
                name="member_latitude_in_range",
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
            ),
            models.CheckConstraint(
                name="member_longitude_in_range",
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
            ),
        ]
        indexes = [models.Index(fields=["community", "status", "role"])]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.community.slug})"

    @property
    def is_active(self) -> bool:
        return self.status == domain.Status.ACTIVE

    @property
    def availability_labels(self) -> list[str]:
        return [str(domain.Availability(v).label) for v in self.availability if v in domain.Availability.values]

    @property
    def contact_preference_labels(self) -> list[str]:
        return [
            str(domain.ContactChannel(v).label) for v in self.contact_preferences if v in domain.ContactChannel.values
        ]

    @property
    def is_coordinator(self) -> bool:
        return self.is_active and self.role in domain.COORDINATING_ROLES

    @property
    def is_admin(self) -> bool:
        return self.is_active and self.role == domain.Role.ADMIN


class Invitation(models.Model):
    """A link that lets people join without waiting for approval. Only a hash of its token is stored."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField(blank=True, help_text="If set, only this address may use the invitation.")
    role = models.CharField(max_length=12, choices=domain.Role.choices, default=domain.Role.MEMBER)
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.CASCADE)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    max_uses = models.PositiveIntegerField(default=1)
    use_count = models.PositiveIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="invitation_uses_within_limit", condition=Q(use_count__lte=models.F("max_uses"))
            ),
            models.CheckConstraint(
                name="staff_invitation_names_organisation",
                condition=~Q(role=domain.Role.STAFF) | Q(organisation__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation to {self.community} ({self.get_role_display()})"


class ApiToken(models.Model):
    """A personal access token for the JSON API, scoped to one membership. Only a hash is stored."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=60)
    prefix = models.CharField(max_length=12, unique=True)
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "Revoked"
        if self.expires_at and self.expires_at <= timezone.now():
            return "Expired"
        return "Active"


class AuditEntry(models.Model):
    """Who did what to whom, when and why. Written by actions whenever someone acts on another's behalf."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="audit_entries")
    actor = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=60)
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries")
    reason = models.CharField(max_length=500, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.action} by {self.actor} at {self.created_at:%Y-%m-%d %H:%M}"
