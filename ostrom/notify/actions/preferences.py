"""What a member wants to hear and how: a channel for each kind of message, quiet hours, how often a digest comes,
and proving a phone number by a code sent to it before texts go there."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ostrom.communities.domain import DomainError, normalise_phone
from ostrom.communities.models import Member, User
from ostrom.notify import registry

from ..models import Channel, ChannelChoice, DigestFrequency, NotificationSettings, PhoneVerification, Preference
from . import outbox

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
MAX_CODE_ATTEMPTS = 5
# Codes asked for within the hour, per account and per number: enough for a typo or a slow network, too few to
# use us to pester someone else's phone.
MAX_CODES_PER_HOUR = 3
PHONE_VERIFICATION_KIND = "notify.phone_verification"


@dataclass(frozen=True)
class KindChoice:
    """One kind of message as a member's settings page shows it."""

    key: str
    label: str
    essential: bool
    channel: str


def settings_for(member: Member) -> NotificationSettings:
    """The member's quiet hours and digest settings; the defaults (unsaved) if they never changed them."""
    return NotificationSettings.objects.filter(member=member).first() or NotificationSettings(member=member)


def preferences_for(member: Member) -> list[KindChoice]:
    """Every registered kind with the channel it reaches this member by (their choice, else the kind's default)."""
    chosen = dict(Preference.objects.filter(member=member).values_list("kind", "channel"))
    return [
        KindChoice(kind.key, kind.label, kind.essential, chosen.get(kind.key, kind.default_channel))
        for kind in sorted(registry.kinds(), key=lambda k: k.label)
    ]


def set_preference(member: Member, kind: str, channel: str) -> Preference:
    """Choose how ``member`` hears about ``kind``: email, SMS, only in the digest, or not at all."""
    try:
        spec = registry.get_kind(kind)
    except KeyError:
        raise DomainError("unknown_kind", "There is no such kind of message.", "kind") from None
    if channel not in ChannelChoice.values:
        raise DomainError("unknown_channel", "Choose email, text message, digest or off.", "channel")
    if spec.essential and channel in (ChannelChoice.DIGEST, ChannelChoice.OFF):
        raise DomainError(
            "essential_kind", f"“{spec.label}” messages are needed to use Ostrom, so they cannot be turned off.",
            "channel",
        )  # fmt: skip
    if channel == ChannelChoice.SMS and not member.user.phone:
        raise DomainError("phone_required", "Add and confirm a phone number before choosing text messages.", "channel")
    preference, _ = Preference.objects.update_or_create(member=member, kind=spec.key, defaults={"channel": channel})
    return preference


def set_quiet_hours(member: Member, quiet_from: time | None, quiet_until: time | None) -> NotificationSettings:
    """Hold texts back between ``quiet_from`` and ``quiet_until`` (community time; may span midnight); two Nones
    turn quiet hours off."""
    if (quiet_from is None) != (quiet_until is None):
        raise DomainError(
            "quiet_hours_incomplete", "Give both the start and the end of your quiet hours.", "quiet_from"
        )
    if quiet_from is not None and quiet_from == quiet_until:
        raise DomainError("quiet_hours_empty", "Quiet hours must start and end at different times.", "quiet_until")
    return _save_settings(member, quiet_from=quiet_from, quiet_until=quiet_until)


def set_digest(member: Member, frequency: str, channel: str | None = None) -> NotificationSettings:
    """How often the digest comes (daily, weekly or never) and by which channel."""
    if frequency not in DigestFrequency.values:
        raise DomainError("unknown_frequency", "Choose a daily or weekly digest, or none.", "digest_frequency")
    changes: dict[str, object] = {"digest_frequency": frequency}
    if channel is not None:
        if channel not in Channel.values:
            raise DomainError("unknown_channel", "Choose email or text message for the digest.", "digest_channel")
        if channel == Channel.SMS and not member.user.phone:
            raise DomainError(
                "phone_required", "Add and confirm a phone number before choosing text messages.", "digest_channel"
            )
        changes["digest_channel"] = channel
    return _save_settings(member, **changes)


