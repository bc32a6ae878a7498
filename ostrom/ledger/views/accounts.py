"""Ledger pages: your balance, sending hours or credits, holds, and the coordinators' accounts and currencies.
Thin: load through ledger.access, change through ledger.actions, render. Every page works without JavaScript;
payments go form → confirmation (showing the balance after) → receipt, with an idempotency key made at the
form step and carried in a hidden field, so a confirm pressed twice pays once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.views.decorators.http import require_POST

from ostrom.communities import access as community_access
from ostrom.communities.domain import DomainError
from ostrom.communities.models import Community, Member

from .. import access
from ..actions import accounts as account_actions
from ..actions import payments
from ..actions.transfers import format_for
from ..forms import (
    AccountStatusForm,
    CurrencyForm,
    LimitsForm,
    OnBehalfForm,
    ReasonForm,
    SendForm,
    add_domain_error,
    amount_for_input,
)
from ..models import Account, AccountKind, AccountStatus, Currency, Transfer, TransferKind
from ..reports import NEAR_LIMIT_PERMILLE

RECENT_ON_HOME = 5
RECENT_ON_ACCOUNT = 20
HOLDS_SHOWN = 200
ACCOUNTS_PAGE_SIZE = 50
HISTORY_SHOWN = 20
REUSED_FORM = "This payment form was already used for another payment. Check the details and send again."


def _member(request: HttpRequest, slug: str) -> tuple[Community, Member]:
    community = community_access.get_community_or_404(slug)
    return community, community_access.require_active_member(request.user, community)


def _coordinator(request: HttpRequest, slug: str) -> tuple[Community, Member]:
    community = community_access.get_community_or_404(slug)
    return community, community_access.require_coordinator(request.user, community)


def _statement_url(slug: str, account_id: int) -> str | None:
    # The statement pages live in views/statements.py; link to them only once they exist.
    try:
        return reverse("ledger_statement", args=(slug, account_id))
    except NoReverseMatch:
        return None


# What the templates show: amounts already in words ("3 h 30 min"), never raw units.


@dataclass(frozen=True)
class Movement:
    """One transfer as one account sees it."""

    transfer: Transfer
    other: str
    amount: str
    incoming: bool
    balance_after: str
    label: str
    reversible: bool = False


def _label(transfer: Transfer) -> str:
    if transfer.reverses_id:
        return "Reversal"
    return "" if transfer.kind == TransferKind.TRANSFER else transfer.get_kind_display()


def _movements(account: Account, limit: int) -> list[Movement]:
    """The account's latest transfers, newest first: two indexed queries instead of one OR over both sides."""
    related = ("debit_account__member", "debit_account__organisation", "credit_account__member",
               "credit_account__organisation")  # fmt: skip
    rows = Transfer.objects.select_related(*related).order_by("-id")
    latest = sorted(
        [*rows.filter(debit_account=account)[:limit], *rows.filter(credit_account=account)[:limit]],
        key=lambda t: t.pk,
        reverse=True,
    )[:limit]
    reversed_ids = set(Transfer.objects.filter(reverses__in=latest).values_list("reverses_id", flat=True))
    currency = account.currency
    movements = []
    for t in latest:
        incoming = t.credit_account_id == account.pk
        moves_value = t.kind in (TransferKind.TRANSFER, TransferKind.POST, TransferKind.PENDING)
        sign = "+" if incoming else "-"
        movements.append(
            Movement(
                transfer=t,
                other=(t.debit_account if incoming else t.credit_account).holder_name,
                amount=f"{sign if moves_value else ''}{format_for(currency, t.amount)}",
                incoming=incoming,
                balance_after=format_for(currency, t.credit_balance_after if incoming else t.debit_balance_after),
                label=_label(t),
                reversible=t.kind in (TransferKind.TRANSFER, TransferKind.POST)
                and not t.reverses_id
                and t.pk not in reversed_ids,
            )
        )
    return movements


def _limit_text(currency: Currency, units: int | None) -> str:
    return "no limit" if units is None else format_for(currency, units)


