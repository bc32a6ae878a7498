"""Rotas and care circles: a self-managed team (Buurtzorg-style, or a family's care circle) owns recurring shifts;
members set when they can do them; a fair-load scheduler (domain/rota.py) fills the shifts; members swap; shifts
nobody could take alert the team by SMS; hours done can be logged to the timebank."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from ostrom.communities.models import Community, Member
from ostrom.ledger.models import Currency, Transfer

__all__ = [
    "Shift",
    "ShiftAssignment",
    "ShiftPattern",
    "SwapRequest",
    "SwapStatus",
    "Team",
    "TeamAvailability",
    "TeamKind",
    "TeamMember",
]


class TeamKind(models.TextChoices):
    TEAM = "team", "Self-managed team"
    CARE_CIRCLE = "care_circle", "Care circle"


class Team(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="teams")
    kind = models.CharField(max_length=12, choices=TeamKind.choices, default=TeamKind.TEAM)
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60)
    description = models.TextField(max_length=4000, blank=True)
    # Hours done can be logged to this timebank currency, paid by the team's cared-for member or the community.
    timebank = models.ForeignKey(Currency, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["community", "slug"], name="team_slug_unique")]

    def __str__(self) -> str:
        return self.name


class TeamMember(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="team_memberships")
    is_organiser = models.BooleanField(default=False)
    max_minutes_per_rota = models.PositiveIntegerField(null=True, blank=True)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "member"], name="team_member_once")]

    def __str__(self) -> str:
        return f"{self.member} in {self.team}"


class ShiftPattern(models.Model):
    """A weekly recurring shift: ``weekday`` 0 = Monday, start in minutes after local midnight."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="patterns")
    title = models.CharField(max_length=120)
    weekday = models.PositiveSmallIntegerField()
    start_minute = models.PositiveSmallIntegerField()
    duration_minutes = models.PositiveIntegerField()
    people_needed = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["team", "weekday", "start_minute"]
        constraints = [
            models.CheckConstraint(name="shift_pattern_weekday", condition=Q(weekday__lte=6)),
            models.CheckConstraint(name="shift_pattern_start_in_day", condition=Q(start_minute__lt=24 * 60)),
            models.CheckConstraint(
                name="shift_pattern_duration", condition=Q(duration_minutes__gte=1, duration_minutes__lte=24 * 60)
            ),
            models.CheckConstraint(name="shift_pattern_needs_someone", condition=Q(people_needed__gte=1)),
        ]

    def __str__(self) -> str:
        return self.title


class TeamAvailability(models.Model):
    """When a team member can work: weekly windows in minutes after Monday 00:00 (domain.rota.Window)."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    team_member = models.ForeignKey(TeamMember, on_delete=models.CASCADE, related_name="availability")
    start_minute_of_week = models.PositiveIntegerField()
    end_minute_of_week = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="team_availability_in_order",
                condition=Q(end_minute_of_week__gt=F("start_minute_of_week")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.team_member} {self.start_minute_of_week}-{self.end_minute_of_week}"


class Shift(models.Model):
    """One concrete shift (from a pattern, or one-off)."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="shifts")
    pattern = models.ForeignKey(ShiftPattern, null=True, blank=True, on_delete=models.SET_NULL, related_name="shifts")
    title = models.CharField(max_length=120)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    people_needed = models.PositiveIntegerField(default=1)
    unfilled_alerted_at = models.DateTimeField(null=True, blank=True)
    # Why seats are empty, as a stable code (domain.rota's reasons, or "member_left"), for the team's alert.
    unfilled_reason = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["team", "starts_at"], name="shift_team_calendar")]
        constraints = [
            models.CheckConstraint(name="shift_ends_after_start", condition=Q(ends_at__gt=F("starts_at"))),
            models.UniqueConstraint(
                fields=["pattern", "starts_at"], condition=Q(pattern__isnull=False), name="shift_once_per_pattern"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.starts_at:%Y-%m-%d %H:%M}"


class ShiftAssignment(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="assignments")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="shift_assignments")
    reminded_at = models.DateTimeField(null=True, blank=True)
    hours_transfer = models.ForeignKey(Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shift", "member"], name="shift_assignment_once")]

    def __str__(self) -> str:
        return f"{self.member} on {self.shift}"


class SwapStatus(models.TextChoices):
    OPEN = "open", "Looking for someone"
    DONE = "done", "Swapped"
    WITHDRAWN = "withdrawn", "Withdrawn"


class SwapRequest(models.Model):
    """A member asks someone to take (or trade for) their shift."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    assignment = models.ForeignKey(ShiftAssignment, on_delete=models.CASCADE, related_name="swap_requests")
    in_exchange_for = models.ForeignKey(
        ShiftAssignment, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    taken_by = models.ForeignKey(Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=SwapStatus.choices, default=SwapStatus.OPEN)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"swap of {self.assignment}"
