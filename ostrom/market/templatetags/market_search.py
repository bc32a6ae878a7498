"""Suggested matches for the pages of other parts, which only include a template: the listing page (who could help
with this request) and the community dashboard (requests you could help with, offers for your requests)."""

from __future__ import annotations

from django import template
from django.urls import reverse

from ostrom.communities.models import Member

from ..access.search import can_see_matches
from ..matches import Match, offers_for_member, requests_for_helper, suggest_helpers
from ..models import Listing

register = template.Library()

# A listing page shows a handful of helpers; the dashboard three of each kind.
HELPERS_SHOWN = 5
DASHBOARD_SHOWN = 3


@register.simple_tag
def suggested_helpers(viewer: Member | None, listing: Listing) -> list[dict]:
    """Who could help with ``listing``, for a viewer who may act on it; nothing for anyone else."""
    if viewer is None or not can_see_matches(viewer, listing):
        return []
    return [_card(match) for match in suggest_helpers(listing, HELPERS_SHOWN)]


@register.simple_tag
def suggestions_for(member: Member | None) -> dict[str, list[dict]]:
    """Requests the member could help with and offers that fit their own requests."""
    if member is None or not member.is_active:
        return {"requests": [], "offers": []}
    return {
        "requests": [_card(match) for match in requests_for_helper(member, DASHBOARD_SHOWN)],
        "offers": [_card(match) for match in offers_for_member(member, DASHBOARD_SHOWN)],
    }


def _card(match: Match) -> dict:
    """What a suggestion shows: a name, a link (the ad, or for a skill on a profile the member's page), the reasons."""
    listing, member = match.listing, match.member
    slug = member.community.slug
    if listing is not None:
        name = listing.organisation.name if listing.organisation_id else member.display_name
        url = reverse("market_listing", kwargs={"slug": slug, "listing_id": listing.pk})
    else:
        name = member.display_name
        url = reverse("member_detail", kwargs={"slug": slug, "pk": member.pk})
    return {
        "name": name,
        "title": listing.title if listing is not None else "",
        "url": url,
        "reasons": list(match.reasons),
        "for_title": match.for_listing.title if match.for_listing is not None else "",
    }
