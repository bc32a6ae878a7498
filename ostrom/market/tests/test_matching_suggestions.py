"""Suggested matches from the database (market/matches.py): Mina asks for help with her garden in Riverside.

Colin offers gardening, Tess lists gardening among her skills, Ollie offers ironing; Otto offers gardening in
Hillside. Who is suggested, why, and who never is: another community, someone in a block, a hidden offer, Mina
herself. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ostrom.communities.tests.factories import MemberFactory
from ostrom.market import matches
from ostrom.market.actions.moderation import block_member
from ostrom.market.models import ExchangeStatus, ListingKind
from ostrom.market.tests.factories import CategoryFactory, ExchangeFactory, ListingFactory

fake_transfer_ids = itertools.count(1)


@pytest.fixture
def garden(community):
    return CategoryFactory(community=community, name="Gardening", slug="gardening")


@pytest.fixture
def household(community):
    return CategoryFactory(community=community, name="Household", slug="household")


def person(community, name, **fields):
    fields.setdefault("latitude", Decimal("53.805"))
    fields.setdefault("longitude", Decimal("-1.550"))
    return MemberFactory(community=community, display_name=name, **fields)


def offer(member, category, title, tags, minutes_ago=0, **fields):
    return ListingFactory(
        community=member.community, member=member, category=category, kind=ListingKind.OFFER, title=title,
        description=f"{title}. Happy to help.", tags=tags,
        published_at=timezone.now() - timedelta(minutes=minutes_ago), **fields,
    )  # fmt: skip


@pytest.fixture
def minas_request(member, garden):
    member.latitude, member.longitude = Decimal("53.800"), Decimal("-1.550")
    member.availability = ["weekends"]
    member.save()
    return ListingFactory(
        community=member.community, member=member, category=garden, kind=ListingKind.REQUEST,
        title="Help with my garden", description="Weeding and hedge trimming, any weekend.", tags=["gardening"],
    )  # fmt: skip


@pytest.fixture
def colin(community):
    return person(community, "Colin", availability=["weekends"])


@pytest.fixture
def colins_offer(colin, garden):
    return offer(colin, garden, "Gardening help", ["gardening", "weeding"], availability=["weekends"])


def helped(giver, receiver, times, status=ExchangeStatus.CONFIRMED, days_ago=60):
    """Exchanges in the giver's record: confirmed ones carry a transfer and a confirmation, as the table insists."""
    for _ in range(times):
        listing = offer(giver, giver.listings.first().category, "Earlier help", [], status="closed")
        fields = {}
        if status == ExchangeStatus.CONFIRMED:
            fields = {"transfer_id": next(fake_transfer_ids), "confirmed_at": timezone.now()}
        ExchangeFactory(
            listing=listing, giver=giver, receiver=receiver, status=status,
            created_at=timezone.now() - timedelta(days=days_ago), **fields,
        )  # fmt: skip


def names(found):
    return [match.member.display_name for match in found]


def test_helpers_are_suggested_from_offers_and_profile_skills_with_reasons(
    minas_request, colin, colins_offer, community, household
):
    tess = person(community, "Tess", skills=["gardening"], share_location=False)
    ollie = person(community, "Ollie")
    offer(ollie, household, "Ironing", ["ironing"])

    found = matches.suggest_helpers(minas_request)

    assert names(found) == ["Colin", "Tess"]
    colins, tess_match = found
    assert colins.listing == colins_offer
    assert colins.reasons == ("Offers gardening", "0.6 km away", "Free on weekends")
    assert tess_match.listing is None and tess_match.member == tess
    assert tess_match.reasons == ("Has the skill gardening",)  # no distance: Tess keeps her place to herself


def test_nobody_from_another_community_in_a_block_hidden_or_mina_herself_is_suggested(
    minas_request, member, outsider, coordinator, garden, community
):
    theirs = CategoryFactory(community=outsider.community, name="Gardening", slug="gardening")
    offer(outsider, theirs, "Gardening help in Hillside", ["gardening"])
    blocked = person(community, "Bill", skills=["gardening"])
    offer(blocked, garden, "Gardening", ["gardening"])
    block_member(member, blocked)
    hidden = person(community, "Hugo")
    offer(hidden, garden, "Gardening", ["gardening"], hidden_at=timezone.now(), hidden_by=coordinator)
    offer(member, garden, "My own gardening offer", ["gardening"])

    assert matches.suggest_helpers(minas_request) == []


def test_a_helper_asked_a_lot_lately_comes_after_one_who_was_not(minas_request, member, community, garden):
    busy, idle = person(community, "Busy"), person(community, "Idle")
    offer(busy, garden, "Gardening help", ["gardening"], minutes_ago=1)
    offer(idle, garden, "Gardening help", ["gardening"], minutes_ago=2)
    helped(busy, member, 3, status=ExchangeStatus.ENQUIRY, days_ago=1)

    assert names(matches.suggest_helpers(minas_request)) == ["Idle", "Busy"]


def test_a_helper_who_has_helped_before_says_so_and_comes_first(minas_request, member, community, garden):
    newcomer, regular = person(community, "Newcomer"), person(community, "Regular")
    offer(newcomer, garden, "Gardening help", ["gardening"], minutes_ago=1)
    offer(regular, garden, "Gardening help", ["gardening"], minutes_ago=2)
    helped(regular, member, 5)

    found = matches.suggest_helpers(minas_request)

    assert names(found) == ["Regular", "Newcomer"]
    assert "Helped 5 times" in found[0].reasons


def test_a_request_costs_a_few_queries_however_many_offers_there_are(
    minas_request, community, garden, django_assert_max_num_queries
):
    for n in range(30):
        offer(person(community, f"Helper {n}"), garden, f"Gardening {n}", ["gardening"])

    with django_assert_max_num_queries(10):
        found = matches.suggest_helpers(minas_request, limit=10)

    assert len(found) == 10


def test_a_helper_sees_the_requests_they_could_help_with(minas_request, colin, colins_offer, community, household):
    someone = person(community, "Sue")
    ListingFactory(
        community=community, member=someone, category=household, kind=ListingKind.REQUEST, title="Ironing pile",
        description="A basket of shirts to iron.", tags=["ironing"],
    )  # fmt: skip

    found = matches.requests_for_helper(colin)

    assert [match.listing for match in found] == [minas_request]
    assert found[0].reasons[0] == "You offer gardening"


def test_a_member_sees_offers_that_fit_their_own_requests(minas_request, member, colins_offer):
    found = matches.offers_for_member(member)

    assert [(match.listing, match.for_listing) for match in found] == [(colins_offer, minas_request)]


def test_only_what_was_posted_in_the_period_is_suggested(minas_request, member, colin, garden):
    offer(colin, garden, "Old gardening offer", ["gardening"], minutes_ago=60 * 24 * 3)
    now = timezone.now()

    found = matches.offers_for_member(member, published_since=now - timedelta(days=1), published_before=now)

    assert found == []
