"""The offers and requests API, told as stories about the cast: Mina (member), Cora (coordinator), Sam (council
staff), Otto (Hillside only) and an anonymous visitor. Every refusal answers {code, message, fields} and writes
nothing; another community's ad is a 404."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ostrom.communities.tests.test_api import API, assert_error, bearer, call
from ostrom.market.actions import listings as actions
from ostrom.market.models import Listing, ListingStatus
from ostrom.market.tests import test_listings_actions as listing_fixtures
from ostrom.market.tests.factories import CategoryFactory, ListingFactory
from ostrom.market.tests.test_listings_actions import picture, snapshot

# The listings tests' shared fixtures, named here for pytest to find.
credits = listing_fixtures.credits
media = listing_fixtures.media


def new_offer(in_category, **extra) -> dict:
    return {
        "kind": "offer",
        "title": "Help with the garden",
        "description": "Weeding, mowing and planting on weekend mornings.",
        "category": in_category.pk,
        **extra,
    }


# --- Posting --------------------------------------------------------------------------------------------------------


def test_mina_posts_an_offer_and_reads_it_back(client, member, gardening):
    response = call(
        client, "post", "/market/listings", member,
        new_offer(gardening, tags=["Gardening", " hedges"], availability=["weekends"],
                  location={"latitude": 53.80049, "longitude": -1.54912}, estimated_minutes=90),
    )  # fmt: skip

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "active" and body["poster"] == "Mina"
    assert body["tags"] == ["gardening", "hedges"]
    assert body["location"] == {"latitude": 53.8, "longitude": -1.549}
    assert body["category"] == {"id": gardening.pk, "name": "Gardening", "slug": "gardening"}
    assert "email" not in str(body) and "mina@example.org" not in str(body)
    assert call(client, "get", f"/market/listings/{body['id']}", member).json() == body


def test_a_category_can_be_given_by_slug_and_a_draft_kept(client, member, gardening):
    body = call(client, "post", "/market/listings", member, new_offer(gardening, category="gardening", publish=False))
    assert body.status_code == 201 and body.json()["status"] == "draft"


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"title": ""}, 422, "invalid_input", "title"),
        ({"title": "a b"}, 422, "invalid_input", "title"),
        ({"title": "x" * 121}, 422, "invalid_input", "title"),
        ({"description": "short"}, 422, "invalid_input", "description"),
        ({"description": "y" * 4001}, 422, "invalid_input", "description"),
        ({"category": 999_999}, 404, "category_unknown", "category"),
        ({"category": "nope"}, 404, "category_unknown", "category"),
        ({"expires_in_days": 0}, 422, "invalid_input", "expires_in_days"),
        ({"expires_in_days": 181}, 422, "invalid_input", "expires_in_days"),
        ({"tags": ["#tag"]}, 422, "invalid_input", "tags"),
        ({"tags": [f"t{n}" for n in range(13)]}, 422, "invalid_input", "tags"),
        ({"price": {"amount": 100, "currency": "leisure"}}, 403, "price_not_allowed", "price"),
        ({"price": {"amount": 100, "currency": "nope"}}, 404, "currency_unknown", "price"),
        ({"price": {"amount": 0, "currency": "leisure"}}, 422, "invalid_input", "price.amount"),
        ({"estimated_minutes": 1.5}, 422, "invalid_input", "estimated_minutes"),
        ({"surprise": True}, 422, "invalid_input", "surprise"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(client, member, gardening, credits, change, status, code, field):
    before = snapshot()
    response = call(client, "post", "/market/listings", member, new_offer(gardening, **change))
    body = assert_error(response, status, code)
    assert field in body["fields"]
    assert snapshot() == before


def test_the_published_patterns_are_the_ones_the_server_checks(client, member, gardening):
    """Whatever the schema's patterns allow, the rules allow: a client that checks them is never refused."""
    schema = client.get(f"{API}/openapi.json").json()["components"]["schemas"]["ListingIn"]["properties"]
    title, description = schema["title"]["pattern"], schema["description"]["pattern"]
    assert re.search(title, "abc") and not re.search(title, " a  b ")
    assert re.search(description, "0123456789") and not re.search(description, "012345678\n\t ")
    response = call(client, "post", "/market/listings", member, new_offer(gardening, title=" a\u3000b c "))
    assert response.status_code == 201 and response.json()["title"] == "a b c"


def test_the_posting_limit_answers_with_its_own_code(client, member, gardening):
    for number in range(10):
        ListingFactory(community=member.community, member=member, category=gardening, title=f"Help {number}")
    response = call(client, "post", "/market/listings", member, new_offer(gardening))
    assert_error(response, 429, "posting_rate_limited")
    assert Listing.objects.filter(member=member).count() == 10


