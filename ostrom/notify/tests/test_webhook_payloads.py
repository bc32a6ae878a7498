"""Reading what providers post back: inbound texts and delivery reports from the generic gateway (with its field
mapping) and from GOV.UK Notify. Anything unreadable is DomainError ``webhook_malformed``, never a crash."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ostrom.communities.domain import DomainError
from ostrom.notify.channels.http_gateway import gateway_mapping
from ostrom.notify.channels.webhooks import (
    DELIVERED,
    FAILED,
    MAX_INBOUND_TEXT_CHARS,
    MAX_WEBHOOK_BYTES,
    GatewayMapping,
    InboundSms,
    StatusUpdate,
    field_at,
    parse_gateway_inbound,
    parse_gateway_status,
    parse_notify_inbound,
    parse_notify_status,
)

REFERENCE = "5b0e0c1e-8d5a-4c1f-9c57-0a1b2c3d4e5f"


def body(**fields) -> bytes:
    return json.dumps(fields).encode()


def assert_malformed(parse, raw: bytes, *args) -> DomainError:
    with pytest.raises(DomainError) as caught:
        parse(raw, *args)
    assert caught.value.code == "webhook_malformed"
    assert caught.value.message.endswith(".")
    return caught.value


# --- generic gateway: inbound --------------------------------------------------------------------------------


def test_it_reads_an_inbound_text_from_the_gateway():
    inbound = parse_gateway_inbound(body(id="in-1", to="+447700900000", text="BAL", **{"from": "+447700900123"}))

    assert inbound == InboundSms(provider_id="in-1", phone="+447700900123", text="BAL")


@pytest.mark.parametrize("raw_phone", ["447700900123", "07700 900123", "+44 7700 900123"])
def test_it_puts_the_senders_number_in_international_form(raw_phone):
    inbound = parse_gateway_inbound(body(id="in-2", text="HELP", **{"from": raw_phone}))

    assert inbound.phone == "+447700900123"


def test_it_reads_an_inbound_text_through_the_gateways_own_field_names(settings):
    settings.SMS_GATEWAY_FIELDS = json.dumps({"sender": "msisdn", "body": "message"})
    settings.SMS_GATEWAY_ID_FIELD = "messageId"
    raw = body(messageId=98765, msisdn="447700900123", message="pay colin 2h lunch")

    inbound = parse_gateway_inbound(raw, gateway_mapping())

    assert inbound == InboundSms(provider_id="98765", phone="+447700900123", text="pay colin 2h lunch")


def test_an_empty_inbound_text_is_still_a_text():
    assert parse_gateway_inbound(body(id="in-3", text="", **{"from": "+447700900123"})).text == ""


@pytest.mark.parametrize(
    "fields",
    [
        {"text": "BAL", "from": "+447700900123"},  # no id
        {"id": "in-4", "from": "+447700900123"},  # no text
        {"id": "in-4", "text": "BAL"},  # no sender
        {"id": "", "text": "BAL", "from": "+447700900123"},
        {"id": True, "text": "BAL", "from": "+447700900123"},
        {"id": {"nested": 1}, "text": "BAL", "from": "+447700900123"},
        {"id": "in-4", "text": ["BAL"], "from": "+447700900123"},
        {"id": "in-4", "text": "BAL", "from": "not a phone"},
        {"id": "x" * 121, "text": "BAL", "from": "+447700900123"},
        {"id": "in-4", "text": "x" * (MAX_INBOUND_TEXT_CHARS + 1), "from": "+447700900123"},
    ],
)
def test_it_refuses_an_inbound_text_with_a_missing_or_wrong_field(fields):
    assert_malformed(parse_gateway_inbound, json.dumps(fields).encode())


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b'"BAL"', b"{", b"\xff\xfe", b"[" * 60_000])
def test_it_refuses_a_body_that_is_not_a_json_object(raw):
    assert_malformed(parse_gateway_inbound, raw)


def test_it_refuses_a_body_too_large_to_be_an_sms_report():
    raw = body(id="in-5", text="x" * MAX_WEBHOOK_BYTES, **{"from": "+447700900123"})

    error = assert_malformed(parse_gateway_inbound, raw)

    assert "too large" in error.message


# --- generic gateway: delivery reports -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("delivered", DELIVERED),
        ("DELIVRD", DELIVERED),
        ("failed", FAILED),
        ("undelivered", FAILED),
        ("expired", FAILED),
    ],
)
def test_it_reads_a_gateway_delivery_report(word, status):
    update = parse_gateway_status(body(reference=REFERENCE, id="gw-1", status=word))

    assert update == StatusUpdate(reference=REFERENCE, provider_reference="gw-1", status=status, detail=word.lower())


@pytest.mark.parametrize("word", ["queued", "sent", "accepted", "buffered"])
def test_an_interim_gateway_status_is_nothing_to_record(word):
    assert parse_gateway_status(body(reference=REFERENCE, status=word)) is None


def test_a_gateway_report_may_name_only_the_providers_id():
    update = parse_gateway_status(body(id="gw-2", status="delivered"))

    assert update == StatusUpdate(reference="", provider_reference="gw-2", status=DELIVERED, detail="delivered")


def test_it_reads_a_gateway_report_through_its_own_field_names():
    mapping = GatewayMapping(
        fields={"to": "to", "body": "text", "reference": "client_ref", "sender": "from", "status": "dlr.state"},
        id_field="message-id",
    )
    raw = json.dumps({"client_ref": REFERENCE, "message-id": "m-9", "dlr": {"state": "Delivered"}}).encode()

    assert parse_gateway_status(raw, mapping) == StatusUpdate(REFERENCE, "m-9", DELIVERED, "delivered")


def test_a_gateway_report_naming_no_message_is_malformed():
    error = assert_malformed(parse_gateway_status, body(status="delivered"))

    assert "neither" in error.message


def test_a_gateway_status_nobody_knows_is_malformed():
    assert_malformed(parse_gateway_status, body(reference=REFERENCE, status="teleported"))


def test_a_gateway_report_without_a_status_is_malformed():
    assert_malformed(parse_gateway_status, body(reference=REFERENCE))


# --- GOV.UK Notify -------------------------------------------------------------------------------------------


def notify_callback(status: str, reference: str | None = REFERENCE) -> bytes:
    return body(
        id="740e5834-3a29-46b4-9a6f-16142fde533a",
        reference=reference,
        to="+447700900123",
        status=status,
        created_at="2026-03-02T10:00:00.000000Z",
        completed_at="2026-03-02T10:00:05.000000Z",
        sent_at="2026-03-02T10:00:01.000000Z",
        notification_type="sms",
        template_id="f33517ff-2a88-4f6e-b855-c550268ce08a",
        template_version=1,
    )


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("delivered", DELIVERED),
        ("permanent-failure", FAILED),
        ("temporary-failure", FAILED),
        ("technical-failure", FAILED),
    ],
)
def test_it_reads_a_notify_delivery_receipt(word, status):
    update = parse_notify_status(notify_callback(word))

    assert update == StatusUpdate(REFERENCE, "740e5834-3a29-46b4-9a6f-16142fde533a", status, word)


def test_a_notify_receipt_without_our_reference_names_notifys_id():
    update = parse_notify_status(notify_callback("delivered", reference=None))

    assert update is not None
    assert (update.reference, update.provider_reference) == ("", "740e5834-3a29-46b4-9a6f-16142fde533a")


def test_a_notify_status_that_is_not_final_is_nothing_to_record():
    assert parse_notify_status(notify_callback("sending")) is None


def test_a_notify_status_notify_never_sends_is_malformed():
    assert_malformed(parse_notify_status, notify_callback("exploded"))


def test_a_notify_receipt_without_an_id_is_malformed():
    assert_malformed(parse_notify_status, body(reference=REFERENCE, status="delivered"))


def test_it_reads_a_text_received_through_notify():
    raw = body(
        id="3e5b4a68-1d9c-4f2e-8b3a-0c9d8e7f6a5b",
        source_number="447700900123",
        destination_number="07700900000",
        message="STOP",
        date_received="2026-03-02T10:00:00.000000Z",
    )

    assert parse_notify_inbound(raw) == InboundSms("3e5b4a68-1d9c-4f2e-8b3a-0c9d8e7f6a5b", "+447700900123", "STOP")


def test_a_text_received_through_notify_without_its_sender_is_malformed():
    assert_malformed(parse_notify_inbound, body(id="x", message="STOP"))


# --- dotted field paths ---------------------------------------------------------------------------------------


def test_it_finds_a_field_by_its_dotted_path():
    payload = {"messages": [{"message-id": "m-1"}], "status": "0"}

    assert field_at(payload, "messages.0.message-id") == "m-1"
    assert field_at(payload, "messages.1.message-id") is None
    assert field_at(payload, "status.deeper") is None
    assert field_at(payload, "") is None


# --- invariants -----------------------------------------------------------------------------------------------

PARSERS = [parse_gateway_inbound, parse_gateway_status, parse_notify_status, parse_notify_inbound]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
likely_keys = st.sampled_from(["id", "from", "text", "to", "reference", "status", "message", "source_number"])
payloads = st.dictionaries(likely_keys | st.text(max_size=8), json_values | st.text(max_size=20), max_size=6)


@given(raw=st.binary(max_size=300))
def test_no_bytes_make_a_parser_fail_other_than_webhook_malformed(raw):
    for parse in PARSERS:
        try:
            parse(raw)
        except DomainError as error:
            assert error.code == "webhook_malformed"


@given(payload=payloads)
def test_no_json_object_makes_a_parser_fail_other_than_webhook_malformed(payload):
    raw = json.dumps(payload).encode()
    for parse in PARSERS:
        try:
            result = parse(raw)
        except DomainError as error:
            assert error.code == "webhook_malformed"
            continue
        if isinstance(result, InboundSms):
            assert result.provider_id and result.phone.startswith("+") and len(result.phone) <= 16
        elif isinstance(result, StatusUpdate):
            assert result.status in {DELIVERED, FAILED}
            assert result.reference or result.provider_reference
