"""Fixtures for notify's tests: the fake SMS provider on 127.0.0.1 and settings that point each adapter at it."""

import pytest

from ostrom.notify import registry
from ostrom.notify.kinds import register_kinds
from ostrom.notify.registry import MessageKind
from ostrom.notify.tests.fakes import FakeSmsProvider

MINA_PHONE = "+447700900123"

# Short enough that a test of a hung provider is quick, long enough for a slow machine's honest answer.
TEST_TIMEOUT_SECONDS = 2


@pytest.fixture
def fake_sms_provider():
    """A fake gateway + GOV.UK Notify, started for one test and stopped after it."""
    with FakeSmsProvider() as provider:
        yield provider


@pytest.fixture
def sms_via_gateway(settings, fake_sms_provider):
    """SMS_BACKEND=http_gateway aimed at the fake provider; yields the provider to count deliveries."""
    settings.SMS_BACKEND = "http_gateway"
    settings.SMS_GATEWAY_URL = fake_sms_provider.gateway_url
    settings.SMS_GATEWAY_AUTH_HEADER = fake_sms_provider.auth_header
    settings.SMS_GATEWAY_FIELDS = ""
    settings.SMS_GATEWAY_ID_FIELD = fake_sms_provider.id_field
    settings.SMS_TIMEOUT_SECONDS = TEST_TIMEOUT_SECONDS
    return fake_sms_provider


@pytest.fixture
def sms_via_notify(settings, fake_sms_provider):
    """SMS_BACKEND=govuk_notify aimed at the fake provider's Notify endpoints (email stays on Django's backend)."""
    settings.SMS_BACKEND = "govuk_notify"
    settings.GOVUK_NOTIFY_API_KEY = fake_sms_provider.notify_api_key
    settings.GOVUK_NOTIFY_BASE_URL = fake_sms_provider.url
    settings.GOVUK_NOTIFY_SMS_TEMPLATE_ID = fake_sms_provider.sms_template_id
    settings.GOVUK_NOTIFY_EMAIL_TEMPLATE_ID = ""
    settings.SMS_TIMEOUT_SECONDS = TEST_TIMEOUT_SECONDS
    return fake_sms_provider


@pytest.fixture
def sms_to_file(settings, tmp_path):
    """SMS_BACKEND=file writing to a fresh file; yields its path (one JSON line per text)."""
    path = tmp_path / "sms" / "sent.jsonl"
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(path)
    return path


@pytest.fixture
def test_kinds():
    """notify's own kinds plus three made up for tests: news (email), alerts (text) and urgent (essential, text);
    whatever a test registers is forgotten after it."""
    with registry.isolated():
        register_kinds()
        registry.register_kind(MessageKind("test.news", "News"))
        registry.register_kind(MessageKind("test.alert", "Alerts", default_channel="sms"))
        registry.register_kind(MessageKind("test.urgent", "Urgent", essential=True, default_channel="sms"))
        yield


@pytest.fixture
def mina(member):
    """Mina, the member persona, with a phone number on her account."""
    member.user.phone = MINA_PHONE
    member.user.save(update_fields=["phone"])
    return member
