"""Who may see or do what with request windows. Every active member of a community sees its windows and their
results (the result of a contested allocation is everyone's business); active members ask for slots while a window
is open; coordinators open windows, set need weights (with reasons only they read) and run the allocation.
Nothing here returns another community's rows."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.http import Http404

from ostrom.communities.models import Member

from ..models import AllocatedSlot, AllocationRequest, AllocationSlot, Asset, RequestWindow, WindowStatus


def visible_windows(viewer: Member) -> QuerySet[RequestWindow]:
    windows = RequestWindow.objects.filter(community_id=viewer.community_id).select_related("asset", "created_by")
    return windows if viewer.is_active else windows.none()


def get_window_or_404(viewer: Member, window_id: int) -> RequestWindow:
    window = visible_windows(viewer).filter(pk=window_id).first()
    if window is None:
        raise Http404("No request window with that number here.")
    return window


def is_open(window: RequestWindow, now: datetime) -> bool:
    """Taking requests: not allocated or cancelled, and between its opening and closing times."""
    return window.status == WindowStatus.OPEN and window.opens_at <= now < window.closes_at


def can_coordinate(viewer: Member | None, window: RequestWindow | None = None) -> bool:
    """Open windows, set needs and allocate: an active coordinator of the window's community."""
    if viewer is None or not viewer.is_coordinator:
        return False
    return window is None or window.community_id == viewer.community_id


def can_request(viewer: Member | None, window: RequestWindow, now: datetime) -> bool:
    return (
        viewer is not None and viewer.is_active and viewer.community_id == window.community_id and is_open(window, now)
    )


def window_slots(window: RequestWindow) -> QuerySet[AllocationSlot]:
    return window.slots.order_by("position", "pk")


def window_requests(window: RequestWindow) -> QuerySet[AllocationRequest]:
    """Everyone who asked, first come first; the need reasons in them are for coordinators' eyes."""
    return window.requests.select_related("member", "need_set_by").order_by("created_at", "pk")


def get_request_or_404(window: RequestWindow, request_id: int) -> AllocationRequest:
    found = window_requests(window).filter(pk=request_id).first()
    if found is None:
        raise Http404("No request with that number in this window.")
    return found


def own_request(viewer: Member, window: RequestWindow) -> AllocationRequest | None:
    return window.requests.filter(member=viewer).first()


def allocated_slots(window: RequestWindow) -> QuerySet[AllocatedSlot]:
    return window.allocated.select_related("slot", "member", "booking").order_by("period", "slot__position", "pk")


def assets_for_windows(viewer: Member) -> QuerySet[Asset]:
    """Assets a coordinator can attach a window to: the community's own."""
    return Asset.objects.filter(community_id=viewer.community_id).order_by("name", "pk")


def windows_it_can_follow(viewer: Member) -> QuerySet[RequestWindow]:
    """Earlier lottery windows not yet followed by another: their losers carry extra weight into the new one."""
    return visible_windows(viewer).filter(method="lottery", next_round__isnull=True).order_by("-closes_at", "pk")
