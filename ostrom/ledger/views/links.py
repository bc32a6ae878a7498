"""Ledger pages: links for trade with other communities. Thin: load through ledger.access, change through
ledger.actions, render.

Coordinators propose a link, accept one proposed to them and watch the clearing balances; any member pays a
member of a linked community. Amounts are typed the way people say them ("1:30", "10") and turned into the
integer rate and limits the actions take."""

import math
import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path

from ostrom.communities import access as community_access
from ostrom.communities.domain import DomainError, Status
from ostrom.communities.forms import PlainMessages, add_domain_error
from ostrom.communities.models import Community, Member

from .. import access
from ..actions import links as actions
from ..domain.amounts import format_amount, parse_amount
from ..models import Account, CommunityLink, Currency

# How many members of a partner community the payment form offers, per link.
MAX_PAYEES = 500


def _format(currency: Currency, units: int) -> str:
    """An amount with its currency's name, since two communities' units meet here: "1 h of Timebank hours",
    "10 Hillside credits"."""
    amount = format_amount(units, currency.kind, currency.scale)
    return f"{amount} of {currency.name}" if currency.kind == "time" else f"{amount} {currency.name}"


def _parse_limit(text: str, kind: str, scale: int) -> int:
    """A trust limit may be zero ("trust them with nothing until our members have been paid")."""
    if text.strip() in {"0", "0:00", "0.0", "0.00"}:
        return 0
    try:
        return parse_amount(text, kind, scale)
    except DomainError as error:
        if error.code != "amount_not_positive":
            raise
        raise DomainError("invalid_trust", "The trust can be zero or more, never below zero.", "trust") from None


class PartnerCurrencyField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Currency) -> str:
        return f"{obj.community.name}: {obj.name}"


class CurrencyField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Currency) -> str:
        return obj.name


class ProposeLinkForm(PlainMessages, forms.Form):
    currency = CurrencyField(label="Your currency", queryset=Currency.objects.none(), empty_label=None)
    partner_currency = PartnerCurrencyField(
        label="The other community and its currency",
        queryset=Currency.objects.none(),
        empty_label="Choose a community",
        error_messages={"required": "Choose the other community and its currency."},
    )
    our_amount = forms.CharField(
        label="This much of your currency",
        max_length=40,
        help_text="For example 1:00 for one hour.",
        error_messages={"required": "Enter how much of your currency."},
    )
    their_amount = forms.CharField(
        label="is worth this much of theirs",
        max_length=40,
        help_text="For example 10 for ten of their credits.",
        error_messages={"required": "Enter how much of their currency it is worth."},
    )
    trust = forms.CharField(
        label="How much your community trusts them",
        max_length=40,
        help_text="In your currency: how much more your members may be paid by theirs than your members have paid "
        "them. 0 means they must be paid before they can pay.",
        error_messages={"required": "Enter how much your community trusts them (0 for nothing)."},
    )

    def __init__(self, *args, viewer: Member, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].queryset = access.currencies(viewer)
        self.fields["partner_currency"].queryset = (
            Currency.objects.filter(is_active=True)
            .exclude(community_id=viewer.community_id)
            .select_related("community")
            .order_by("community__name", "name")
        )

    def clean(self):
        data = super().clean()
        currency, theirs = data.get("currency"), data.get("partner_currency")
        self._parse(data, "our_amount", currency, parse_amount)
        self._parse(data, "their_amount", theirs, parse_amount)
        self._parse(data, "trust", currency, _parse_limit)
        if not self.errors:
            # One smallest unit of ours is worth their_amount / our_amount smallest units of theirs.
            divisor = math.gcd(data["their_amount"], data["our_amount"])
            data["rate_numerator"], data["rate_denominator"] = (
                data["their_amount"] // divisor,
                data["our_amount"] // divisor,
            )
        return data

    def _parse(self, data: dict, field: str, currency: Currency | None, parse) -> None:
        if currency is None or not data.get(field):
            return
        try:
            data[field] = parse(data[field], currency.kind, currency.scale)
        except DomainError as error:
            self.add_error(field, error.message)


