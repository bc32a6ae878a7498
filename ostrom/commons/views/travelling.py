"""Travelling services' pages, under /c/<slug>/commons/services/: the list, defining one (coordinators), and a
service's page: its published timetable and why each place has its share (public once published), the member's own
registered need, and for coordinators the places, the needs registered, registering for phone-only residents and
publishing. Thin: load through access, change through actions, render. Every page works without JavaScript."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from ostrom.communities import access as community_access
from ostrom.communities.domain import DomainError
from ostrom.communities.forms import add_domain_error
from ostrom.communities.models import Community, Member

from ..access import travelling as access
from ..actions import travelling as actions
from ..domain import apportionment
from ..forms.travelling import NeedForm, NeedForResidentForm, PlaceForm, ServiceForm

METHOD_IN_WORDS = {
    "sainte_lague": (
        "Sainte-Laguë: visits are given out one at a time, each to the place with the most weighted need per visit "
        "it already has (dividing by 1, 3, 5, …), which treats large and small places even-handedly."
    ),
    "dhondt": (
        "D'Hondt: visits are given out one at a time, each to the place with the most weighted need per visit it "
        "already has (dividing by 1, 2, 3, …), which leans slightly towards larger places."
    ),
    "largest_remainder": (
        "Largest remainder: each place first gets the whole part of its exact share; the visits left over go to "
        "the places with the largest fractions left."
    ),
}


def _viewer(request: HttpRequest, community: Community) -> Member | None:
    member = community_access.get_membership(request.user, community)
    return member if member is not None and member.is_active else None


def service_list(request: HttpRequest, slug: str) -> HttpResponse:
    """Members see all their community's services; anyone else the published ones."""
    community = community_access.get_community_or_404(slug)
    viewer = _viewer(request, community)
    context = {
        "community": community,
        "membership": viewer,
        "services": access.community_services(community, viewer),
        "can_coordinate": access.can_coordinate(viewer),
    }
    return render(request, "commons/travelling/service_list.html", context)


