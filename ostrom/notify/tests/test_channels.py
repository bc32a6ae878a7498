"""The channel adapters against the fake provider on 127.0.0.1: what reaches a phone, what is retried, what is not,
and that a resend of the same reference is never a second delivery."""

import json
import os
import smtplib
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.base import BaseEmailBackend
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from ostrom.notify.channels import (
    DELIVERED,
    SENT,
    Outgoing,
    PermanentFailure,
    SendResult,
    TemporaryFailure,
    email_channel,
    sms_channel,
)
from ostrom.notify.channels.console import ConsoleSms
from ostrom.notify.channels.email import REFERENCE_HEADER, DjangoEmail
from ostrom.notify.channels.file import FileSms
from ostrom.notify.channels.govuk_notify import GovukNotifyEmail, GovukNotifySms
from ostrom.notify.channels.http_gateway import HttpGatewaySms
from ostrom.notify.checks import check_channels, check_sms_reaches_phones
from ostrom.notify.tests.fakes import FakeSmsProvider

MINA = "+447700900123"
# The fake answers nothing to a hung request, so the adapter gives up after this long.
HANG_TIMEOUT_SECONDS = 0.3


def text(body: str = "Your balance is 3h 30m.", to: str = MINA, reference: str | None = None) -> Outgoing:
    return Outgoing(reference=reference or str(uuid.uuid4()), channel="sms", to=to, body=body, kind="balance")


def an_email(reference: str | None = None) -> Outgoing:
    return Outgoing(
        reference=reference or str(uuid.uuid4()),
        channel="email",
        to="mina@example.org",
        subject="Your week in Riverside",
        body="Two payment requests are waiting for you.",
        kind="digest",
    )


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# --- choosing a channel ---------------------------------------------------------------------------------------


def test_it_prints_texts_to_the_console_by_default(settings, capsys):
    settings.SMS_BACKEND = "console"
    message = text("Hello Mina")

    result = sms_channel().send(message)

    assert isinstance(sms_channel(), ConsoleSms)
    assert result.status == DELIVERED
    out = capsys.readouterr().out
    assert "Hello Mina" in out
    assert MINA in out
    assert message.reference in out


def test_it_refuses_an_sms_backend_it_does_not_know(settings):
    settings.SMS_BACKEND = "carrier_pigeon"

    with pytest.raises(ImproperlyConfigured, match="carrier_pigeon"):
        sms_channel()


def test_it_sends_email_through_djangos_backend_unless_a_notify_email_template_is_set(settings, sms_via_notify):
    assert isinstance(email_channel(), DjangoEmail)

    settings.GOVUK_NOTIFY_EMAIL_TEMPLATE_ID = sms_via_notify.email_template_id

    assert isinstance(email_channel(), GovukNotifyEmail)


# --- file ------------------------------------------------------------------------------------------------------


def test_it_writes_one_json_line_per_text_and_makes_the_folder(sms_to_file):
    first, second = text("One"), text("Two")

    results = [sms_channel().send(first), sms_channel().send(second)]

    written = lines(sms_to_file)
    assert [(row["reference"], row["to"], row["body"]) for row in written] == [
        (first.reference, MINA, "One"),
        (second.reference, MINA, "Two"),
    ]
    assert all(row["sent_at"] for row in written)
    assert [result.status for result in results] == [DELIVERED, DELIVERED]


def test_it_writes_a_reference_to_the_file_only_once(sms_to_file):
    message = text()

    first = sms_channel().send(message)
    again = sms_channel().send(message)

    assert len(lines(sms_to_file)) == 1
    assert first == again


def test_it_does_not_write_a_reference_another_worker_already_wrote(sms_to_file):
    message = text()
    sms_to_file.parent.mkdir(parents=True)
    sms_to_file.write_text(json.dumps({"reference": message.reference, "to": MINA, "body": "x", "sent_at": "t"}) + "\n")

    sms_channel().send(message)
    sms_channel().send(text("Another"))

    assert lines(sms_to_file)[0]["reference"] == message.reference
    assert len(lines(sms_to_file)) == 2


