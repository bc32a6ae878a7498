"""Who may see or do what with notifications. Views ask here; none decides on its own.

A coordinator sees only their own community's messages; a member sees only their own settings and numbers."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from ostrom.communities.models import Member, User

from .models import Message, PhoneVerification, SmsOptOut


def community_messages(coordinator: Member) -> QuerySet[Message]:
    """The outbox rows of the coordinator's community, newest first, with the member each went to."""
    return (
        Message.objects.filter(community=coordinator.community).select_related("member").order_by("-created_at", "-pk")
    )


def get_message_or_404(coordinator: Member, message_id: int) -> Message:
    message = Message.objects.filter(community=coordinator.community, pk=message_id).select_related("member").first()
    if message is None:
        raise Http404("No message with that number here.")
    return message


def has_verified_phone(user: User) -> bool:
    """True when the user proved, with a code, that they hold the phone number now on their account."""
    if not user.phone:
        return False
    return PhoneVerification.objects.filter(user=user, phone=user.phone, verified_at__isnull=False).exists()


def pending_verification(user: User) -> PhoneVerification | None:
    """The code the user may still enter (the newest one, unexpired and unused), or None."""
    return (
        PhoneVerification.objects.filter(user=user, verified_at__isnull=True, expires_at__gt=timezone.now())
        .order_by("-created_at", "-pk")
        .first()
    )


def sms_opt_out(user: User) -> SmsOptOut | None:
    """The STOP the user's phone number sent, if it did."""
    return SmsOptOut.objects.filter(phone=user.phone).first() if user.phone else None


def can_turn_texts_back_on(user: User, opt_out: SmsOptOut) -> bool:
    """Undoing a STOP on the web needs proof that this person held the number when (or after) it sent STOP: a
    code confirmed since then. Otherwise anyone who typed a stranger's number could override the stranger's STOP,
    which the law gives to whoever holds the phone."""
    return PhoneVerification.objects.filter(
        user=user, phone=opt_out.phone, verified_at__isnull=False, verified_at__gte=opt_out.opted_out_at
    ).exists()
