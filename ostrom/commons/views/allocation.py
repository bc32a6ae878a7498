"""Request windows' pages, under /c/<slug>/commons/windows/: the list, opening one (coordinators), a window with
the request form while open and the result once allocated (who got what, why, the certificate, and a check anyone
can run), setting a need weight, the certificate download and the re-run check. Thin: load through access, change
through actions, render. Every page works without JavaScript (plain forms, POST then redirect)."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

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

from ..access import allocation as access
from ..actions import allocation as actions
from ..domain import lottery
from ..forms.allocation import NeedForm, RequestForm, WindowForm
from ..models import AllocationMethod, WindowStatus

LIST_SIZE = 100

METHOD_IN_WORDS = {
    AllocationMethod.ROTATION: (
        "Rotation, as the fishers of Alanya share their fishing sites: lots decide where each person starts, then "
        "everyone moves one place along each period, so everyone gets the good slots equally often."
    ),
    AllocationMethod.LOTTERY: (
        "A lottery weighted by need: names are drawn one at a time, each with a chance in proportion to their "
        "weight. Greater need means better odds, never a certain place; those who lost the last draw weigh more."
    ),
    AllocationMethod.FAIR_ASSIGNMENT: (
        "Fair assignment: members rank the slots; the slots are shared so that nobody would rather have someone "
        "else's slots once one slot is set aside (envy-free up to one slot), giving as many people as possible "
        "what they ranked highest."
    ),
}


@login_required
def window_list(request: HttpRequest, slug: str) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    windows = list(access.visible_windows(viewer)[:LIST_SIZE])
    now = timezone.now()
    context = {
        "community": community,
        "membership": viewer,
        "open_windows": [w for w in windows if access.is_open(w, now)],
        "other_windows": [w for w in windows if not access.is_open(w, now)],
        "can_coordinate": access.can_coordinate(viewer),
    }
    return render(request, "commons/allocation/window_list.html", context)


@login_required
def window_new(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_access.get_community_or_404(slug)
    viewer = community_access.require_coordinator(request.user, community)
    form = WindowForm(
        request.POST or None,
        assets=access.assets_for_windows(viewer),
        earlier=access.windows_it_can_follow(viewer),
        zone=ZoneInfo(community.time_zone),
    )
    if request.method == "POST" and form.is_valid():
        try:
            window = actions.open_window(viewer, form.window_fields())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{window.title} is open for requests.")
            return redirect("commons-window", community.slug, window.pk)
    context = {"community": community, "membership": viewer, "form": form}
    return render(request, "commons/allocation/window_new.html", context, status=400 if form.errors else 200)


@login_required
def window_detail(request: HttpRequest, slug: str, window_id: int) -> HttpResponse:
    """While open: the slots and the request form. Once allocated: the result, for every member."""
    community, viewer = community_access.community_and_member(request.user, slug)
    window = access.get_window_or_404(viewer, window_id)
    return _render_window(request, community, viewer, window)


def _render_window(request, community, viewer, window, request_form=None, status=200) -> HttpResponse:
    now = timezone.now()
    slots = list(access.window_slots(window))
    mine = access.own_request(viewer, window)
    can_coordinate = access.can_coordinate(viewer, window)
    fair = window.method == AllocationMethod.FAIR_ASSIGNMENT
    if request_form is None and fair and access.can_request(viewer, window, now):
        initial = {"slots_wanted": mine.slots_wanted if mine else 1}
        if mine:
            ranked = sorted(mine.scores.all(), key=lambda s: (-s.score, s.slot_id))
            initial |= {f"rank_{score.slot_id}": str(place) for place, score in enumerate(ranked, start=1)}
        request_form = RequestForm(initial=initial, slots=slots)
    requests = list(access.window_requests(window))
    context = {
        "community": community,
        "membership": viewer,
        "window": window,
        "slots": slots,
        "mine": mine,
        "mine_tiers": actions.tier_words(mine.need_tiers) if mine else "",
        "is_open": access.is_open(window, now),
        "can_request": access.can_request(viewer, window, now),
        "fair": fair,
        "request_form": request_form,
        "method_in_words": METHOD_IN_WORDS[window.method],
        "can_coordinate": can_coordinate,
        "request_count": len(requests),
        "requests": _request_rows(requests) if can_coordinate else None,
        "can_allocate": can_coordinate and window.status == WindowStatus.OPEN and now >= window.closes_at,
        "result": _result_rows(window, requests, can_coordinate) if window.status == WindowStatus.ALLOCATED else None,
        "default_points": lottery.DEFAULT_POINTS,
        "my_result": (window.result or {}).get("people", {}).get(str(viewer.pk)),
    }
    return render(request, "commons/allocation/window_detail.html", context, status=status)


def _request_rows(requests) -> list[dict]:
    return [
        {"request": r, "tiers": actions.tier_words(r.need_tiers), "weight": r.need_points, "reason": r.need_reason}
        for r in requests
    ]


def _result_rows(window, requests, can_coordinate: bool) -> dict:
    """Who got what, by name, with each person's weight, tiers and chance; reasons only for coordinators."""
    people = window.result.get("people", {})
    by_member = {r.member_id: r for r in requests}
    rows = []
    for member_id, person in people.items():
        request = by_member.get(int(member_id))
        rows.append(
            {
                "name": request.member.display_name if request else "A former member",
                "slots": person.get("slots", []),
                "weight": person.get("weight"),
                "tiers": actions.tier_words(person.get("tiers", [])),
                "chance": _percent(person.get("chance_permille")),
                "position": person.get("position"),
                "turns": person.get("turns"),
                "reason": request.need_reason if request and can_coordinate else "",
            }
        )
    rows.sort(key=lambda row: (row["position"] is None, row["position"] or 0, row["name"]))
    return {
        "summary": window.result.get("summary", ""),
        "rows": rows,
        "allocated": list(access.allocated_slots(window)) if window.method != AllocationMethod.ROTATION else None,
        "schedule": _rotation_schedule(window) if window.method == AllocationMethod.ROTATION else None,
        "unbooked": window.result.get("unbooked", []),
        "certificate": window.certificate,
        "properties": property_words((window.certificate or {}).get("properties", {})),
    }


