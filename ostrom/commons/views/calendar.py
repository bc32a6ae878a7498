"""Calendar feeds (iCalendar, RFC 5545) to subscribe to from any calendar app:

- an asset's public feed, at an address with its unguessable token: busy times only, each called "Booked", never
  who booked; maintenance shows as "Closed for maintenance". No login, since calendar apps cannot log in.
- a member's personal feed of their own live bookings and rota shifts, at an address signed with the site's
  secret (see access.personal_feed_token); the page "calendar/" shows the member their link."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from ostrom.communities import access as community_access

from .. import ical
from ..access import assets as access
from ..models import BookingStatus

# How far back and ahead a feed reaches: enough for a calendar app, bounded so a feed stays small.
PAST = timedelta(days=30)
AHEAD = timedelta(days=366)


def _ics(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type=ical.CONTENT_TYPE)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, max-age=300"
    return response


def asset_feed(request: HttpRequest, slug: str, asset_slug: str, token: str) -> HttpResponse:
    """The asset's busy times, for anyone who has the address; a wrong token is a 404."""
    asset = access.asset_for_feed(slug, asset_slug, token)
    now = timezone.now()
    start, end = now - PAST, now + AHEAD
    events = []
    for row in access.busy_bookings(asset, start, end):
        units = row["units"]
        summary = "Booked" if asset.stock <= 1 else f"Booked ({units} of {asset.stock})"
        events.append(
            ical.CalendarEvent(
                uid=ical.uid(f"asset-{asset.pk}-booking", row["booking_id"]),
                start=row["booking__starts_at"],
                end=row["booking__ends_at"],
                summary=summary,
                status="TENTATIVE" if row["booking__status"] == BookingStatus.HELD else "CONFIRMED",
            )
        )
    for period in access.asset_maintenance(asset).filter(starts_at__lt=end, ends_at__gt=start)[:100]:
        events.append(
            ical.CalendarEvent(
                uid=ical.uid("maintenance", period.pk),
                start=period.starts_at,
                end=period.ends_at,
                summary="Closed for maintenance",
            )
        )
    text = ical.calendar(
        f"{asset.name} ({asset.community.name})",
        events,
        now,
        description=f"When {asset.name} is booked. Who booked it is not shown.",
    )
    return _ics(text, f"{asset.slug}.ics")


def personal_feed(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """The member's own bookings and shifts; a token that does not check out is a 404."""
    community = community_access.get_community_or_404(slug)
    member = access.member_from_feed_token(community, token)
    now = timezone.now()
    since = now - PAST
    events = []
    for booking in access.feed_bookings(member, since):
        thing = booking.asset or booking.kit
        location = booking.asset.location if booking.asset else ""
        events.append(
            ical.CalendarEvent(
                uid=ical.uid("booking", booking.pk),
                start=booking.starts_at,
                end=booking.ends_at,
                summary=f"Booked: {thing.name}",
                description=booking.purpose,
                location=location,
                status="TENTATIVE" if booking.status == BookingStatus.HELD else "CONFIRMED",
            )
        )
    for assignment in access.feed_shifts(member, since):
        shift = assignment.shift
        events.append(
            ical.CalendarEvent(
                uid=ical.uid("shift", shift.pk),
                start=shift.starts_at,
                end=shift.ends_at,
                summary=f"Shift: {shift.title} ({shift.team.name})",
            )
        )
    events.sort(key=lambda e: (e.start, e.uid))
    text = ical.calendar(f"{member.display_name}: bookings and shifts ({community.name})", events, now)
    return _ics(text, "my-commons.ics")


@login_required
def calendar_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The member's personal feed address and how to subscribe to it."""
    community, viewer = community_access.community_and_member(request.user, slug)
    feed = reverse("commons-calendar-feed", args=[community.slug, access.personal_feed_token(viewer)])
    context = {
        "community": community,
        "membership": viewer,
        "feed_url": request.build_absolute_uri(feed),
        "webcal_url": request.build_absolute_uri(feed).replace("https://", "webcal://").replace("http://", "webcal://"),
    }
    return render(request, "commons/calendar/page.html", context)


urlpatterns: list[URLPattern] = [
    path("calendar/", calendar_page, name="commons-calendar"),
    path("calendar/<str:token>.ics", personal_feed, name="commons-calendar-feed"),
    path("assets/<slug:asset_slug>/calendar/<str:token>.ics", asset_feed, name="commons-asset-feed"),
]
