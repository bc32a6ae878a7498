"""Who may see or do what with exchanges. Views, the API and SMS ask here; the actions enforce the same rules
again (through domain.exchanges.check) so nothing depends on a page hiding a button.

An exchange is seen by its two people and by the community's coordinators; to anyone else, and to every other
community, it does not exist (404). Contact details stay hidden until both people chose to share them."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from ostrom.communities.domain import format_phone
from ostrom.communities.models import Member

from ..domain import exchanges as domain
from ..domain.exchanges import Role, Step
from ..models import Exchange, ExchangeMessage, ExchangeStatus, Listing
from .listings import get_listing_or_404
from .moderation import blocked_member_ids

# A thread shows its newest messages; older ones are kept but a page need not carry thousands.
THREAD_SIZE = 200
RELATED = ("giver__user", "receiver__user", "started_by", "proposed_by", "currency", "listing", "community", "transfer")


def my_exchanges(viewer: Member) -> QuerySet[Exchange]:
    """The exchanges the viewer gives or receives in, in their community."""
    return (
        Exchange.objects.filter(community_id=viewer.community_id)
        .filter(Q(giver=viewer) | Q(receiver=viewer))
        .select_related(*RELATED)
    )


def open_and_past(viewer: Member) -> tuple[QuerySet[Exchange], QuerySet[Exchange]]:
    """The viewer's exchanges still going on, and those confirmed or cancelled, newest change first."""
    mine = my_exchanges(viewer).order_by("-updated_at", "-pk")
    return mine.filter(status__in=domain.OPEN_STATUSES), mine.exclude(status__in=domain.OPEN_STATUSES)


def can_coordinate(viewer: Member) -> bool:
    return viewer.is_coordinator


def get_exchange_or_404(viewer: Member, exchange_id: int) -> Exchange:
    """An exchange the viewer is part of, or any of the community's for its coordinators."""
    exchanges = Exchange.objects.filter(community_id=viewer.community_id, pk=exchange_id).select_related(*RELATED)
    if not can_coordinate(viewer):
        exchanges = exchanges.filter(Q(giver=viewer) | Q(receiver=viewer))
    exchange = exchanges.first() if viewer.is_active else None
    if exchange is None:
        raise Http404("No exchange with that number here.")
    return exchange


def disputed_exchanges(coordinator: Member) -> QuerySet[Exchange]:
    """The community's disputed exchanges, oldest dispute first: what waits on its coordinators."""
    if not can_coordinate(coordinator):
        raise PermissionDenied("Only coordinators of this community can resolve disputes.")
    return (
        Exchange.objects.filter(community_id=coordinator.community_id, status=ExchangeStatus.DISPUTED)
        .select_related(*RELATED, "disputed_by")
        .order_by("disputed_at", "pk")
    )


def roles_of(viewer: Member, exchange: Exchange) -> frozenset[Role]:
    if viewer.community_id != exchange.community_id or not viewer.is_active:
        return frozenset()
    return domain.roles_for(
        viewer.pk, is_coordinator=viewer.is_coordinator, giver_id=exchange.giver_id, receiver_id=exchange.receiver_id
    )


def steps_for(viewer: Member, exchange: Exchange) -> frozenset[Step]:
    """What the viewer can do with the exchange now: what its page and the API offer them."""
    steps = set(domain.allowed_steps(roles_of(viewer, exchange), exchange.status))
    if exchange.proposed_by_id is None or exchange.proposed_by_id == viewer.pk:
        steps.discard(Step.ACCEPT)
    if exchange.thanks_note:
        steps.discard(Step.THANK)
    return frozenset(steps)


def thread(viewer: Member, exchange: Exchange) -> list[ExchangeMessage]:
    """The newest messages, oldest first. Messages a coordinator hid are left out, except for coordinators."""
    messages = exchange.messages.select_related("author")
    if not can_coordinate(viewer):
        messages = messages.filter(hidden_at=None)
    return list(reversed(messages.order_by("-created_at", "-pk")[:THREAD_SIZE]))


def other_party(viewer: Member, exchange: Exchange) -> Member | None:
    if viewer.pk == exchange.giver_id:
        return exchange.receiver
    if viewer.pk == exchange.receiver_id:
        return exchange.giver
    return None


def shares_contact(viewer: Member, exchange: Exchange) -> bool:
    """Whether the viewer ticked "share my contact details" on this exchange."""
    if viewer.pk == exchange.giver_id:
        return exchange.giver_shares_contact
    return viewer.pk == exchange.receiver_id and exchange.receiver_shares_contact


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str


def contact_details(viewer: Member, exchange: Exchange) -> Contact | None:
    """The other person's email and phone, once both chose to share them; None before (and for coordinators,
    who have the members' pages for that)."""
    other = other_party(viewer, exchange)
    if other is None or not exchange.contact_shared:
        return None
    user = other.user
    return Contact(other.display_name, user.email or "", format_phone(user.phone) if user.phone else "")


def get_listing_to_contact_or_404(viewer: Member, listing_id: int) -> Listing:
    """A listing the viewer may see (the listings part decides, blocks included)."""
    return get_listing_or_404(viewer, listing_id)


def can_contact(viewer: Member | None, listing: Listing) -> bool:
    """Whether the listing page offers the viewer a "Contact" form: someone else's visible listing, nobody blocked."""
    if viewer is None or not viewer.is_active or listing.member_id == viewer.pk:
        return False
    if listing.community_id != viewer.community_id or not listing.is_visible:
        return False
    return listing.member_id not in blocked_member_ids(viewer)
