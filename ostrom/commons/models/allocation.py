"""Contested allocation: a coordinator opens a request window for popular slots (allotment plots, Saturday
sessions in the kitchen, fishing sites); members ask, with need weights a coordinator sets and gives reasons for,
and rank slots; when the window closes an allocation runs with the rule chosen for it (rotation, weighted lottery
by need, or fair assignment) and its certificate is stored so anyone can re-run it and get the same result."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from ostrom.communities.models import Community, Member

from .assets import Asset
from .bookings import Booking

__all__ = [
    "AllocatedSlot",
    "AllocationMethod",
    "AllocationRequest",
    "AllocationSlot",
    "RequestWindow",
    "SlotScore",
    "WindowStatus",
]


class AllocationMethod(models.TextChoices):
    ROTATION = "rotation", "Rotation (Alanya): lots for starting places, then everyone moves on each period"
    LOTTERY = "lottery", "Lottery weighted by need"
    FAIR_ASSIGNMENT = "fair_assignment", "Fair assignment from members' rankings (envy-free up to one slot)"


class WindowStatus(models.TextChoices):
    OPEN = "open", "Taking requests"
    ALLOCATED = "allocated", "Allocated"
    CANCELLED = "cancelled", "Cancelled"


class RequestWindow(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="request_windows")
    asset = models.ForeignKey(Asset, null=True, blank=True, on_delete=models.PROTECT, related_name="request_windows")
    title = models.CharField(max_length=120)
    description = models.TextField(max_length=4000, blank=True)
    method = models.CharField(max_length=16, choices=AllocationMethod.choices)
    opens_at = models.DateTimeField(default=timezone.now)
    closes_at = models.DateTimeField()
    # Rotation: how many periods, and how long each lasts (e.g. 1 day); turning_period reverses direction there.
    periods = models.PositiveIntegerField(default=1)
    period_minutes = models.PositiveIntegerField(null=True, blank=True)
    turning_period = models.PositiveIntegerField(null=True, blank=True)
    # Lottery: the previous round of the same draw; its losers carry extra weight into this one.
    follows = models.OneToOneField("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="next_round")
    status = models.CharField(max_length=10, choices=WindowStatus.choices, default=WindowStatus.OPEN)
    seed = models.BigIntegerField(null=True, blank=True)
    certificate = models.JSONField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True, help_text="The run's explanation, shown to everyone.")
    created_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    allocated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-closes_at", "id"]
        constraints = [
            models.CheckConstraint(name="window_closes_after_opening", condition=Q(closes_at__gt=F("opens_at"))),
            models.CheckConstraint(name="window_periods_positive", condition=Q(periods__gte=1)),
        ]

    def __str__(self) -> str:
        return self.title


class AllocationSlot(models.Model):
    """One thing to share out: a plot, a site, a session. With ``starts_at``/``ends_at`` and the window's asset,
    a winner's slot becomes a booking."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    window = models.ForeignKey(RequestWindow, on_delete=models.CASCADE, related_name="slots")
    label = models.CharField(max_length=120)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0, help_text="Order of sites for rotation (east to west).")

    class Meta:
        ordering = ["window", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["window", "label"], name="allocation_slot_label_unique")]

    def __str__(self) -> str:
        return self.label


class AllocationRequest(models.Model):
    """A member's request in a window, with the need weight a coordinator set for it and why."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    window = models.ForeignKey(RequestWindow, on_delete=models.CASCADE, related_name="requests")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="allocation_requests")
    slots_wanted = models.PositiveIntegerField(default=1)
    need_points = models.PositiveIntegerField(default=1)
    need_tiers = models.JSONField(default=list, blank=True)
    need_reason = models.CharField(max_length=300, blank=True)
    need_set_by = models.ForeignKey(Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    lost_rounds = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["window", "member"], name="allocation_request_once"),
            models.CheckConstraint(name="allocation_request_wants_one", condition=Q(slots_wanted__gte=1)),
            models.CheckConstraint(name="allocation_need_points_positive", condition=Q(need_points__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.member} in {self.window}"


class SlotScore(models.Model):
    """How much a member values a slot (fair assignment): from a ranking or a score out of 100."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(AllocationRequest, on_delete=models.CASCADE, related_name="scores")
    slot = models.ForeignKey(AllocationSlot, on_delete=models.CASCADE, related_name="scores")
    score = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["request", "slot"], name="slot_score_once")]

    def __str__(self) -> str:
        return f"{self.slot}: {self.score}"


class AllocatedSlot(models.Model):
    """The result: who got which slot (in which period, for rotation), and the booking made for it, if any."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    window = models.ForeignKey(RequestWindow, on_delete=models.CASCADE, related_name="allocated")
    slot = models.ForeignKey(AllocationSlot, on_delete=models.CASCADE, related_name="allocated")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="allocated_slots")
    period = models.PositiveIntegerField(default=0)
    booking = models.OneToOneField(Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["window", "period", "slot", "id"]
        constraints = [
            models.UniqueConstraint(fields=["window", "slot", "period", "member"], name="allocated_slot_once"),
        ]

    def __str__(self) -> str:
        return f"{self.slot} to {self.member} (period {self.period})"