@login_required
def service_new(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_access.get_community_or_404(slug)
    viewer = community_access.require_coordinator(request.user, community)
    form = ServiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service = actions.create_service(viewer, form.service_fields(), form.cleaned_data["places"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{service.name} is set up. Residents can now register their needs.")
            return redirect("commons-service", community.slug, service.slug)
    context = {"community": community, "membership": viewer, "form": form}
    return render(request, "commons/travelling/service_new.html", context, status=400 if form.errors else 200)


def service_detail(request: HttpRequest, slug: str, service_slug: str) -> HttpResponse:
    community = community_access.get_community_or_404(slug)
    viewer = _viewer(request, community)
    service = access.get_service_or_404(community, viewer, service_slug)
    return _render_service(request, community, viewer, service)


def _render_service(request, community, viewer, service, need_form=None, place_form=None, status=200):
    can_coordinate = access.can_coordinate(viewer, service)
    places = access.service_places(service)
    mine = access.own_need(viewer, service)
    if need_form is None and access.can_register(viewer, service):
        initial = {"place": mine.place_id, "tier": mine.tiers[0] if mine.tiers else "standard"} if mine else {}
        need_form = NeedForm(initial=initial, places=service.places.all())
    record = service.certificate or {}
    context = {
        "community": community,
        "membership": viewer,
        "service": service,
        "places": places,
        "mine": mine,
        "mine_tier": apportionment.NEED_TIER_REASONS.get(mine.tiers[0], "") if mine and mine.tiers else "",
        "need_form": need_form,
        "can_coordinate": can_coordinate,
        "place_form": place_form or (PlaceForm() if can_coordinate else None),
        "method_in_words": METHOD_IN_WORDS[service.method],
        "shares": record.get("places", []),
        "changes": record.get("changes", []),
        "certificate": record.get("certificate"),
        "properties": [
            (n.replace("_", " "), h) for n, h in sorted(record.get("certificate", {}).get("properties", {}).items())
        ],
        "visits": list(access.schedule_of(service)) if service.published_at else [],
        "tiers": [
            (tier, points, apportionment.NEED_TIER_REASONS[tier]) for tier, points in apportionment.NEED_TIERS.items()
        ],
    }
    return render(request, "commons/travelling/service_detail.html", context, status=status)


@login_required
@require_POST
def service_need(request: HttpRequest, slug: str, service_slug: str) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    service = access.get_service_or_404(community, viewer, service_slug)
    form = NeedForm(request.POST, places=service.places.all())
    if not form.is_valid():
        return _render_service(request, community, viewer, service, need_form=form, status=400)
    data = form.cleaned_data
    try:
        actions.register_need(viewer, data["place"], data["tier"], data["reason"])
    except DomainError as error:
        add_domain_error(form, error)
        return _render_service(request, community, viewer, service, need_form=form, status=400)
    messages.success(request, f"Your need at {data['place'].name} is registered. You will get the visit dates.")
    return redirect("commons-service", community.slug, service.slug)


@login_required
@require_POST
def service_withdraw(request: HttpRequest, slug: str, service_slug: str) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    service = access.get_service_or_404(community, viewer, service_slug)
    withdrawn = actions.withdraw_need(viewer, service)
    messages.success(request, "Your need is withdrawn." if withdrawn else "You had no need registered here.")
    return redirect("commons-service", community.slug, service.slug)


@login_required
def service_need_for(request: HttpRequest, slug: str, service_slug: str) -> HttpResponse:
    """A coordinator registers a need for a resident who only uses the phone (audited)."""
    community = community_access.get_community_or_404(slug)
    viewer = community_access.require_coordinator(request.user, community)
    service = access.get_service_or_404(community, viewer, service_slug)
    form = NeedForResidentForm(request.POST or None, places=service.places.all(), residents=access.residents(viewer))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.register_need(viewer, data["place"], data["tier"], data["reason"], member=data["member"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{data['member'].display_name}'s need at {data['place'].name} is registered.")
            return redirect("commons-service", community.slug, service.slug)
    context = {"community": community, "membership": viewer, "service": service, "form": form}
    return render(request, "commons/travelling/service_need_for.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def service_place(request: HttpRequest, slug: str, service_slug: str) -> HttpResponse:
    community = community_access.get_community_or_404(slug)
    viewer = community_access.require_coordinator(request.user, community)
    service = access.get_service_or_404(community, viewer, service_slug)
    form = PlaceForm(request.POST)
    if form.is_valid():
        try:
            place = actions.add_place(viewer, service, form.cleaned_data["name"], form.cleaned_data["stop"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{place.name} is one of the places now.")
            return redirect("commons-service", community.slug, service.slug)
    return _render_service(request, community, viewer, service, place_form=form, status=400)


@login_required
@require_POST
def service_publish(request: HttpRequest, slug: str, service_slug: str) -> HttpResponse:
    community = community_access.get_community_or_404(slug)
    viewer = community_access.require_coordinator(request.user, community)
    service = access.get_service_or_404(community, viewer, service_slug)
    try:
        published = actions.publish(viewer, service)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        told = f"{published.told} resident{'s' if published.told != 1 else ''} have been sent their visit dates."
        changed = " ".join(published.changes)
        messages.success(request, f"The timetable is published. {told} {changed}".strip())
    return redirect("commons-service", community.slug, service.slug)


urlpatterns: list[URLPattern] = [
    path("services/", service_list, name="commons-services"),
    path("services/new/", service_new, name="commons-service-new"),
    path("services/<slug:service_slug>/", service_detail, name="commons-service"),
    path("services/<slug:service_slug>/need/", service_need, name="commons-service-need"),
    path("services/<slug:service_slug>/withdraw/", service_withdraw, name="commons-service-withdraw"),
    path("services/<slug:service_slug>/need-for/", service_need_for, name="commons-service-need-for"),
    path("services/<slug:service_slug>/places/", service_place, name="commons-service-place"),
    path("services/<slug:service_slug>/publish/", service_publish, name="commons-service-publish"),
]