def test_it_starts_a_fresh_line_after_a_line_a_crashed_worker_left_torn(sms_to_file):
    sms_to_file.parent.mkdir(parents=True)
    sms_to_file.write_text('{"reference": "torn", "to": "+4477')

    sms_channel().send(text("After the crash"))

    assert json.loads(sms_to_file.read_text().splitlines()[-1])["body"] == "After the crash"


def test_it_writes_again_into_a_file_that_was_emptied(sms_to_file):
    message = text()
    sms_channel().send(message)
    sms_to_file.write_text("")

    sms_channel().send(message)

    assert len(lines(sms_to_file)) == 1


@hypothesis_settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), max_size=20))
def test_it_writes_each_reference_once_in_the_order_first_sent(references):
    with tempfile.TemporaryDirectory() as folder:
        adapter = FileSms(Path(folder) / "sms.jsonl")

        for reference in references:
            adapter.send(text(reference=reference))

        written = lines(adapter.path) if adapter.path.exists() else []
        assert [row["reference"] for row in written] == list(dict.fromkeys(references))


# A worker process of its own, as two `manage.py db_worker`s would be; it loads only what the file adapter needs.
WORKER = """
import sys
from ostrom.notify.channels import Outgoing
from ostrom.notify.channels.file import FileSms

adapter = FileSms(sys.argv[1])
for reference in sys.argv[2:]:
    adapter.send(Outgoing(reference=reference, channel="sms", to="+447700900123", body="Hello"))
"""


def test_two_worker_processes_write_each_reference_once(sms_to_file):
    references = [str(uuid.uuid4()) for _ in range(500)]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    workers = [
        # Our own interpreter running our own script; opposite orders make the two meet in the middle.
        subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", WORKER, str(sms_to_file), *order], cwd=django_settings.BASE_DIR, env=env
        )
        for order in (references, references[::-1])
    ]

    assert [worker.wait(timeout=60) for worker in workers] == [0, 0]
    assert sorted(row["reference"] for row in lines(sms_to_file)) == sorted(references)


def test_it_refuses_a_text_longer_than_any_provider_takes(sms_to_file):
    with pytest.raises(PermanentFailure):
        sms_channel().send(text("x" * 1000))


def test_the_file_backend_needs_a_path(settings):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = ""

    with pytest.raises(ImproperlyConfigured, match="SMS_FILE_PATH"):
        sms_channel()


# --- generic HTTP gateway --------------------------------------------------------------------------------------


def test_it_posts_the_mapped_fields_with_the_auth_header_to_the_gateway(sms_via_gateway):
    message = text("Pay 2h to Colin? Reply YES 4821")

    result = sms_channel().send(message)

    assert isinstance(sms_channel(), HttpGatewaySms)
    [request] = sms_via_gateway.requests
    assert request.headers["Authorization"] == "Bearer fake-gateway-key"
    assert request.body == {"to": MINA, "text": message.body, "reference": message.reference, "from": "Ostrom"}
    [delivery] = sms_via_gateway.deliveries
    assert result == SendResult(provider_reference=delivery.provider_id, status=SENT)


def test_it_follows_a_gateways_own_field_names(settings):
    fields = {"to": "msisdn", "body": "message", "reference": "client_ref", "sender": "", "status": "state"}
    with FakeSmsProvider(fields=fields, id_field="message_id") as gateway:
        settings.SMS_BACKEND = "http_gateway"
        settings.SMS_GATEWAY_URL = gateway.gateway_url
        settings.SMS_GATEWAY_AUTH_HEADER = gateway.auth_header
        settings.SMS_GATEWAY_FIELDS = json.dumps(
            {"to": "msisdn", "body": "message", "reference": "client_ref", "sender": ""}
        )
        settings.SMS_GATEWAY_ID_FIELD = "message_id"
        message = text()

        result = sms_channel().send(message)

        assert gateway.requests[0].body == {"msisdn": MINA, "message": message.body, "client_ref": message.reference}
        assert result.provider_reference == gateway.deliveries[0].provider_id


def test_a_resend_of_the_same_reference_is_not_a_second_delivery_through_the_gateway(sms_via_gateway):
    message = text()

    first = sms_channel().send(message)
    again = sms_channel().send(message)

    assert len(sms_via_gateway.requests) == 2
    assert len(sms_via_gateway.deliveries) == 1
    assert first == again


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_the_gateway_being_busy_or_broken_is_a_temporary_failure(sms_via_gateway, status):
    sms_via_gateway.fail_next(status=status)

    with pytest.raises(TemporaryFailure, match=str(status)):
        sms_channel().send(text())

    assert sms_via_gateway.deliveries == []


