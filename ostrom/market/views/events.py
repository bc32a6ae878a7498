"""Events pages, under /c/<slug>/market/events/: what is coming up, an event with its RSVP button, putting one on,
and the host's page (who is going, the waiting list, places, cancelling, the register). Thin: load through access,
change through actions, render. Every page works without JavaScript (plain forms, POST then redirect)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_POST

from ostrom.communities import access as community_access
from ostrom.communities.domain import DomainError
from ostrom.communities.forms import add_domain_error
from ostrom.communities.models import Member

from ..access import events as access
from ..actions import events as actions
from ..forms.events import AttendanceForm, CancelEventForm, CapacityForm, EventForm
from ..models import EventStatus, RsvpStatus

LIST_SIZE = 100


@login_required
def event_list(request: HttpRequest, slug: str) -> HttpResponse:
    """Events coming up, soonest first, with the viewer's answer to each."""
    community, viewer = community_access.community_and_member(request.user, slug)
    events = list(access.upcoming_events(viewer, timezone.now())[:LIST_SIZE])
    answers = dict(
        viewer.rsvps.filter(event__in=events).exclude(status=RsvpStatus.CANCELLED).values_list("event_id", "status")
    )
    rows = [(event, answers.get(event.pk)) for event in events]
    context = {"community": community, "membership": viewer, "rows": rows}
    return render(request, "market/event_list.html", context)


@login_required
def event_new(request: HttpRequest, slug: str) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    form = EventForm(request.POST or None, organisations=access.organisations_to_host_for(viewer))
    if request.method == "POST" and form.is_valid():
        try:
            event = actions.create_event(viewer, form.event_fields(), form.cleaned_data.get("organisation"))
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{event.title} is on. People can text RSVP {event.rsvp_code} to come.")
            return redirect("market_event", community.slug, event.pk)
    context = {"community": community, "membership": viewer, "form": form}
    return render(request, "market/event_new.html", context, status=400 if form.errors else 200)


@login_required
def event_detail(request: HttpRequest, slug: str, event_id: int) -> HttpResponse:
    """The event, the viewer's answer and the button to change it; for the host, who is coming and what to do."""
    community, viewer = community_access.community_and_member(request.user, slug)
    event = access.get_event_or_404(viewer, event_id)
    can_manage = access.can_manage_event(viewer, event)
    now = timezone.now()
    context = {
        "community": community,
        "membership": viewer,
        "event": event,
        "mine": access.own_rsvp(viewer, event),
        "can_manage": can_manage,
        "answers_open": event.status == EventStatus.SCHEDULED and event.starts_at > now,
        "register_open": event.status == EventStatus.SCHEDULED and event.starts_at <= now,
        "rsvps": access.event_rsvps(event) if can_manage else None,
        "capacity_form": CapacityForm(initial={"capacity": event.capacity}) if can_manage else None,
    }
    return render(request, "market/event_detail.html", context)


@login_required
@require_POST
def event_rsvp(request: HttpRequest, slug: str, event_id: int) -> HttpResponse:
    """Going (or on the waiting list when full), or not going after all: ``going`` is yes or no."""
    community, viewer = community_access.community_and_member(request.user, slug)
    event = access.get_event_or_404(viewer, event_id)
    going = request.POST.get("going") != "no"
    try:
        answered = actions.rsvp(viewer, event, going=going)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _answer_text(answered))
    return redirect("market_event", community.slug, event.pk)


def _answer_text(answered: actions.Answered) -> str:
    title, mine = answered.event.title, answered.rsvp
    if mine is None or mine.status == RsvpStatus.CANCELLED:
        return f"You are not going to {title}." + (
            " Your place has gone to someone waiting." if answered.promoted else ""
        )
    if mine.status == RsvpStatus.WAITLISTED:
        return f"{title} is full, so you are on the waiting list. We will tell you if a place comes free."
    return f"You are going to {title}."


