"""Moderation: members report an ad or a message, coordinators act on reports, members block one another."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from ostrom.communities.models import Community, Member

from .exchanges import ExchangeMessage
from .listings import Listing

__all__ = ["Block", "Report", "ReportReason", "ReportStatus"]

NOTE_MAX_CHARS = 1000


class ReportReason(models.TextChoices):
    SPAM = "spam", "Spam or advertising"
    OFFENSIVE = "offensive", "Offensive, rude or hateful"
    UNSAFE = "unsafe", "Unsafe or dangerous"
    SCAM = "scam", "A scam or a fraud"
    NOT_ALLOWED = "not_allowed", "Not allowed here (against the community's rules)"
    OTHER = "other", "Something else"


class ReportStatus(models.TextChoices):
    OPEN = "open", "Waiting for a coordinator"
    ACTIONED = "actioned", "Hidden by a coordinator"
    DISMISSED = "dismissed", "Looked at, left as it is"


class Report(models.Model):
    """A member's report of an ad (``listing``) or a message in an exchange (``message``), exactly one of them.

    ``about`` is who posted what was reported, kept so coordinators can see a pattern (reports acted on against
    the same person) without joining through both kinds of target. A coordinator's decision on a target closes
    every open report of it at once."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="market_reports")
    reporter = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="market_reports_made")
    about = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="market_reports_about")
    listing = models.ForeignKey(Listing, null=True, blank=True, on_delete=models.CASCADE, related_name="reports")
    message = models.ForeignKey(
        ExchangeMessage, null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    reason = models.CharField(max_length=12, choices=ReportReason.choices)
    note = models.CharField(max_length=NOTE_MAX_CHARS, blank=True, help_text="What the reporter added in words.")
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    handled_by = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    handled_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=NOTE_MAX_CHARS, blank=True, help_text="What the coordinator decided and why.")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # The coordinators' queue: a community's open reports, oldest first.
            models.Index(fields=["community", "status", "created_at"], name="report_queue"),
            # The pattern beside a report: reports acted on against one person lately.
            models.Index(fields=["about", "status", "handled_at"], name="report_about"),
        ]
        constraints = [
            models.CheckConstraint(
                name="report_one_target",
                condition=Q(listing__isnull=False, message__isnull=True)
                | Q(listing__isnull=True, message__isnull=False),
            ),
            models.CheckConstraint(name="report_not_own", condition=~Q(reporter=F("about"))),
            models.CheckConstraint(
                name="report_handled_unless_open",
                condition=Q(status="open", handled_at__isnull=True) | (~Q(status="open") & Q(handled_at__isnull=False)),
            ),
            # One open report per reporter and target: a second click files nothing new. Once a coordinator has
            # decided, the same person may report it again (it may have been edited since).
            models.UniqueConstraint(
                fields=["community", "reporter", "listing"],
                condition=Q(status="open", listing__isnull=False),
                name="report_open_once_per_listing",
            ),
            models.UniqueConstraint(
                fields=["community", "reporter", "message"],
                condition=Q(status="open", message__isnull=False),
                name="report_open_once_per_message",
            ),
        ]

    def __str__(self) -> str:
        target = f"listing {self.listing_id}" if self.listing_id else f"message {self.message_id}"
        return f"Report of {target} ({self.get_reason_display()})"


class Block(models.Model):
    """``blocker`` chose not to deal with ``blocked``: neither sees the other's ads or can contact the other."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="market_blocks")
    blocker = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="market_blocks_made")
    blocked = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="market_blocks_received")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # blocked_member_ids asks both directions; the unique constraint's index serves the blocker side.
            models.Index(fields=["community", "blocked"], name="block_blocked"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["community", "blocker", "blocked"], name="block_once"),
            models.CheckConstraint(name="block_not_yourself", condition=~Q(blocker=F("blocked"))),
        ]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"
