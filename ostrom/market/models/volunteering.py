"""Volunteering: roles organisations post, members' applications, the hours organisations log (each earning the
volunteer time credits through one ledger transfer) and employers' yearly pledges of their staff's hours.

``VolunteerRole.minutes_per_week`` is the time one volunteer is asked to give in a typical week (a befriender
1 h, a school governor about 2 h); a one-off shift says how long the shift is and ends on the day it starts."""

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from ostrom.communities.models import Community, Member, Organisation
from ostrom.ledger.models import Transfer

from ..domain.volunteering import (
    ANSWER_MAX_CHARS,
    FIRST_PLEDGE_YEAR,
    LAST_PLEDGE_YEAR,
    LOG_NOTE_MAX_CHARS,
    MAX_LOG_MINUTES,
    MAX_MINUTES_PER_WEEK,
    MAX_PLEDGE_MINUTES,
    MAX_VOLUNTEERS_NEEDED,
    NOTE_MAX_CHARS,
    PLACE_MAX_CHARS,
    ROLE_DESCRIPTION_MAX_CHARS,
    ROLE_TITLE_MAX_CHARS,
)

__all__ = [
    "ApplicationStatus",
    "RoleStatus",
    "VolunteerApplication",
    "VolunteerLog",
    "VolunteerPledge",
    "VolunteerRole",
]


class RoleStatus(models.TextChoices):
    OPEN = "open", "Open for applications"
    FILLED = "filled", "Filled"  # as many volunteers accepted as were needed
    CLOSED = "closed", "Closed"


class ApplicationStatus(models.TextChoices):
    APPLIED = "applied", "Waiting for an answer"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


# An application still in play: a member has at most one of these per role.
ACTIVE_APPLICATION = (ApplicationStatus.APPLIED, ApplicationStatus.ACCEPTED)


class VolunteerRole(models.Model):
    """A volunteering role an organisation needs filled: befriender, school governor, community-garden shift."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="volunteer_roles")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="volunteer_roles")
    title = models.CharField(max_length=ROLE_TITLE_MAX_CHARS)
    description = models.TextField(max_length=ROLE_DESCRIPTION_MAX_CHARS)
    minutes_per_week = models.PositiveIntegerField(help_text="Time one volunteer gives in a typical week.")
    volunteers_needed = models.PositiveIntegerField(default=1)
    place = models.CharField(max_length=PLACE_MAX_CHARS, blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True, help_text="Blank for an ongoing role.")
    status = models.CharField(max_length=8, choices=RoleStatus.choices, default=RoleStatus.OPEN)
    created_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["community", "status", "-created_at"], name="volunteer_role_open")]
        constraints = [
            models.CheckConstraint(
                name="volunteer_role_minutes_sane",
                condition=Q(minutes_per_week__gt=0, minutes_per_week__lte=MAX_MINUTES_PER_WEEK),
            ),
            models.CheckConstraint(
                name="volunteer_role_needs_someone",
                condition=Q(volunteers_needed__gte=1, volunteers_needed__lte=MAX_VOLUNTEERS_NEEDED),
            ),
            models.CheckConstraint(
                name="volunteer_role_ends_after_start",
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class VolunteerApplication(models.Model):
    """A member offers to take a role; the organisation accepts or declines, or the member withdraws."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    role = models.ForeignKey(VolunteerRole, on_delete=models.CASCADE, related_name="applications")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="volunteer_applications")
    note = models.TextField(max_length=NOTE_MAX_CHARS, blank=True, help_text="What the member tells the organisation.")
    status = models.CharField(max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.APPLIED)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    answer = models.CharField(
        max_length=ANSWER_MAX_CHARS, blank=True, help_text="What the organisation said when it answered."
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["member", "status"], name="volunteer_application_member")]
        constraints = [
            models.UniqueConstraint(
                fields=["role", "member"],
                condition=Q(status__in=["applied", "accepted"]),
                name="volunteer_application_once_while_active",
            ),
            models.CheckConstraint(
                name="volunteer_application_decided_when_answered",
                condition=Q(status__in=["applied", "withdrawn"]) | Q(decided_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} for {self.role}"


class VolunteerLog(models.Model):
    """Minutes a volunteer worked on one day, logged by the organisation. ``transfer_key`` is fixed when the log
    is first submitted (the form carries it), so submitting the same log again credits nothing more: the log is
    unique on it, and it is the ledger transfer's idempotency key too. ``employer`` is the volunteer's own
    organisation when the hours were logged, so an employer's pledge counts what its staff gave at the time."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    role = models.ForeignKey(VolunteerRole, on_delete=models.PROTECT, related_name="logs")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="volunteer_logs")
    minutes = models.PositiveIntegerField()
    worked_on = models.DateField()
    note = models.CharField(max_length=LOG_NOTE_MAX_CHARS, blank=True)
    logged_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    employer = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    transfer_key = models.UUIDField(default=uuid.uuid4, editable=False)
    # Set in the same transaction that writes the log, just after the transfer is posted.
    transfer = models.OneToOneField(
        Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="volunteer_log", db_constraint=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-worked_on", "-id"]
        indexes = [
            models.Index(fields=["member", "worked_on"], name="volunteer_log_member_day"),
            models.Index(fields=["employer", "worked_on"], name="volunteer_log_employer"),
            models.Index(fields=["role", "-worked_on"], name="volunteer_log_role"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["community", "transfer_key"], name="volunteer_log_key_unique"),
            models.CheckConstraint(
                name="volunteer_log_minutes_in_a_day", condition=Q(minutes__gt=0, minutes__lte=MAX_LOG_MINUTES)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member}: {self.minutes} min on {self.worked_on}"


class VolunteerPledge(models.Model):
    """An employer promises its staff will volunteer so many hours in a calendar year."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    employer = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="volunteer_pledges")
    year = models.PositiveIntegerField()
    minutes_pledged = models.PositiveIntegerField()
    created_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-year", "employer_id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "employer", "year"], name="volunteer_pledge_once_a_year"),
            models.CheckConstraint(
                name="volunteer_pledge_minutes_sane",
                condition=Q(minutes_pledged__gt=0, minutes_pledged__lte=MAX_PLEDGE_MINUTES),
            ),
            models.CheckConstraint(
                name="volunteer_pledge_year_sane", condition=Q(year__gte=FIRST_PLEDGE_YEAR, year__lte=LAST_PLEDGE_YEAR)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employer} pledges {self.minutes_pledged} min in {self.year}"
