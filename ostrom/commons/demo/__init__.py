"""The commons' share of the Millbrook demo, one module a part, loaded in order (assets first: the others book
them) after the ledger's and the market's parts: a fire-station kitchen with a season of use behind it, a library
of things, a contested allotment draw, a mobile library's visits and a care circle's rota."""

from django.db.models import QuerySet

from ostrom.communities.demo import DemoPart
from ostrom.communities.models import Community

from ..models import (
    AllocatedSlot,
    AllocationRequest,
    AllocationSlot,
    Asset,
    AssetPermit,
    AssetUnit,
    Booking,
    BookingUnit,
    Kit,
    KitItem,
    MaintenancePeriod,
    Membership,
    MembershipPlan,
    OpeningWindow,
    PlaceNeed,
    RequestWindow,
    ScheduledVisit,
    ServicePlace,
    Shift,
    ShiftAssignment,
    ShiftPattern,
    SlotScore,
    SwapRequest,
    Team,
    TeamAvailability,
    TeamMember,
    TravellingService,
    UnmetRequest,
    WaitingListEntry,
)
from . import allocation, assets, bookings, rotas, travelling


def load(seed: int) -> None:
    for part in (assets, bookings, allocation, travelling, rotas):
        part.load(seed)


# Most dependent first: members and assets are PROTECTed from what points at them.
DELETE_ORDER = (
    SwapRequest,
    ShiftAssignment,
    Shift,
    TeamAvailability,
    ShiftPattern,
    TeamMember,
    Team,
    ScheduledVisit,
    PlaceNeed,
    ServicePlace,
    TravellingService,
    AllocatedSlot,
    SlotScore,
    AllocationRequest,
    AllocationSlot,
    RequestWindow,
    WaitingListEntry,
    BookingUnit,
    Booking,
    UnmetRequest,
    Membership,
    MembershipPlan,
    KitItem,
    Kit,
    AssetPermit,
    MaintenancePeriod,
    OpeningWindow,
    AssetUnit,
    Asset,
)


def delete(communities: QuerySet[Community]) -> None:
    """Runs before the ledger part's delete, which removes the transfers bookings and shifts point at."""
    for model in DELETE_ORDER:
        model.objects.filter(community__in=communities).delete()


PART = DemoPart(name="commons", load=load, delete=delete)
