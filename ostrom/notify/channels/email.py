"""Email through Django's EMAIL_BACKEND (the console in development, SMTP in production). SMTP has no idempotency
key, so the reference becomes a fixed Message-ID: mail servers and clients that see it twice treat it as one message."""

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.message import sanitize_address

from ostrom.notify.channels import (
    DEFAULT_TIMEOUT_SECONDS,
    SENT,
    Outgoing,
    PermanentFailure,
    SendResult,
    TemporaryFailure,
    short_error,
)

REFERENCE_HEADER = "X-Ostrom-Reference"


def message_id(reference: str) -> str:
    """A Message-ID that is the same every time this reference is sent, in the sender's domain."""
    address = sanitize_address(settings.DEFAULT_FROM_EMAIL, "utf-8")
    domain = address.rpartition("@")[2].strip(">") or "localhost"
    return f"<{reference}@{domain}>"


class DjangoEmail:
    name = "email"

    def send(self, message: Outgoing) -> SendResult:
        msgid = message_id(message.reference)
        # Django leaves EMAIL_TIMEOUT unset, and an SMTP server that never answers must not hold a worker forever.
        connection = get_connection(timeout=settings.EMAIL_TIMEOUT or DEFAULT_TIMEOUT_SECONDS)
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            to=[message.to],
            headers={"Message-ID": msgid, REFERENCE_HEADER: message.reference},
            connection=connection,
        )
        try:
            email.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _text in error.recipients.values()]
            raise _by_code(min(codes, default=550), f"The mail server refused {message.to}") from error
        except smtplib.SMTPResponseException as error:
            # Covers a refused sender, refused data and failed authentication, each with the server's code.
            said = (
                error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
            )
            raise _by_code(error.smtp_code, f"The mail server answered {error.smtp_code}: {said}") from error
        except (smtplib.SMTPException, OSError) as error:
            raise TemporaryFailure(short_error(f"Could not reach the mail server: {error}")) from error
        return SendResult(provider_reference=msgid, status=SENT)


def _by_code(code: int, text: str) -> Exception:
    # SMTP's own rule: 4xx means try again later, 5xx means never.
    if 400 <= code < 500:
        return TemporaryFailure(short_error(text))
    return PermanentFailure(short_error(text))
