"""Which listings and categories a member may see and change. Views, the API and SMS ask here; every query is
scoped to the viewer's community, so another community's ads are never found (a 404, not a 403)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from ostrom.communities.domain import Role, Status
from ostrom.communities.models import Member, Organisation
from ostrom.ledger.models import Currency, CurrencyKind

from ..models import Category, Listing, ListingKind, ListingStatus
from .moderation import blocked_member_ids

LISTING_RELATIONS = ("member", "category", "category__parent", "organisation", "price_currency", "posted_by")


def visible_listings(viewer: Member) -> QuerySet[Listing]:
    """Listings other members can see: active, not hidden by a coordinator, in the viewer's community, posted by
    an active member, and not by someone the viewer blocked or who blocked the viewer."""
    listings = Listing.objects.filter(
        community_id=viewer.community_id,
        status=ListingStatus.ACTIVE,
        hidden_at=None,
        member__status=Status.ACTIVE,
    )
    blocked = blocked_member_ids(viewer)
    return listings.exclude(member_id__in=blocked) if blocked else listings


def get_listing_or_404(viewer: Member, listing_id: int) -> Listing:
    """A listing the viewer may see: a visible one; one they may edit (their own, their organisation's, or any of
    the community's for a coordinator) in any state, hidden ones included."""
    listing = (
        Listing.objects.filter(community_id=viewer.community_id, pk=listing_id)
        .select_related(*LISTING_RELATIONS)
        .first()
    )
    if listing is None or not viewer.is_active:
        raise Http404("No offer or request with that number here.")
    if can_edit(viewer, listing):
        return listing
    if not visible_listings(viewer).filter(pk=listing.pk).exists():
        raise Http404("No offer or request with that number here.")
    return listing


def can_edit(viewer: Member | None, listing: Listing) -> bool:
    """The poster, staff of the organisation it was posted for, and the community's coordinators."""
    if viewer is None or not viewer.is_active or viewer.community_id != listing.community_id:
        return False
    if viewer.pk == listing.member_id or viewer.is_coordinator:
        return True
    return (
        listing.organisation_id is not None
        and viewer.role == Role.STAFF
        and viewer.organisation_id == listing.organisation_id
    )


def own_listings(viewer: Member) -> QuerySet[Listing]:
    """The viewer's own ads in every state, and for staff their organisation's too."""
    mine = Q(member_id=viewer.pk)
    if viewer.role == Role.STAFF and viewer.organisation_id:
        mine |= Q(organisation_id=viewer.organisation_id)
    return (
        Listing.objects.filter(mine, community_id=viewer.community_id)
        .select_related(*LISTING_RELATIONS)
        .order_by("-updated_at", "-id")
    )


def posting_organisations(viewer: Member) -> QuerySet[Organisation]:
    """The organisations the viewer may post for: their own (staff), every active one (coordinators)."""
    organisations = Organisation.objects.filter(community_id=viewer.community_id, is_active=True)
    if not viewer.is_active:
        return organisations.none()
    if viewer.is_coordinator:
        return organisations
    if viewer.role == Role.STAFF and viewer.organisation_id:
        return organisations.filter(pk=viewer.organisation_id)
    return organisations.none()


def can_post_for(viewer: Member, organisation: Organisation) -> bool:
    return posting_organisations(viewer).filter(pk=organisation.pk).exists()


def price_currencies(viewer: Member) -> QuerySet[Currency]:
    """The credits a partner's offer can be priced in: the community's active credit currencies."""
    return Currency.objects.filter(community_id=viewer.community_id, kind=CurrencyKind.CREDIT, is_active=True).order_by(
        "name", "pk"
    )


def can_post_on_behalf(viewer: Member | None) -> bool:
    return viewer is not None and viewer.is_coordinator


def on_behalf_members(coordinator: Member) -> QuerySet[Member]:
    """Whom a coordinator may post for: active members of their own community."""
    return Member.objects.filter(community_id=coordinator.community_id, status=Status.ACTIVE).select_related("user")


def can_manage_categories(viewer: Member | None) -> bool:
    return viewer is not None and viewer.is_coordinator


def community_categories(viewer: Member) -> QuerySet[Category]:
    """Every category of the viewer's community, retired ones included (for coordinators' editor)."""
    return Category.objects.filter(community_id=viewer.community_id).select_related("parent")


def open_categories(viewer: Member) -> QuerySet[Category]:
    """The categories a new ad may go in: active ones of the viewer's community."""
    return community_categories(viewer).filter(is_active=True)


def get_category_or_404(viewer: Member, category_id: int) -> Category:
    category = community_categories(viewer).filter(pk=category_id).first()
    if category is None:
        raise Http404("No category with that number here.")
    return category


def directory_offers(viewer: Member) -> QuerySet[Listing]:
    """The current offers a printed directory lists: those the viewer could see on the site."""
    return visible_listings(viewer).filter(kind=ListingKind.OFFER).select_related(*LISTING_RELATIONS, "member__user")


def category_listing_counts(viewer: Member) -> dict[int, int]:
    """How many ads, in any state, each category of the viewer's community holds (for the category editor)."""
    rows = (
        Listing.objects.filter(community_id=viewer.community_id)
        .values("category_id")
        .annotate(total=Count("pk"))
        .values_list("category_id", "total")
    )
    return dict(rows)
