"""Marketplace pages for offers and requests: my ads (with publish, pause, resume, renew and close), posting and
editing, an ad's own page, its photo, coordinators posting on a resident's behalf and editing the categories,
and the printable directory.

Thin: load through market.access, change through market.actions, render. Every page works without JavaScript:
plain forms, POST then redirect."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ostrom.communities import access as community_access
from ostrom.communities.domain import Availability, DomainError
from ostrom.communities.forms import add_domain_error
from ostrom.communities.models import Community, Member
from ostrom.ledger.domain.amounts import format_amount

from .. import directory
from ..access import listings as access
from ..actions import categories as category_actions
from ..actions import listings as actions
from ..domain import listings as rules
from ..domain.listings import PHOTO_FORMATS
from ..forms.listings import (
    CategoryEditForm,
    CategoryForm,
    DirectoryForm,
    ListingForm,
    OnBehalfListingForm,
    StatusForm,
)
from ..models import Category, Listing, ListingStatus

# The most ads "my ads" lists; someone with more is a partner, who finds older ones through search.
MY_LISTINGS_SHOWN = 200
CONTENT_TYPES = dict(PHOTO_FORMATS.values())
STATUS_MESSAGES = {
    "publish": "is published",
    "pause": "is paused: nobody sees it until you resume it",
    "resume": "shows again",
    "renew": "is renewed",
    "close": "is closed",
}


def _coordinator(request: HttpRequest, slug: str) -> tuple[Community, Member]:
    community = community_access.get_community_or_404(slug)
    return community, community_access.require_coordinator(request.user, community)


def describe(listing: Listing) -> Listing:
    """Add what the templates show: the poster's name as others see it, the price in words, the category path."""
    listing.poster_name = listing.organisation.name if listing.organisation_id else listing.member.display_name
    currency = listing.price_currency
    listing.price_text = (
        format_amount(listing.price_amount, currency.kind, currency.scale, currency.symbol)
        if currency and listing.price_amount
        else ""
    )
    category = listing.category
    listing.category_path = f"{category.parent.name} › {category.name}" if category.parent_id else category.name
    listing.kind_word = actions.kind_word(listing.kind)
    labels = dict(Availability.choices)
    listing.availability_text = ", ".join(str(labels[v]) for v in listing.availability if v in labels)
    listing.duration_text = format_amount(listing.estimated_minutes, "time") if listing.estimated_minutes else ""
    return listing


def _day(moment: datetime | None) -> str:
    """ "3 June 2026" in the community's time zone (the middleware activated it)."""
    return date_format(timezone.localtime(moment), "j F Y") if moment else ""


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(fallback)


# --- My ads -------------------------------------------------------------------------------------------------------


@login_required
def my_listings(request: HttpRequest, slug: str) -> HttpResponse:
    """The viewer's ads (and their organisation's) in every state, with what they can do to each."""
    community, viewer = community_access.community_and_member(request.user, slug)
    rows = [describe(listing) for listing in access.own_listings(viewer)[:MY_LISTINGS_SHOWN]]
    groups = [
        ("Showing", [r for r in rows if r.status == ListingStatus.ACTIVE]),
        ("Drafts", [r for r in rows if r.status == ListingStatus.DRAFT]),
        ("Paused", [r for r in rows if r.status == ListingStatus.PAUSED]),
        ("Expired", [r for r in rows if r.status == ListingStatus.EXPIRED]),
        ("Closed", [r for r in rows if r.status == ListingStatus.CLOSED]),
    ]
    context = {"community": community, "membership": viewer, "groups": groups, "has_any": bool(rows)}
    return render(request, "market/listing_mine.html", context)


# --- Posting and editing ------------------------------------------------------------------------------------------


@login_required
def listing_new(request: HttpRequest, slug: str) -> HttpResponse:
    """Post an offer or a request, or keep it as a draft."""
    community, viewer = community_access.community_and_member(request.user, slug)
    category_actions.install_default_categories(community)
    kind = request.GET.get("kind") if request.GET.get("kind") in rules.LISTING_KINDS else "offer"
    form = ListingForm(request.POST or None, request.FILES or None, viewer=viewer, initial={"kind": kind})
    if request.method == "POST" and form.is_valid():
        publish = "draft" not in request.POST
        try:
            listing = actions.create_listing(
                viewer, publish=publish, photo=form.cleaned_data.get("photo"),
                **form.listing_fields(community.time_zone),
            )  # fmt: skip
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _posted_message(listing))
            return redirect("market_listing", community.slug, listing.pk)
    context = {"community": community, "membership": viewer, "form": form}
    return render(request, "market/listing_form.html", context, status=400 if form.errors else 200)


def _posted_message(listing: Listing) -> str:
    word = actions.kind_word(listing.kind)
    if listing.status == ListingStatus.DRAFT:
        return f"Your {word} is saved as a draft. Nobody else sees it until you publish it."
    return f"Your {word} is published as number {listing.pk}. It shows until {_day(listing.expires_at)}."


