"""The marketplace's search page, the suggested helpers on a request's page and the suggestions on the community
dashboard, through Django's test client as a browser without JavaScript uses them."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ostrom.communities.tests.factories import MemberFactory, UserFactory
from ostrom.market.models import ListingKind
from ostrom.market.tests.factories import CategoryFactory, ListingFactory


def as_(persona) -> Client:
    client = Client()
    if persona is not None:
        client.force_login(persona.user)
    return client


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def home(**query) -> str:
    url = reverse("market_home", kwargs={"slug": "riverside"})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.fixture
def colin(community):
    return MemberFactory(
        community=community, display_name="Colin", skills=["gardening"],
        user=UserFactory(full_name="Colin Cole", email="colin@example.org", phone="+447700900103"),
        latitude=Decimal("53.805"), longitude=Decimal("-1.550"),
    )  # fmt: skip


@pytest.fixture
def garden(community):
    return CategoryFactory(community=community, name="Gardening", slug="gardening")


def offer(member, category, title, minutes_ago=0, **fields):
    fields.setdefault("tags", [])
    return ListingFactory(
        community=member.community, member=member, category=category, title=title,
        published_at=timezone.now() - timedelta(minutes=minutes_ago), **fields,
    )  # fmt: skip


# --- The search page ---------------------------------------------------------------------------------------------


def test_visitors_are_asked_to_log_in_and_other_communities_members_are_turned_away(client, outsider, community):
    assert client.get(home()).status_code == 302
    assert as_(outsider).get(home()).status_code == 403


def test_a_member_sees_the_newest_offers_and_requests_without_anyones_contact_details(member, colin, garden):
    offer(colin, garden, "Help with the garden", minutes_ago=5, place_name="Near the park")
    offer(colin, garden, "Lawn mower wanted", kind=ListingKind.REQUEST)

    response = as_(member).get(home())

    page = text(response)
    assert response.status_code == 200
    assert page.index("Lawn mower wanted") < page.index("Help with the garden")
    assert "Offered by Colin" in page and "Asked by Colin" in page and "Near the park" in page
    for secret in ("colin@example.org", "7700", "Cole"):
        assert secret not in response.content.decode()


def test_words_and_filters_narrow_the_results(member, colin, garden, community):
    transport = CategoryFactory(community=community, name="Transport", slug="transport")
    offer(colin, garden, "Help with the garden")
    offer(colin, transport, "Lifts to the clinic", availability=["weekends"], remote_ok=False)

    by_words = text(as_(member).get(home(q="garden")))
    by_category = text(as_(member).get(home(category=transport.pk)))
    by_time = text(as_(member).get(home(availability="weekends")))

    assert "Help with the garden" in by_words and "Lifts to the clinic" not in by_words
    assert "Lifts to the clinic" in by_category and "Help with the garden" not in by_category
    assert "Lifts to the clinic" in by_time and "Help with the garden" not in by_time


def test_more_results_follow_on_from_where_the_page_ended(member, colin, garden):
    for n in range(25):
        offer(colin, garden, f"Garden job number {n:02d}", minutes_ago=n)

    first = as_(member).get(home(q="garden", sort="newest"))
    more = re.search(r'href="\?([^"]+)" rel="next"', first.content.decode())
    second = as_(member).get(home() + "?" + html.unescape(more.group(1)))

    assert "after" in parse_qs(html.unescape(more.group(1)))
    shown = re.findall(r"Garden job number (\d\d)", text(first) + text(second))
    assert shown == [f"{n:02d}" for n in range(25)]
    assert 'rel="next"' not in second.content.decode()


def test_distance_choices_appear_only_with_a_location_on_the_profile(member, colin, garden):
    offer(colin, garden, "Help with the garden", latitude=Decimal("53.805"), longitude=Decimal("-1.550"))

    without = as_(member).get(home())
    member.latitude, member.longitude = Decimal("53.800"), Decimal("-1.550")
    member.save()
    nearby = as_(member).get(home(within_km=1, sort="distance"))

    assert "Distance from you" not in text(without) and "add your rough location" in text(without)
    assert nearby.status_code == 200
    assert "0.6 km away" in text(nearby)


def test_bad_choices_are_refused_beside_the_field(member, garden, outsider):
    theirs = CategoryFactory(community=outsider.community, name="Theirs", slug="theirs")

    unknown_category = as_(member).get(home(category=theirs.pk))
    too_long = as_(member).get(home(q="x" * 201))
    far = as_(member).get(home(within_km=3))

    assert unknown_category.status_code == too_long.status_code == 400
    assert "Choose a category from the list." in text(unknown_category)
    assert "Keep the search to 200 characters." in text(too_long)
    assert far.status_code == 200  # no location: the distance field is not offered, so it is ignored


def test_a_broken_cursor_says_to_start_again(member, colin, garden):
    response = as_(member).get(home(sort="newest", after="not-a-cursor"))

    assert response.status_code == 400
    assert "Search again from the first page." in text(response)


def test_with_htmx_only_the_results_come_back(member, colin, garden):
    offer(colin, garden, "Help with the garden")

    response = as_(member).get(home(q="garden"), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert "Help with the garden" in text(response) and 'id="results-status"' in response.content.decode()


# --- Suggested helpers on a request's page -------------------------------------------------------------------------


@pytest.fixture
def minas_request(member, garden):
    return ListingFactory(
        community=member.community, member=member, category=garden, kind=ListingKind.REQUEST,
        title="Help with my garden", description="Weeding, any weekend.", tags=["gardening"],
    )  # fmt: skip


def listing_page(listing) -> str:
    return reverse("market_listing", kwargs={"slug": "riverside", "listing_id": listing.pk})


def test_the_poster_of_a_request_sees_who_could_help_and_why(member, minas_request, colin, garden):
    colins = offer(colin, garden, "Gardening help", tags=["gardening"])

    response = as_(member).get(listing_page(minas_request))

    page = text(response)
    assert "People who could help" in page
    assert "Gardening help" in page and "Offers gardening" in page
    assert listing_page(colins) in response.content.decode()
    assert "colin@example.org" not in response.content.decode()


def test_nobody_else_sees_the_suggested_helpers(minas_request, colin, garden, community):
    offer(colin, garden, "Gardening help", tags=["gardening"])
    someone = MemberFactory(community=community, display_name="Sue")

    assert "People who could help" not in text(as_(someone).get(listing_page(minas_request)))
    assert "People who could help" not in text(as_(colin).get(listing_page(minas_request)))


# --- The dashboard ---------------------------------------------------------------------------------------------


def test_the_dashboard_suggests_requests_to_help_with_and_offers_for_your_requests(
    member, minas_request, colin, garden
):
    offer(colin, garden, "Gardening help", tags=["gardening"])
    dashboard = reverse("community_home", kwargs={"slug": "riverside"})

    minas = text(as_(member).get(dashboard))
    colins = text(as_(colin).get(dashboard))

    assert "Offers for your requests" in minas and "Gardening help" in minas
    assert "for your request “Help with my garden”" in minas
    assert "Requests you could help with" in colins and "Help with my garden" in colins
    assert "You offer gardening" in colins


def test_the_dashboard_says_how_to_get_suggestions_when_there_are_none(member):
    page = text(as_(member).get(reverse("community_home", kwargs={"slug": "riverside"})))

    assert "Nothing to suggest yet." in page


def test_the_next_page_link_keeps_the_search(member, colin, garden):
    for n in range(21):
        offer(colin, garden, f"Garden job {n}", minutes_ago=n)

    response = as_(member).get(home(q="garden", sort="newest", kind="offer"))
    link = re.search(r'href="\?([^"]+)" rel="next"', response.content.decode()).group(1)

    query = parse_qs(urlsplit("?" + html.unescape(link)).query)
    assert query["q"] == ["garden"] and query["sort"] == ["newest"] and query["kind"] == ["offer"]
