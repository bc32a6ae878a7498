"""The search and suggested-helpers endpoints of the JSON API, told with the cast: Mina searches and asks for help
with her garden, Colin offers it, Otto is in Hillside. Every refusal answers {code, message, fields}."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ostrom.communities.tests.factories import MemberFactory, UserFactory
from ostrom.communities.tests.test_api import API, assert_error, call
from ostrom.market.models import ListingKind, ListingStatus
from ostrom.market.tests.factories import CategoryFactory, ListingFactory


@pytest.fixture
def garden(community):
    return CategoryFactory(community=community, name="Gardening", slug="gardening")


@pytest.fixture
def colin(community):
    return MemberFactory(
        community=community, display_name="Colin", user=UserFactory(email="colin@example.org"),
        latitude=Decimal("53.805"), longitude=Decimal("-1.550"),
    )  # fmt: skip


def offer(member, category, title, minutes_ago=0, **fields):
    fields.setdefault("tags", [])
    return ListingFactory(
        community=member.community, member=member, category=category, title=title,
        published_at=timezone.now() - timedelta(minutes=minutes_ago), **fields,
    )  # fmt: skip


@pytest.fixture
def minas_request(member, garden):
    return ListingFactory(
        community=member.community, member=member, category=garden, kind=ListingKind.REQUEST,
        title="Help with my garden", description="Weeding, any weekend.", tags=["gardening"],
    )  # fmt: skip


def test_a_member_searches_and_follows_the_cursor_to_the_end(client, member, colin, garden):
    for n in range(5):
        offer(colin, garden, f"Garden job {n}", minutes_ago=n)

    first = call(client, "get", "/market/search?q=garden&sort=newest&limit=3", member).json()
    rest = call(client, "get", f"/market/search?q=garden&sort=newest&limit=3&cursor={first['next_cursor']}", member)

    assert [item["title"] for item in first["items"]] == ["Garden job 0", "Garden job 1", "Garden job 2"]
    assert [item["title"] for item in rest.json()["items"]] == ["Garden job 3", "Garden job 4"]
    assert rest.json()["next_cursor"] is None
    item = first["items"][0]
    assert item["poster"] == "Colin" and item["category"]["slug"] == "gardening"
    assert "colin@example.org" not in str(first) and "latitude" not in str(first)


def test_filters_by_category_slug_kind_and_distance(client, member, colin, garden, community):
    transport = CategoryFactory(community=community, name="Transport", slug="transport")
    offer(colin, garden, "Garden help", latitude=Decimal("53.805"), longitude=Decimal("-1.550"))
    offer(colin, transport, "Lift wanted", kind=ListingKind.REQUEST)
    member.latitude, member.longitude = Decimal("53.800"), Decimal("-1.550")
    member.save()

    by_slug = call(client, "get", "/market/search?category=transport", member).json()
    by_kind = call(client, "get", "/market/search?kind=offer", member).json()
    near = call(client, "get", "/market/search?within_km=1&sort=distance", member).json()

    assert [i["title"] for i in by_slug["items"]] == ["Lift wanted"]
    assert [i["title"] for i in by_kind["items"]] == ["Garden help"]
    assert [(i["title"], i["distance_metres"]) for i in near["items"]] == [("Garden help", 556)]
    assert near["sort"] == "distance"


def test_another_communitys_listings_are_never_found(client, outsider, colin, garden):
    offer(colin, garden, "Garden help")

    body = call(client, "get", "/market/search?q=garden", outsider).json()

    assert body["items"] == []


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("sort=distance", 409, "location_needed"),
        ("within_km=2", 409, "location_needed"),
        ("category=no-such-thing", 404, "category_unknown"),
        ("cursor=garbage&sort=newest", 404, "bad_cursor"),
        ("serach=garden", 422, "invalid_input"),
        ("limit=500", 422, "invalid_input"),
        ("availability=midnight", 422, "invalid_input"),
    ],
)
def test_bad_searches_are_refused_in_words(client, member, query, status, code):
    assert_error(call(client, "get", f"/market/search?{query}", member), status, code)


def test_searching_needs_a_token(client, community):
    assert_error(call(client, "get", "/market/search"), 401)


def test_the_poster_gets_suggested_helpers_with_reasons(client, member, minas_request, colin, garden):
    colins = offer(colin, garden, "Gardening help", tags=["gardening"])

    body = call(client, "get", f"/market/listings/{minas_request.pk}/matches", member).json()

    [match] = body["items"]
    assert match["member"] == {"id": colin.pk, "display_name": "Colin"}
    assert match["listing"] == {"id": colins.pk, "title": "Gardening help", "poster": "Colin"}
    assert match["reasons"][0] == "Offers gardening"


def test_suggested_helpers_are_only_for_whoever_may_act_on_the_request(
    client, member, coordinator, outsider, minas_request, colin, garden
):
    colins = offer(colin, garden, "Gardening help", tags=["gardening"])

    assert call(client, "get", f"/market/listings/{minas_request.pk}/matches", coordinator).status_code == 200
    assert_error(call(client, "get", f"/market/listings/{minas_request.pk}/matches", colin), 403)
    assert_error(call(client, "get", f"/market/listings/{minas_request.pk}/matches", outsider), 404)
    assert_error(call(client, "get", f"/market/listings/{colins.pk}/matches", colin), 404, "not_a_request")


def test_a_closed_request_has_no_suggested_helpers(client, member, minas_request):
    minas_request.status = ListingStatus.CLOSED
    minas_request.save()

    assert_error(call(client, "get", f"/market/listings/{minas_request.pk}/matches", member), 403)


def test_both_endpoints_are_in_the_published_schema(client, db):
    paths = client.get(f"{API}/openapi.json").json()["paths"]

    assert "get" in paths[f"{API}/market/search"]
    assert "get" in paths[f"{API}/market/listings/{{listing_id}}/matches"]
