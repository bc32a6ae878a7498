"""Who sees suggested matches: a request's suggested helpers are for whoever may act on the request (its poster,
staff of the organisation it is for, the community's coordinators posting for residents without internet)."""

from __future__ import annotations

from ostrom.communities.models import Member

from ..models import Listing, ListingKind, ListingStatus
from .listings import can_edit

# A closed or expired request needs nobody any more.
OPEN_STATUSES = (ListingStatus.DRAFT, ListingStatus.ACTIVE, ListingStatus.PAUSED)


def can_see_matches(viewer: Member | None, listing: Listing) -> bool:
    """Whether ``viewer`` is shown who could help with ``listing``: a request still open, and theirs to act on."""
    return listing.kind == ListingKind.REQUEST and listing.status in OPEN_STATUSES and can_edit(viewer, listing)