@dataclass(frozen=True)
class Position:
    """An account's figures in words, for the home page and the coordinators' account page."""

    account: Account | None
    currency: Currency
    title: str
    balance: str
    available: str
    debit_limit: str
    credit_limit: str
    held_out: str
    held_in: str
    has_holds: bool
    near_limit: str


def _near_limit(account: Account) -> str:
    """The same mark as the community summary's (reports.NEAR_LIMIT_PERMILLE), so the two pages agree."""
    owed = account.debits_posted + account.debits_pending - account.credits_posted
    if account.debit_limit and owed * 1000 >= account.debit_limit * NEAR_LIMIT_PERMILLE:
        return "Near its limit below zero"
    held = account.credits_posted + account.credits_pending - account.debits_posted
    if account.credit_limit and held * 1000 >= account.credit_limit * NEAR_LIMIT_PERMILLE:
        return "Near its limit above zero"
    return ""


def _position(account: Account, title: str) -> Position:
    currency = account.currency
    available = payments.account_state(account, currency).available
    if account.status != AccountStatus.ACTIVE:
        spendable = f"nothing while the account is {account.get_status_display().lower()}"
    else:
        spendable = _limit_text(currency, None if available is None else max(available, 0))
    return Position(
        account=account, currency=currency, title=title, balance=format_for(currency, account.balance),
        available=spendable,
        debit_limit=_limit_text(currency, account.debit_limit), credit_limit=_limit_text(currency, account.credit_limit),
        held_out=format_for(currency, account.debits_pending), held_in=format_for(currency, account.credits_pending),
        has_holds=bool(account.debits_pending or account.credits_pending), near_limit=_near_limit(account),
    )  # fmt: skip


def _unopened_position(currency: Currency, title: str) -> Position:
    """A currency the member has not used yet: their account opens with the first payment, at the defaults."""
    zero = format_for(currency, 0)
    return Position(
        account=None, currency=currency, title=title, balance=zero,
        available=_limit_text(currency, currency.default_debit_limit),
        debit_limit=_limit_text(currency, currency.default_debit_limit),
        credit_limit=_limit_text(currency, currency.default_credit_limit),
        held_out=zero, held_in=zero, has_holds=False, near_limit="",
    )  # fmt: skip


# The member's pages


@login_required
def home(request: HttpRequest, slug: str) -> HttpResponse:
    """The viewer's balance in each currency, what they can still spend, their limits, holds and latest transfers."""
    community, viewer = _member(request, slug)
    currencies = list(access.currencies(viewer))
    own = sorted(  # the viewer's own account first, then their organisation's
        access.own_accounts(viewer).select_related("member", "organisation"),
        key=lambda a: (a.organisation_id is not None, a.pk),
    )
    panels = []
    for currency in currencies:
        mine = [a for a in own if a.currency_id == currency.pk]
        if not any(a.member_id == viewer.pk for a in mine):
            panels.append({"position": _unopened_position(currency, f"Your {currency.name.lower()}")})
        for account in mine:
            title = f"Your {currency.name.lower()}" if account.member_id else f"{account.holder_name}: {currency.name}"
            panels.append(
                {
                    "position": _position(account, title),
                    "recent": _movements(account, RECENT_ON_HOME),
                    "statement_url": _statement_url(community.slug, account.pk),
                }
            )
    context = {"community": community, "membership": viewer, "panels": panels, "currencies": currencies}
    return render(request, "ledger/home.html", context)


def _send_form(data, viewer: Member, currencies: list[Currency], initial=None) -> SendForm:
    return SendForm(
        data,
        viewer=viewer,
        currencies=currencies,
        members=access.payee_members(viewer),
        organisations=access.payee_organisations(viewer),
        initial=initial or {},
    )


