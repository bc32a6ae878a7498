"""Exchanges: one piece of help agreed between a giver and a receiver, carried through to one ledger transfer."""

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from ostrom.communities.models import Community, Member
from ostrom.ledger.models import Currency, Transfer

from .listings import Listing

__all__ = ["Exchange", "ExchangeMessage", "ExchangeStatus"]

MESSAGE_MAX_CHARS = 2000


class ExchangeStatus(models.TextChoices):
    ENQUIRY = "enquiry", "Talking"  # a thread about an ad; nothing agreed yet
    AGREED = "agreed", "Agreed"  # both accepted who, what, when and how much
    DONE = "done", "Done, waiting for confirmation"
    CONFIRMED = "confirmed", "Confirmed"  # the transfer is made
    CANCELLED = "cancelled", "Cancelled"
    DISPUTED = "disputed", "Disputed"  # a coordinator decides: confirm (maybe another amount) or cancel


class Exchange(models.Model):
    """Who gives, who receives, what and how much. ``transfer_key`` is fixed when the exchange starts and is the
    ledger transfer's idempotency key, so however many times (and however simultaneously) it is confirmed, the
    ledger makes one transfer."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="exchanges")
    listing = models.ForeignKey(Listing, null=True, blank=True, on_delete=models.PROTECT, related_name="exchanges")
    giver = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="exchanges_given")
    receiver = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="exchanges_received")
    started_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=ExchangeStatus.choices, default=ExchangeStatus.ENQUIRY)
    what = models.CharField(max_length=200, blank=True)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    currency = models.ForeignKey(Currency, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField(null=True, blank=True, help_text="In the currency's smallest unit (minutes).")
    # Terms are proposed by one side and accepted by the other.
    proposed_by = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(null=True, blank=True)
    agreed_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    transfer_key = models.UUIDField(default=uuid.uuid4, editable=False)
    transfer = models.OneToOneField(
        Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="exchange", db_constraint=False
    )
    # The code a receiver texts back (YES <code>) to confirm by SMS.
    confirm_code = models.CharField(max_length=8, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    cancel_reason = models.CharField(max_length=500, blank=True)
    disputed_at = models.DateTimeField(null=True, blank=True)
    disputed_by = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    dispute_reason = models.CharField(max_length=1000, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    resolution = models.CharField(max_length=1000, blank=True)
    # Contact details stay hidden until both sides chose to share them.
    giver_shares_contact = models.BooleanField(default=False)
    receiver_shares_contact = models.BooleanField(default=False)
    thanks_note = models.CharField(max_length=500, blank=True)
    thanked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["giver", "status"], name="exchange_giver"),
            models.Index(fields=["receiver", "status"], name="exchange_receiver"),
            models.Index(fields=["community", "status"], name="exchange_status"),
        ]
        constraints = [
            models.CheckConstraint(name="exchange_two_people", condition=~Q(giver=F("receiver"))),
            models.CheckConstraint(name="exchange_amount_positive", condition=Q(amount__isnull=True) | Q(amount__gt=0)),
            models.CheckConstraint(
                name="exchange_terms_before_agreement",
                condition=Q(agreed_at__isnull=True) | Q(amount__isnull=False, currency__isnull=False),
            ),
            models.CheckConstraint(
                name="exchange_confirmed_has_transfer",
                condition=~Q(status="confirmed") | Q(transfer__isnull=False, confirmed_at__isnull=False),
            ),
            models.UniqueConstraint(fields=["community", "transfer_key"], name="exchange_transfer_key_unique"),
            models.UniqueConstraint(
                fields=["community", "confirm_code"], condition=~Q(confirm_code=""), name="exchange_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.what or f"Exchange {self.pk}"

    @property
    def contact_shared(self) -> bool:
        return self.giver_shares_contact and self.receiver_shares_contact


class ExchangeMessage(models.Model):
    """A message in an exchange's thread; ``author`` is empty for notes the system adds ("Mina agreed 2 h")."""

    exchange = models.ForeignKey(Exchange, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=MESSAGE_MAX_CHARS)
    created_at = models.DateTimeField(default=timezone.now)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["exchange", "created_at"], name="exchange_message_thread")]

    def __str__(self) -> str:
        return self.body[:60]
