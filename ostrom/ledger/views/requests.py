"""Ledger pages: payment requests. Thin: load through ledger.access, change through ledger.actions, render.

The forms (in ledger.forms.requests) check the shape of what people type; the rules themselves are the
actions' (whose errors appear beside the right field)."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from ostrom.communities import access as community_access
from ostrom.communities.domain import DomainError
from ostrom.communities.models import Community, Member

from .. import access
from ..actions import requests as actions
from ..domain.amounts import format_amount
from ..forms import DeclineForm, HandlingForm, RequestForm, TrustForm, add_domain_error
from ..models import PaymentRequest, RequestStatus

# The most recent requests each list shows; older ones are in the statements.
LIST_SIZE = 100


def _amount_text(payment: PaymentRequest) -> str:
    currency = payment.currency
    return format_amount(payment.amount, currency.kind, currency.scale, currency.symbol)


def _described(payments) -> list[PaymentRequest]:
    rows = list(payments[:LIST_SIZE])
    for payment in rows:
        payment.amount_text = _amount_text(payment)
    return rows


@login_required
def request_list(request: HttpRequest, slug: str) -> HttpResponse:
    """Requests waiting for the viewer to pay, the ones they made, and earlier ones."""
    community, viewer = community_access.community_and_member(request.user, slug)
    mine = access.payment_requests(viewer)
    received = mine.filter(payer=viewer)
    context = {
        "community": community,
        "membership": viewer,
        "waiting": _described(received.filter(status=RequestStatus.OPEN)),
        "made": _described(mine.filter(payee=viewer)),
        "answered": _described(received.exclude(status=RequestStatus.OPEN)),
    }
    return render(request, "ledger/requests_list.html", context)


@login_required
def request_new(request: HttpRequest, slug: str) -> HttpResponse:
    """Ask another member to pay you."""
    community, viewer = community_access.community_and_member(request.user, slug)
    form = RequestForm(request.POST or None, viewer=viewer, initial={"key": uuid.uuid4()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payment = actions.request_payment(
                viewer, data["payer"], data["currency"], data["amount_units"], data["memo"], data["key"]
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            who, amount = payment.payer.display_name, _amount_text(payment)
            if payment.status == RequestStatus.ACCEPTED:
                messages.success(request, f"{who} trusts you, so they have paid you {amount} already.")
            else:
                messages.success(request, f"You asked {who} for {amount}. They can accept or decline.")
            return redirect("ledger_request_list", community.slug)
    context = {
        "community": community,
        "membership": viewer,
        "form": form,
        "has_currency": access.currencies(viewer).exists(),
    }
    return render(request, "ledger/requests_new.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def request_accept(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    payment = access.get_payment_request_or_404(viewer, pk)
    try:
        payment = actions.accept_request(viewer, payment)
    except DomainError as error:
        messages.error(request, f"Not paid: {error.message}")
    else:
        messages.success(request, f"You paid {payment.payee.display_name} {_amount_text(payment)}.")
    return redirect("ledger_request_list", community.slug)


@login_required
def request_decline(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Confirm declining, with an optional reason the asker will see."""
    community, viewer = community_access.community_and_member(request.user, slug)
    payment = access.get_payment_request_or_404(viewer, pk)
    if payment.payer_id != viewer.pk:
        raise Http404("Only the person asked to pay can decline a request.")
    if payment.status != RequestStatus.OPEN:
        messages.info(request, f"This request is already closed: {payment.get_status_display().lower()}.")
        return redirect("ledger_request_list", community.slug)
    form = DeclineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.decline_request(viewer, payment, form.cleaned_data["reason"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"You declined {payment.payee.display_name}'s request.")
            return redirect("ledger_request_list", community.slug)
    payment.amount_text = _amount_text(payment)
    context = {"community": community, "membership": viewer, "form": form, "payment": payment}
    return render(request, "ledger/requests_decline.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def request_cancel(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    payment = access.get_payment_request_or_404(viewer, pk)
    try:
        actions.cancel_request(viewer, payment)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"You withdrew your request to {payment.payer.display_name}.")
    return redirect("ledger_request_list", community.slug)


def _preferences_page(
    request: HttpRequest, community: Community, viewer: Member, handling_form=None, trust_form=None
) -> HttpResponse:
    handling_form = handling_form or HandlingForm(initial={"handling": actions.handling_for(viewer)})
    trust_form = trust_form or TrustForm(viewer=viewer)
    context = {
        "community": community,
        "membership": viewer,
        "handling_form": handling_form,
        "trust_form": trust_form,
        "trusted": viewer.trusted_payees.select_related("payee").order_by("payee__display_name"),
    }
    failed = handling_form.errors or trust_form.errors
    return render(request, "ledger/requests_preferences.html", context, status=400 if failed else 200)


@login_required
def request_preferences(request: HttpRequest, slug: str) -> HttpResponse:
    """How the viewer wants requests handled, and whom they pay without being asked."""
    community, viewer = community_access.community_and_member(request.user, slug)
    if request.method != "POST":
        return _preferences_page(request, community, viewer)
    form = HandlingForm(request.POST)
    if form.is_valid():
        try:
            preference = actions.set_payment_preference(viewer, form.cleaned_data["handling"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Saved: {preference.get_handling_display()}.")
            return redirect("ledger_request_preferences", community.slug)
    return _preferences_page(request, community, viewer, handling_form=form)


@login_required
@require_POST
def request_trust(request: HttpRequest, slug: str) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    form = TrustForm(request.POST, viewer=viewer)
    if form.is_valid():
        try:
            actions.trust_payee(viewer, form.cleaned_data["payee"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"You now pay {form.cleaned_data['payee'].display_name} without being asked.")
            return redirect("ledger_request_preferences", community.slug)
    return _preferences_page(request, community, viewer, trust_form=form)


@login_required
@require_POST
def request_untrust(request: HttpRequest, slug: str, member_id: int) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    trusted = viewer.trusted_payees.filter(payee_id=member_id).select_related("payee").first()
    if trusted is not None:
        actions.untrust_payee(viewer, trusted.payee)
        messages.success(request, f"{trusted.payee.display_name}'s requests will be asked about again.")
    return redirect("ledger_request_preferences", community.slug)


urlpatterns: list[URLPattern] = [
    path("requests/", request_list, name="ledger_request_list"),
    path("requests/new/", request_new, name="ledger_request_new"),
    path("requests/preferences/", request_preferences, name="ledger_request_preferences"),
    path("requests/preferences/trust/", request_trust, name="ledger_request_trust"),
    path("requests/preferences/trust/<int:member_id>/remove/", request_untrust, name="ledger_request_untrust"),
    path("requests/<int:pk>/accept/", request_accept, name="ledger_request_accept"),
    path("requests/<int:pk>/decline/", request_decline, name="ledger_request_decline"),
    path("requests/<int:pk>/withdraw/", request_cancel, name="ledger_request_cancel"),
]