class AcceptLinkForm(forms.Form):
    trust = forms.CharField(
        label="How much your community trusts them",
        max_length=40,
        error_messages={"required": "Enter how much your community trusts them (0 for nothing)."},
    )

    def __init__(self, *args, currency: Currency, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.fields["trust"].help_text = (
            f"In {currency.name}: how much more your members may be paid by theirs than your members have paid "
            "them. 0 means they must be paid before they can pay."
        )

    def clean_trust(self):
        try:
            return _parse_limit(self.cleaned_data["trust"], self.currency.kind, self.currency.scale)
        except DomainError as error:
            raise forms.ValidationError(error.message) from None


class PayAcrossForm(PlainMessages, forms.Form):
    payee = forms.ChoiceField(label="Who to pay", error_messages={"required": "Choose who to pay."})
    amount = forms.CharField(
        label="Amount, in your own currency",
        max_length=40,
        help_text="For hours, write 1:30 or 1.5 for an hour and a half. It is converted at the agreed rate.",
        error_messages={"required": "Enter an amount."},
    )
    memo = forms.CharField(
        label="What is it for",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what the payment is for."},
    )
    key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, viewer: Member, links: list[CommunityLink], **kwargs):
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        self.links = {link.pk: link for link in links}
        choices: list = [("", "Choose a member")]
        for link in links:
            members = _partner(link, viewer).members.filter(status=Status.ACTIVE, listed_in_directory=True)
            choices.append(
                (
                    f"{link.other_name} ({link.rate_text})",
                    [(f"{link.pk}:{m.pk}", m.display_name) for m in members.order_by("display_name")[:MAX_PAYEES]],
                )
            )
        self.fields["payee"].choices = choices

    def clean(self):
        data = super().clean()
        choice = data.get("payee")
        if not choice:
            return data
        link_id, member_id = (int(part) for part in choice.split(":"))
        link = self.links[link_id]
        data["link"] = link
        data["payee"] = _partner(link, self.viewer).members.get(pk=member_id)
        currency = link.currency if link.community_id == self.viewer.community_id else link.partner_currency
        if data.get("amount"):
            try:
                data["amount"] = parse_amount(data["amount"], currency.kind, currency.scale)
            except DomainError as error:
                self.add_error("amount", error.message)
        return data


def _partner(link: CommunityLink, viewer: Member) -> Community:
    return link.partner if link.community_id == viewer.community_id else link.community


def _describe(link: CommunityLink, viewer: Member) -> CommunityLink:
    """Add what the viewer's side of the link sees: the partner's name, the rate and the clearing accounts."""
    ours_first = link.community_id == viewer.community_id
    ours, theirs = (link.currency, link.partner_currency) if ours_first else (link.partner_currency, link.currency)
    numerator, denominator = (
        (link.rate_numerator, link.rate_denominator) if ours_first else (link.rate_denominator, link.rate_numerator)
    )
    link.other_name = _partner(link, viewer).name
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
        theirs = by_link.get((link.pk, _partner(link, viewer).pk))
        link.our_balance_text = _format(ours.currency, ours.balance) if ours else ""
        link.our_trust_text = _format(ours.currency, ours.debit_limit or 0) if ours else ""
        link.their_trust_text = _format(theirs.currency, theirs.debit_limit or 0) if theirs else ""
    return links


def _viewer(request: HttpRequest, slug: str) -> tuple[Community, Member]:
    community = community_access.get_community_or_404(slug)
    return community, community_access.require_active_member(request.user, community)


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
    community, viewer = _viewer(request, slug)
    links = [_describe(link, viewer) for link in access.community_links(viewer).filter(is_active=True)]
    form = PayAcrossForm(request.POST or None, viewer=viewer, links=links, initial={"key": uuid.uuid4()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            paid = actions.pay_across(
                viewer, data["payee"], data["amount"], data["key"], data["memo"], link=data["link"]
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
