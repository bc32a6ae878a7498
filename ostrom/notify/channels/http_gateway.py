"""One generic HTTP SMS gateway: a JSON POST to SMS_GATEWAY_URL with an auth header, our field names mapped to
theirs by SMS_GATEWAY_FIELDS, and their message id read from SMS_GATEWAY_ID_FIELD. Our reference goes in the mapped
reference field, which gateways with idempotency use to refuse a second delivery of the same message."""

import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ostrom.notify.channels import (
    MAX_SMS_BODY_CHARS,
    SENT,
    Outgoing,
    PermanentFailure,
    SendResult,
    TemporaryFailure,
    short_error,
    timeout_seconds,
)
from ostrom.notify.channels.webhooks import DEFAULT_GATEWAY_FIELDS, GATEWAY_FIELD_NAMES, GatewayMapping, field_at

# A send answer is a few hundred bytes; read no more than this from a gateway that misbehaves.
MAX_RESPONSE_BYTES = 65_536
# 408 and 425 ask the client to try again, as 429 and 5xx do.
RETRYABLE_STATUSES = frozenset({408, 425, 429})
REQUIRED_FIELDS = ("to", "body")


def gateway_mapping() -> GatewayMapping:
    """The gateway's field names from settings (defaults filled in); ImproperlyConfigured when unreadable."""
    raw = settings.SMS_GATEWAY_FIELDS
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except ValueError:
            raise ImproperlyConfigured(
                'SMS_GATEWAY_FIELDS must be a JSON object such as {"body": "message"}.'
            ) from None
    if not isinstance(raw, Mapping) or not all(isinstance(value, str | None) for value in raw.values()):
        raise ImproperlyConfigured("SMS_GATEWAY_FIELDS must map our field names to the gateway's, as text.")
    unknown = set(raw) - GATEWAY_FIELD_NAMES
    if unknown:
        raise ImproperlyConfigured(
            f"SMS_GATEWAY_FIELDS names {', '.join(sorted(unknown))}; "
            f"the fields Ostrom maps are {', '.join(sorted(GATEWAY_FIELD_NAMES))}."
        )
    # A field mapped to "" (or null) is left out, for gateways without a sender id or a reference.
    fields = {**DEFAULT_GATEWAY_FIELDS, **{key: value or "" for key, value in raw.items()}}
    missing = [name for name in REQUIRED_FIELDS if not fields[name]]
    if missing:
        raise ImproperlyConfigured(f"SMS_GATEWAY_FIELDS may not leave out {', '.join(missing)}.")
    id_field = settings.SMS_GATEWAY_ID_FIELD or "id"
    return GatewayMapping(fields=fields, id_field=id_field)


def auth_header() -> tuple[str, str] | None:
    """SMS_GATEWAY_AUTH_HEADER ("Authorization: Bearer xyz") split into name and value; None when unset."""
    raw = settings.SMS_GATEWAY_AUTH_HEADER.strip()
    if not raw:
        return None
    name, colon, value = raw.partition(":")
    if not colon or not name.strip() or not value.strip() or any(char.isspace() for char in name.strip()):
        raise ImproperlyConfigured('SMS_GATEWAY_AUTH_HEADER must look like "Authorization: Bearer <key>".')
    return name.strip(), value.strip()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # urllib would turn a redirected POST into a GET without the message; a gateway that moved is a setting to fix.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


class HttpGatewaySms:
    name = "http_gateway"

    def __init__(self) -> None:
        self.url = settings.SMS_GATEWAY_URL
        if not self.url:
            raise ImproperlyConfigured(
                "SMS_BACKEND is 'http_gateway' but SMS_GATEWAY_URL is empty: set it to the gateway's send address."
            )
        if urlsplit(self.url).scheme not in {"http", "https"} or not urlsplit(self.url).netloc:
            raise ImproperlyConfigured("SMS_GATEWAY_URL must be an http:// or https:// address.")
        self.auth = auth_header()
        self.mapping = gateway_mapping()
        self.sender = settings.SMS_GATEWAY_SENDER
        self.timeout = timeout_seconds()

    def send(self, message: Outgoing) -> SendResult:
        if len(message.body) > MAX_SMS_BODY_CHARS:
            raise PermanentFailure(f"The text is {len(message.body)} characters; the limit is {MAX_SMS_BODY_CHARS}.")
        answer = self._post(self._payload(message))
        provider_id = field_at(answer, self.mapping.id_field)
        if isinstance(provider_id, bool) or not isinstance(provider_id, str | int) or provider_id == "":
            # Retrying could deliver it twice to a gateway that ignores references; a person should look.
            raise PermanentFailure(
                f"The gateway accepted the message but its answer has no {self.mapping.id_field!r}: "
                "check SMS_GATEWAY_ID_FIELD."
            )
        return SendResult(provider_reference=str(provider_id)[:120], status=SENT)

    def _payload(self, message: Outgoing) -> dict[str, str]:
        fields = self.mapping.fields
        payload = {fields["to"]: message.to, fields["body"]: message.body}
        if fields.get("reference"):
            payload[fields["reference"]] = message.reference
        if fields.get("sender") and self.sender:
            payload[fields["sender"]] = self.sender
        return payload

    def _post(self, payload: dict[str, str]) -> Any:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.auth:
            headers[self.auth[0]] = self.auth[1]
        # The scheme was checked to be http(s) when the adapter was made.
        data = json.dumps(payload).encode()
        request = urllib.request.Request(self.url, data=data, headers=headers, method="POST")  # noqa: S310
        try:
            with _opener.open(request, timeout=self.timeout) as response:
                body = response.read(MAX_RESPONSE_BYTES)
        except urllib.error.HTTPError as error:
            raise _failure(error) from error
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            # URLError wraps refused connections; TimeoutError and reset sockets are OSErrors.
            reason = getattr(error, "reason", error)
            raise TemporaryFailure(short_error(f"The SMS gateway did not answer: {reason or 'timed out'}")) from error
        try:
            return json.loads(body)
        except ValueError:
            raise PermanentFailure("The gateway accepted the message but did not answer with JSON.") from None


def _failure(error: urllib.error.HTTPError) -> Exception:
    try:
        detail = error.read(2000).decode(errors="replace")
    except OSError:
        detail = ""
    finally:
        error.close()
    message = short_error(f"The SMS gateway answered {error.code}: {detail or error.reason}")
    if error.code in RETRYABLE_STATUSES or error.code >= 500:
        return TemporaryFailure(message)
    if error.code in {401, 403}:
        return PermanentFailure(short_error(f"{message} (check SMS_GATEWAY_AUTH_HEADER)"))
    return PermanentFailure(message)
