"""Ledger pages: links for trade with other communities. Thin: load through ledger.access, change through
ledger.actions, render.

Coordinators propose a link, accept one proposed to them and watch the clearing balances; any member pays a
member of a linked community. The forms (in ledger.forms.links) turn amounts typed the way people say them
("1:30", "10") into the integer rate and limits the actions take."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path

from ostrom.communities import access as community_access
from ostrom.communities.domain import DomainError
from ostrom.communities.models import Member

from .. import access
from ..actions import links as actions
from ..domain.amounts import format_amount
from ..forms import AcceptLinkForm, PayAcrossForm, ProposeLinkForm, add_domain_error
from ..forms.links import partner_community
from ..models import Account, CommunityLink, Currency


def _format(currency: Currency, units: int) -> str:
    """An amount with its currency's name, since two communities' units meet here: "1 h of Timebank hours",
    "10 Hillside credits"."""
    amount = format_amount(units, currency.kind, currency.scale)
    return f"{amount} of {currency.name}" if currency.kind == "time" else f"{amount} {currency.name}"


def _describe(link: CommunityLink, viewer: Member) -> CommunityLink:
    """Add what the viewer's side of the link sees: the partner's name, the rate and the clearing accounts."""
    ours_first = link.community_id == viewer.community_id
    ours, theirs = (link.currency, link.partner_currency) if ours_first else (link.partner_currency, link.currency)
    numerator, denominator = (
        (link.rate_numerator, link.rate_denominator) if ours_first else (link.rate_denominator, link.rate_numerator)
    )
    link.other_name = partner_community(link, viewer).name
    link.proposed_by_us = ours_first
    link.our_currency, link.their_currency = ours, theirs
    # The rate as people say it: one whole unit of ours ("1 h") is worth so much of theirs ("10 credits").
    worth = ours.scale * numerator // denominator
    link.rate_text = (
        f"{_format(ours, ours.scale)} = {_format(theirs, worth)}"
        if worth
        else f"{_format(ours, denominator)} = {_format(theirs, numerator)}"
    )
    return link


def _with_balances(links: list[CommunityLink], viewer: Member) -> list[CommunityLink]:
    accounts = Account.objects.filter(link__in=links).select_related("currency")
    by_link: dict[tuple[int, int], Account] = {(a.link_id, a.community_id): a for a in accounts}
    for link in links:
        ours = by_link.get((link.pk, viewer.community_id))
        theirs = by_link.get((link.pk, partner_community(link, viewer).pk))
        link.our_balance_text = _format(ours.currency, ours.balance) if ours else ""
        link.our_trust_text = _format(ours.currency, ours.debit_limit or 0) if ours else ""
        link.their_trust_text = _format(theirs.currency, theirs.debit_limit or 0) if theirs else ""
    return links


@login_required
def link_list(request: HttpRequest, slug: str) -> HttpResponse:
    """Coordinators: every link with its clearing balances, and a form to propose a new one."""
    community = community_access.get_community_or_404(slug)
    viewer = community_access.require_coordinator(request.user, community)
    form = ProposeLinkForm(request.POST or None, viewer=viewer)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        partner_currency = data["partner_currency"]
        try:
            actions.link_communities(
                viewer, partner_currency.community, data["currency"], partner_currency,
                data["rate_numerator"], data["rate_denominator"], data["trust"],
            )  # fmt: skip
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request, f"Link proposed. It starts once {partner_currency.community.name}'s coordinators accept it."
            )
            return redirect("ledger_link_list", community.slug)
    links = [_describe(link, viewer) for link in access.community_links(viewer).order_by("-created_at")]
    context = {"community": community, "membership": viewer, "form": form, "links": _with_balances(links, viewer)}
    return render(request, "ledger/links_list.html", context, status=400 if form.errors else 200)


@login_required
def link_accept(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Coordinators of the invited community agree to a link, saying how far they trust the other community."""
    community = community_access.get_community_or_404(slug)
    viewer = community_access.require_coordinator(request.user, community)
    link = access.get_link_or_404(viewer, pk)
    if link.partner_id != viewer.community_id or link.is_active:
        raise Http404("No link waiting for your agreement with that number.")
    form = AcceptLinkForm(request.POST or None, currency=link.partner_currency)
    if request.method == "POST" and form.is_valid():
        try:
            actions.accept_link(viewer, link, form.cleaned_data["trust"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"You agreed to trade with {link.community.name}.")
            return redirect("ledger_link_list", community.slug)
    context = {
        "community": community,
        "membership": viewer,
        "form": form,
        "link": _with_balances([_describe(link, viewer)], viewer)[0],
    }
    return render(request, "ledger/links_accept.html", context, status=400 if form.errors else 200)


@login_required
def link_pay(request: HttpRequest, slug: str) -> HttpResponse:
    """Any member pays a member of a linked community, in their own currency, converted at the agreed rate."""
    community, viewer = community_access.community_and_member(request.user, slug)
    links = [_describe(link, viewer) for link in access.community_links(viewer).filter(is_active=True)]
    form = PayAcrossForm(request.POST or None, viewer=viewer, links=links, initial={"key": uuid.uuid4()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            paid = actions.pay_across(
                viewer, data["payee"], data["amount_units"], data["key"], data["memo"], link=data["link"]
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            link = data["link"]
            messages.success(
                request,
                f"You paid {data['payee'].display_name} of {link.other_name} "
                f"{_format(link.our_currency, paid.sent.amount)}; they received "
                f"{_format(link.their_currency, paid.received.amount)}.",
            )
            return redirect("ledger_link_pay", community.slug)
    context = {"community": community, "membership": viewer, "form": form, "links": links}
    return render(request, "ledger/links_pay.html", context, status=400 if form.errors else 200)


urlpatterns: list[URLPattern] = [
    path("links/", link_list, name="ledger_link_list"),
    path("links/<int:pk>/accept/", link_accept, name="ledger_link_accept"),
    path("links/pay/", link_pay, name="ledger_link_pay"),
]
