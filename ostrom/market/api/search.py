"""The marketplace API for finding things: search offers and requests (the web's search, with the same filters,
orders and cursor pages), and the suggested helpers for a request.

Thin adapters over market.search and market.matches, which ask market.access what the token's member may see. A
result says what the ad says, who posted it and roughly how far away it is; never anyone's contact details."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema

from ostrom.communities.api import MAX_ID, SLUG, StrictQuery, Text, error_responses
from ostrom.communities.domain import Availability, DomainError
from ostrom.communities.models import Member

from .. import search
from ..access.listings import community_categories, get_listing_or_404
from ..access.search import can_see_matches
from ..domain.geo import MAX_RADIUS_METRES
from ..matches import DEFAULT_LIMIT, suggest_helpers
from ..models import ListingKind

router = Router(tags=["market"])

# The statuses this part's DomainError codes answer with (market/api/__init__.py gathers them for config/api.py;
# every other code is a 400). What the community does not have is a 404, as everywhere in the market: a category,
# a request with that number (an offer has no suggested helpers), the page a cursor points at. No location on the
# profile is how things stand now: a 409, as the same search works once there is one.
ERROR_STATUS = {
    "category_unknown": 404,
    "not_a_request": 404,
    "bad_cursor": 404,
    "location_needed": 409,
}

ListingId = Annotated[int, Path(ge=1, le=MAX_ID)]
MAX_MATCHES = 20


class CategoryRef(Schema):
    id: int
    name: str
    slug: str


class SearchHit(Schema):
    id: int
    kind: ListingKind
    title: str
    category: CategoryRef
    tags: list[str]
    poster: str = Field(description="The name members see: the organisation's, else the member's display name.")
    place_name: str = Field(description="A rough place the poster gave, if any.")
    remote_ok: bool
    published_at: datetime
    distance_metres: int | None = Field(description="Roughly how far from you, when both have a location.")


class SearchPage(Schema):
    items: list[SearchHit]
    sort: Literal["relevance", "distance", "newest"] = Field(
        description="The order used: relevance needs words, so a search without any comes newest first."
    )
    next_cursor: str | None = Field(description="Send it back as ``cursor`` for the next page; null: no more.")
    ranked_newest_only: bool = Field(
        description=f"More matched than relevance ranks ({search.RANK_WINDOW}): the best of the newest are shown. "
        "Sort by newest to walk every match."
    )


class SearchQuery(StrictQuery):
    q: Text(search.MAX_QUERY_CHARS) = Field(
        "", description='Words to look for; "quotes" for a phrase, "or" for either, -word to leave one out.'
    )
    kind: ListingKind | None = Field(None, description="offer or request; both when left out.")
    category: Text(60, SLUG) | None = Field(
        None, description="A category's id or slug; its subcategories are included."
    )
    within_km: int | None = Field(
        None, ge=1, le=MAX_RADIUS_METRES // 1000, description="Only ads this close to your profile's location."
    )
    availability: list[Availability] = Field(
        default_factory=list, description="Only ads free at one of these times (repeat the parameter)."
    )
    remote: bool = Field(False, description="Only help that can be given by phone or online.")
    sort: search.Sort = Field(search.Sort.RELEVANCE, description="relevance, distance (nearest first) or newest.")
    cursor: Text(search.MAX_CURSOR_CHARS) | None = Field(None, description="From the previous page's next_cursor.")
    limit: int = Field(search.DEFAULT_PAGE_SIZE, ge=1, le=search.MAX_PAGE_SIZE, description="Results a page.")


class MemberRef(Schema):
    id: int
    display_name: str


class ListingRef(Schema):
    id: int
    title: str
    poster: str


class MatchOut(Schema):
    member: MemberRef
    listing: ListingRef | None = Field(description="Their offer that fits; null when it is a skill on their profile.")
    score: int = Field(description="Points: higher fits better. Only the order means something.")
    reasons: list[str] = Field(description='Why, in words: "Offers gardening", "0.8 km away", "Helped 5 times".')
    distance_metres: int | None


class MatchList(Schema):
    items: list[MatchOut]


class MatchQuery(StrictQuery):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_MATCHES, description="How many helpers to suggest.")


@router.get("/market/search", response={200: SearchPage, **error_responses(401, 404, 409, 422)})
def search_listings(request: HttpRequest, filters: Query[SearchQuery]) -> dict[str, Any]:
    """Offers and requests you can see, matching the words and filters, a page at a time: pass ``next_cursor``
    back as ``cursor`` until it is null. Distance filters and order need a location on your profile."""
    viewer: Member = request.auth
    page = search.search(viewer, _filters(viewer, filters), filters.cursor, filters.limit)
    return {
        "items": [_hit(hit) for hit in page.hits],
        "sort": page.sort.value,
        "next_cursor": page.next_cursor,
        "ranked_newest_only": page.ranked_newest_only,
    }


@router.get("/market/listings/{listing_id}/matches", response={200: MatchList, **error_responses(401, 403, 404, 422)})
def listing_matches(request: HttpRequest, listing_id: ListingId, query: Query[MatchQuery]) -> dict[str, Any]:
    """Who could help with your request, best first, each with the reasons. Only for a request you may act on
    (yours, your organisation's, or any for a coordinator)."""
    viewer: Member = request.auth
    listing = get_listing_or_404(viewer, listing_id)
    if listing.kind != ListingKind.REQUEST:
        raise DomainError(
            "not_a_request",
            "There is no request with that number: this is an offer, and suggested "
            "helpers are only worked out for requests.",
        )
    if not can_see_matches(viewer, listing):
        raise PermissionDenied("Only whoever may act on this request sees who could help with it.")
    items = []
    for match in suggest_helpers(listing, query.limit):
        offer = match.listing
        items.append(
            {
                "member": {"id": match.member.pk, "display_name": match.member.display_name},
                "listing": {
                    "id": offer.pk,
                    "title": offer.title,
                    "poster": offer.organisation.name if offer.organisation_id else match.member.display_name,
                }
                if offer is not None
                else None,
                "score": match.suggestion.score,
                "reasons": list(match.reasons),
                "distance_metres": match.suggestion.distance_metres,
            }
        )
    return {"items": items}


def _filters(viewer: Member, query: SearchQuery) -> search.Filters:
    category_ids = None
    if query.category:
        categories = community_categories(viewer)
        # An id is at most 18 digits (64-bit); anything longer can only be a slug.
        by_id = query.category.isdigit() and len(query.category) <= 18
        category = (categories.filter(pk=int(query.category)).first() if by_id else None) or categories.filter(
            slug=query.category
        ).first()
        if category is None:
            raise DomainError("category_unknown", "There is no such category here.", "category")
        category_ids = search.categories_below(viewer, category.pk)
    return search.Filters(
        text=query.q,
        kind=query.kind,
        category_ids=category_ids,
        within_metres=query.within_km * 1000 if query.within_km else None,
        availability=frozenset(query.availability),
        remote_only=query.remote,
        sort=query.sort,
    )


def _hit(hit: search.Hit) -> dict[str, Any]:
    listing = hit.listing
    category = listing.category
    return {
        "id": listing.pk,
        "kind": listing.kind,
        "title": listing.title,
        "category": {"id": category.pk, "name": category.name, "slug": category.slug},
        "tags": listing.tags,
        "poster": listing.organisation.name if listing.organisation_id else listing.member.display_name,
        "place_name": listing.place_name,
        "remote_ok": listing.remote_ok,
        "published_at": listing.published_at,
        "distance_metres": hit.distance_metres,
    }
