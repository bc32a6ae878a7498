"""Signatures on webhooks from an SMS gateway: HMAC-SHA256 over the timestamp and the body, so a forged,
altered or replayed-much-later request is refused before it is read."""

from __future__ import annotations

import hashlib
import hmac

from ostrom.communities.domain import DomainError

DEFAULT_TOLERANCE_SECONDS = 300
# Unix seconds have 10 digits until the year 2286; anything much longer is not a timestamp.
MAX_TIMESTAMP_DIGITS = 12
# Some gateways prefix the hex digest with the algorithm, as GitHub does.
SIGNATURE_PREFIX = "sha256="


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"{timestamp}." + body`` under ``secret``."""
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify(
    secret: bytes,
    timestamp_header: str | None,
    signature_header: str | None,
    body: bytes,
    now: int,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    """Raise DomainError unless ``signature_header`` signs ``body`` at ``timestamp_header`` within the tolerance.

    Codes: ``signature_missing`` (a header is absent), ``signature_invalid`` (does not match, or no secret is
    configured), ``signature_expired`` (matches, but the timestamp is too far from ``now``).
    """
    timestamp_text = (timestamp_header or "").strip()
    signature = (signature_header or "").strip().lower()
    if not timestamp_text or not signature:
        raise DomainError("signature_missing", "The request is not signed.")
    if not secret:
        # An empty key is a key anyone can sign with.
        raise DomainError("signature_invalid", "Webhook signing is not set up, so the request cannot be checked.")
    if not (timestamp_text.isascii() and timestamp_text.isdigit()) or len(timestamp_text) > MAX_TIMESTAMP_DIGITS:
        raise DomainError("signature_invalid", "The request's timestamp is not a number of seconds.")
    signature = signature.removeprefix(SIGNATURE_PREFIX)
    timestamp = int(timestamp_text)
    expected = sign(secret, timestamp, body).encode()
    # Compared as bytes: compare_digest refuses non-ASCII text, and a forger must learn nothing from the timing.
    if not hmac.compare_digest(expected, signature.encode("utf-8", "surrogatepass")):
        raise DomainError("signature_invalid", "The request's signature does not match.")
    if abs(now - timestamp) > tolerance_seconds:
        raise DomainError("signature_expired", "The request is too old to accept. Send it again.")
