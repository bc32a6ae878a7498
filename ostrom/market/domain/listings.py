"""The rules an offer or a request must follow, as plain functions: no requests, no database.

Every refusal is a DomainError with a stable code and a sentence a resident understands, naming the field it is
about, so the web shows it beside that field and the API returns it in ``fields``."""

from __future__ import annotations

import io
import unicodedata
import warnings
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from PIL import Image, ImageOps, UnidentifiedImageError

from ostrom.communities.domain import Availability, DomainError, round_location

# Lengths. The model's columns (market/models/listings.py) allow the same maxima; the minima are ours.
TITLE_MIN_CHARS = 3
TITLE_MAX_CHARS = 120
DESCRIPTION_MIN_CHARS = 10
DESCRIPTION_MAX_CHARS = 4000
PLACE_MAX_CHARS = 80
MAX_TAGS = 12
TAG_MAX_CHARS = 30

# Expiry: an ad runs 60 days unless the poster says otherwise, and never more than 180 days ahead, so the
# marketplace fills with help people can still give rather than offers made a year ago.
DEFAULT_LIFETIME = timedelta(days=60)
MAX_LIFETIME = timedelta(days=180)

# "Roughly how long": a whole number of minutes, at most 100 hours (a house move is the longest help we have seen).
MAX_ESTIMATED_MINUTES = 100 * 60

# A partner's price in a credit's smallest unit; a billion units is a typing mistake for any swimming session.
MAX_PRICE_UNITS = 10**9

# Posting rate: at most this many new ads by one member in the window (spam and runaway scripts, not real use).
POSTING_LIMIT = 10
POSTING_WINDOW = timedelta(hours=24)

# Photos: the bytes we accept, the formats Pillow must find in them (not what the name says), the largest
# picture we decode (a small file can unpack to gigapixels), and the size we keep (enough for a phone screen).
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
PHOTO_MAX_SIDE_PX = 10_000
PHOTO_MAX_PIXELS = 40_000_000
PHOTO_KEPT_SIDE_PX = 1600

# SMS: the title is the first words of the text, cut at a word boundary.
SMS_TITLE_CHARS = 60

LISTING_KINDS = ("offer", "request")
KIND_WORDS = {"offer": "offer", "request": "request"}


# --- Text ---------------------------------------------------------------------------------------------------------


def _no_nul(text: str, field: str) -> None:
    # PostgreSQL cannot store NUL; a browser never sends one, so one here is noise we refuse rather than save.
    if "\x00" in text:
        raise DomainError("invalid_characters", "Remove the characters that are not ordinary text.", field)


def clean_title(raw: str) -> str:
    """A title on one line, spaces collapsed, 3 to 120 characters."""
    title = " ".join(str(raw or "").split())
    _no_nul(title, "title")
    if not title:
        raise DomainError("title_required", "Enter a title, for example “Help with gardening”.", "title")
    if len(title) < TITLE_MIN_CHARS:
        raise DomainError("title_too_short", f"Use at least {TITLE_MIN_CHARS} characters for the title.", "title")
    if len(title) > TITLE_MAX_CHARS:
        raise DomainError(
            "title_too_long", f"Keep the title to {TITLE_MAX_CHARS} characters (it has {len(title)}).", "title"
        )
    return title


def clean_description(raw: str) -> str:
    """The description as written (line breaks kept, ends trimmed), 10 to 4,000 characters."""
    text = str(raw or "").replace("\r\n", "\n").strip()
    _no_nul(text, "description")
    if not text:
        raise DomainError("description_required", "Say a little about what you offer or need.", "description")
    if len(text) < DESCRIPTION_MIN_CHARS:
        raise DomainError(
            "description_too_short",
            f"Say a little more: at least {DESCRIPTION_MIN_CHARS} characters, so people know what it is.",
            "description",
        )
    if len(text) > DESCRIPTION_MAX_CHARS:
        raise DomainError(
            "description_too_long",
            f"Keep the description to {DESCRIPTION_MAX_CHARS:,} characters (it has {len(text):,}).",
            "description",
        )
    return text


