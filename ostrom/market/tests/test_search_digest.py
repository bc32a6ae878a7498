"""The digest section "Offers and requests that fit you": what was posted in the digest's period that fits the
member, as the weekly digest carries it. Riverside is on London time; the week before Monday 2 March 2026 is
23 February to 1 March."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ostrom.communities.tests.factories import MemberFactory
from ostrom.market.models import ListingKind
from ostrom.market.notices.search import SECTION, TITLE, fitting_lines
from ostrom.market.tests.factories import CategoryFactory, ListingFactory
from ostrom.notify import registry
from ostrom.notify.actions.digests import send_digests
from ostrom.notify.models import Message

MONDAY_7AM = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
WEEK_START = datetime(2026, 2, 23, 0, 0, tzinfo=UTC)
WEEK_END = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
LAST_WEDNESDAY = datetime(2026, 2, 25, 15, 0, tzinfo=UTC)


@pytest.fixture
def garden(community):
    return CategoryFactory(community=community, name="Gardening", slug="gardening")


@pytest.fixture
def colin(community):
    return MemberFactory(community=community, display_name="Colin", skills=["gardening"])


def listing(member, category, kind, title, at, tags):
    return ListingFactory(
        community=member.community, member=member, category=category, kind=kind, title=title, tags=tags,
        description=f"{title}.", created_at=at, published_at=at,
    )  # fmt: skip


def test_a_helper_hears_of_requests_they_could_help_with_posted_that_week(member, colin, garden):
    listing(member, garden, ListingKind.REQUEST, "Help with my garden", LAST_WEDNESDAY, ["gardening"])
    listing(
        member, garden, ListingKind.REQUEST, "Hedge before the week", WEEK_START - timedelta(hours=1), ["gardening"]
    )

    lines = fitting_lines(colin, WEEK_START, WEEK_END)

    assert lines == ["Mina asks for “Help with my garden”: your skills include gardening."]


def test_a_member_hears_of_offers_for_their_open_requests(member, colin, garden):
    listing(
        member, garden, ListingKind.REQUEST, "Help with my garden", LAST_WEDNESDAY - timedelta(days=30), ["gardening"]
    )
    listing(colin, garden, ListingKind.OFFER, "Weeding and mowing", LAST_WEDNESDAY, ["gardening"])

    lines = fitting_lines(member, WEEK_START, WEEK_END)

    assert lines == ["Colin offers “Weeding and mowing”, for your request “Help with my garden”: offers gardening."]


def test_nothing_that_fits_means_no_section(member, colin, garden):
    listing(colin, garden, ListingKind.OFFER, "Weeding and mowing", LAST_WEDNESDAY, ["gardening"])

    assert fitting_lines(member, WEEK_START, WEEK_END) == []


def test_the_weekly_digest_carries_the_section(member, colin, garden):
    listing(member, garden, ListingKind.REQUEST, "Help with my garden", LAST_WEDNESDAY, ["gardening"])

    send_digests(MONDAY_7AM)

    digest = Message.objects.get(kind="notify.digest", member=colin)
    assert f"{TITLE}\n- Mina asks for “Help with my garden”: your skills include gardening." in digest.body
    assert SECTION in {section.key for section in registry.digest_sections()}
