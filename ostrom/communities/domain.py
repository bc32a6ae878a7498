"""Rules about people and communities, as plain functions: no requests, no database."""

from __future__ import annotations

import hashlib
import re
import secrets
import zoneinfo
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import phonenumbers
from django.core.exceptions import ValidationError
from django.db.models import TextChoices

MAX_TAGS = 20
MAX_TAG_LENGTH = 40
TOKEN_BYTES = 32


class DomainError(Exception):
    """A rule was broken. ``code`` is stable for API clients; ``message`` is for people."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class Role(TextChoices):
    MEMBER = "member", "Member"
    STAFF = "staff", "Organisation staff"
    COORDINATOR = "coordinator", "Coordinator"
    ADMIN = "admin", "Administrator"


class Status(TextChoices):
    PENDING = "pending", "Waiting for approval"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    LEFT = "left", "Left"


class JoinPolicy(TextChoices):
    OPEN = "open", "Anyone can join"
    APPROVAL = "approval", "A coordinator approves new members"
    INVITATION = "invitation", "By invitation only"


class OrganisationKind(TextChoices):
    COUNCIL = "council", "Council"
    NHS = "nhs", "NHS trust"
    SCHOOL = "school", "School"
    CHARITY = "charity", "Charity"
    BUSINESS = "business", "Business"
    OTHER = "other", "Other"


class Availability(TextChoices):
    WEEKDAY_MORNINGS = "weekday-mornings", "Weekday mornings"
    WEEKDAY_AFTERNOONS = "weekday-afternoons", "Weekday afternoons"
    WEEKDAY_EVENINGS = "weekday-evenings", "Weekday evenings"
    WEEKENDS = "weekends", "Weekends"


class ContactChannel(TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"
    PHONE = "phone", "Phone call"
    COORDINATOR = "coordinator", "Through a coordinator"


COORDINATING_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})

# Ofcom keeps 07700 900000-900999 for drama and documentation. libphonenumber calls them invalid, but our own
# examples, the demo data and the tests use them precisely because they can never reach a real person.
FICTIONAL_MOBILE = re.compile(r"^\+447700900\d{3}$")

# UK outward codes ("M1", "LS6", "SW1A", "EC1V"): the rough area, never the full postcode.
POSTCODE_DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")


def normalise_email(raw: str) -> str:
    """Emails compare case-insensitively; store them lower-cased and trimmed."""
    return raw.strip().lower()


def normalise_phone(raw: str, default_region: str = "GB") -> str:
    """Parse a phone number typed by a person into E.164 (+447700900123), or explain what is wrong."""
    text = raw.strip()
    if not text:
        raise DomainError("phone_required", "Enter a phone number.", "phone")
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        raise DomainError(
            "invalid_phone", "Enter a phone number like 07700 900123 or +44 7700 900123.", "phone"
        ) from None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not phonenumbers.is_valid_number(number) and not FICTIONAL_MOBILE.match(e164):
        raise DomainError("invalid_phone", "That phone number is not valid. Check the number of digits.", "phone")
    return e164


def looks_like_phone(identifier: str) -> bool:
    """A login identifier without "@" that is mostly digits is a phone number."""
    text = identifier.strip()
    return "@" not in text and sum(ch.isdigit() for ch in text) >= 6


def format_phone(e164: str) -> str:
    """Show an E.164 number the way people in its country write it."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def parse_tags(raw: str | list[str], field: str = "skills") -> list[str]:
    """Split "Gardening, DIY, dog walking" into distinct, trimmed, lower-case tags, keeping the order given."""
    parts = raw if isinstance(raw, list) else raw.split(",")
    tags: list[str] = []
    for part in parts:
        tag = " ".join(str(part).split()).lower()
        if not tag or tag in tags:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise DomainError("tag_too_long", f"Keep each tag under {MAX_TAG_LENGTH} characters: “{tag[:20]}…”.", field)
        tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise DomainError("too_many_tags", f"Choose at most {MAX_TAGS}.", field)
    return tags


def normalise_postcode_district(raw: str) -> str:
    """Accept a UK postcode district (the part before the space); refuse a full postcode to protect privacy."""
    text = raw.strip().upper()
    if not text:
        return ""
    if " " in text or len(text) > 4:
        raise DomainError(
            "postcode_too_precise",
            "Enter only the first part of the postcode, for example LS6 or M1.",
            "postcode_district",
        )
    if not POSTCODE_DISTRICT.match(text):
        raise DomainError(
            "invalid_postcode_district", "Enter a postcode district like LS6, M1 or SW1A.", "postcode_district"
        )
    return text


