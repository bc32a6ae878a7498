"""The addresses providers call: a signed generic gateway and GOV.UK Notify with its bearer token. Mina
(07700 900101) texts in; a forger, a replayer and a misconfigured server get nowhere."""

import json
import logging
import time

import pytest
from django.core.cache import cache
from django.utils import timezone

from ostrom.notify.actions import outbox
from ostrom.notify.domain.signing import sign
from ostrom.notify.models import InboundSms, Message, SmsOptOut, WebhookReceipt

pytestmark = pytest.mark.urls("ostrom.notify.tests.urls")

MINA = "+447700900101"
SECRET = "gateway-webhook-secret"
TOKEN = "notify-callback-token"
INBOUND = "/webhooks/sms/inbound/"
STATUS = "/webhooks/sms/status/"
NOTIFY_INBOUND = "/webhooks/notify/inbound/"
NOTIFY_STATUS = "/webhooks/notify/status/"


@pytest.fixture(autouse=True)
def secrets_configured(settings, db):
    settings.SMS_WEBHOOK_SECRET = SECRET
    settings.GOVUK_NOTIFY_CALLBACK_TOKEN = TOKEN
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def mina(member):
    member.user.phone = MINA
    member.user.save(update_fields=["phone"])
    return member


def inbound_body(text, provider_id="gw-1", phone="447700900101"):
    return json.dumps({"id": provider_id, "from": phone, "to": "+447700900000", "text": text}).encode()


def post_signed(client, path, body, *, secret=SECRET, timestamp=None, signature=None, headers=None):
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = sign(secret.encode(), timestamp, body) if signature is None else signature
    if headers is None:
        headers = {"X-Ostrom-Timestamp": str(timestamp), "X-Ostrom-Signature": signature}
    return client.post(path, body, content_type="application/json", headers=headers)


def post_to_notify(client, path, payload, token=TOKEN):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.post(path, json.dumps(payload), content_type="application/json", headers=headers)


def test_a_signed_text_is_accepted_and_answered(client, mina):
    response = post_signed(client, INBOUND, inbound_body("HELP"))

    assert response.status_code == 200
    assert response.json() == {"status": "accepted", "replied": True}
    reply = Message.objects.get(to_address=MINA)
    assert "HELP" in reply.body and reply.kind == "notify.sms_reply"


def test_the_same_text_from_the_fake_gateway_reaches_the_member_and_stop_holds(client, mina, sms_via_gateway):
    post_signed(client, INBOUND, sms_via_gateway.inbound_body(MINA, "help"))
    post_signed(client, INBOUND, sms_via_gateway.inbound_body(MINA, "STOP"))
    outbox.enqueue(channel="sms", to_address=MINA, kind="test.news", body="Fair on Saturday")
    outbox.drain()

    delivered = [d.body for d in sms_via_gateway.deliveries if d.to == MINA]
    assert len(delivered) == 2
    assert "HELP" in delivered[0] and "no more texts" in delivered[1]


def test_a_delivery_report_marks_the_message_delivered(client, mina, sms_via_gateway):
    message = outbox.enqueue(channel="sms", to_address=MINA, kind="test.news", body="Fair on Saturday")
    outbox.drain()

    response = post_signed(client, STATUS, sms_via_gateway.status_body(str(message.reference)))

    message.refresh_from_db()
    assert response.json() == {"status": "recorded"}
    assert message.status == "delivered"


def test_a_report_on_a_message_we_never_sent_is_still_a_200(client):
    body = json.dumps({"reference": "not-ours", "id": "gw-77", "status": "delivered"}).encode()

    response = post_signed(client, STATUS, body)

    assert response.status_code == 200
    assert response.json() == {"status": "unknown_message"}


def test_an_interim_report_is_ignored(client):
    body = json.dumps({"reference": "x", "id": "gw-77", "status": "queued"}).encode()

    assert post_signed(client, STATUS, body).json() == {"status": "ignored"}


def test_a_tampered_body_is_refused(client, mina):
    body = inbound_body("HELP")
    signature = sign(SECRET.encode(), int(time.time()), body)

    response = post_signed(client, INBOUND, body.replace(b"HELP", b"STOP"), signature=signature)

    assert response.status_code == 403
    assert response.json()["code"] == "signature_invalid"
    assert not InboundSms.objects.exists() and not SmsOptOut.objects.exists()


def test_a_body_signed_with_another_secret_is_refused(client, mina):
    response = post_signed(client, INBOUND, inbound_body("HELP"), secret="guessed")

    assert response.status_code == 403
    assert response.json()["code"] == "signature_invalid"
    assert not InboundSms.objects.exists()


def test_a_stale_timestamp_is_refused(client, mina):
    response = post_signed(client, INBOUND, inbound_body("HELP"), timestamp=int(time.time()) - 301)

    assert response.status_code == 403
    assert response.json()["code"] == "signature_expired"
    assert not InboundSms.objects.exists()


def test_a_replayed_signature_is_refused(client, mina):
    body = json.dumps({"reference": "not-ours", "id": "gw-77", "status": "delivered"}).encode()
    timestamp = int(time.time())
    signature = sign(SECRET.encode(), timestamp, body)

    first = post_signed(client, STATUS, body, timestamp=timestamp, signature=signature)
    again = post_signed(client, STATUS, body, timestamp=timestamp, signature=signature.upper())

    assert first.status_code == 200
    assert again.status_code == 409
    assert again.json()["code"] == "webhook_replayed"


def test_a_replayed_text_is_refused_and_answered_only_once(client, mina):
    body = inbound_body("HELP")
    timestamp = int(time.time())

    post_signed(client, INBOUND, body, timestamp=timestamp)
    again = post_signed(client, INBOUND, body, timestamp=timestamp)

    assert again.status_code == 409
    assert Message.objects.filter(to_address=MINA).count() == 1


