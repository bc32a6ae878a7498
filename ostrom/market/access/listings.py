"""(being written by the listings part) Which listings a member may see and change."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from ostrom.communities.models import Member

from ..models import Listing, ListingStatus
from .moderation import blocked_member_ids


def visible_listings(viewer: Member) -> QuerySet[Listing]:
    """Listings other members can see: active, not hidden by a coordinator, in the viewer's community, and not
    posted by someone the viewer blocked or who blocked the viewer."""
    listings = Listing.objects.filter(community_id=viewer.community_id, status=ListingStatus.ACTIVE, hidden_at=None)
    blocked = blocked_member_ids(viewer)
    return listings.exclude(member_id__in=blocked) if blocked else listings


def get_listing_or_404(viewer: Member, listing_id: int) -> Listing:
    """A listing the viewer may see: a visible one, or one of their own in any state."""
    listing = (
        Listing.objects.filter(community_id=viewer.community_id, pk=listing_id)
        .select_related("member", "category", "organisation")
        .first()
    )
    if listing is None or (
        listing.member_id != viewer.pk and not visible_listings(viewer).filter(pk=listing.pk).exists()
    ):
        raise Http404("No offer or request with that number here.")
    return listing
