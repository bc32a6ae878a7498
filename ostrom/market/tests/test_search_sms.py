"""``OFFERS [category]`` by text: Mina (07700 900101) asks what is on offer in Riverside, in all or in one category,
through notify's inbound handling as a real text would arrive. Each reply is one plain GSM-7 text."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from ostrom.communities.tests.factories import MemberFactory
from ostrom.market.actions.moderation import block_member
from ostrom.market.models import ListingKind
from ostrom.market.sms.search import offers_text
from ostrom.market.tests.factories import CategoryFactory, ListingFactory
from ostrom.notify.actions.inbound import handle_inbound
from ostrom.notify.channels.webhooks import InboundSms as ReceivedSms
from ostrom.notify.domain import sms_text

MINA = "+447700900101"
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
    return member


@pytest.fixture
def colin(community):
    return MemberFactory(community=community, display_name="Colin")


@pytest.fixture
def home_and_garden(community):
    return CategoryFactory(community=community, name="Home and garden", slug="home-and-garden")


@pytest.fixture
def garden(community, home_and_garden):
    return CategoryFactory(community=community, name="Gardening", slug="gardening", parent=home_and_garden)


@pytest.fixture
def transport(community):
    return CategoryFactory(community=community, name="Transport", slug="transport")


def offer(member, category, title, minutes_ago=0, **fields):
    return ListingFactory(
        community=member.community, member=member, category=category, title=title, tags=[],
        published_at=timezone.now() - timedelta(minutes=minutes_ago), **fields,
    )  # fmt: skip


def text(body: str) -> str:
    reply = handle_inbound(ReceivedSms(provider_id=f"in-{next(provider_ids)}", phone=MINA, text=body))
    assert reply is not None
    assert len(sms_text.segments(reply.body)) == 1 and sms_text.is_gsm7(reply.body), reply.body
    return reply.body


def test_offers_lists_the_newest_offers_with_their_numbers(mina, colin, garden, transport):
    weeding = offer(colin, garden, "Weeding and mowing", minutes_ago=3)
    lifts = offer(colin, transport, "Lifts to the clinic", minutes_ago=1)
    offer(colin, transport, "Lift wanted", kind=ListingKind.REQUEST)

    assert text("offers") == (
        f"Newest offers: #{lifts.pk} Lifts to the clinic (Colin); #{weeding.pk} Weeding and mowing (Colin). "
        "Ask a coordinator about one by its number."
    )


def test_a_category_is_found_by_the_start_of_its_name_with_everything_under_it(
    mina, colin, garden, transport, home_and_garden
):
    weeding = offer(colin, garden, "Weeding and mowing")
    offer(colin, transport, "Lifts to the clinic")

    assert text("OFFERS gard").startswith(f"Newest offers in Gardening: #{weeding.pk} Weeding and mowing (Colin).")
    assert text("OFFERS home and garden").startswith(f"Newest offers in Home and garden: #{weeding.pk} ")
    assert text("offers TRANSPORT").startswith("Newest offers in Transport: ")


def test_an_unknown_category_says_what_to_send_instead(mina, garden):
    assert text("OFFERS piano").startswith('No category starts with "piano". Send OFFERS on its own for all')


def test_no_offers_says_how_to_ask_for_help(mina, garden):
    assert text("OFFERS") == "No offers right now. To ask for help, send WANT and what you need."


def test_offers_by_someone_in_a_block_or_hidden_are_left_out(mina, colin, garden, coordinator):
    offer(colin, garden, "Weeding and mowing")
    offer(coordinator, garden, "Hidden offer", hidden_at=timezone.now(), hidden_by=coordinator)
    block_member(mina, colin)

    assert text("OFFERS") == "No offers right now. To ask for help, send WANT and what you need."


def test_long_titles_and_many_offers_still_fit_one_text(mina, garden, community):
    for n in range(6):
        poster = MemberFactory(community=community, display_name=f"Bartholomew-Maximilian {n}")
        offer(poster, garden, f"Extremely long title about gardening and hedges number {n} “quoted”", minutes_ago=n)

    reply = text("OFFERS")

    assert reply.startswith("Newest offers: #") and reply.endswith("Ask a coordinator about one by its number.")


def test_even_one_offer_too_long_for_a_text_is_cut_rather_than_dropped():
    reply = offers_text("Newest offers in a category with a name far too long to be true: ", ["#1 " + "x" * 200])

    assert sms_text.gsm7_septets(reply) <= 160 and reply.startswith("Newest offers in") and "#1 x" in reply