@login_required
@require_POST
def event_capacity(request: HttpRequest, slug: str, event_id: int) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    event = _managed_event(viewer, event_id)
    form = CapacityForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["capacity"]))
        return redirect("market_event", community.slug, event.pk)
    try:
        changed = actions.change_capacity(viewer, event, form.cleaned_data["capacity"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        places = "no limit on places" if changed.capacity is None else f"{changed.capacity} places"
        messages.success(request, f"{changed.title} now has {places}.")
    return redirect("market_event", community.slug, event.pk)


@login_required
def event_cancel(request: HttpRequest, slug: str, event_id: int) -> HttpResponse:
    """Ask for a reason, then cancel; everyone going or waiting is told."""
    community, viewer = community_access.community_and_member(request.user, slug)
    event = _managed_event(viewer, event_id)
    form = CancelEventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.cancel_event(viewer, event, form.cleaned_data["reason"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{event.title} is cancelled. Everyone who answered has been told.")
            return redirect("market_event", community.slug, event.pk)
    context = {"community": community, "membership": viewer, "event": event, "form": form}
    return render(request, "market/event_cancel.html", context, status=400 if form.errors else 200)


@login_required
def event_register(request: HttpRequest, slug: str, event_id: int) -> HttpResponse:
    """The host's register: tick members who came, add walk-ins by name, take off a mistake."""
    community, viewer = community_access.community_and_member(request.user, slug)
    event = _managed_event(viewer, event_id)
    members = access.attendance_candidates(event)
    form = AttendanceForm(request.POST or None, members=members)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            marked = actions.mark_present(viewer, event, data["member"], data["walk_in_name"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{marked} is on the register.")
            return redirect("market_event_register", community.slug, event.pk)
    present = list(access.event_attendance(event))
    marked_ids = {row.member_id for row in present if row.member_id}
    expected = [rsvp for rsvp in access.event_rsvps(event) if rsvp.status == RsvpStatus.GOING]
    context = {
        "community": community,
        "membership": viewer,
        "event": event,
        "form": form,
        "present": present,
        "expected": [rsvp for rsvp in expected if rsvp.member_id not in marked_ids],
        "register_open": event.status == EventStatus.SCHEDULED and event.starts_at <= timezone.now(),
    }
    return render(request, "market/event_register.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def event_mark(request: HttpRequest, slug: str, event_id: int, member_id: int) -> HttpResponse:
    """One press for someone who said they were going: they are on the register."""
    community, viewer = community_access.community_and_member(request.user, slug)
    event = _managed_event(viewer, event_id)
    member = access.attendance_candidates(event).filter(pk=member_id).first()
    if member is None:
        raise Http404("No member with that number here.")
    try:
        actions.mark_present(viewer, event, member)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{member.display_name} is on the register.")
    return redirect("market_event_register", community.slug, event.pk)


@login_required
@require_POST
def event_unmark(request: HttpRequest, slug: str, event_id: int, attendance_id: int) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    event = _managed_event(viewer, event_id)
    attendance = access.event_attendance(event).filter(pk=attendance_id).first()
    if attendance is None:
        raise Http404("No one with that number is on this register.")
    try:
        actions.unmark(viewer, attendance)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{attendance} is off the register.")
    return redirect("market_event_register", community.slug, event.pk)


def _managed_event(viewer: Member, event_id: int):
    """An event the viewer hosts (or coordinates): others get a 404, as if it were not there to manage."""
    event = access.get_event_or_404(viewer, event_id)
    if not access.can_manage_event(viewer, event):
        raise Http404("No event of yours with that number here.")
    return event


urlpatterns: list[URLPattern] = [
    path("events/", event_list, name="market_events"),
    path("events/new/", event_new, name="market_event_new"),
    path("events/<int:event_id>/", event_detail, name="market_event"),
    path("events/<int:event_id>/rsvp/", event_rsvp, name="market_event_rsvp"),
    path("events/<int:event_id>/capacity/", event_capacity, name="market_event_capacity"),
    path("events/<int:event_id>/cancel/", event_cancel, name="market_event_cancel"),
    path("events/<int:event_id>/register/", event_register, name="market_event_register"),
    path("events/<int:event_id>/register/members/<int:member_id>/", event_mark, name="market_event_mark"),
    path("events/<int:event_id>/register/<int:attendance_id>/remove/", event_unmark, name="market_event_unmark"),
]
