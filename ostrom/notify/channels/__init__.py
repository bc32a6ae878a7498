"""The ways a message leaves Ostrom, each behind one small adapter. The worker hands an adapter an ``Outgoing`` and
gets a ``SendResult``, or one of two failures that decide whether it tries again. Adapters read settings when they
are made, so ``sms_channel()``/``email_channel()`` follow a test's ``settings`` overrides.

``Outgoing.reference`` is the outbox message's UUID: every adapter passes it on (or checks it first) so that a
resend after a crash is not delivered twice."""

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SMS_BACKENDS = ("console", "file", "govuk_notify", "http_gateway")
SENT = "sent"
DELIVERED = "delivered"
# A provider that neither answers nor fails within this long is treated as a temporary failure.
DEFAULT_TIMEOUT_SECONDS = 10
# GOV.UK Notify's own ceiling. Bodies were already cut to a few segments upstream; this only guards the adapters.
MAX_SMS_BODY_CHARS = 918
# Failure messages end up in Message.last_error (500 characters).
MAX_ERROR_CHARS = 300


@dataclass(frozen=True)
class Outgoing:
    reference: str
    channel: str
    to: str
    body: str
    subject: str = ""
    kind: str = ""


@dataclass(frozen=True)
class SendResult:
    provider_reference: str
    status: str  # SENT, or DELIVERED when nothing further will report back (console, file)


class TemporaryFailure(Exception):
    """Try again later: a timeout, a refused connection, 5xx or 429."""


class PermanentFailure(Exception):
    """Never retry: the provider refused this message (invalid number, bad credentials, 4xx)."""


class Channel(Protocol):
    name: str

    def send(self, message: Outgoing) -> SendResult: ...


def timeout_seconds() -> float:
    """How long an adapter waits for a provider; SMS_TIMEOUT_SECONDS when settings define it."""
    return float(getattr(settings, "SMS_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS))


def short_error(text: str) -> str:
    """A provider's complaint cut to fit the message log."""
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def sms_channel() -> Channel:
    """The SMS adapter chosen by settings.SMS_BACKEND; ImproperlyConfigured when its settings are missing."""
    backend = settings.SMS_BACKEND
    # Imported here so that choosing "console" never loads the HTTP client libraries.
    if backend == "console":
        from ostrom.notify.channels.console import ConsoleSms

        return ConsoleSms()
    if backend == "file":
        from ostrom.notify.channels.file import FileSms

        return FileSms()
    if backend == "govuk_notify":
        from ostrom.notify.channels.govuk_notify import GovukNotifySms

        return GovukNotifySms()
    if backend == "http_gateway":
        from ostrom.notify.channels.http_gateway import HttpGatewaySms

        return HttpGatewaySms()
    raise ImproperlyConfigured(f"SMS_BACKEND is {backend!r}; set it to one of: {', '.join(SMS_BACKENDS)}.")


def email_channel() -> Channel:
    """GOV.UK Notify when GOVUK_NOTIFY_EMAIL_TEMPLATE_ID is set, otherwise Django's EMAIL_BACKEND."""
    if settings.GOVUK_NOTIFY_EMAIL_TEMPLATE_ID:
        from ostrom.notify.channels.govuk_notify import GovukNotifyEmail

        return GovukNotifyEmail()
    from ostrom.notify.channels.email import DjangoEmail

    return DjangoEmail()


__all__ = [
    "DELIVERED",
    "SENT",
    "SMS_BACKENDS",
    "Channel",
    "Outgoing",
    "PermanentFailure",
    "SendResult",
    "TemporaryFailure",
    "email_channel",
    "sms_channel",
]
