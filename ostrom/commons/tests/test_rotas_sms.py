"""Rotas by text: Ann (07700 900201) texts SHIFTS and gets her next three shifts with their times, in London time;
someone with no shifts is told so; and the day-before reminder goes to her phone."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache

from ostrom.commons.actions import rotas as actions
from ostrom.commons.models import ShiftAssignment
from ostrom.commons.tests.test_rotas_cast import ANN_PHONE, FIRST_MONDAY, circle, daily, frozen, hours, neighbours
from ostrom.notify.actions import preferences
from ostrom.notify.actions.inbound import handle_inbound
from ostrom.notify.channels.webhooks import InboundSms
from ostrom.notify.models import Message

__all__ = ["circle", "frozen", "hours", "neighbours"]  # fixtures, imported for pytest to find
provider_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def fresh_cache(db):
    # Each number's rate limit counts in the database cache, which a test's rollback does not always reach.
    cache.clear()
    yield
    cache.clear()


def text(phone: str, body: str) -> str:
    reply = handle_inbound(InboundSms(provider_id=f"in-{next(provider_ids)}", phone=phone, text=body))
    return reply.body if reply else ""


def test_shifts_lists_my_next_three_shifts(circle, member, neighbours):
    daily(circle, member)
    actions.generate_rota(member, circle, FIRST_MONDAY, 2)
    ann = neighbours[0]
    hers = list(ShiftAssignment.objects.filter(member=ann).select_related("shift").order_by("shift__starts_at"))
    assert len(hers) >= 3

    reply = text(ANN_PHONE, "shifts")

    assert reply.startswith("Your next shifts: ")
    first = hers[0].shift.starts_at.astimezone(actions.ZoneInfo("Europe/London"))
    assert f"{first:%A} {first.day} {first:%B}, 09:00 Morning visit (Care for Edith)" in reply
    assert reply.count("Morning visit") == 3


def test_shifts_with_nothing_coming_up(circle):
    assert text(ANN_PHONE, "SHIFTS") == "You have no shifts coming up."


def test_the_reminder_goes_by_text_the_day_before(circle, member, neighbours):
    ann = neighbours[0]
    preferences.set_preference(ann, "commons.shift_reminder", "sms")
    daily(circle, member)
    actions.generate_rota(member, circle, FIRST_MONDAY, 1)
    hers = ShiftAssignment.objects.filter(member=ann).select_related("shift").order_by("shift__starts_at").first()

    with time_machine.travel(hers.shift.starts_at - timedelta(hours=12), tick=False):
        actions.send_reminders()

    sent = Message.objects.get(member=ann, kind="commons.shift_reminder")
    assert (sent.channel, sent.to_address) == ("sms", ANN_PHONE)
    assert "Morning visit" in sent.body and "09:00" in sent.body


def test_the_digest_lists_my_shifts_in_the_coming_week(circle, member, neighbours):
    from ostrom.commons.notices import rotas as notices

    daily(circle, member)
    actions.generate_rota(member, circle, FIRST_MONDAY, 2)
    ann = neighbours[0]
    digest_end = datetime(2026, 3, 8, 18, 0, tzinfo=UTC)  # Sunday evening: the week ahead is the rota's first

    lines = notices.upcoming_lines(ann, digest_end - timedelta(days=7), digest_end)

    hers = ShiftAssignment.objects.filter(member=ann, shift__starts_at__lt=digest_end + timedelta(days=7))
    assert len(lines) == hers.count() > 0
    assert all(line.endswith("Morning visit (Care for Edith).") for line in lines)
