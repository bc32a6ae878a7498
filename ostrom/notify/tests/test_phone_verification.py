"""Proving a phone number: a 6-digit code goes by SMS (essential, so even to a number that once sent STOP), only
its keyed hash is stored, it lasts 10 minutes and allows 5 guesses, and codes are rate-limited."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from ostrom.communities.domain import DomainError
from ostrom.communities.models import User
from ostrom.communities.tests.factories import UserFactory
from ostrom.notify.actions import preferences
from ostrom.notify.models import Message, PhoneVerification, SmsOptOut

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


def code_sent_to(phone: str) -> str:
    body = Message.objects.filter(to_address=phone).latest("pk").body
    return re.search(r"\b(\d{6})\b", body)[1]


def test_it_texts_a_six_digit_code_and_keeps_only_a_hash_of_it(member, clock):
    verification = preferences.start_phone_verification(member.user, "07700 900123")

    message = Message.objects.get()
    code = code_sent_to("+447700900123")
    assert (message.channel, message.kind, message.essential) == ("sms", "notify.phone_verification", True)
    assert (verification.phone, verification.expires_at) == ("+447700900123", NOON + timedelta(minutes=10))
    assert code not in verification.code_hash and len(verification.code_hash) == 64


def test_the_right_code_makes_the_number_the_members(member, clock):
    preferences.start_phone_verification(member.user, "+44 7700 900123")

    phone = preferences.confirm_phone(member.user, f" {code_sent_to('+447700900123')} ")

    assert phone == "+447700900123"
    assert User.objects.get(pk=member.user.pk).phone == "+447700900123"
    assert PhoneVerification.objects.get().verified_at == NOON


def test_an_invalid_number_is_refused_at_once_and_nothing_is_sent(member):
    with pytest.raises(DomainError) as refused:
        preferences.start_phone_verification(member.user, "12345")

    assert refused.value.code == "invalid_phone" and refused.value.field == "phone"
    assert not Message.objects.exists()


def test_a_code_goes_even_to_a_number_that_once_sent_stop(member):
    SmsOptOut.objects.create(phone="+447700900123")

    preferences.start_phone_verification(member.user, "07700900123")

    assert Message.objects.filter(to_address="+447700900123").exists()


def test_a_wrong_code_is_refused_and_counted(member, clock):
    preferences.start_phone_verification(member.user, "07700900123")
    right = code_sent_to("+447700900123")
    wrong = f"{(int(right) + 1) % 10**6:06d}"

    with pytest.raises(DomainError) as refused:
        preferences.confirm_phone(member.user, wrong)

    assert refused.value.code == "code_wrong"
    assert PhoneVerification.objects.get().attempts == 1
    assert User.objects.get(pk=member.user.pk).phone is None


def test_after_five_wrong_guesses_even_the_right_code_is_refused(member, clock):
    preferences.start_phone_verification(member.user, "07700900123")
    right = code_sent_to("+447700900123")
    for _ in range(preferences.MAX_CODE_ATTEMPTS):
        with pytest.raises(DomainError):
            preferences.confirm_phone(member.user, "000000" if right != "000000" else "111111")

    with pytest.raises(DomainError) as refused:
        preferences.confirm_phone(member.user, right)

    assert refused.value.code == "too_many_attempts"
    assert User.objects.get(pk=member.user.pk).phone is None


def test_a_code_runs_out_after_ten_minutes(member, clock):
    preferences.start_phone_verification(member.user, "07700900123")
    code = code_sent_to("+447700900123")
    clock.shift(timedelta(minutes=10))

    with pytest.raises(DomainError) as refused:
        preferences.confirm_phone(member.user, code)

    assert refused.value.code == "code_expired"


def test_only_the_newest_code_counts(member, clock):
    preferences.start_phone_verification(member.user, "07700900123")
    first = code_sent_to("+447700900123")
    clock.shift(timedelta(minutes=1))
    preferences.start_phone_verification(member.user, "07700900123")
    second = code_sent_to("+447700900123")

    if first != second:
        with pytest.raises(DomainError):
            preferences.confirm_phone(member.user, first)
    assert preferences.confirm_phone(member.user, second) == "+447700900123"


def test_a_used_code_cannot_be_used_again(member, clock):
    preferences.start_phone_verification(member.user, "07700900123")
    code = code_sent_to("+447700900123")
    preferences.confirm_phone(member.user, code)

    with pytest.raises(DomainError) as refused:
        preferences.confirm_phone(member.user, code)

    assert refused.value.code == "code_expired"


def test_codes_are_rate_limited_per_account_and_per_number(member, coordinator, clock):
    for _ in range(preferences.MAX_CODES_PER_HOUR):
        preferences.start_phone_verification(member.user, "07700900123")
    with pytest.raises(DomainError) as per_account:
        preferences.start_phone_verification(member.user, "07700900456")
    with pytest.raises(DomainError) as per_number:
        preferences.start_phone_verification(coordinator.user, "07700900123")

    assert per_account.value.code == per_number.value.code == "too_many_codes"
    assert Message.objects.count() == preferences.MAX_CODES_PER_HOUR
    clock.shift(timedelta(hours=1, seconds=1))
    preferences.start_phone_verification(member.user, "07700900123")


def test_a_number_another_account_uses_is_refused(member, db):
    UserFactory(phone="+447700900123")

    with pytest.raises(DomainError) as refused:
        preferences.start_phone_verification(member.user, "07700900123")

    assert refused.value.code == "phone_taken"


def test_a_number_taken_by_someone_else_while_the_code_was_on_its_way_is_refused(member, clock):
    preferences.start_phone_verification(member.user, "07700900123")
    UserFactory(phone="+447700900123")

    with pytest.raises(DomainError) as refused:
        preferences.confirm_phone(member.user, code_sent_to("+447700900123"))

    assert refused.value.code == "phone_taken"
    assert User.objects.get(pk=member.user.pk).phone is None