def test_a_text_the_gateway_took_but_answered_too_late_is_not_delivered_again_on_retry(settings, sms_via_gateway):
    settings.SMS_TIMEOUT_SECONDS = HANG_TIMEOUT_SECONDS
    message = text()
    sms_via_gateway.hang_next(after_delivering=True)

    with pytest.raises(TemporaryFailure):
        sms_channel().send(message)
    result = sms_channel().send(message)

    [delivery] = sms_via_gateway.deliveries
    assert (delivery.reference, delivery.provider_id) == (message.reference, result.provider_reference)


def test_a_text_that_failed_for_a_while_is_delivered_once_when_retried(sms_via_gateway):
    message = text()
    sms_via_gateway.fail_next(count=2, status=503)

    for _ in range(2):
        with pytest.raises(TemporaryFailure):
            sms_channel().send(message)
    sms_channel().send(message)

    assert [delivery.reference for delivery in sms_via_gateway.deliveries] == [message.reference]


def test_the_gateway_refusing_a_request_is_a_permanent_failure(sms_via_gateway):
    sms_via_gateway.fail_next(status=400)

    with pytest.raises(PermanentFailure, match="400"):
        sms_channel().send(text())


def test_an_invalid_number_is_a_permanent_failure_at_the_gateway(sms_via_gateway):
    with pytest.raises(PermanentFailure, match="invalid number"):
        sms_channel().send(text(to="12"))


def test_wrong_gateway_credentials_are_a_permanent_failure(settings, sms_via_gateway):
    settings.SMS_GATEWAY_AUTH_HEADER = "Authorization: Bearer stolen-or-stale"

    with pytest.raises(PermanentFailure, match="SMS_GATEWAY_AUTH_HEADER"):
        sms_channel().send(text())

    assert sms_via_gateway.deliveries == []


def test_a_gateway_that_never_answers_is_a_temporary_failure(settings, sms_via_gateway):
    settings.SMS_TIMEOUT_SECONDS = HANG_TIMEOUT_SECONDS
    sms_via_gateway.hang_next()

    with pytest.raises(TemporaryFailure):
        sms_channel().send(text())


def test_a_gateway_that_is_down_is_a_temporary_failure(sms_via_gateway):
    channel = sms_channel()
    sms_via_gateway.stop()

    with pytest.raises(TemporaryFailure, match="did not answer"):
        channel.send(text())


def test_a_gateway_answer_without_the_id_field_is_a_permanent_failure(settings, sms_via_gateway):
    settings.SMS_GATEWAY_ID_FIELD = "message_id"

    with pytest.raises(PermanentFailure, match="SMS_GATEWAY_ID_FIELD"):
        sms_channel().send(text())


@pytest.mark.parametrize(
    ("setting", "value", "complaint"),
    [
        ("SMS_GATEWAY_URL", "", "SMS_GATEWAY_URL is empty"),
        ("SMS_GATEWAY_URL", "file:///etc/passwd", "http"),
        ("SMS_GATEWAY_AUTH_HEADER", "Bearer xyz", "SMS_GATEWAY_AUTH_HEADER"),
        ("SMS_GATEWAY_FIELDS", "{not json", "JSON object"),
        ("SMS_GATEWAY_FIELDS", '{"phone": "to"}', "phone"),
        ("SMS_GATEWAY_FIELDS", '{"to": ""}', "may not leave out to"),
        ("SMS_GATEWAY_FIELDS", '["to"]', "SMS_GATEWAY_FIELDS"),
    ],
)
def test_a_misconfigured_gateway_is_refused_with_a_clear_sentence(settings, sms_via_gateway, setting, value, complaint):
    setattr(settings, setting, value)

    with pytest.raises(ImproperlyConfigured, match=complaint):
        sms_channel()


# --- GOV.UK Notify ---------------------------------------------------------------------------------------------