SCHEDULE_PERIODS_SHOWN = 60


def _rotation_schedule(window) -> dict:
    """The first periods of a rotation as a table: one row a period, one column a slot, names in the cells."""
    slots = list(access.window_slots(window))
    column = {slot.pk: index for index, slot in enumerate(slots)}
    rows = [[""] * len(slots) for _ in range(min(window.periods, SCHEDULE_PERIODS_SHOWN))]
    for held in access.allocated_slots(window).filter(period__lt=SCHEDULE_PERIODS_SHOWN):
        rows[held.period][column[held.slot_id]] = held.member.display_name
    return {"slots": slots, "rows": list(enumerate(rows, start=1)), "more": max(window.periods - len(rows), 0)}


def _percent(permille) -> str:
    if permille is None:
        return ""
    return f"{permille // 10}.{permille % 10}%"


@login_required
@require_POST
def window_request(request: HttpRequest, slug: str, window_id: int) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    window = access.get_window_or_404(viewer, window_id)
    kwargs = {}
    if window.method == AllocationMethod.FAIR_ASSIGNMENT:
        form = RequestForm(request.POST, slots=access.window_slots(window))
        if not form.is_valid():
            return _render_window(request, community, viewer, window, request_form=form, status=400)
        kwargs = {"slots_wanted": form.cleaned_data["slots_wanted"], "ranking": form.cleaned_data["ranking"]}
    try:
        actions.request_slots(viewer, window, **kwargs)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Your request for {window.title} is in. You will be told the result.")
    return redirect("commons-window", community.slug, window.pk)


@login_required
@require_POST
def window_withdraw(request: HttpRequest, slug: str, window_id: int) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    window = access.get_window_or_404(viewer, window_id)
    try:
        withdrawn = actions.withdraw(viewer, window)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Your request is withdrawn." if withdrawn else "You had no request to withdraw.")
    return redirect("commons-window", community.slug, window.pk)