def test_a_redelivered_text_with_a_new_signature_is_answered_only_once(client, mina):
    body = inbound_body("HELP")

    post_signed(client, INBOUND, body, timestamp=int(time.time()))
    again = post_signed(client, INBOUND, body, timestamp=int(time.time()) + 1)

    assert again.json() == {"status": "accepted", "replied": False}
    assert Message.objects.filter(to_address=MINA).count() == 1


def test_old_receipts_are_forgotten(client, time_machine):
    time_machine.move_to("2026-03-02 10:00:00Z", tick=False)
    post_signed(client, STATUS, json.dumps({"id": "gw-1", "status": "delivered"}).encode())
    time_machine.move_to("2026-03-02 10:10:01Z", tick=False)
    post_signed(client, STATUS, json.dumps({"id": "gw-2", "status": "delivered"}).encode())

    assert WebhookReceipt.objects.count() == 1


@pytest.mark.parametrize(
    "headers", [{}, {"X-Ostrom-Timestamp": str(int(time.time()))}, {"X-Ostrom-Signature": "ab" * 32}]
)
def test_a_call_without_both_headers_is_refused(client, headers):
    response = post_signed(client, INBOUND, inbound_body("HELP"), headers=headers)

    assert response.status_code == 401
    assert response.json()["code"] == "signature_missing"


def test_the_header_names_come_from_settings(client, mina, settings):
    settings.SMS_WEBHOOK_TIMESTAMP_HEADER = "X-Gateway-Time"
    settings.SMS_WEBHOOK_SIGNATURE_HEADER = "X-Gateway-Sig"
    body = inbound_body("HELP")
    timestamp = int(time.time())
    headers = {"X-Gateway-Time": str(timestamp), "X-Gateway-Sig": sign(SECRET.encode(), timestamp, body)}

    assert post_signed(client, INBOUND, body, headers=headers).status_code == 200


def test_malformed_json_is_refused_and_logged(client, caplog):
    with caplog.at_level(logging.WARNING, logger="ostrom.notify.webhooks"):
        response = post_signed(client, INBOUND, b'{"id": "gw-1", "from": ')

    assert response.status_code == 400
    assert response.json()["code"] == "webhook_malformed"
    assert "webhook_malformed" in caplog.text


def test_a_payload_without_a_sender_is_refused(client):
    response = post_signed(client, INBOUND, json.dumps({"id": "gw-1", "text": "HELP"}).encode())

    assert response.status_code == 400
    assert not InboundSms.objects.exists()


def test_an_oversized_body_is_refused_before_it_is_read(client):
    response = post_signed(client, INBOUND, b"{" + b" " * 70_000 + b"}")

    assert response.status_code == 413
    assert response.json()["code"] == "webhook_too_large"


@pytest.mark.parametrize("path", [INBOUND, STATUS, NOTIFY_INBOUND, NOTIFY_STATUS])
def test_get_is_refused(client, path):
    response = client.get(path)

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["code"] == "method_not_allowed"


def test_it_answers_503_when_no_secret_is_configured(client, settings):
    settings.SMS_WEBHOOK_SECRET = ""

    response = post_signed(client, INBOUND, inbound_body("HELP"), secret="anything")

    assert response.status_code == 503
    assert "SMS_WEBHOOK_SECRET" in response.json()["message"]


def test_it_answers_503_when_the_gateway_field_mapping_is_broken(client, settings):
    settings.SMS_GATEWAY_FIELDS = "{not json"

    response = post_signed(client, INBOUND, inbound_body("HELP"))

    assert response.status_code == 503
    assert response.json()["code"] == "webhook_not_configured"


def test_notify_with_the_right_token_delivers_the_text(client, mina):
    payload = {"id": "notify-in-1", "source_number": "447700900101", "destination_number": "07700900000",
               "message": "STOP", "date_received": "2026-03-02T10:00:00.000000Z"}  # fmt: skip

    response = post_to_notify(client, NOTIFY_INBOUND, payload)

    assert response.status_code == 200
    assert SmsOptOut.objects.filter(phone=MINA).exists()


@pytest.mark.parametrize(("token", "status", "code"), [("wrong", 403, "token_invalid"), (None, 401, "token_missing")])
def test_notify_without_the_right_token_is_refused(client, mina, token, status, code):
    payload = {"id": "notify-in-1", "source_number": "447700900101", "message": "STOP"}

    response = post_to_notify(client, NOTIFY_INBOUND, payload, token=token)

    assert response.status_code == status
    assert response.json()["code"] == code
    assert not SmsOptOut.objects.exists()


def test_notify_needs_a_configured_token(client, settings):
    settings.GOVUK_NOTIFY_CALLBACK_TOKEN = ""

    response = post_to_notify(client, NOTIFY_STATUS, {"id": "n-1", "status": "delivered"}, token="")

    assert response.status_code == 503
    assert "GOVUK_NOTIFY_CALLBACK_TOKEN" in response.json()["message"]


def test_notify_delivery_receipts_update_the_message(client, mina):
    message = outbox.enqueue(channel="sms", to_address=MINA, kind="test.news", body="Fair on Saturday")
    Message.objects.filter(pk=message.pk).update(status="sent", provider_reference="notify-77", sent_at=timezone.now())
    payload = {"id": "notify-77", "reference": str(message.reference), "to": MINA, "status": "permanent-failure"}

    response = post_to_notify(client, NOTIFY_STATUS, payload)

    message.refresh_from_db()
    assert response.json() == {"status": "recorded"}
    assert message.status == "failed"
