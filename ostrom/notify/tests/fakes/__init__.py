"""Stand-ins for the outside world that tests talk to on 127.0.0.1."""

from ostrom.notify.tests.fakes.sms_provider import (
    GATEWAY_AUTH_HEADER,
    NOTIFY_API_KEY,
    NOTIFY_EMAIL_TEMPLATE_ID,
    NOTIFY_SMS_TEMPLATE_ID,
    Delivery,
    FakeSmsProvider,
    RecordedRequest,
)

__all__ = [
    "GATEWAY_AUTH_HEADER",
    "NOTIFY_API_KEY",
    "NOTIFY_EMAIL_TEMPLATE_ID",
    "NOTIFY_SMS_TEMPLATE_ID",
    "Delivery",
    "FakeSmsProvider",
    "RecordedRequest",
]