def clean_place_name(raw: str) -> str:
    """A rough place ("Mill Lane", "near the library"), at most 80 characters."""
    place = " ".join(str(raw or "").split())
    _no_nul(place, "place_name")
    if len(place) > PLACE_MAX_CHARS:
        raise DomainError(
            "place_too_long", f"Keep the place to {PLACE_MAX_CHARS} characters: a street or an area.", "place_name"
        )
    return place


def _tag_character(char: str) -> bool:
    # Letters and digits of any script, the marks that combine with them (é written as e + ◌́), spaces, hyphens.
    return char.isalnum() or char in " -" or unicodedata.category(char).startswith("M")


def normalise_tags(raw: str | Iterable[str]) -> list[str]:
    """Split "Gardening, DIY ,dog walking" into distinct, trimmed, lower-case tags in the order given; at most 12,
    each at most 30 characters of letters, digits, spaces and hyphens. Normalising twice changes nothing."""
    parts = raw.split(",") if isinstance(raw, str) else list(raw)
    tags: list[str] = []
    for part in parts:
        tag = " ".join(str(part).split()).lower()
        if not tag or tag in tags:
            continue
        if not all(_tag_character(char) for char in tag):
            raise DomainError(
                "tag_invalid",
                f"Use only letters, numbers, spaces and hyphens in tags: “{tag[:20]}” has other characters. "
                "Separate tags with commas.",
                "tags",
            )
        if len(tag) > TAG_MAX_CHARS:
            raise DomainError("tag_too_long", f"Keep each tag to {TAG_MAX_CHARS} characters: “{tag[:20]}…”.", "tags")
        tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise DomainError("too_many_tags", f"Use at most {MAX_TAGS} tags (there are {len(tags)}).", "tags")
    return tags


def clean_availability(values: Iterable[str]) -> list[str]:
    """Day parts from the vocabulary a member's profile uses, each once, in the profile's order."""
    chosen = {str(value) for value in values}
    unknown = chosen - set(Availability.values)
    if unknown:
        names = ", ".join(str(label) for label in Availability.labels)
        raise DomainError("availability_invalid", f"Choose from: {names}.", "availability")
    return [value for value in Availability.values if value in chosen]


def clean_location(latitude: object, longitude: object) -> tuple[Decimal | None, Decimal | None]:
    """Both or neither, rounded to about 100 m: an ad never shows a front door."""
    if latitude in (None, "") and longitude in (None, ""):
        return None, None
    if latitude in (None, "") or longitude in (None, ""):
        raise DomainError("location_incomplete", "Give both latitude and longitude, or neither.", "latitude")
    return round_location(latitude, longitude)


def clean_estimated_minutes(value: int | None) -> int | None:
    """Roughly how long the help takes: empty, or a whole number of minutes from 1 to 100 hours."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise DomainError("duration_invalid", "Give roughly how long it takes in whole minutes.", "estimated_minutes")
    if value <= 0:
        raise DomainError(
            "duration_invalid", "Give a time of at least one minute, or leave it empty.", "estimated_minutes"
        )
    if value > MAX_ESTIMATED_MINUTES:
        raise DomainError(
            "duration_too_long", f"Give at most {MAX_ESTIMATED_MINUTES // 60} hours, or leave it empty.",
            "estimated_minutes",
        )  # fmt: skip
    return value


# --- Time ---------------------------------------------------------------------------------------------------------


def default_expiry(published_at: datetime) -> datetime:
    """When an ad published at ``published_at`` stops showing unless renewed: 60 days later."""
    return published_at + DEFAULT_LIFETIME


def check_expiry(expires_at: datetime, now: datetime) -> datetime:
    """An expiry must be in the future and at most 180 days ahead."""
    if expires_at.tzinfo is None or expires_at.utcoffset() is None:
        raise DomainError("expiry_invalid", "Give the end date with its time zone.", "expires_at")
    if expires_at <= now:
        raise DomainError("expiry_in_past", "Choose an end date in the future.", "expires_at")
    if expires_at > now + MAX_LIFETIME:
        raise DomainError(
            "expiry_too_far", f"Choose an end date within {MAX_LIFETIME.days} days; you can renew it later.",
            "expires_at",
        )  # fmt: skip
    return expires_at


def end_of_day(day: date, time_zone: str) -> datetime:
    """The last minute of ``day`` in the community's time zone: an ad "until 3 June" shows all of 3 June."""
    zone = zoneinfo.ZoneInfo(time_zone)
    return datetime.combine(day, time(23, 59), tzinfo=zone)


