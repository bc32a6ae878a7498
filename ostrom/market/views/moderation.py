"""Moderation pages: report an ad or a message, block someone and see whom you blocked, and the coordinators'
queue (open reports, with the poster's recent history, to hide or dismiss; hidden ads, to show again).

Thin: load through market.access, change through market.actions, render. Plain forms with POST/redirect/GET, so
everything works with JavaScript off."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from ostrom.communities import access as community_access
from ostrom.communities.domain import DomainError
from ostrom.communities.forms import add_domain_error
from ostrom.communities.models import Community, Member

from ..access import listings as listing_access
from ..access import moderation as access
from ..actions import moderation as actions
from ..forms.moderation import DismissForm, HideForm, ReportForm, UnhideForm
from ..models import Report

# The queue shows the oldest open reports first; a community with more open than this works through them in turn.
QUEUE_SIZE = 50
HIDDEN_LIST_SIZE = 50


def _coordinator(request: HttpRequest, slug: str) -> tuple[Community, Member]:
    community, viewer = community_access.community_and_member(request.user, slug)
    access.require_moderator(viewer)
    return community, viewer


# --- Reporting -----------------------------------------------------------------------------------------------------


@login_required
def report_listing(request: HttpRequest, slug: str, listing_id: int) -> HttpResponse:
    """GET: the report form for an ad (or, once reported, a thank-you). POST: file the report."""
    community, viewer = community_access.community_and_member(request.user, slug)
    listing = listing_access.get_listing_or_404(viewer, listing_id)
    filed = access.my_open_report(viewer, listing=listing)
    form = ReportForm(_filing(request))
    if form.is_bound and filed is None and form.is_valid():
        try:
            actions.report_listing(viewer, listing, form.cleaned_data["reason"], form.cleaned_data["note"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Thank you. The coordinators will look at your report.")
            return redirect("market_report_listing", community.slug, listing.pk)
    context = {
        "community": community, "membership": viewer, "form": form, "filed": filed, "listing": listing,
        "reportable": access.can_report_listing(viewer, listing), "poster": listing.member,
        "can_block": access.can_block(viewer, listing.member),
    }  # fmt: skip
    return render(request, "market/moderation_report.html", context, status=400 if form.errors else 200)


@login_required
def report_message(request: HttpRequest, slug: str, message_id: int) -> HttpResponse:
    """GET: the report form for a message in one of the viewer's exchanges. POST: file the report."""
    community, viewer = community_access.community_and_member(request.user, slug)
    message = access.get_message_or_404(viewer, message_id)
    filed = access.my_open_report(viewer, message=message)
    form = ReportForm(_filing(request))
    if form.is_bound and filed is None and form.is_valid():
        try:
            actions.report_message(viewer, message, form.cleaned_data["reason"], form.cleaned_data["note"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Thank you. The coordinators will look at your report.")
            return redirect("market_report_message", community.slug, message.pk)
    poster = message.author
    context = {
        "community": community, "membership": viewer, "form": form, "filed": filed, "message": message,
        "reportable": poster is not None and poster.pk != viewer.pk, "poster": poster,
        "can_block": poster is not None and access.can_block(viewer, poster),
    }  # fmt: skip
    return render(request, "market/moderation_report.html", context, status=400 if form.errors else 200)


def _filing(request: HttpRequest):
    """The report form's data when it was sent from the report form itself; None (an empty form) for a GET or for
    a "Report this" button elsewhere that posts here with nothing else (the exchange thread has one)."""
    return request.POST if request.method == "POST" and "filing" in request.POST else None


# --- Blocks --------------------------------------------------------------------------------------------------------


@login_required
def block(request: HttpRequest, slug: str, member_id: int) -> HttpResponse:
    """GET: what blocking does, and a button. POST: block, then the list of people blocked."""
    community, viewer = community_access.community_and_member(request.user, slug)
    other = access.get_member_to_block_or_404(viewer, member_id)
    if request.method == "POST":
        try:
            _, created = actions.block_member(viewer, other)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            if created:
                messages.success(request, f"You blocked {other.display_name}. You can unblock them here.")
            else:
                messages.info(request, f"You had already blocked {other.display_name}.")
        return redirect("market_blocks", community.slug)
    context = {"community": community, "membership": viewer, "other": other, "own": other.pk == viewer.pk}
    return render(request, "market/moderation_block.html", context)


@login_required
@require_POST
def unblock(request: HttpRequest, slug: str, member_id: int) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    other = access.get_member_to_block_or_404(viewer, member_id)
    if actions.unblock_member(viewer, other):
        messages.success(request, f"You unblocked {other.display_name}.")
    return redirect("market_blocks", community.slug)


@login_required
def blocks(request: HttpRequest, slug: str) -> HttpResponse:
    """The people the viewer blocked, each with an unblock button."""
    community, viewer = community_access.community_and_member(request.user, slug)
    context = {"community": community, "membership": viewer, "blocks": list(access.my_blocks(viewer))}
    return render(request, "market/moderation_blocks.html", context)


# --- Coordinators --------------------------------------------------------------------------------------------------


@login_required
def queue(request: HttpRequest, slug: str) -> HttpResponse:
    """Open reports, oldest first, one entry per reported thing (with every report of it and its poster's recent
    history) to hide or dismiss; then the hidden ads, to show again."""
    community, viewer = _coordinator(request, slug)
    open_reports = access.open_reports(viewer)
    grouped: dict[tuple[int | None, int | None], list[Report]] = {}
    for report in open_reports[:QUEUE_SIZE]:
        grouped.setdefault((report.listing_id, report.message_id), []).append(report)
    patterns = access.patterns(viewer, {reports[0].about_id for reports in grouped.values()})
    groups = [
        {
            "report": reports[0],
            "reports": reports,
            "pattern": patterns[reports[0].about_id],
            "hide_form": HideForm(auto_id=f"hide-{reports[0].pk}-%s"),
            "dismiss_form": DismissForm(auto_id=f"dismiss-{reports[0].pk}-%s"),
        }
        for reports in grouped.values()
    ]
    hidden = list(access.hidden_listings(viewer)[:HIDDEN_LIST_SIZE])
    for listing in hidden:
        listing.unhide_form = UnhideForm(auto_id=f"unhide-{listing.pk}-%s")
    context = {
        "community": community, "membership": viewer, "groups": groups, "open_count": open_reports.count(),
        "hidden": hidden,
    }  # fmt: skip
    return render(request, "market/moderation_queue.html", context)


@login_required
def decide(request: HttpRequest, slug: str, report_id: int) -> HttpResponse:
    """One report in full with the poster's history. POST ``decision=hide`` (with a reason) or ``dismiss``."""
    community, viewer = _coordinator(request, slug)
    report = access.get_report_or_404(viewer, report_id)
    decision = request.POST.get("decision") if request.method == "POST" else None
    hide_form = HideForm(request.POST if decision == "hide" else None)
    dismiss_form = DismissForm(request.POST if decision == "dismiss" else None)
    form = hide_form if decision == "hide" else dismiss_form if decision == "dismiss" else None
    if form is not None and form.is_valid():
        words = form.cleaned_data.get("reason", form.cleaned_data.get("outcome", ""))
        try:
            actions.resolve_report(viewer, report, decision, words)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            done = "Hidden. The person who posted it has been told why." if decision == "hide" else "Report dismissed."
            messages.success(request, done)
            return redirect("market_moderation", community.slug)
    elif request.method == "POST" and form is None:
        messages.error(request, "Choose to hide it or to dismiss the report.")
    context = {
        "community": community, "membership": viewer, "report": report,
        "pattern": access.patterns(viewer, {report.about_id})[report.about_id],
        "others": access.reports(viewer).filter(**_same_target(report)).exclude(pk=report.pk).order_by("created_at"),
        "hide_form": hide_form, "dismiss_form": dismiss_form,
    }  # fmt: skip
    failed = form is not None and form.errors
    return render(request, "market/moderation_decide.html", context, status=400 if failed else 200)


def _same_target(report: Report) -> dict[str, int | None]:
    return {"listing_id": report.listing_id} if report.listing_id else {"message_id": report.message_id}


@login_required
def hide_listing(request: HttpRequest, slug: str, listing_id: int) -> HttpResponse:
    """Hide an ad without waiting for a report (a coordinator saw it themselves)."""
    community, viewer = _coordinator(request, slug)
    listing = access.get_listing_to_moderate_or_404(viewer, listing_id)
    form = HideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.hide_listing(viewer, listing, form.cleaned_data["reason"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"“{listing.title}” is hidden. {listing.member.display_name} has been told why.")
            return redirect("market_moderation", community.slug)
    context = {"community": community, "membership": viewer, "form": form, "listing": listing}
    return render(request, "market/moderation_hide.html", context, status=400 if form.errors else 200)


@login_required
def hide_message(request: HttpRequest, slug: str, message_id: int) -> HttpResponse:
    """Hide a message from its thread (for a coordinator resolving a dispute, say)."""
    community, viewer = _coordinator(request, slug)
    message = access.get_message_to_moderate_or_404(viewer, message_id)
    form = HideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.hide_message(viewer, message, form.cleaned_data["reason"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "The message is hidden. Its author has been told why.")
            return redirect("market_moderation", community.slug)
    context = {"community": community, "membership": viewer, "form": form, "message": message}
    return render(request, "market/moderation_hide.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def unhide_listing(request: HttpRequest, slug: str, listing_id: int) -> HttpResponse:
    community, viewer = _coordinator(request, slug)
    listing = access.get_listing_to_moderate_or_404(viewer, listing_id)
    form = UnhideForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Not shown again: {form.errors['reason'][0]}")
        return redirect("market_moderation", community.slug)
    try:
        actions.unhide_listing(viewer, listing, form.cleaned_data["reason"])
    except DomainError as error:
        messages.error(request, f"Not shown again: {error.message}")
    else:
        messages.success(request, f"“{listing.title}” is shown again. {listing.member.display_name} has been told.")
    return redirect("market_moderation", community.slug)


urlpatterns = [
    path("listings/<int:listing_id>/report/", report_listing, name="market_report_listing"),
    path("messages/<int:message_id>/report/", report_message, name="market_report_message"),
    path("members/<int:member_id>/block/", block, name="market_block"),
    path("members/<int:member_id>/unblock/", unblock, name="market_unblock"),
    path("blocked/", blocks, name="market_blocks"),
    path("moderation/", queue, name="market_moderation"),
    path("moderation/reports/<int:report_id>/", decide, name="market_moderation_report"),
    path("moderation/listings/<int:listing_id>/hide/", hide_listing, name="market_listing_hide"),
    path("moderation/listings/<int:listing_id>/unhide/", unhide_listing, name="market_listing_unhide"),
    path("moderation/messages/<int:message_id>/hide/", hide_message, name="market_message_hide"),
]