def test_it_sends_a_text_through_notify_with_the_body_template_and_our_reference(sms_via_notify):
    message = text("Your code is 482913")

    result = sms_channel().send(message)

    assert isinstance(sms_channel(), GovukNotifySms)
    post = next(request for request in sms_via_notify.requests if request.method == "POST")
    assert post.path == "/v2/notifications/sms"
    assert post.headers["Authorization"].startswith("Bearer ")
    assert post.body == {
        "phone_number": MINA,
        "template_id": sms_via_notify.sms_template_id,
        "personalisation": {"body": "Your code is 482913"},
        "reference": message.reference,
    }
    assert result == SendResult(provider_reference=sms_via_notify.deliveries[0].provider_id, status=SENT)


def test_a_resend_of_the_same_reference_is_not_a_second_text_through_notify(sms_via_notify):
    message = text()

    first = sms_channel().send(message)
    again = sms_channel().send(message)

    assert len(sms_via_notify.deliveries) == 1
    assert first == again


def test_a_text_notify_took_but_answered_too_late_is_not_sent_again_on_retry(settings, sms_via_notify):
    settings.SMS_TIMEOUT_SECONDS = HANG_TIMEOUT_SECONDS
    message = text()
    sms_via_notify.hang_next(path="/v2/notifications/sms", after_delivering=True)

    with pytest.raises(TemporaryFailure):
        sms_channel().send(message)
    sms_channel().send(message)

    assert [delivery.reference for delivery in sms_via_notify.deliveries] == [message.reference]


@pytest.mark.parametrize("status", [429, 500, 503])
def test_notify_being_busy_or_broken_is_a_temporary_failure(sms_via_notify, status):
    sms_via_notify.fail_next(status=status, path="/v2/notifications/sms")

    with pytest.raises(TemporaryFailure, match=str(status)):
        sms_channel().send(text())


def test_a_failing_lookup_at_notify_is_a_temporary_failure_and_sends_nothing(sms_via_notify):
    sms_via_notify.fail_next(status=500, path="/v2/notifications")

    with pytest.raises(TemporaryFailure):
        sms_channel().send(text())

    assert sms_via_notify.deliveries == []


def test_notify_rejecting_a_number_is_a_permanent_failure(sms_via_notify):
    with pytest.raises(PermanentFailure, match=r"400.*phone_number"):
        sms_channel().send(text(to="not a number"))


def test_notify_rejecting_a_request_is_a_permanent_failure(sms_via_notify):
    sms_via_notify.fail_next(status=400, path="/v2/notifications/sms")

    with pytest.raises(PermanentFailure, match="400"):
        sms_channel().send(text())


def test_a_wrong_notify_api_key_is_a_permanent_failure(settings, sms_via_notify):
    service_id, secret = sms_via_notify.notify_api_key[-73:-37], str(uuid.uuid4())
    settings.GOVUK_NOTIFY_API_KEY = f"revoked-{service_id}-{secret}"

    with pytest.raises(PermanentFailure, match="403"):
        sms_channel().send(text())

    assert sms_via_notify.deliveries == []


def test_notify_never_answering_is_a_temporary_failure(settings, sms_via_notify):
    settings.SMS_TIMEOUT_SECONDS = HANG_TIMEOUT_SECONDS
    sms_via_notify.hang_next()

    with pytest.raises(TemporaryFailure):
        sms_channel().send(text())


def test_notify_being_unreachable_is_a_temporary_failure(sms_via_notify):
    channel = sms_channel()
    sms_via_notify.stop()

    with pytest.raises(TemporaryFailure):
        channel.send(text())


@pytest.mark.parametrize(
    ("setting", "value", "complaint"),
    [
        ("GOVUK_NOTIFY_API_KEY", "", "GOVUK_NOTIFY_API_KEY is empty"),
        ("GOVUK_NOTIFY_API_KEY", "just-a-secret", "does not look like a Notify API key"),
        ("GOVUK_NOTIFY_SMS_TEMPLATE_ID", "", "GOVUK_NOTIFY_SMS_TEMPLATE_ID"),
    ],
)
def test_a_misconfigured_notify_is_refused_with_a_clear_sentence(settings, sms_via_notify, setting, value, complaint):
    setattr(settings, setting, value)

    with pytest.raises(ImproperlyConfigured, match=complaint):
        sms_channel()