LOCATION_STEP = Decimal("0.001")  # about 111 m of latitude


def round_location(latitude: object, longitude: object) -> tuple[Decimal, Decimal]:
    """Round a point to about 100 m so a profile never reveals a front door."""
    try:
        lat, lon = Decimal(str(latitude)), Decimal(str(longitude))
    except (InvalidOperation, ValueError):
        lat = lon = Decimal("NaN")
    # NaN and infinity are Decimals too, but not places; comparing NaN would raise InvalidOperation.
    if not (lat.is_finite() and lon.is_finite()):
        raise DomainError("invalid_location", "Enter the location as two numbers, latitude and longitude.")
    # Check the range before rounding, so 90.0004 is refused rather than rounded into range.
    if not (Decimal(-90) <= lat <= Decimal(90)):
        raise DomainError("invalid_location", "Latitude must be between -90 and 90.", "latitude")
    if not (Decimal(-180) <= lon <= Decimal(180)):
        raise DomainError("invalid_location", "Longitude must be between -180 and 180.", "longitude")
    return (
        lat.quantize(LOCATION_STEP, rounding=ROUND_HALF_UP),
        lon.quantize(LOCATION_STEP, rounding=ROUND_HALF_UP),
    )


def validate_time_zone(name: str) -> None:
    """Django validator: a time zone must be an IANA name such as Europe/London."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"“{name}” is not a time zone. Use a name like Europe/London.") from None


def initial_status(policy: str, invited: bool) -> Status:
    """An invitation lets people straight in; otherwise the community's join policy decides."""
    if invited or policy == JoinPolicy.OPEN:
        return Status.ACTIVE
    if policy == JoinPolicy.APPROVAL:
        return Status.PENDING
    raise DomainError("invitation_required", "This community is by invitation only. Ask a coordinator for a link.")


def assignable_roles(actor_role: str) -> list[Role]:
    """Coordinators manage members and staff; only administrators appoint coordinators and administrators."""
    if actor_role == Role.ADMIN:
        return list(Role)
    if actor_role == Role.COORDINATOR:
        return [Role.MEMBER, Role.STAFF]
    return []


def check_role_change(actor_role: str, current_role: str, new_role: str, has_organisation: bool) -> None:
    """Raise unless someone with ``actor_role`` may move a member from ``current_role`` to ``new_role``."""
    allowed = assignable_roles(actor_role)
    if current_role not in allowed or new_role not in allowed:
        raise DomainError("role_not_allowed", "Only an administrator can appoint or remove coordinators.", "role")
    if new_role == Role.STAFF and not has_organisation:
        raise DomainError("organisation_required", "Choose the organisation this person works for.", "organisation")


def new_token(prefix: str = "") -> tuple[str, str]:
    """A fresh random secret and the hash stored in its place. Only the hash is ever saved."""
    secret = prefix + secrets.token_urlsafe(TOKEN_BYTES)
    return secret, hash_token(secret)


def hash_token(secret: str) -> str:
    """SHA-256 is enough for 256-bit random tokens: they cannot be guessed, so no slow hash is needed."""
    return hashlib.sha256(secret.encode()).hexdigest()


def pseudonym(member_id: int) -> str:
    """The stable name an erased member's rows keep, so ledgers stay readable without personal data."""
    digest = hashlib.sha256(f"ostrom-erased-{member_id}".encode()).hexdigest()[:6].upper()
    return f"Former member {digest}"


@dataclass(frozen=True)
class Visibility:
    """Which optional parts of a profile one viewer may see."""

    email: bool
    phone: bool
    location: bool
    contact_details: bool


def profile_visibility(
    *, is_self: bool, viewer_coordinates: bool, share_email: bool, share_phone: bool, share_location: bool
) -> Visibility:
    """Members choose what others see; they and their coordinators always see everything."""
    if is_self or viewer_coordinates:
        return Visibility(email=True, phone=True, location=True, contact_details=True)
    return Visibility(email=share_email, phone=share_phone, location=share_location, contact_details=False)


def search_text(display_name: str, skills: list[str], interests: list[str], postcode_district: str) -> str:
    """The lower-cased text the member directory searches."""
    return " ".join([display_name.lower(), *skills, *interests, postcode_district.lower()])