@login_required
def send(request: HttpRequest, slug: str) -> HttpResponse:
    """Step one: who, how much, what for. Posting it shows the confirmation, or the form again with what is wrong."""
    community, viewer = _member(request, slug)
    currencies = list(access.currencies(viewer))
    context = {"community": community, "membership": viewer, "currencies": currencies}
    if not currencies:
        return render(request, "ledger/send_form.html", context)
    if request.method != "POST":
        chosen = request.GET.get("currency", "")
        initial = {"currency_code": chosen} if chosen in {c.code for c in currencies} else {}
        context["form"] = _send_form(None, viewer, currencies, initial)
        return render(request, "ledger/send_form.html", context)
    form = _send_form(request.POST, viewer, currencies)
    if "change" not in request.POST and form.is_valid():
        data = form.cleaned_data
        try:
            preview = payments.preview(
                viewer, data["payee_holder"], form.currency(), data["amount_units"], data["memo"],
                for_organisation=form.for_organisation,
            )  # fmt: skip
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return _confirmation(request, context, form, preview, reverse("ledger_send_confirm", args=[community.slug]))
    context["form"] = form
    return render(request, "ledger/send_form.html", context, status=400 if form.errors else 200)


def _confirmation(request, context: dict, form, preview: payments.Preview, confirm_url: str) -> HttpResponse:
    currency = preview.currency
    context.update(
        preview=preview,
        amount=format_for(currency, preview.amount),
        balance_after=format_for(currency, preview.balance_after),
        available_after=_limit_text(currency, preview.available_after),
        memo=form.cleaned_data["memo"],
        category=form.cleaned_data.get("category", ""),
        reason=form.cleaned_data.get("reason", ""),
        hidden=form.hidden_copy(),
        confirm_url=confirm_url,
        change_url=request.path,
    )
    return render(request, "ledger/send_confirm.html", context)


def _with_fresh_key(form_factory, request: HttpRequest):
    """The same details with a new key, for when the old one already paid for something else."""
    data = request.POST.copy()
    data["key"] = str(uuid.uuid4())
    form = form_factory(data)
    form.is_valid()
    form.add_error(None, REUSED_FORM)
    return form


@login_required
@require_POST
def send_confirm(request: HttpRequest, slug: str) -> HttpResponse:
    """Step two: pay. The key from step one makes a second press (or a resubmitted page) a harmless replay."""
    community, viewer = _member(request, slug)
    currencies = list(access.currencies(viewer))
    form = _send_form(request.POST, viewer, currencies)
    if form.is_valid():
        data = form.cleaned_data
        try:
            posted = payments.send(
                viewer, data["payee_holder"], form.currency(), data["amount_units"], data["key"], data["memo"],
                data["category"], for_organisation=form.for_organisation,
            )  # fmt: skip
        except DomainError as error:
            if error.code.startswith("exists_with_different"):
                form = _with_fresh_key(lambda d: _send_form(d, viewer, currencies), request)
            else:
                add_domain_error(form, error)
        else:
            return _paid(request, community, posted)
    context = {"community": community, "membership": viewer, "currencies": currencies, "form": form}
    return render(request, "ledger/send_form.html", context, status=400)


def _paid(request: HttpRequest, community: Community, posted) -> HttpResponse:
    if posted.replayed:
        messages.info(request, "This payment had already been made. Nothing was paid twice.")
    else:
        messages.success(request, "Payment sent.")
    return redirect("ledger_receipt", community.slug, posted.id)


@login_required
def receipt(request: HttpRequest, slug: str, transfer_id: int) -> HttpResponse:
    community, viewer = _member(request, slug)
    transfer = access.get_transfer_or_404(viewer, transfer_id)
    accounts = Account.objects.select_related("member", "organisation", "currency").in_bulk(
        [transfer.debit_account_id, transfer.credit_account_id]
    )
    debit, credit = accounts[transfer.debit_account_id], accounts[transfer.credit_account_id]
    currency = debit.currency
    mine = set(access.own_accounts(viewer).values_list("pk", flat=True))
    sides = [
        (debit, transfer.debit_balance_after, debit.pk in mine),
        (credit, transfer.credit_balance_after, credit.pk in mine),
    ]
    balances = [
        {"name": "Your" if own else f"{account.holder_name}’s", "after": format_for(currency, after),
         "account": account, "statement_url": _statement_url(community.slug, account.pk)}
        for account, after, own in sides
        if own or access.can_coordinate(viewer)
    ]  # fmt: skip
    context = {
        "community": community,
        "membership": viewer,
        "transfer": transfer,
        "payer": debit.holder_name,
        "payee": credit.holder_name,
        "amount": format_for(currency, transfer.amount),
        "label": _label(transfer),
        "balances": balances,
        "currency": currency,
    }
    return render(request, "ledger/send_receipt.html", context)


