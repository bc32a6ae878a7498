"""The addresses SMS providers call: texts residents send us and delivery reports on texts we sent.

The generic gateway signs each call (HMAC-SHA256 of "<timestamp>.<body>", see ``domain.signing``); a signature is
accepted once and only within the timestamp tolerance, so a captured call cannot be replayed. GOV.UK Notify sends
the bearer token we gave it instead, compared in constant time. Every refusal is JSON ``{"code", "message"}`` with
a 4xx status and a warning in the log; a secret nobody configured is a 503, because the fault is ours."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from ostrom.communities.domain import DomainError
from ostrom.notify.actions import inbound, outbox
from ostrom.notify.channels import http_gateway
from ostrom.notify.channels import webhooks as payloads
from ostrom.notify.domain import signing
from ostrom.notify.models import WebhookReceipt

logger = logging.getLogger(__name__)

TOLERANCE_SECONDS = 300
# A receipt can be forgotten once its timestamp is out of tolerance whichever way the clocks were off.
RECEIPT_KEPT = timedelta(seconds=2 * TOLERANCE_SECONDS)
REFUSAL_STATUS = {
    "signature_missing": 401,
    "signature_invalid": 403,
    "signature_expired": 403,
    "token_missing": 401,
    "token_invalid": 403,
    "webhook_replayed": 409,
    "webhook_too_large": 413,
    "webhook_not_configured": 503,
}


class Refused(Exception):
    """Why a call is turned away before anything is done with it; answered with its status from REFUSAL_STATUS."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def webhook(view: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """POST only, no CSRF (providers have no session), and every refusal in the one JSON shape."""

    @csrf_exempt
    @wraps(view)
    def answer(request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            response = _refusal(request, "method_not_allowed", "This address only accepts POST.", 405)
            response["Allow"] = "POST"
            return response
        try:
            return view(request)
        except (Refused, DomainError) as error:
            return _refusal(request, error.code, error.message, REFUSAL_STATUS.get(error.code, 400))

    return answer


def _refusal(request: HttpRequest, code: str, message: str, status: int) -> JsonResponse:
    logger.warning("Refused SMS webhook %s %s: %s (%s)", request.method, request.path, code, status)
    return JsonResponse({"code": code, "message": message}, status=status)


@webhook
def gateway_inbound(request: HttpRequest) -> HttpResponse:
    signature, body = _signed_body(request)
    received = payloads.parse_gateway_inbound(body, _gateway_mapping())
    with transaction.atomic():
        _accept_once(signature)
        reply = inbound.handle_inbound(received)
    return JsonResponse({"status": "accepted", "replied": reply is not None})


@webhook
def gateway_status(request: HttpRequest) -> HttpResponse:
    signature, body = _signed_body(request)
    update = payloads.parse_gateway_status(body, _gateway_mapping())
    with transaction.atomic():
        _accept_once(signature)
        return _status_answer(update)


@webhook
def notify_inbound(request: HttpRequest) -> HttpResponse:
    _check_bearer_token(request)
    reply = inbound.handle_inbound(payloads.parse_notify_inbound(_bounded_body(request)))
    return JsonResponse({"status": "accepted", "replied": reply is not None})


@webhook
def notify_status(request: HttpRequest) -> HttpResponse:
    _check_bearer_token(request)
    return _status_answer(payloads.parse_notify_status(_bounded_body(request)))


def _status_answer(update: payloads.StatusUpdate | None) -> JsonResponse:
    # An unknown reference is still a 200: the provider would only retry a report we can never match.
    if update is None:
        return JsonResponse({"status": "ignored"})
    return JsonResponse({"status": "recorded" if outbox.record_status(update) else "unknown_message"})


def _bounded_body(request: HttpRequest) -> bytes:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    # Checked before reading, so a huge body is never pulled into memory or hashed.
    if declared > payloads.MAX_WEBHOOK_BYTES or len(request.body) > payloads.MAX_WEBHOOK_BYTES:
        raise Refused("webhook_too_large", "The body is too large to be an SMS webhook.")
    return request.body


def _signed_body(request: HttpRequest) -> tuple[str, bytes]:
    """The body once its HMAC signature checks out, with the signature in its canonical form."""
    secret = settings.SMS_WEBHOOK_SECRET
    if not secret:
        raise Refused("webhook_not_configured", "SMS webhooks are not set up here: SMS_WEBHOOK_SECRET is empty.")
    body = _bounded_body(request)
    timestamp = request.headers.get(settings.SMS_WEBHOOK_TIMESTAMP_HEADER, "")
    signature = request.headers.get(settings.SMS_WEBHOOK_SIGNATURE_HEADER, "")
    now = int(timezone.now().timestamp())
    signing.verify(secret.encode(), timestamp, signature, body, now, tolerance_seconds=TOLERANCE_SECONDS)
    # Recomputed rather than taken from the header, so a replay in upper case (or padded) is the same receipt.
    return signing.sign(secret.encode(), int(timestamp.strip()), body), body


def _accept_once(signature: str) -> None:
    """Remember a signature, refusing one already seen; old receipts go, since their timestamps would fail."""
    now = timezone.now()
    WebhookReceipt.objects.filter(received_at__lt=now - RECEIPT_KEPT).delete()
    try:
        with transaction.atomic():
            WebhookReceipt.objects.create(signature=signature, received_at=now)
    except IntegrityError:
        raise Refused("webhook_replayed", "This webhook was already received.") from None


def _check_bearer_token(request: HttpRequest) -> None:
    token = settings.GOVUK_NOTIFY_CALLBACK_TOKEN
    if not token:
        raise Refused(
            "webhook_not_configured",
            "GOV.UK Notify callbacks are not set up here: GOVUK_NOTIFY_CALLBACK_TOKEN is empty.",
        )
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise Refused("token_missing", "Send the callback token as 'Authorization: Bearer <token>'.")
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise Refused("token_invalid", "The callback token is wrong.")


def _gateway_mapping() -> payloads.GatewayMapping:
    try:
        return http_gateway.gateway_mapping()
    except ImproperlyConfigured as error:
        raise Refused("webhook_not_configured", str(error)) from None
