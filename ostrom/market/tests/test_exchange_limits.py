"""Posting limits on conversations: nobody floods their neighbours with new conversations or messages. (The cast:
test_exchange_cast.py.)"""

from datetime import timedelta

import pytest
from django.utils import timezone

from ostrom.communities.domain import DomainError
from ostrom.market.actions import exchanges as actions
from ostrom.market.domain import exchanges as domain
from ostrom.market.models import Exchange, ExchangeMessage
from ostrom.market.tests import test_exchange_cast as cast
from ostrom.market.tests.factories import ExchangeFactory, ListingFactory
from ostrom.market.tests.test_exchange_cast import everything

colin, hours = cast.colin, cast.hours
enquiry, agreed = cast.enquiry, cast.agreed


def test_a_member_who_started_a_days_worth_of_conversations_must_wait(colin, member, minas_offer, community):
    for _ in range(domain.CONTACTS_PER_DAY):
        ExchangeFactory(listing=ListingFactory(community=community), receiver=colin, started_by=colin)
    before = everything()

    with pytest.raises(DomainError) as refused:
        actions.start(colin, minas_offer, "Could you help on Saturday?")

    assert refused.value.code == "contact_rate_limited"
    assert everything() == before


def test_conversations_older_than_a_day_do_not_count(colin, member, minas_offer, community):
    for _ in range(domain.CONTACTS_PER_DAY):
        ExchangeFactory(
            listing=ListingFactory(community=community), receiver=colin, started_by=colin,
            created_at=timezone.now() - timedelta(days=1, minutes=1),
        )  # fmt: skip

    assert actions.start(colin, minas_offer, "Could you help on Saturday?").created


def test_a_member_who_wrote_an_hours_worth_of_messages_must_wait(enquiry, colin):
    ExchangeMessage.objects.bulk_create(
        ExchangeMessage(exchange=enquiry, author=colin, body="Hello?") for _ in range(domain.MESSAGES_PER_HOUR - 1)
    )  # the first message of the enquiry makes the hour's last one
    before = ExchangeMessage.objects.count()

    with pytest.raises(DomainError) as refused:
        actions.post_message(colin, enquiry, "Are you there?")

    assert refused.value.code == "message_rate_limited"
    assert ExchangeMessage.objects.count() == before
    assert Exchange.objects.count() == 1


def test_a_coordinator_settling_a_dispute_is_not_limited(agreed, member, coordinator):
    disputed = actions.dispute(member, agreed, "He never came.")
    ExchangeMessage.objects.bulk_create(
        ExchangeMessage(exchange=disputed, author=coordinator, body="Noted.") for _ in range(domain.MESSAGES_PER_HOUR)
    )

    assert actions.post_message(coordinator, disputed, "I will call you both.").body == "I will call you both."