@login_required
def window_need(request: HttpRequest, slug: str, window_id: int, request_id: int) -> HttpResponse:
    """A coordinator sets someone's need weight: tiers or points, and always a reason."""
    community = community_access.get_community_or_404(slug)
    viewer = community_access.require_coordinator(request.user, community)
    window = access.get_window_or_404(viewer, window_id)
    asked = access.get_request_or_404(window, request_id)
    initial = {"tiers": asked.need_tiers, "reason": asked.need_reason}
    form = NeedForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.set_need(viewer, asked, data["reason"], tiers=data["tiers"], points=data["points"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{asked.member.display_name}'s need weight is set and recorded.")
            return redirect("commons-window", community.slug, window.pk)
    context = {"community": community, "membership": viewer, "window": window, "asked": asked, "form": form}
    return render(request, "commons/allocation/window_need.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def window_allocate(request: HttpRequest, slug: str, window_id: int) -> HttpResponse:
    community = community_access.get_community_or_404(slug)
    viewer = community_access.require_coordinator(request.user, community)
    window = access.get_window_or_404(viewer, window_id)
    try:
        actions.allocate(window, viewer)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "The allocation has run. Everyone who asked has been told.")
    return redirect("commons-window", community.slug, window.pk)


@login_required
@require_POST
def window_cancel(request: HttpRequest, slug: str, window_id: int) -> HttpResponse:
    community = community_access.get_community_or_404(slug)
    viewer = community_access.require_coordinator(request.user, community)
    window = access.get_window_or_404(viewer, window_id)
    try:
        actions.cancel_window(viewer, window)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{window.title} is cancelled.")
    return redirect("commons-window", community.slug, window.pk)


@login_required
def window_certificate(request: HttpRequest, slug: str, window_id: int) -> HttpResponse:
    """The certificate with its inputs and result, as a JSON file anyone in the community can download."""
    _community, viewer = community_access.community_and_member(request.user, slug)
    window = access.get_window_or_404(viewer, window_id)
    try:
        published = actions.published_certificate(window)
    except DomainError:
        raise Http404("This window has not been allocated yet.") from None
    response = HttpResponse(json.dumps(published, indent=2, sort_keys=True), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="allocation-{window.pk}-certificate.json"'
    return response


@login_required
def window_verify(request: HttpRequest, slug: str, window_id: int) -> HttpResponse:
    """Re-run the allocation from its certificate and say whether the same result comes out."""
    community, viewer = community_access.community_and_member(request.user, slug)
    window = access.get_window_or_404(viewer, window_id)
    try:
        verification = actions.verify(window)
    except DomainError:
        raise Http404("This window has not been allocated yet.") from None
    context = {
        "community": community,
        "membership": viewer,
        "window": window,
        "verification": verification,
        "properties": property_words(verification.properties),
    }
    return render(request, "commons/allocation/window_verify.html", context)


def property_words(properties) -> list[tuple[str, bool]]:
    """Fairness properties as people read them: "ef1" -> "envy-free up to one slot", others with spaces."""
    named = {"ef1": "envy-free up to one slot", "weighted_ef1": "envy-free up to one slot, weighted by need"}
    return [(named.get(name, name.replace("_", " ")), holds) for name, holds in sorted(properties.items())]


urlpatterns: list[URLPattern] = [
    path("windows/", window_list, name="commons-windows"),
    path("windows/new/", window_new, name="commons-window-new"),
    path("windows/<int:window_id>/", window_detail, name="commons-window"),
    path("windows/<int:window_id>/request/", window_request, name="commons-window-request"),
    path("windows/<int:window_id>/withdraw/", window_withdraw, name="commons-window-withdraw"),
    path("windows/<int:window_id>/requests/<int:request_id>/need/", window_need, name="commons-window-need"),
    path("windows/<int:window_id>/allocate/", window_allocate, name="commons-window-allocate"),
    path("windows/<int:window_id>/cancel/", window_cancel, name="commons-window-cancel"),
    path("windows/<int:window_id>/certificate.json", window_certificate, name="commons-window-certificate"),
    path("windows/<int:window_id>/verify/", window_verify, name="commons-window-verify"),
]