# Holds


@dataclass(frozen=True)
class HoldRow:
    hold: Transfer
    payer: str
    payee: str
    amount: str
    can_release: bool


def _hold_rows(holds, viewer: Member, mine: set[int]) -> list[HoldRow]:
    coordinates = access.can_coordinate(viewer)
    return [
        HoldRow(h, h.debit_account.holder_name, h.credit_account.holder_name, format_for(h.currency, h.amount),
                coordinates or h.credit_account_id in mine)
        for h in holds
    ]  # fmt: skip


@login_required
def holds(request: HttpRequest, slug: str) -> HttpResponse:
    """Amounts held for a later payment (a booking, an exchange): the viewer's, and for coordinators everyone's."""
    community, viewer = _member(request, slug)
    mine = set(access.own_accounts(viewer).values_list("pk", flat=True))
    context = {
        "community": community,
        "membership": viewer,
        "mine": _hold_rows(access.open_holds(viewer)[:HOLDS_SHOWN], viewer, mine),
        "everyone": _hold_rows(access.open_holds(viewer, everyone=True)[:HOLDS_SHOWN], viewer, mine)
        if access.can_coordinate(viewer)
        else None,
    }
    return render(request, "ledger/holds.html", context)


@login_required
def hold_release(request: HttpRequest, slug: str, transfer_id: int) -> HttpResponse:
    """Release a hold without paying: the one it is held for may give it up; a coordinator may, with a reason."""
    community, viewer = _member(request, slug)
    held = access.get_transfer_or_404(viewer, transfer_id)
    if held.kind != TransferKind.PENDING:
        raise Http404("No hold with that number here.")
    is_payee = access.own_accounts(viewer).filter(pk=held.credit_account_id).exists()
    if not is_payee and not access.can_coordinate(viewer):
        raise PermissionDenied("Only the person the amount is held for, or a coordinator, can release it.")
    form = ReasonForm(
        request.POST or None,
        label="Why are you releasing it?" if not is_payee else "Anything to add?",
        required=not is_payee,
    )
    if request.method == "POST" and form.is_valid():
        try:
            posted = payments.release_hold(viewer, held, form.cleaned_data["reason"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Already released." if posted.replayed else "The hold is released.")
            return redirect("ledger_holds", community.slug)
    context = {
        "community": community,
        "membership": viewer,
        "hold": held,
        "form": form,
        "resolved": Transfer.objects.filter(pending=held).exists(),
        "amount": format_for(held.currency, held.amount),
        "payer": held.debit_account.holder_name,
        "payee": held.credit_account.holder_name,
    }
    return render(request, "ledger/holds_release.html", context, status=400 if form.errors else 200)


# Coordinators: currencies


@login_required
def currencies(request: HttpRequest, slug: str) -> HttpResponse:
    community, viewer = _coordinator(request, slug)
    rows = [
        {"currency": c, "debit_limit": format_for(c, c.default_debit_limit),
         "credit_limit": _limit_text(c, c.default_credit_limit)}
        for c in access.managed_currencies(viewer).annotate(
            account_count=Count("accounts", filter=Q(accounts__kind__in=payments.HOLDER_KINDS))
        )
    ]  # fmt: skip
    return render(request, "ledger/currency_list.html", {"community": community, "membership": viewer, "rows": rows})


@login_required
def currency_create(request: HttpRequest, slug: str) -> HttpResponse:
    community, viewer = _coordinator(request, slug)
    form = CurrencyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            currency = payments.set_up_currency(viewer, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{currency.name} is ready. Accounts open with each member's first payment.")
            return redirect("ledger_currencies", community.slug)
    context = {"community": community, "membership": viewer, "form": form}
    return render(request, "ledger/currency_form.html", context, status=400 if form.errors else 200)


# Coordinators: accounts


@login_required
def account_list(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    """Every account in one currency: holder, balance, limits, status, and a mark on those near a limit."""
    community, viewer = _coordinator(request, slug)
    currency = access.managed_currencies(viewer).filter(code=code).first()
    if currency is None:
        raise Http404("No currency with that code here.")
    accounts = (
        access.visible_accounts(viewer)
        .filter(currency=currency)
        .order_by("kind", "member__display_name", "organisation__name", "pk")
    )
    page = Paginator(accounts, ACCOUNTS_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [_position(account, account.holder_name) for account in page]
    context = {"community": community, "membership": viewer, "currency": currency, "page": page, "rows": rows}
    return render(request, "ledger/account_list.html", context)


@login_required
def account_detail(request: HttpRequest, slug: str, account_id: int) -> HttpResponse:
    """One account for coordinators: its figures, limits and status to change, transfers to reverse, holds to release."""
    community, viewer = _coordinator(request, slug)
    account = access.get_account_or_404(viewer, account_id)
    currency = account.currency
    which = request.POST.get("form") if request.method == "POST" else None
    base = account.debit_limit_base if account.debit_limit_base is not None else account.debit_limit
    limits_form = LimitsForm(
        request.POST if which == "limits" else None,
        currency=currency,
        prefix="limits",
        initial={"debit_limit": amount_for_input(base, currency),
                 "credit_limit": amount_for_input(account.credit_limit, currency)},
    )  # fmt: skip
    status_form = AccountStatusForm(
        request.POST if which == "status" else None, current=account.status, prefix="status"
    )
    if which in ("limits", "status"):
        form = limits_form if which == "limits" else status_form
        if form.is_valid():
            try:
                if which == "limits":
                    account_actions.set_limits(viewer, account, **form.cleaned_data)
                    messages.success(request, "Limits changed.")
                else:
                    account_actions.set_status(viewer, account, **form.cleaned_data)
                    messages.success(
                        request, f"The account is now {AccountStatus(form.cleaned_data['status']).label.lower()}."
                    )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                return redirect("ledger_account", community.slug, account.pk)
    holds = access.open_holds(viewer, everyone=True).filter(Q(debit_account=account) | Q(credit_account=account))
    mine = set(access.own_accounts(viewer).values_list("pk", flat=True))
    context = {
        "community": community,
        "membership": viewer,
        "account": account,
        "position": _position(account, account.holder_name),
        "grows": account.limit_growth_permille > 0 and account.debit_limit != base,
        "base_limit": _limit_text(currency, base),
        "limits_form": limits_form,
        "status_form": status_form,
        "movements": _movements(account, RECENT_ON_ACCOUNT),
        "holds": _hold_rows(holds[:HOLDS_SHOWN], viewer, mine),
        "history": community_access.audit_entries(viewer).filter(details__account=account.pk)[:HISTORY_SHOWN],
        "statement_url": _statement_url(community.slug, account.pk),
        "can_pay": account.kind in payments.HOLDER_KINDS and account.status == AccountStatus.ACTIVE,
    }
    has_errors = any(f.is_bound and f.errors for f in (limits_form, status_form))
    return render(request, "ledger/account_detail.html", context, status=400 if has_errors else 200)


@login_required
def reverse_transfer(request: HttpRequest, slug: str, transfer_id: int) -> HttpResponse:
    """The confirmation step before a reversal: what will move back, and why (required, audited)."""
    community, viewer = _coordinator(request, slug)
    original = access.get_transfer_or_404(viewer, transfer_id)
    form = ReasonForm(request.POST or None, label="Why are you reversing it?")
    if request.method == "POST" and form.is_valid():
        try:
            payments.reverse_transfer(viewer, original, form.cleaned_data["reason"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Transfer {original.pk} is reversed.")
            return redirect("ledger_account", community.slug, original.debit_account_id)
    reversal = Transfer.objects.filter(reverses=original).first()
    context = {
        "community": community,
        "membership": viewer,
        "transfer": original,
        "form": form,
        "payer": original.debit_account.holder_name,
        "payee": original.credit_account.holder_name,
        "amount": format_for(original.currency, original.amount),
        "reversal": reversal,
        "reversible": reversal is None
        and original.kind in (TransferKind.TRANSFER, TransferKind.POST)
        and not original.reverses_id,
    }
    return render(request, "ledger/account_reverse.html", context, status=400 if form.errors else 200)


def _on_behalf_form(data, viewer: Member, account: Account) -> OnBehalfForm:
    # Neither the payer nor the coordinator is offered as the payee: a coordinator never pays themselves this way.
    return OnBehalfForm(
        data,
        currency=account.currency,
        members=access.payee_members(viewer).exclude(pk=account.member_id or 0),
        organisations=access.payee_organisations(viewer).exclude(pk=account.organisation_id or 0),
    )


def _payer_account(viewer: Member, account_id: int) -> Account:
    account = access.get_account_or_404(viewer, account_id)
    if account.kind not in (AccountKind.MEMBER, AccountKind.ORGANISATION):
        raise Http404("Pay on behalf of members and organisations only.")
    return account


@login_required
def pay_on_behalf(request: HttpRequest, slug: str, account_id: int) -> HttpResponse:
    """A coordinator pays for a member who can't use the site themselves: form, then the same confirmation step."""
    community, viewer = _coordinator(request, slug)
    account = _payer_account(viewer, account_id)
    form = _on_behalf_form(request.POST if request.method == "POST" else None, viewer, account)
    context = {"community": community, "membership": viewer, "account": account, "on_behalf": True}
    if request.method == "POST" and "change" not in request.POST and form.is_valid():
        data = form.cleaned_data
        try:
            preview = payments.preview_on_behalf(
                viewer, account, data["payee_holder"], data["amount_units"], data["memo"], data["reason"]
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            confirm_url = reverse("ledger_pay_on_behalf_confirm", args=[community.slug, account.pk])
            return _confirmation(request, context, form, preview, confirm_url)
    context["form"] = form
    return render(request, "ledger/send_form.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def pay_on_behalf_confirm(request: HttpRequest, slug: str, account_id: int) -> HttpResponse:
    community, viewer = _coordinator(request, slug)
    account = _payer_account(viewer, account_id)
    form = _on_behalf_form(request.POST, viewer, account)
    if form.is_valid():
        data = form.cleaned_data
        try:
            posted = payments.send_on_behalf(
                viewer, account, data["payee_holder"], data["amount_units"], data["key"], data["memo"],
                data["reason"], data["category"],
            )  # fmt: skip
        except DomainError as error:
            if error.code.startswith("exists_with_different"):
                form = _with_fresh_key(lambda d: _on_behalf_form(d, viewer, account), request)
            else:
                add_domain_error(form, error)
        else:
            return _paid(request, community, posted)
    context = {"community": community, "membership": viewer, "account": account, "on_behalf": True, "form": form}
    return render(request, "ledger/send_form.html", context, status=400)


urlpatterns: list[URLPattern] = [
    path("", home, name="exchange_home"),
    path("send/", send, name="ledger_send"),
    path("send/confirm/", send_confirm, name="ledger_send_confirm"),
    path("send/receipt/<int:transfer_id>/", receipt, name="ledger_receipt"),
    path("holds/", holds, name="ledger_holds"),
    path("holds/<int:transfer_id>/release/", hold_release, name="ledger_hold_release"),
    path("currencies/", currencies, name="ledger_currencies"),
    path("currencies/new/", currency_create, name="ledger_currency_create"),
    path("currencies/<slug:code>/accounts/", account_list, name="ledger_accounts"),
    path("accounts/<int:account_id>/manage/", account_detail, name="ledger_account"),
    path("accounts/<int:account_id>/pay/", pay_on_behalf, name="ledger_pay_on_behalf"),
    path("accounts/<int:account_id>/pay/confirm/", pay_on_behalf_confirm, name="ledger_pay_on_behalf_confirm"),
    path("transfers/<int:transfer_id>/reverse/", reverse_transfer, name="ledger_reverse"),
]
