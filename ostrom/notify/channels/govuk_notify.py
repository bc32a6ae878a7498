"""GOV.UK Notify through its official client. Each template is one placeholder wide: the SMS template's text is
``((body))``; the email template's subject is ``((subject))`` and its body ``((body))``.

Notify keeps our reference with the notification but does not refuse a second one with the same reference, so before
sending we ask Notify for notifications carrying it: a resend after a crash finds the first one and stops there."""

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from notifications_python_client.errors import APIError, InvalidResponse
from notifications_python_client.notifications import NotificationsAPIClient

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

# "name-<service id>-<secret>": the client slices the two UUIDs off the end and fails obscurely if they are not there.
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
API_KEY_SHAPE = re.compile(rf"^.+-{_UUID}-{_UUID}$", re.IGNORECASE)
# Notifications in these states never reached the phone or inbox, so sending again is right.
FAILED_STATUSES = frozenset({"permanent-failure", "temporary-failure", "technical-failure", "validation-failed"})


def notify_client() -> NotificationsAPIClient:
    """A Notify client from settings; ImproperlyConfigured when the API key is missing or malformed."""
    api_key = settings.GOVUK_NOTIFY_API_KEY
    if not api_key:
        raise ImproperlyConfigured(
            "GOV.UK Notify is chosen but GOVUK_NOTIFY_API_KEY is empty: copy an API key from Notify's API integration page."
        )
    if not API_KEY_SHAPE.match(api_key):
        raise ImproperlyConfigured(
            "GOVUK_NOTIFY_API_KEY does not look like a Notify API key (key name, then two UUIDs, joined by hyphens)."
        )
    if settings.GOVUK_NOTIFY_BASE_URL:
        return NotificationsAPIClient(api_key, base_url=settings.GOVUK_NOTIFY_BASE_URL, timeout=timeout_seconds())
    return NotificationsAPIClient(api_key, timeout=timeout_seconds())


class GovukNotifySms:
    name = "govuk_notify"

    def __init__(self) -> None:
        self.template_id = settings.GOVUK_NOTIFY_SMS_TEMPLATE_ID
        if not self.template_id:
            raise ImproperlyConfigured(
                "SMS_BACKEND is 'govuk_notify' but GOVUK_NOTIFY_SMS_TEMPLATE_ID is empty: "
                "create a text message template whose whole text is ((body)) and put its id there."
            )
        self.client = notify_client()

    def send(self, message: Outgoing) -> SendResult:
        if len(message.body) > MAX_SMS_BODY_CHARS:
            raise PermanentFailure(
                f"The text is {len(message.body)} characters; Notify's limit is {MAX_SMS_BODY_CHARS}."
            )
        return _send_once(
            self.client,
            "sms",
            message.reference,
            lambda: self.client.send_sms_notification(
                phone_number=message.to,
                template_id=self.template_id,
                personalisation={"body": message.body},
                reference=message.reference,
            ),
        )


class GovukNotifyEmail:
    name = "govuk_notify_email"

    def __init__(self) -> None:
        self.template_id = settings.GOVUK_NOTIFY_EMAIL_TEMPLATE_ID
        if not self.template_id:
            raise ImproperlyConfigured(
                "Email through GOV.UK Notify needs GOVUK_NOTIFY_EMAIL_TEMPLATE_ID: "
                "an email template with subject ((subject)) and body ((body))."
            )
        self.client = notify_client()

    def send(self, message: Outgoing) -> SendResult:
        return _send_once(
            self.client,
            "email",
            message.reference,
            lambda: self.client.send_email_notification(
                email_address=message.to,
                template_id=self.template_id,
                personalisation={"subject": message.subject, "body": message.body},
                reference=message.reference,
            ),
        )


def _send_once(
    client: NotificationsAPIClient, template_type: str, reference: str, send: Callable[[], dict[str, Any]]
) -> SendResult:
    earlier = _call(lambda: client.get_all_notifications(template_type=template_type, reference=reference))
    for notification in (earlier or {}).get("notifications") or []:
        if notification.get("reference") == reference and notification.get("status") not in FAILED_STATUSES:
            return SendResult(provider_reference=str(notification["id"]), status=SENT)
    response = _call(send)
    try:
        return SendResult(provider_reference=str(response["id"]), status=SENT)
    except (TypeError, KeyError):
        # Accepted but unreadable: the lookup above finds it if it was created, so a retry is safe.
        raise TemporaryFailure("GOV.UK Notify accepted the message but its answer had no id.") from None


def _call(request: Callable[[], Any]) -> Any:
    try:
        return request()
    except APIError as error:
        raise _failure(error) from error


def _failure(error: APIError) -> Exception:
    status = error.status_code
    detail = short_error(f"GOV.UK Notify answered {status}: {_messages(error.message)}")
    # The client reports a timeout or a refused connection as 503, with no response. An answer that is not JSON
    # may hide a notification that was created; the lookup before sending finds it, so a retry is safe.
    if status == 429 or status >= 500 or isinstance(error, InvalidResponse):
        return TemporaryFailure(detail)
    return PermanentFailure(detail)


def _messages(message: str | list[dict[str, Any]]) -> str:
    if isinstance(message, list):
        return "; ".join(str(item.get("message", item)) if isinstance(item, dict) else str(item) for item in message)
    return str(message)