def test_it_sends_email_through_notify_with_subject_and_body_once_per_reference(settings, sms_via_notify):
    settings.GOVUK_NOTIFY_EMAIL_TEMPLATE_ID = sms_via_notify.email_template_id
    message = an_email()

    first = email_channel().send(message)
    again = email_channel().send(message)

    [delivery] = sms_via_notify.deliveries
    assert (delivery.via, delivery.to, delivery.subject, delivery.body) == (
        "notify_email",
        "mina@example.org",
        "Your week in Riverside",
        "Two payment requests are waiting for you.",
    )
    assert first == again == SendResult(provider_reference=delivery.provider_id, status=SENT)


def test_notify_email_needs_an_api_key(settings):
    settings.GOVUK_NOTIFY_EMAIL_TEMPLATE_ID = "8a1fd4c9-3e5e-4b5c-9d0b-7f3c1f0c2b11"
    settings.GOVUK_NOTIFY_API_KEY = ""

    with pytest.raises(ImproperlyConfigured, match="GOVUK_NOTIFY_API_KEY"):
        email_channel()


# --- Django email ----------------------------------------------------------------------------------------------


def test_it_emails_through_djangos_backend_with_the_reference_as_message_id(settings):
    settings.DEFAULT_FROM_EMAIL = "Ostrom <noreply@riverside.example>"
    message = an_email()

    result = email_channel().send(message)

    [sent] = mail.outbox
    assert (sent.to, sent.subject, sent.body) == (["mina@example.org"], message.subject, message.body)
    assert sent.extra_headers["Message-ID"] == f"<{message.reference}@riverside.example>"
    assert sent.extra_headers[REFERENCE_HEADER] == message.reference
    assert result == SendResult(provider_reference=f"<{message.reference}@riverside.example>", status=SENT)


def test_a_resent_email_carries_the_same_message_id(settings):
    message = an_email()

    email_channel().send(message)
    email_channel().send(message)

    assert mail.outbox[0].extra_headers["Message-ID"] == mail.outbox[1].extra_headers["Message-ID"]


class RaisingBackend(BaseEmailBackend):
    error: Exception = OSError()

    def send_messages(self, email_messages):
        raise self.error


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (smtplib.SMTPRecipientsRefused({"mina@example.org": (550, b"No such user")}), PermanentFailure),
        (smtplib.SMTPRecipientsRefused({"mina@example.org": (452, b"Mailbox full, try later")}), TemporaryFailure),
        (smtplib.SMTPAuthenticationError(535, b"Authentication failed"), PermanentFailure),
        (smtplib.SMTPDataError(451, b"Try again later"), TemporaryFailure),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), TemporaryFailure),
        (ConnectionRefusedError(111, "Connection refused"), TemporaryFailure),
        (TimeoutError("timed out"), TemporaryFailure),
    ],
)
def test_mail_server_trouble_is_sorted_into_retry_or_give_up(settings, monkeypatch, error, failure):
    settings.EMAIL_BACKEND = f"{__name__}.RaisingBackend"
    monkeypatch.setattr(RaisingBackend, "error", error)

    with pytest.raises(failure):
        email_channel().send(an_email())


# --- system checks ---------------------------------------------------------------------------------------------


def test_the_system_check_is_quiet_when_the_chosen_channels_have_their_settings(settings, sms_via_gateway):
    assert check_channels() == []


def test_the_system_check_warns_when_the_chosen_sms_backend_lacks_its_settings(settings):
    settings.SMS_BACKEND = "govuk_notify"
    settings.GOVUK_NOTIFY_API_KEY = ""
    settings.GOVUK_NOTIFY_EMAIL_TEMPLATE_ID = ""

    [warning] = check_channels()

    assert warning.id == "notify.W001"
    assert "GOVUK_NOTIFY" in warning.msg


def test_the_deploy_check_warns_that_console_texts_reach_nobody(settings):
    settings.SMS_BACKEND = "console"

    [warning] = check_sms_reaches_phones()

    assert warning.id == "notify.W003"


def test_the_deploy_check_is_quiet_for_a_real_provider(settings, sms_via_notify):
    assert check_sms_reaches_phones() == []
