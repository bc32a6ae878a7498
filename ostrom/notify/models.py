"""The outbox and everything a message needs on its way out (preferences, opt-outs, quiet hours) or on its way in
(inbound SMS, confirmations, webhook receipts). What two workers or two webhooks could race on is a database
constraint: one claim per message, one row per inbound provider id, one digest per member and period."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from ostrom.communities.models import Community, Member, User


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message (SMS)"


class MessageStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    DEAD = "dead", "Gave up (dead letter)"
    CANCELLED = "cancelled", "Cancelled"


class Message(models.Model):
    """One message to one address on one channel. Written in the transaction of the action that causes it and
    sent later by a worker, which claims it with a compare-and-set update and a lease (``claimed_until``) so a
    worker killed mid-send never loses it; ``reference`` goes to providers as an idempotency key."""

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    community = models.ForeignKey(Community, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    to_address = models.CharField(max_length=254)
    kind = models.CharField(max_length=60)
    essential = models.BooleanField(default=False, help_text="Sent even to an opted-out number (e.g. the STOP reply).")
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(max_length=5000)
    status = models.CharField(max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    provider_reference = models.CharField(max_length=120, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="message_due"),
            models.Index(fields=["community", "-created_at"], name="message_log"),
        ]
        constraints = [
            models.CheckConstraint(
                name="message_claim_has_lease",
                condition=~Q(status="sending") | (Q(claimed_until__isnull=False) & Q(claim_token__isnull=False)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.to_address}: {self.kind} ({self.status})"


class ChannelChoice(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message (SMS)"
    DIGEST = "digest", "Only in my digest"
    OFF = "off", "Don't tell me"


class Preference(models.Model):
    """How a member wants to hear about one kind of message. No row means the kind's default channel."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="notification_preferences")
    kind = models.CharField(max_length=60)
    channel = models.CharField(max_length=8, choices=ChannelChoice.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "kind"], name="preference_once_per_kind")]

    def __str__(self) -> str:
        return f"{self.member}: {self.kind} by {self.channel}"


class DigestFrequency(models.TextChoices):
    DAILY = "daily", "Every day"
    WEEKLY = "weekly", "Every week"
    OFF = "off", "Never"


class NotificationSettings(models.Model):
    """A member's quiet hours (in the community's time zone) and digest frequency."""

    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="notification_settings")
    quiet_from = models.TimeField(null=True, blank=True)
    quiet_until = models.TimeField(null=True, blank=True)
    digest_frequency = models.CharField(max_length=8, choices=DigestFrequency.choices, default=DigestFrequency.WEEKLY)
    digest_channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    last_digest_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "notification settings"
        constraints = [
            models.CheckConstraint(
                name="quiet_hours_both_or_neither",
                condition=Q(quiet_from__isnull=True, quiet_until__isnull=True)
                | Q(quiet_from__isnull=False, quiet_until__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"Notification settings of {self.member}"


class SmsOptOut(models.Model):
    """A number that sent STOP. Opt-out is a legal duty: it holds for every community and every non-essential
    message until the same number sends START."""

    phone = models.CharField(max_length=16, unique=True)
    opted_out_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.phone


class PhoneVerification(models.Model):
    """A code sent to prove a member holds a phone number. Only the code's hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="phone_verifications")
    phone = models.CharField(max_length=16)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.phone} for {self.user}"


class InboundSms(models.Model):
    """A text message received. ``provider_id`` is unique so a replayed or re-delivered webhook is handled once."""

    provider_id = models.CharField(max_length=120, unique=True)
    phone = models.CharField(max_length=16)
    text = models.CharField(max_length=1600)
    received_at = models.DateTimeField(default=timezone.now)
    community = models.ForeignKey(Community, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    command = models.CharField(max_length=20, blank=True)
    outcome = models.CharField(max_length=40, blank=True)
    reply = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name_plural = "inbound SMS"
        indexes = [models.Index(fields=["phone", "-received_at"], name="inbound_by_phone")]

    def __str__(self) -> str:
        return f"from {self.phone}: {self.text[:40]}"


class SmsConfirmation(models.Model):
    """An SMS command waiting for YES <code> or NO <code>, e.g. a payment. Resolved at most once."""

    code = models.CharField(max_length=8)
    phone = models.CharField(max_length=16)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    confirmer = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    summary = models.CharField(max_length=160)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["phone", "code"], name="confirmation_code_unique_per_phone")]

    def __str__(self) -> str:
        return f"{self.code} for {self.phone}: {self.summary}"


class WebhookReceipt(models.Model):
    """Signatures already accepted, so a captured webhook cannot be replayed inside the timestamp window."""

    signature = models.CharField(max_length=128, unique=True)
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.signature[:16]
