"""Community events: capacity, RSVPs (by web, API or SMS ``RSVP <code>``), a waitlist, and the attendance the host
takes once the event has started (it feeds participation figures later).

Capacity holds whatever races: ``Event.going_count`` is kept in the same transaction as every RSVP, under a lock
on the event row, and a CHECK refuses any count above the capacity, so the database is the last line of defence."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from ostrom.communities.models import Community, Member, Organisation

from ..domain.events import (
    CANCEL_REASON_MAX_CHARS,
    EVENT_DESCRIPTION_MAX_CHARS,
    EVENT_TITLE_MAX_CHARS,
    MAX_CAPACITY,
    PLACE_MAX_CHARS,
    WALK_IN_NAME_MAX_CHARS,
)

__all__ = ["Attendance", "Event", "EventStatus", "Rsvp", "RsvpStatus"]


class EventStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CANCELLED = "cancelled", "Cancelled"


class RsvpStatus(models.TextChoices):
    GOING = "going", "Going"
    WAITLISTED = "waitlisted", "On the waiting list"
    CANCELLED = "cancelled", "Not going"


class Event(models.Model):
    """Something happening in the community: a litter pick, a repair café, a coffee morning."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="events")
    host = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="events_hosted")
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        help_text="Set when the host runs it for their organisation.",
    )
    title = models.CharField(max_length=EVENT_TITLE_MAX_CHARS)
    description = models.TextField(max_length=EVENT_DESCRIPTION_MAX_CHARS)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    place = models.CharField(max_length=PLACE_MAX_CHARS)
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Blank for no limit.")
    going_count = models.PositiveIntegerField(default=0, editable=False)
    status = models.CharField(max_length=10, choices=EventStatus.choices, default=EventStatus.SCHEDULED)
    rsvp_code = models.CharField(max_length=8)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=CANCEL_REASON_MAX_CHARS, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["community", "status", "starts_at"], name="event_upcoming")]
        constraints = [
            models.CheckConstraint(name="event_ends_after_start", condition=Q(ends_at__gt=F("starts_at"))),
            models.CheckConstraint(
                name="event_capacity_sane",
                condition=Q(capacity__isnull=True) | Q(capacity__gte=1, capacity__lte=MAX_CAPACITY),
            ),
            models.CheckConstraint(
                name="event_never_over_capacity",
                condition=Q(capacity__isnull=True) | Q(going_count__lte=F("capacity")),
            ),
            models.UniqueConstraint(fields=["community", "rsvp_code"], name="event_rsvp_code_unique"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def places_left(self) -> int | None:
        """Places still free; None when there is no limit."""
        return None if self.capacity is None else max(self.capacity - self.going_count, 0)


class Rsvp(models.Model):
    """A member's answer to an event. ``queued_at`` orders the waiting list: first to wait is first promoted."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rsvps")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="rsvps")
    status = models.CharField(max_length=10, choices=RsvpStatus.choices)
    queued_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["event", "status", "queued_at"], name="rsvp_waiting_list")]
        constraints = [
            models.UniqueConstraint(fields=["event", "member"], name="rsvp_once_per_event"),
            models.CheckConstraint(
                name="rsvp_waitlisted_has_place_in_queue",
                condition=~Q(status="waitlisted") | Q(queued_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.status} to {self.event}"


class Attendance(models.Model):
    """Someone the host saw at the event: a member, or a walk-in by name."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="attended")
    walk_in_name = models.CharField(max_length=WALK_IN_NAME_MAX_CHARS, blank=True)
    marked_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "member"], condition=Q(member__isnull=False), name="attendance_once_per_member"
            ),
            models.CheckConstraint(
                name="attendance_member_or_walk_in",
                condition=(Q(member__isnull=False) & Q(walk_in_name=""))
                | (Q(member__isnull=True) & ~Q(walk_in_name="")),
            ),
        ]

    def __str__(self) -> str:
        return self.walk_in_name or self.member.display_name
