"""What SMS providers post back to us: a text a resident sent (inbound) or news of one we sent (status). Pure
parsing of the raw body into two small dataclasses; the views check signatures and tokens before calling these.

A payload we cannot read raises DomainError ``webhook_malformed``, so the view answers 400 and logs it."""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ostrom.communities.domain import DomainError, normalise_phone

DELIVERED = "delivered"
FAILED = "failed"

# A real inbound text is at most 10 concatenated parts; anything bigger is not an SMS webhook.
MAX_WEBHOOK_BYTES = 65_536
# The widths of InboundSms.text and Message/InboundSms.provider_reference in models.py.
MAX_INBOUND_TEXT_CHARS = 1600
MAX_PROVIDER_ID_CHARS = 120
MAX_FIELD_PATH_PARTS = 5

# Our field → the gateway's field. Outbound uses to/body/reference/sender; inbound reads the resident's number
# from the sender field and the text from the body field; status reports use reference and status.
DEFAULT_GATEWAY_FIELDS: Mapping[str, str] = MappingProxyType(
    {"to": "to", "body": "text", "reference": "reference", "sender": "from", "status": "status"}
)
GATEWAY_FIELD_NAMES = frozenset(DEFAULT_GATEWAY_FIELDS)

# Status words gateways commonly use (lower-cased). Interim ones say nothing we need to record.
GATEWAY_DELIVERED = frozenset({"delivered", "delivrd", "delivered_to_handset", "success"})
GATEWAY_FAILED = frozenset(
    {
        "failed",
        "failure",
        "undelivered",
        "undeliv",
        "undeliverable",
        "rejected",
        "rejectd",
        "expired",
        "error",
        "permanent-failure",
        "temporary-failure",
        "technical-failure",
    }
)
GATEWAY_INTERIM = frozenset(
    {"accepted", "queued", "buffered", "enroute", "pending", "scheduled", "sending", "sent", "submitted", "created"}
)

# GOV.UK Notify calls back only with a final status; "temporary-failure" means the phone was off for 72 hours.
NOTIFY_STATUSES: Mapping[str, str | None] = MappingProxyType(
    {
        "delivered": DELIVERED,
        "permanent-failure": FAILED,
        "temporary-failure": FAILED,
        "technical-failure": FAILED,
        "validation-failed": FAILED,
        "created": None,
        "sending": None,
        "pending": None,
        "sent": None,
    }
)


@dataclass(frozen=True)
class GatewayMapping:
    """How one generic gateway names its JSON fields; ``id_field`` may be a dotted path ("messages.0.id")."""

    fields: Mapping[str, str] = field(default_factory=lambda: DEFAULT_GATEWAY_FIELDS)
    id_field: str = "id"


@dataclass(frozen=True)
class InboundSms:
    """A text a resident sent us. ``provider_id`` is the provider's id, unique per text, for replay protection."""

    provider_id: str
    phone: str
    text: str


@dataclass(frozen=True)
class StatusUpdate:
    """What became of a message we sent: found by our ``reference`` or, failing that, the provider's id."""

    reference: str
    provider_reference: str
    status: str  # DELIVERED or FAILED
    detail: str = ""  # the provider's own word for it, for the message log


def parse_gateway_inbound(
    body: bytes, mapping: GatewayMapping = GatewayMapping(), default_region: str = "GB"
) -> InboundSms:
    """Read an inbound text from a generic gateway's JSON; the phone comes back in E.164."""
    payload = _json_object(body)
    provider_id = _text(payload, mapping.id_field, MAX_PROVIDER_ID_CHARS)
    # A gateway that takes no sender id outbound (sender mapped to "") still says who texted us, as "from".
    phone = _phone(_text(payload, mapping.fields.get("sender") or "from", 40), default_region)
    text = _text(payload, mapping.fields.get("body") or "text", MAX_INBOUND_TEXT_CHARS, allow_empty=True)
    return InboundSms(provider_id=provider_id, phone=phone, text=text)