# --- Price --------------------------------------------------------------------------------------------------------


def check_price(
    *, kind: str, for_organisation: bool, amount: int | None, currency_kind: str | None
) -> tuple[int | None, bool]:
    """A price is only for an organisation's offer, in one of the community's credit currencies, as a positive
    whole number of the credit's smallest unit. Returns (amount, has_price); no amount and no currency is no price.
    ``currency_kind`` is None when no currency was chosen (or the community has no such currency)."""
    if amount is None and currency_kind is None:
        return None, False
    if kind != "offer" or not for_organisation:
        raise DomainError(
            "price_not_allowed", "Only an organisation's offer can have a price; leave the price empty.", "price_amount"
        )
    if currency_kind is None:
        raise DomainError("price_currency_required", "Choose the credit the price is in.", "price_currency")
    if currency_kind != "credit":
        raise DomainError(
            "price_currency_invalid", "A price must be in one of the community's credits, not in hours.",
            "price_currency",
        )  # fmt: skip
    if amount is None:
        raise DomainError("price_amount_required", "Enter the price, or choose no currency.", "price_amount")
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise DomainError("price_invalid", "Enter the price as a whole number of the credit's units.", "price_amount")
    if amount <= 0:
        raise DomainError(
            "price_invalid", "A price must be more than zero; leave it empty for no price.", "price_amount"
        )
    if amount > MAX_PRICE_UNITS:
        raise DomainError("price_too_large", "That price is far too large. Check it and try again.", "price_amount")
    return amount, True


# --- Posting rate -------------------------------------------------------------------------------------------------


def check_posting_rate(recent_count: int, limit: int = POSTING_LIMIT) -> None:
    """Refuse a new ad from someone who posted ``limit`` or more in the last 24 hours."""
    if recent_count >= limit:
        raise DomainError(
            "posting_rate_limited",
            f"You have posted {limit} offers or requests in the last 24 hours, the most we allow. "
            "Please wait a while before you post another.",
        )


# --- Status -------------------------------------------------------------------------------------------------------

# action → (statuses it may start from, status it leads to). "renew" also sets a new expiry; "expire" is the task's.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "publish": (frozenset({"draft"}), "active"),
    "pause": (frozenset({"active"}), "paused"),
    "resume": (frozenset({"paused"}), "active"),
    "renew": (frozenset({"active", "paused", "expired"}), "active"),
    "close": (frozenset({"draft", "active", "paused", "expired"}), "closed"),
    "expire": (frozenset({"active", "paused"}), "expired"),
}
EDITABLE_STATUSES = frozenset({"draft", "active", "paused", "expired"})
STATUS_WORDS = {
    "draft": "a draft",
    "active": "showing",
    "paused": "paused",
    "expired": "expired",
    "closed": "closed",
}
ACTION_WORDS = {
    "publish": "published",
    "pause": "paused",
    "resume": "resumed",
    "renew": "renewed",
    "close": "closed",
    "expire": "expired",
}


def next_status(current: str, action: str) -> str:
    """The status ``action`` leads to from ``current``, or a "wrong_status" error saying what to do instead."""
    if action not in TRANSITIONS:
        raise DomainError("action_unknown", "Choose publish, pause, resume, renew or close.", "action")
    starts, result = TRANSITIONS[action]
    if current in starts:
        return result
    if current == "closed":
        message = "This ad is closed. Post a new one instead."
    elif action == "resume" and current == "expired":
        message = "This ad has expired. Renew it to show it again."
    else:
        message = f"This ad is {STATUS_WORDS.get(current, current)}, so it cannot be {ACTION_WORDS[action]}."
    raise DomainError("wrong_status", message)


