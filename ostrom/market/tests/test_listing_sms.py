"""Posting by text: Mina (07700 900101) texts OFFER and WANT; what goes wrong gets a short reply saying what to
send instead, and writes nothing."""

import itertools

import pytest
from django.core.cache import cache

from ostrom.market.models import Category, Listing, ListingKind, ListingStatus
from ostrom.market.tests.factories import ListingFactory
from ostrom.notify.actions.inbound import JOIN_TEXT, handle_inbound
from ostrom.notify.channels.webhooks import InboundSms as ReceivedSms
from ostrom.notify.domain import sms_text

MINA = "+447700900101"
STRANGER = "+447700900199"
provider_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def fresh_cache(db):
    # Each number's rate limit counts in the database cache, which a test's rollback does not always reach.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def mina(member):
    member.user.phone = MINA
    member.user.save(update_fields=["phone"])
    member.availability = ["weekends"]
    member.save(update_fields=["availability"])
    return member


def text(phone: str, body: str) -> str:
    reply = handle_inbound(ReceivedSms(provider_id=f"market-{next(provider_ids)}", phone=phone, text=body))
    return reply.body if reply is not None else ""


def test_mina_offers_help_by_text_and_is_told_its_number(mina):
    reply = text(MINA, "OFFER help with gardening on Saturday mornings")

    listing = Listing.objects.get()
    assert (listing.kind, listing.status, listing.member) == (ListingKind.OFFER, ListingStatus.ACTIVE, mina)
    assert listing.title == "Help with gardening on Saturday mornings"
    assert listing.description == "help with gardening on Saturday mornings"
    assert listing.category.slug == "other"
    assert listing.availability == ["weekends"]
    assert reply.startswith(f'Your offer is up as number {listing.pk}: "Help with gardening on Saturday mornings".')
    assert "It shows until" in reply
    assert sms_text.gsm7_septets(reply) <= sms_text.GSM7_SINGLE_SEPTETS


def test_mina_asks_for_help_with_want_or_need(mina):
    first = text(MINA, "want a lift to the clinic on Friday")
    second = text(MINA, "NEED someone to fix a dripping tap")

    kinds = list(Listing.objects.order_by("pk").values_list("kind", "title"))
    assert kinds == [("request", "A lift to the clinic on Friday"), ("request", "Someone to fix a dripping tap")]
    assert first.startswith("Your request is up as number") and second.startswith("Your request is up as number")


def test_a_long_text_gets_a_short_title_and_keeps_every_word(mina):
    words = "help with gardening weeding planting pruning and mowing around Mill Lane and the park, most weekends"
    reply = text(MINA, f"OFFER {words}")

    listing = Listing.objects.get()
    assert len(listing.title) <= 60 and words.startswith(listing.title.lower())
    assert listing.description == words
    assert sms_text.gsm7_septets(reply) <= sms_text.GSM7_SINGLE_SEPTETS


def test_an_offer_goes_in_the_communitys_other_category_even_when_it_has_its_own_tree(mina, gardening):
    text(MINA, "OFFER help with gardening on Saturdays")
    assert Listing.objects.get().category == Category.objects.get(community=mina.community, slug="other")


def test_offer_without_text_says_what_to_send(mina):
    reply = text(MINA, "OFFER")
    assert reply.startswith("OFFER needs a text")
    assert not Listing.objects.exists()


def test_too_little_to_go_on_asks_for_more(mina):
    reply = text(MINA, "OFFER dog")
    assert reply == "Please say a bit more, e.g. OFFER help with gardening on Saturdays"
    assert text(MINA, "WANT tap") == "Please say a bit more, e.g. WANT a lift to the clinic on Friday"
    assert not Listing.objects.exists()


def test_the_posting_limit_holds_by_text_too(mina, gardening):
    for number in range(10):
        ListingFactory(community=mina.community, member=mina, category=gardening, title=f"Help {number}")

    reply = text(MINA, "OFFER help with gardening on Saturdays")

    assert "in the last 24 hours" in reply
    assert Listing.objects.filter(member=mina).count() == 10


def test_a_stranger_is_told_to_join_and_nothing_is_posted(db):
    reply = text(STRANGER, "OFFER help with gardening on Saturdays")
    assert reply == JOIN_TEXT
    assert not Listing.objects.exists()