@login_required
def listing_edit(request: HttpRequest, slug: str, listing_id: int) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    listing = access.get_listing_or_404(viewer, listing_id)
    if not access.can_edit(viewer, listing):
        raise PermissionDenied("Only the person who posted this, or a coordinator, can change it.")
    form = ListingForm(request.POST or None, request.FILES or None, viewer=viewer, listing=listing)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_listing(
                viewer, listing, photo=form.cleaned_data.get("photo"),
                remove_photo=bool(form.cleaned_data.get("remove_photo")),
                **form.listing_fields(community.time_zone),
            )  # fmt: skip
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Your changes are saved.")
            return redirect("market_listing", community.slug, listing.pk)
    context = {"community": community, "membership": viewer, "form": form, "listing": describe(listing)}
    return render(request, "market/listing_form.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def listing_status(request: HttpRequest, slug: str, listing_id: int) -> HttpResponse:
    """Publish, pause, resume, renew or close, then back to where the button was."""
    community, viewer = community_access.community_and_member(request.user, slug)
    listing = access.get_listing_or_404(viewer, listing_id)
    fallback = reverse("market_my_listings", args=[community.slug])
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose publish, pause, resume, renew or close, with a date like 2026-06-30.")
        return _back(request, fallback)
    day = form.cleaned_data.get("expires_at")
    expires_at = rules.end_of_day(day, community.time_zone) if day else None
    action = form.cleaned_data["action"]
    try:
        listing = actions.change_status(viewer, listing, action, expires_at=expires_at)
    except DomainError as error:
        messages.error(request, f"Not changed: {error.message}")
    else:
        text = f"“{listing.title}” {STATUS_MESSAGES[action]}"
        if action in ("publish", "renew") and listing.expires_at:
            text += f" until {_day(listing.expires_at)}"
        messages.success(request, text + ".")
    return _back(request, fallback)


# --- An ad's page and photo ---------------------------------------------------------------------------------------


@login_required
def listing_detail(request: HttpRequest, slug: str, listing_id: int) -> HttpResponse:
    """An ad as members see it: what, where roughly, when, who (by name only; contact goes through the site)."""
    community, viewer = community_access.community_and_member(request.user, slug)
    listing = describe(access.get_listing_or_404(viewer, listing_id))
    context = {
        "community": community,
        "membership": viewer,
        "viewer": viewer,
        "listing": listing,
        "can_edit": access.can_edit(viewer, listing),
        "is_poster": listing.member_id == viewer.pk,
    }
    return render(request, "market/listing_detail.html", context)


@login_required
def listing_photo(request: HttpRequest, slug: str, listing_id: int) -> HttpResponse:
    """An ad's photo, to those who may see the ad: photos live outside the public media folder."""
    _, viewer = community_access.community_and_member(request.user, slug)
    listing = access.get_listing_or_404(viewer, listing_id)
    if not listing.photo or not default_storage.exists(listing.photo.name):
        raise Http404("This offer or request has no photo.")
    extension = listing.photo.name.rsplit(".", 1)[-1].lower()
    response = FileResponse(default_storage.open(listing.photo.name, "rb"), content_type=CONTENT_TYPES.get(extension))
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- Coordinators -------------------------------------------------------------------------------------------------


@login_required
def listing_on_behalf(request: HttpRequest, slug: str) -> HttpResponse:
    """A coordinator posts an offer or request for a resident without internet (audited)."""
    community, coordinator = _coordinator(request, slug)
    category_actions.install_default_categories(community)
    form = OnBehalfListingForm(request.POST or None, request.FILES or None, viewer=coordinator)
    if request.method == "POST" and form.is_valid():
        member = form.cleaned_data["member"]
        try:
            listing = actions.post_on_behalf(
                coordinator, member, form.cleaned_data["reason"], photo=form.cleaned_data.get("photo"),
                **form.listing_fields(community.time_zone),
            )  # fmt: skip
        except DomainError as error:
            add_domain_error(form, error)
        else:
            word = actions.kind_word(listing.kind)
            messages.success(request, f"You posted {member.display_name}'s {word} as number {listing.pk}.")
            return redirect("market_listing", community.slug, listing.pk)
    context = {"community": community, "membership": coordinator, "form": form}
    return render(request, "market/listing_on_behalf.html", context, status=400 if form.errors else 200)


def _tree_rows(categories: list[Category], counts: dict[int, int]) -> list[dict]:
    """The tree in reading order with each category's depth and number of ads."""
    children: dict[int | None, list[Category]] = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category)
    rows: list[dict] = []

    def walk(parent: int | None, depth: int) -> None:
        for category in children.get(parent, []):
            rows.append({"category": category, "depth": depth, "listings": counts.get(category.pk, 0)})
            if depth < 10:  # the tree is at most three deep; this only bounds a broken one
                walk(category.pk, depth + 1)

    walk(None, 0)
    return rows