def parse_gateway_status(body: bytes, mapping: GatewayMapping = GatewayMapping()) -> StatusUpdate | None:
    """Read a delivery report from a generic gateway's JSON; None when the status is interim (queued, sent…)."""
    payload = _json_object(body)
    word = _text(payload, mapping.fields.get("status") or "status", 60).strip().lower()
    if word in GATEWAY_INTERIM:
        return None
    if word in GATEWAY_DELIVERED:
        status = DELIVERED
    elif word in GATEWAY_FAILED:
        status = FAILED
    else:
        raise _malformed(f"The status {word[:30]!r} is not one Ostrom knows.")
    reference_field = mapping.fields.get("reference")
    reference = _optional_text(payload, reference_field, MAX_PROVIDER_ID_CHARS) if reference_field else ""
    provider_reference = _optional_text(payload, mapping.id_field, MAX_PROVIDER_ID_CHARS)
    if not reference and not provider_reference:
        raise _malformed("The delivery report names neither our reference nor the provider's id.")
    return StatusUpdate(reference=reference, provider_reference=provider_reference, status=status, detail=word)


def parse_notify_status(body: bytes) -> StatusUpdate | None:
    """Read a GOV.UK Notify delivery-receipt callback; None for a status that is not final."""
    payload = _json_object(body)
    word = _text(payload, "status", 60).strip().lower()
    if word not in NOTIFY_STATUSES:
        raise _malformed(f"The status {word[:30]!r} is not one GOV.UK Notify sends.")
    status = NOTIFY_STATUSES[word]
    if status is None:
        return None
    return StatusUpdate(
        reference=_optional_text(payload, "reference", MAX_PROVIDER_ID_CHARS),
        provider_reference=_text(payload, "id", MAX_PROVIDER_ID_CHARS),
        status=status,
        detail=word,
    )


def parse_notify_inbound(body: bytes, default_region: str = "GB") -> InboundSms:
    """Read a GOV.UK Notify received-text-message callback; the phone comes back in E.164."""
    payload = _json_object(body)
    return InboundSms(
        provider_id=_text(payload, "id", MAX_PROVIDER_ID_CHARS),
        phone=_phone(_text(payload, "source_number", 40), default_region),
        text=_text(payload, "message", MAX_INBOUND_TEXT_CHARS, allow_empty=True),
    )


def field_at(payload: Any, path: str) -> Any:
    """The value at a dotted path ("messages.0.id") in decoded JSON, or None when any step is missing."""
    parts = path.split(".")
    if not path or len(parts) > MAX_FIELD_PATH_PARTS:
        return None
    value = payload
    for part in parts:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _malformed(message: str) -> DomainError:
    return DomainError("webhook_malformed", message)


def _json_object(body: bytes) -> dict[str, Any]:
    if len(body) > MAX_WEBHOOK_BYTES:
        raise _malformed("The webhook body is too large to be an SMS report.")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise _malformed("The webhook body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise _malformed("The webhook body must be a JSON object.")
    return payload


def _optional_text(payload: dict[str, Any], path: str, max_chars: int) -> str:
    value = field_at(payload, path)
    if value is None or value == "":
        return ""
    return _as_text(value, path, max_chars)


def _text(payload: dict[str, Any], path: str, max_chars: int, *, allow_empty: bool = False) -> str:
    value = field_at(payload, path)
    if value is None:
        raise _malformed(f"The webhook has no {path!r} field.")
    text = _as_text(value, path, max_chars)
    if not text.strip() and not allow_empty:
        raise _malformed(f"The webhook's {path!r} field is empty.")
    return text


def _as_text(value: Any, path: str, max_chars: int) -> str:
    # Some gateways number their ids; booleans and objects are never a valid id or text.
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _malformed(f"The webhook's {path!r} field must be text.")
    text = str(value)
    if len(text) > max_chars:
        raise _malformed(f"The webhook's {path!r} field is longer than {max_chars} characters.")
    return text


def _phone(raw: str, default_region: str) -> str:
    # Gateways and Notify often send international numbers without the "+" (447700900123).
    candidates = [raw]
    digits = raw.strip()
    if digits.isdigit() and not digits.startswith("0"):
        candidates.append("+" + digits)
    for candidate in candidates:
        try:
            return normalise_phone(candidate, default_region)
        except DomainError:
            continue
    raise _malformed("The sender's phone number is not a valid number.")