def _save_settings(member: Member, **changes: object) -> NotificationSettings:
    row, _ = NotificationSettings.objects.update_or_create(member=member, defaults=changes)
    return row


# --- phone verification ------------------------------------------------------------------------------------


def start_phone_verification(user: User, phone: str) -> PhoneVerification:
    """Text a 6-digit code to ``phone``; ``confirm_phone`` with that code makes it the user's number. Only the
    code's keyed hash is kept, and it lapses after 10 minutes."""
    phone = normalise_phone(phone, settings.PHONE_DEFAULT_REGION)
    if User.objects.filter(phone=phone).exclude(pk=user.pk).exists():
        raise DomainError("phone_taken", "Another account already uses this phone number.", "phone")
    now = timezone.now()
    hour_ago = now - timedelta(hours=1)
    recent = PhoneVerification.objects.filter(created_at__gt=hour_ago)
    if (
        recent.filter(user=user).count() >= MAX_CODES_PER_HOUR
        or recent.filter(phone=phone).count() >= MAX_CODES_PER_HOUR
    ):
        raise DomainError(
            "too_many_codes", "You have asked for several codes in a short time. Wait an hour and try again.", "phone"
        )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    with transaction.atomic():
        # Only the newest code counts: an older text arriving late must not confirm anything.
        PhoneVerification.objects.filter(user=user, verified_at__isnull=True, expires_at__gt=now).update(expires_at=now)
        verification = PhoneVerification.objects.create(
            user=user, phone=phone, code_hash=_code_hash(user.pk, phone, code), created_at=now,
            expires_at=now + CODE_LIFETIME,
        )  # fmt: skip
        # Essential: the person just asked for it, so it goes even to a number that once sent STOP.
        outbox.enqueue(
            channel=Channel.SMS, to_address=phone, kind=PHONE_VERIFICATION_KIND, user=user, essential=True,
            body=f"Your Ostrom code is {code}. It lasts 10 minutes. If you did not ask for it, ignore this text.",
        )  # fmt: skip
    return verification


def confirm_phone(user: User, code: str) -> str:
    """Check the code from the newest text; if right, the number becomes the user's. Every guess counts toward the
    limit of 5, so call this outside a transaction that a wrong guess would roll back."""
    now = timezone.now()
    verification = (
        PhoneVerification.objects.filter(user=user, verified_at__isnull=True, expires_at__gt=now)
        .order_by("-created_at", "-pk")
        .first()
    )
    if verification is None:
        raise DomainError("code_expired", "That code has run out or was never sent. Ask for a new one.", "code")
    # Counted before checking, conditionally, so two guesses at once cannot both slip under the limit.
    counted = PhoneVerification.objects.filter(pk=verification.pk, attempts__lt=MAX_CODE_ATTEMPTS).update(
        attempts=F("attempts") + 1
    )
    if not counted:
        raise DomainError("too_many_attempts", "That code was entered wrongly too often. Ask for a new one.", "code")
    given = "".join(str(code).split())
    expected = verification.code_hash
    if not hmac.compare_digest(_code_hash(user.pk, verification.phone, given), expected):
        raise DomainError("code_wrong", "That code is not right. Check the text message and try again.", "code")
    try:
        with transaction.atomic():
            verified = PhoneVerification.objects.filter(pk=verification.pk, verified_at__isnull=True).update(
                verified_at=now
            )
            if not verified:
                raise DomainError("code_used", "That code has already been used.", "code")
            User.objects.filter(pk=user.pk).update(phone=verification.phone)
    except IntegrityError:
        raise DomainError("phone_taken", "Another account already uses this phone number.", "phone") from None
    user.phone = verification.phone
    return verification.phone


def _code_hash(user_id: int, phone: str, code: str) -> str:
    """Keyed with the secret key, since a million possible codes are no secret on their own."""
    message = f"{user_id}:{phone}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()