def test_staff_post_a_priced_offer_for_their_organisation(client, staff, organisation, gardening, credits):
    response = call(
        client, "post", "/market/listings", staff,
        new_offer(gardening, title="Swimming session", organisation=organisation.slug,
                  price={"amount": 100, "currency": "leisure"}),
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["organisation"] == "riverside-council"
    assert body["price"] == {"amount": 100, "currency": "leisure", "display": "1.00 LC"}
    assert body["poster"] == "Riverside Council"


def test_a_member_cannot_post_for_an_organisation(client, member, organisation, gardening):
    response = call(client, "post", "/market/listings", member, new_offer(gardening, organisation=organisation.slug))
    assert_error(response, 403, "organisation_not_allowed")
    assert_error(
        call(client, "post", "/market/listings", member, new_offer(gardening, organisation="nobody")),
        404, "organisation_unknown",
    )  # fmt: skip


def test_anonymous_visitors_are_asked_for_a_token(client, gardening):
    assert_error(call(client, "post", "/market/listings", None, new_offer(gardening)), 401)
    assert_error(call(client, "get", "/market/listings/mine", None), 401)


# --- Reading --------------------------------------------------------------------------------------------------------


def test_mina_lists_her_own_ads_in_every_state(client, member, community, gardening):
    ListingFactory(community=community, member=member, category=gardening, title="Showing")
    ListingFactory(community=community, member=member, category=gardening, title="Paused", status=ListingStatus.PAUSED)
    ListingFactory(community=community, category=gardening, title="Someone else's")
    headers = bearer(member)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{API}/market/listings/mine", headers=headers)
    assert response.status_code == 200
    assert {item["title"] for item in response.json()["items"]} == {"Showing", "Paused"}
    assert len(queries) <= 12, [q["sql"] for q in queries]  # the token, the rate limit, a count, one page
    for _ in range(5):
        ListingFactory(community=community, member=member, category=gardening)
    with CaptureQueriesContext(connection) as more:
        client.get(f"{API}/market/listings/mine", headers=headers)
    assert len(more) <= len(queries)  # no query per ad (the second call skips noting the token's use)

    paused = call(client, "get", "/market/listings/mine?status=paused", member).json()
    assert [item["title"] for item in paused["items"]] == ["Paused"]


def test_another_communitys_ad_is_not_found(client, outsider, member, other_community, minas_offer):
    assert_error(call(client, "get", f"/market/listings/{minas_offer.pk}", outsider), 404, "not_found")
    hillside = ListingFactory(
        community=other_community, member=outsider, category=CategoryFactory(community=other_community)
    )
    assert_error(call(client, "get", f"/market/listings/{hillside.pk}", member), 404)


def test_someone_elses_draft_is_not_found(client, member, staff, gardening):
    draft = actions.create_listing(member, publish=False, **{k: v for k, v in new_offer(gardening).items()})
    assert_error(call(client, "get", f"/market/listings/{draft.pk}", staff), 404)


def test_the_categories_list_shows_the_tree(client, member, coordinator, gardening):
    from ostrom.market.actions.categories import create_category

    allotments = create_category(coordinator, "Allotments", gardening)
    items = call(client, "get", "/market/categories", member).json()["items"]
    assert {"id": allotments.pk, "name": "Allotments", "slug": "allotments", "parent": gardening.pk,
            "position": 0, "is_active": True, "path": "Gardening › Allotments"} in items  # fmt: skip


# --- Changing -------------------------------------------------------------------------------------------------------


def test_mina_changes_some_fields_and_the_rest_stay(client, member, minas_offer):
    response = call(client, "patch", f"/market/listings/{minas_offer.pk}", member, {"title": "Garden and hedges"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["title"] == "Garden and hedges"
    assert body["description"] == "Weeding and planting on weekend mornings."


def test_someone_else_cannot_change_minas_ad(client, staff, outsider, minas_offer):
    before = snapshot()
    assert_error(
        call(client, "patch", f"/market/listings/{minas_offer.pk}", staff, {"title": "Mine"}), 403, "not_allowed"
    )
    assert_error(call(client, "patch", f"/market/listings/{minas_offer.pk}", outsider, {"title": "Mine"}), 404)
    assert snapshot() == before


def test_mina_pauses_renews_and_closes_through_the_api(client, member, minas_offer):
    path = f"/market/listings/{minas_offer.pk}"
    assert call(client, "post", f"{path}/pause", member, {}).json()["status"] == "paused"
    before = timezone.now()
    renewed = call(client, "post", f"{path}/renew", member, {"expires_in_days": 30}).json()
    assert renewed["status"] == "active"
    minas_offer.refresh_from_db()
    assert timedelta(days=30) <= minas_offer.expires_at - before < timedelta(days=30, minutes=1)
    assert call(client, "post", f"{path}/close", member, {}).json()["status"] == "closed"
    assert_error(call(client, "post", f"{path}/resume", member, {}), 409, "wrong_status")
    assert_error(call(client, "patch", path, member, {"title": "Again"}), 409, "wrong_status")
    assert_error(call(client, "post", f"{path}/explode", member, {}), 404)


def test_a_draft_is_published_through_the_api(client, member, gardening):
    draft = call(client, "post", "/market/listings", member, new_offer(gardening, publish=False)).json()
    published = call(client, "post", f"/market/listings/{draft['id']}/publish", member, {"expires_in_days": 7})
    assert published.json()["status"] == "active"
    assert_error(call(client, "post", f"/market/listings/{draft['id']}/publish", member, {}), 409, "wrong_status")


def test_a_photo_is_served_to_those_who_see_the_ad(client, member, staff, outsider, minas_offer, media):
    from ostrom.market.tests.test_listings_actions import upload

    path = f"/market/listings/{minas_offer.pk}/photo"
    assert_error(call(client, "get", path, member), 404)
    actions.update_listing(member, minas_offer, photo=upload(picture("PNG"), "x.png", "image/png"))

    served = call(client, "get", path, staff)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")
    assert call(client, "get", f"/market/listings/{minas_offer.pk}", staff).json()["has_photo"] is True
    assert_error(call(client, "get", path, outsider), 404)


# --- The schema -----------------------------------------------------------------------------------------------------


def test_the_endpoints_are_in_the_openapi_schema(client):
    paths = client.get(f"{API}/openapi.json").json()["paths"]
    assert {"post"} <= set(paths["/api/v1/market/listings"])
    assert {"get", "patch"} <= set(paths["/api/v1/market/listings/{listing_id}"])
    for action in ("publish", "pause", "resume", "renew", "close"):
        assert "post" in paths[f"/api/v1/market/listings/{{listing_id}}/{action}"]
    assert "get" in paths["/api/v1/market/listings/mine"]
    assert "get" in paths["/api/v1/market/categories"]