def check_editable(current: str) -> None:
    """Closed ads stay as they were, for the record of the exchanges that came from them."""
    if current not in EDITABLE_STATUSES:
        raise DomainError("wrong_status", "This ad is closed, so it cannot be changed. Post a new one instead.")


# --- Photos -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CleanPhoto:
    """A photo we checked and re-encoded: no metadata (phones write the GPS position into photos), upright,
    at most 1600 px on its longer side."""

    content: bytes
    extension: str
    content_type: str
    width: int
    height: int


def _not_a_photo() -> DomainError:
    return DomainError("photo_not_image", "The photo must be a JPEG, PNG or WebP picture.", "photo")


def check_photo_size(size: int) -> None:
    """Refuse an upload over 5 MB before reading it."""
    if size > PHOTO_MAX_BYTES:
        raise DomainError(
            "photo_too_large",
            f"The photo is {size / 1024 / 1024:.1f} MB; choose one of at most {PHOTO_MAX_BYTES // 1024 // 1024} MB.",
            "photo",
        )
    if size == 0:
        raise DomainError("photo_empty", "The photo file is empty. Choose another one.", "photo")


def clean_photo(data: bytes) -> CleanPhoto:
    """Check that ``data`` really is a JPEG, PNG or WebP picture of sane size (Pillow reads it, whatever its name
    says) and re-encode it without metadata."""
    check_photo_size(len(data))
    with warnings.catch_warnings():
        # Pillow warns, then raises, on pictures that unpack to far more pixels than their file size suggests.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format or ""
                width, height = probe.size
                probe.verify()
        except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _not_a_photo() from None
        except (OSError, SyntaxError, ValueError, EOFError):  # what verify() raises for a broken file
            raise _not_a_photo() from None
        if kind not in PHOTO_FORMATS:
            raise _not_a_photo()
        check_photo_dimensions(width, height)
        return _reencode(data, kind)


def check_photo_dimensions(width: int, height: int) -> None:
    """At least 1 px, at most 10,000 px a side and 40 megapixels."""
    if width < 1 or height < 1:
        raise _not_a_photo()
    if width > PHOTO_MAX_SIDE_PX or height > PHOTO_MAX_SIDE_PX or width * height > PHOTO_MAX_PIXELS:
        raise DomainError(
            "photo_dimensions",
            f"The photo is {width} × {height} pixels; choose one of at most {PHOTO_MAX_SIDE_PX:,} pixels a side.",
            "photo",
        )


def _reencode(data: bytes, kind: str) -> CleanPhoto:
    # verify() leaves the image unusable, so it is opened again to decode it.
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            picture = ImageOps.exif_transpose(image) or image
            picture.thumbnail((PHOTO_KEPT_SIDE_PX, PHOTO_KEPT_SIDE_PX))
            out = io.BytesIO()
            if kind == "JPEG":
                picture.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
            elif kind == "PNG":
                keep = picture if picture.mode in ("RGB", "RGBA", "L", "LA", "P") else picture.convert("RGBA")
                keep.save(out, "PNG", optimize=True)
            else:
                keep = picture if picture.mode in ("RGB", "RGBA") else picture.convert("RGBA")
                keep.save(out, "WEBP", quality=85)
            width, height = picture.size
    except (OSError, SyntaxError, ValueError, EOFError):  # truncated data that verify() did not notice
        raise _not_a_photo() from None
    extension, content_type = PHOTO_FORMATS[kind]
    return CleanPhoto(out.getvalue(), extension, content_type, width, height)


# --- SMS ----------------------------------------------------------------------------------------------------------


def title_from_text(text: str) -> str:
    """The first words of an SMS, up to 60 characters and cut between words, with a capital first letter."""
    words = " ".join(str(text).split())
    if len(words) > SMS_TITLE_CHARS:
        cut = words[: SMS_TITLE_CHARS + 1].rsplit(" ", 1)[0]
        words = (cut if len(cut) >= TITLE_MIN_CHARS else words[:SMS_TITLE_CHARS]).rstrip(" ,;:.-")
    return words[:1].upper() + words[1:]