@login_required
def categories(request: HttpRequest, slug: str) -> HttpResponse:
    """The category tree with a form to add one; each category links to its own editing page."""
    community, coordinator = _coordinator(request, slug)
    category_actions.install_default_categories(community)
    tree = list(access.community_categories(coordinator).order_by("position", "name", "pk"))
    form = CategoryForm(request.POST or None, categories=tree)
    if request.method == "POST" and form.is_valid():
        try:
            made = category_actions.create_category(coordinator, form.cleaned_data["name"], form.cleaned_data["parent"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"“{made.name}” is added.")
            return redirect("market_categories", community.slug)
    counts = access.category_listing_counts(coordinator)
    context = {"community": community, "membership": coordinator, "form": form, "rows": _tree_rows(tree, counts)}
    return render(request, "market/category_list.html", context, status=400 if form.errors else 200)


@login_required
def category_edit(request: HttpRequest, slug: str, category_id: int) -> HttpResponse:
    """Rename a category or move it; retire, restore or delete it."""
    community, coordinator = _coordinator(request, slug)
    category = access.get_category_or_404(coordinator, category_id)
    tree = list(access.community_categories(coordinator).order_by("position", "name", "pk"))
    initial = {"name": category.name, "parent": category.parent_id, "position": category.position}
    form = CategoryEditForm(request.POST or None, categories=tree, exclude=category, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["name"] != category.name:
                category = category_actions.rename_category(coordinator, category, data["name"])
            if data["parent"] != category.parent_id or data["position"] != category.position:
                category = category_actions.move_category(coordinator, category, data["parent"], data["position"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"“{category.name}” is saved.")
            return redirect("market_categories", community.slug)
    context = {
        "community": community,
        "membership": coordinator,
        "form": form,
        "category": category,
        "listings": access.category_listing_counts(coordinator).get(category.pk, 0),
        "has_children": any(c.parent_id == category.pk for c in tree),
    }
    return render(request, "market/category_edit.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def category_action(request: HttpRequest, slug: str, category_id: int, action: str) -> HttpResponse:
    community, coordinator = _coordinator(request, slug)
    category = access.get_category_or_404(coordinator, category_id)
    try:
        if action == "retire":
            count = category_actions.retire_category(coordinator, category)
            messages.success(
                request, f"“{category.name}” is retired ({count} categories). Its ads stay where they are."
            )
        elif action == "restore":
            category_actions.restore_category(coordinator, category)
            messages.success(request, f"“{category.name}” is back in use.")
        elif action == "delete":
            category_actions.delete_category(coordinator, category)
            messages.success(request, f"“{category.name}” is deleted.")
        else:
            raise Http404("No such change.")
    except DomainError as error:
        messages.error(request, f"Not changed: {error.message}")
        return redirect("market_category_edit", community.slug, category.pk)
    return redirect("market_categories", community.slug)


# --- The printable directory --------------------------------------------------------------------------------------


@login_required
def directory_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Choose what the printed directory covers and how readers reach a coordinator, then download the PDF."""
    community, viewer = community_access.community_and_member(request.user, slug)
    form = DirectoryForm(request.GET or None, viewer=viewer)
    context = {"community": community, "membership": viewer, "form": form}
    return render(request, "market/directory_page.html", context)


@login_required
def directory_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    """The current offers by category as a PDF for a library or a noticeboard."""
    community, viewer = community_access.community_and_member(request.user, slug)
    form = DirectoryForm(request.GET or None, viewer=viewer)
    if request.GET and not form.is_valid():
        context = {"community": community, "membership": viewer, "form": form}
        return render(request, "market/directory_page.html", context, status=400)
    options = form.cleaned_data if request.GET else {}
    made = directory.build(
        viewer, category=options.get("category"), contact=options.get("contact") or "",
        site=request.build_absolute_uri("/").rstrip("/"),
    )  # fmt: skip
    response = HttpResponse(made.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{community.slug}-offers.pdf"'
    return response


urlpatterns: list[URLPattern] = [
    path("listings/mine/", my_listings, name="market_my_listings"),
    path("listings/new/", listing_new, name="market_listing_new"),
    path("listings/on-behalf/", listing_on_behalf, name="market_listing_on_behalf"),
    path("listings/<int:listing_id>/", listing_detail, name="market_listing"),
    path("listings/<int:listing_id>/edit/", listing_edit, name="market_listing_edit"),
    path("listings/<int:listing_id>/status/", listing_status, name="market_listing_status"),
    path("listings/<int:listing_id>/photo/", listing_photo, name="market_listing_photo"),
    path("categories/", categories, name="market_categories"),
    path("categories/<int:category_id>/", category_edit, name="market_category_edit"),
    path("categories/<int:category_id>/<str:action>/", category_action, name="market_category_action"),
    path("directory/", directory_page, name="market_directory"),
    path("directory.pdf", directory_pdf, name="market_directory_pdf"),
]
