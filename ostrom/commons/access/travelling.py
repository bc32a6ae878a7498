"""Who may see or do what with travelling services. A published service's timetable and why each place has its
share is public (anyone may read when the mobile library comes); registering a need is for active members, and
coordinators define services, register needs for residents who only use the phone, and publish. Nothing here
returns another community's rows, and no page shows who registered a need: only counts and weights."""

from __future__ import annotations

from django.db.models import Count, QuerySet, Sum
from django.http import Http404

from ostrom.communities.models import Community, Member

from ..models import PlaceNeed, ScheduledVisit, ServicePlace, TravellingService


def community_services(community: Community, viewer: Member | None) -> QuerySet[TravellingService]:
    """Members see every service of their community; anyone else only published ones."""
    services = TravellingService.objects.filter(community=community).order_by("name", "pk")
    if viewer is None or not viewer.is_active or viewer.community_id != community.pk:
        services = services.filter(published_at__isnull=False)
    return services


def get_service_or_404(community: Community, viewer: Member | None, service_slug: str) -> TravellingService:
    service = community_services(community, viewer).filter(slug=service_slug).first()
    if service is None:
        raise Http404("No travelling service with that name here.")
    return service


def can_coordinate(viewer: Member | None, service: TravellingService | None = None) -> bool:
    if viewer is None or not viewer.is_coordinator:
        return False
    return service is None or service.community_id == viewer.community_id


def can_register(viewer: Member | None, service: TravellingService) -> bool:
    return viewer is not None and viewer.is_active and viewer.community_id == service.community_id


def service_places(service: TravellingService) -> QuerySet[ServicePlace]:
    """The places with how many registered and their total weight (for the coordinator and the public page)."""
    return service.places.annotate(
        registered=Count("needs", distinct=True), weight=Sum("needs__points", default=0)
    ).order_by("name", "pk")


def get_place_or_404(service: TravellingService, place_id: int) -> ServicePlace:
    place = service.places.filter(pk=place_id).first()
    if place is None:
        raise Http404("No such place on this service.")
    return place


def own_need(viewer: Member | None, service: TravellingService) -> PlaceNeed | None:
    if viewer is None:
        return None
    return PlaceNeed.objects.filter(place__service=service, member=viewer).select_related("place").first()


def schedule_of(service: TravellingService) -> QuerySet[ScheduledVisit]:
    return service.schedule.select_related("place").order_by("starts_at", "pk")


def residents(coordinator: Member) -> QuerySet[Member]:
    """Members a coordinator can register a need for: every active member of the community, by name."""
    return Member.objects.filter(community_id=coordinator.community_id, status="active").order_by("display_name", "pk")
