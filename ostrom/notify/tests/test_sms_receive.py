"""``manage.py sms_receive``: trying the SMS commands without a gateway."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ostrom.notify.models import InboundSms, Message


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("sms_receive", *args, stdout=out)
    return out.getvalue()


def test_it_prints_the_reply_and_queues_it_like_any_text(db):
    reply = run("07700900999", "HELP")

    assert "join" in reply.lower()  # an unknown number is told how to join
    assert InboundSms.objects.get().phone == "+447700900999"
    assert Message.objects.get().body.strip() == reply.strip()


def test_it_refuses_a_number_that_is_not_a_phone_number(db):
    with pytest.raises(CommandError):
        run("not-a-number", "BAL")
    assert not InboundSms.objects.exists()
