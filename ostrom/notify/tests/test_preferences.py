"""Preferences: which channel for which kind of message, quiet hours, digest frequency; and ``notify`` respecting
them. Kinds: "test.news" (email by default), "test.alert" (SMS by default), "test.urgent" (essential SMS)."""

from datetime import time

import pytest

from ostrom.communities.domain import DomainError
from ostrom.notify import registry
from ostrom.notify.actions import outbox, preferences
from ostrom.notify.models import Message, NotificationSettings, Preference


@pytest.fixture(autouse=True)
def kinds(test_kinds):
    """news by email, alerts by text, urgent (essential) by text, beside notify's own kinds."""


def channels_used() -> list[tuple[str, str]]:
    return list(Message.objects.order_by("pk").values_list("kind", "channel"))


def test_without_a_choice_each_kind_goes_its_default_way(mina):
    outbox.notify(mina, "test.news", subject="News", body="Hello")
    outbox.notify(mina, "test.alert", subject="", body="Hello")

    assert channels_used() == [("test.news", "email"), ("test.alert", "sms")]


def test_a_members_choice_of_channel_is_followed(mina):
    preferences.set_preference(mina, "test.news", "sms")
    preferences.set_preference(mina, "test.alert", "email")

    outbox.notify(mina, "test.news", subject="News", body="Hello")
    outbox.notify(mina, "test.alert", subject="Alert", body="Hello")

    assert channels_used() == [("test.news", "sms"), ("test.alert", "email")]


@pytest.mark.parametrize("choice", ["digest", "off"])
def test_digest_only_or_off_means_nothing_is_sent_now(mina, choice):
    preferences.set_preference(mina, "test.news", choice)

    assert outbox.notify(mina, "test.news", subject="News", body="Hello") == []
    assert not Message.objects.exists()


def test_another_members_choice_does_not_change_minas(mina, coordinator):
    preferences.set_preference(coordinator, "test.news", "off")

    assert len(outbox.notify(mina, "test.news", subject="News", body="Hello")) == 1


def test_an_essential_kind_cannot_be_turned_off(mina):
    with pytest.raises(DomainError) as refused:
        preferences.set_preference(mina, "test.urgent", "off")

    assert refused.value.code == "essential_kind"
    assert not Preference.objects.exists()


def test_choosing_texts_needs_a_phone_number(member):
    with pytest.raises(DomainError) as refused:
        preferences.set_preference(member, "test.news", "sms")

    assert refused.value.code == "phone_required"


def test_a_member_with_no_phone_gets_an_sms_kind_by_email_rather_than_not_at_all(member):
    outbox.notify(member, "test.alert", subject="Alert", body="Hello")

    assert channels_used() == [("test.alert", "email")]


def test_an_unknown_kind_or_channel_is_refused_with_a_reason(mina):
    with pytest.raises(DomainError) as no_kind:
        preferences.set_preference(mina, "test.nothing", "email")
    with pytest.raises(DomainError) as no_channel:
        preferences.set_preference(mina, "test.news", "fax")

    assert (no_kind.value.code, no_channel.value.code) == ("unknown_kind", "unknown_channel")


def test_choosing_again_replaces_the_earlier_choice(mina):
    preferences.set_preference(mina, "test.news", "sms")
    preferences.set_preference(mina, "test.news", "digest")

    assert list(Preference.objects.values_list("kind", "channel")) == [("test.news", "digest")]


def test_the_settings_page_lists_every_kind_with_the_way_it_reaches_the_member(mina):
    preferences.set_preference(mina, "test.news", "off")

    listed = {choice.key: (choice.channel, choice.essential) for choice in preferences.preferences_for(mina)}

    assert listed["test.news"] == ("off", False)
    assert listed["test.alert"] == ("sms", False)
    assert listed["test.urgent"] == ("sms", True)
    assert set(listed) == {kind.key for kind in registry.kinds()}


def test_quiet_hours_are_kept_and_can_be_turned_off(mina):
    preferences.set_quiet_hours(mina, time(21, 0), time(8, 0))
    assert (preferences.settings_for(mina).quiet_from, preferences.settings_for(mina).quiet_until) == (
        time(21, 0), time(8, 0),
    )  # fmt: skip

    preferences.set_quiet_hours(mina, None, None)

    assert preferences.settings_for(mina).quiet_from is None
    assert NotificationSettings.objects.count() == 1


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [(time(21, 0), None, "quiet_hours_incomplete"), (None, time(8), "quiet_hours_incomplete"),
     (time(8), time(8), "quiet_hours_empty")],
)  # fmt: skip
def test_half_or_empty_quiet_hours_are_refused(mina, start, end, code):
    with pytest.raises(DomainError) as refused:
        preferences.set_quiet_hours(mina, start, end)

    assert refused.value.code == code


def test_the_digest_comes_weekly_by_email_until_the_member_chooses_otherwise(mina):
    assert (preferences.settings_for(mina).digest_frequency, preferences.settings_for(mina).digest_channel) == (
        "weekly", "email",
    )  # fmt: skip
    assert not NotificationSettings.objects.exists()  # reading the defaults writes nothing

    preferences.set_digest(mina, "daily", "sms")

    row = NotificationSettings.objects.get(member=mina)
    assert (row.digest_frequency, row.digest_channel) == ("daily", "sms")


@pytest.mark.parametrize(("frequency", "channel", "code"), [("hourly", None, "unknown_frequency"),
                                                             ("daily", "fax", "unknown_channel")])  # fmt: skip
def test_an_unknown_digest_frequency_or_channel_is_refused(mina, frequency, channel, code):
    with pytest.raises(DomainError) as refused:
        preferences.set_digest(mina, frequency, channel)

    assert refused.value.code == code


def test_a_member_who_left_gets_only_essential_messages(mina):
    mina.status = "left"
    mina.save(update_fields=["status"])

    assert outbox.notify(mina, "test.news", subject="News", body="Hello") == []
    assert len(outbox.notify(mina, "test.urgent", subject="", body="Your code")) == 1
