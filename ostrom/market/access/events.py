"""Who may see or do what with events. Every active member sees their community's events and answers them; any
active member may host one (for their organisation only if they are its staff, or a coordinator); the host (or a
coordinator) cancels it and takes the register. Nothing here returns another community's rows."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.http import Http404

from ostrom.communities.domain import Role
from ostrom.communities.models import Member, Organisation

from ..models import Attendance, Event, EventStatus, Rsvp, RsvpStatus


def visible_events(viewer: Member) -> QuerySet[Event]:
    events = Event.objects.filter(community_id=viewer.community_id).select_related("host", "organisation")
    return events if viewer.is_active else events.none()


def upcoming_events(viewer: Member, now: datetime) -> QuerySet[Event]:
    """Scheduled events not yet over, soonest first."""
    return visible_events(viewer).filter(status=EventStatus.SCHEDULED, ends_at__gt=now).order_by("starts_at", "pk")


def get_event_or_404(viewer: Member, event_id: int) -> Event:
    event = visible_events(viewer).filter(pk=event_id).first()
    if event is None:
        raise Http404("No event with that number here.")
    return event


def find_by_code(member: Member, code: str) -> Event | None:
    """The event of the member's community with this RSVP code (codes are unique within a community)."""
    return visible_events(member).filter(rsvp_code=code.strip().upper()).first()


def can_host(viewer: Member | None) -> bool:
    return viewer is not None and viewer.is_active


def can_host_for(viewer: Member, organisation: Organisation) -> bool:
    """Run an event in an organisation's name: its staff, or a coordinator."""
    if not viewer.is_active or organisation.community_id != viewer.community_id or not organisation.is_active:
        return False
    return viewer.is_coordinator or (viewer.role == Role.STAFF and viewer.organisation_id == organisation.pk)


def organisations_to_host_for(viewer: Member) -> QuerySet[Organisation]:
    organisations = Organisation.objects.filter(community_id=viewer.community_id, is_active=True)
    if not viewer.is_active:
        return organisations.none()
    if viewer.is_coordinator:
        return organisations
    if viewer.role == Role.STAFF and viewer.organisation_id:
        return organisations.filter(pk=viewer.organisation_id)
    return organisations.none()


def can_manage_event(viewer: Member | None, event: Event) -> bool:
    """Cancel the event and take its register: the host, or a coordinator of its community."""
    if viewer is None or not viewer.is_active or viewer.community_id != event.community_id:
        return False
    return event.host_id == viewer.pk or viewer.is_coordinator


def own_rsvp(viewer: Member, event: Event) -> Rsvp | None:
    return Rsvp.objects.filter(event=event, member=viewer).first()


def event_rsvps(event: Event) -> QuerySet[Rsvp]:
    """Who answered, going first then the waiting list in its order; for the host (check can_manage_event)."""
    return (
        event.rsvps.exclude(status=RsvpStatus.CANCELLED)
        .select_related("member")
        .order_by("status", "queued_at", "created_at", "pk")
    )


def event_attendance(event: Event) -> QuerySet[Attendance]:
    return event.attendance.select_related("member", "marked_by")


def attendance_candidates(event: Event) -> QuerySet[Member]:
    """Members of the event's community the host can mark as present: every active one, by name."""
    return Member.objects.filter(community_id=event.community_id, status="active").order_by("display_name", "pk")
