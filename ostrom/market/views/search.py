"""The marketplace's front page: search offers and requests by words, kind, category, distance, times and remote
help, in the order asked for, a page at a time ("More results" carries an opaque cursor, never a page number).

Thin: the viewer comes from communities.access, the rows from market.search (which asks market.access what the
viewer may see), and nothing here changes state. Results show what an ad says and a rough distance, never anyone's
contact details. Without JavaScript the form is a plain GET; with htmx only the results are swapped."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path

from ostrom.communities import access as community_access
from ostrom.communities.domain import DomainError

from .. import search
from ..access.listings import community_categories
from ..domain.geo import describe_distance
from ..forms.search import SearchForm

CURSOR_PARAMETER = "after"
FORM_PARAMETERS = ("q", "kind", "category", "within_km", "availability", "remote", "sort")


@login_required
def market_home(request: HttpRequest, slug: str) -> HttpResponse:
    """Search the community's offers and requests; with nothing typed, the newest first."""
    community, viewer = community_access.community_and_member(request.user, slug)
    categories = list(community_categories(viewer).order_by("position", "name", "pk"))
    form = SearchForm(request.GET, viewer=viewer, categories=categories)
    context = {"community": community, "membership": viewer, "form": form, "page": None}
    status = 200
    if form.is_valid():
        try:
            page = search.search(viewer, form.filters(), request.GET.get(CURSOR_PARAMETER) or None)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            status = 400
        else:
            query = _query(request)
            context.update(
                page=page,
                results=[_result(hit) for hit in page.hits],
                searched=bool(form.cleaned_data.get("q")),
                paged=bool(request.GET.get(CURSOR_PARAMETER)),
                query=query,
                next_query=_join(query, urlencode({CURSOR_PARAMETER: page.next_cursor})) if page.next_cursor else "",
            )
    else:
        status = 400
    template = "market/search_results.html" if getattr(request, "htmx", False) else "market/search.html"
    return render(request, template, context, status=status)


def _result(hit: search.Hit) -> dict:
    listing = hit.listing
    category = listing.category
    return {
        "listing": listing,
        "poster": listing.organisation.name if listing.organisation_id else listing.member.display_name,
        "category": f"{category.parent.name} › {category.name}" if category.parent_id else category.name,
        "distance": describe_distance(hit.distance_metres) if hit.distance_metres is not None else "",
    }


def _query(request: HttpRequest) -> str:
    """The form's values as a query string, for links that keep them (the next page, the first page)."""
    pairs = [(name, value) for name in FORM_PARAMETERS for value in request.GET.getlist(name) if value.strip()]
    return urlencode(pairs)


def _join(*parts: str) -> str:
    return "&".join(part for part in parts if part)


urlpatterns: list[URLPattern] = [
    path("", market_home, name="market_home"),
]
