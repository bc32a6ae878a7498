"""The tables' own constraints: the last line of defence whatever the actions do."""

import pytest
from django.db import IntegrityError, transaction

from ostrom.market.models import ListingStatus
from ostrom.market.tests.factories import ExchangeFactory, ListingFactory


def test_an_exchange_needs_two_different_people(minas_offer, member):
    with pytest.raises(IntegrityError), transaction.atomic():
        ExchangeFactory(listing=minas_offer, giver=member, receiver=member)


def test_a_price_needs_a_currency_and_only_offers_have_one(member, gardening):
    with pytest.raises(IntegrityError), transaction.atomic():
        ListingFactory(community=member.community, member=member, category=gardening, price_amount=100)


def test_a_published_listing_has_a_publication_time(member, gardening):
    with pytest.raises(IntegrityError), transaction.atomic():
        ListingFactory(
            community=member.community,
            member=member,
            category=gardening,
            status=ListingStatus.ACTIVE,
            published_at=None,
        )
