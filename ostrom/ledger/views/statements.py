"""Ledger pages: balances, statements, the coordinators' summary and the downloads. Thin: load through
ledger.access, read through ledger.statements / reports / exports, render. Nothing here changes state.

Who sees what: a member sees their own accounts' statements, staff also their organisation's, coordinators
any account of their community, the summary and the ZIP. Someone who is not an active member of the
community gets "not found", so account numbers reveal nothing; anonymous visitors are sent to log in."""

from __future__ import annotations

import zoneinfo
from datetime import date
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone

from ostrom.communities import access as community_access
from ostrom.communities.models import Community, Member

from .. import access, exports, reports, statements
from ..domain.amounts import format_amount
from ..domain.limits import AccountState
from ..forms import AccountSearchForm, PeriodForm, StatementFilterForm, ZipForm
from ..models import Account, Currency

ACCOUNTS_PAGE_SIZE = 50
MAX_CURSOR = 10**18  # ids are 64-bit; anything longer is not a cursor we gave out


def _viewer(request: HttpRequest, slug: str) -> tuple[Community, Member]:
    """The community and the viewer's active membership; anyone else is told the page does not exist."""
    community = community_access.get_community_or_404(slug)
    membership = community_access.get_membership(request.user, community)
    if membership is None or not membership.is_active:
        raise Http404("There is nothing for you here.")
    return community, membership


def _coordinator(request: HttpRequest, slug: str) -> tuple[Community, Member]:
    community, membership = _viewer(request, slug)
    access.require_coordinator(membership)
    return community, membership


def _amount(currency: Currency, units: int | None) -> str:
    if units is None:
        return "No limit"
    return format_amount(units, currency.kind, currency.scale, currency.symbol)


def _cursor(value: str | None) -> int | None:
    if not value or not value.isdigit() or int(value) >= MAX_CURSOR:
        return None
    return int(value)


def _position(account: Account) -> dict:
    """What the top of a statement says: the balance, what can still be spent, the limits and the holds."""
    currency = account.currency
    state = AccountState(
        account.pk, account.debits_pending, account.debits_posted, account.credits_pending, account.credits_posted,
        account.debit_limit, account.credit_limit,
    )  # fmt: skip
    return {
        "balance": _amount(currency, account.balance),
        "available": _amount(currency, state.available) if state.available is not None else "No limit",
        "debit_limit": _amount(currency, account.debit_limit),
        "credit_limit": _amount(currency, account.credit_limit),
        "held_to_pay": _amount(currency, account.debits_pending),
        "held_to_receive": _amount(currency, account.credits_pending),
    }


@login_required
def statement_accounts(request: HttpRequest, slug: str) -> HttpResponse:
    """Your accounts with their balances; coordinators can also find any account in the community."""
    community, membership = _viewer(request, slug)
    own = list(
        access.own_accounts(membership).select_related("member", "organisation").order_by("currency__name", "pk")
    )
    context = {
        "community": community,
        "membership": membership,
        "own": [(account, _position(account)) for account in own],
        "is_coordinator": access.can_coordinate(membership),
    }
    if context["is_coordinator"]:
        currencies = list(Currency.objects.filter(community=community).order_by("name"))
        form = AccountSearchForm(request.GET, currencies=currencies)
        accounts = access.visible_accounts(membership).order_by("currency__name", "kind", "pk")
        if form.is_valid():
            if form.cleaned_data["q"]:
                words = form.cleaned_data["q"]
                accounts = accounts.filter(
                    Q(member__display_name__icontains=words)
                    | Q(organisation__name__icontains=words)
                    | Q(name__icontains=words)
                )
            if form.cleaned_data["currency"]:
                accounts = accounts.filter(currency__code=form.cleaned_data["currency"])
        page = Paginator(accounts, ACCOUNTS_PAGE_SIZE).get_page(request.GET.get("page"))
        query = urlencode({k: v for k, v in request.GET.items() if k in ("q", "currency") and v})
        context.update(
            search_form=form,
            accounts_page=page,
            accounts=[(account, _amount(account.currency, account.balance)) for account in page],
            search_query=query,
        )
    return render(request, "ledger/statement_accounts.html", context)


@login_required
def statement(request: HttpRequest, slug: str, account_id: int) -> HttpResponse:
    """Your balance and statement: the balance, what you can spend, your limits, pending holds, and every
    posted movement, newest first, a page at a time."""
    community, membership = _viewer(request, slug)
    account = access.get_account_or_404(membership, account_id)
    currency = account.currency
    form = StatementFilterForm(request.GET)
    context = {
        "community": community,
        "membership": membership,
        "account": account,
        "currency": currency,
        "position": _position(account),
        "holds": [(hold, _amount(currency, abs(hold.amount))) for hold in statements.pending_holds(account)],
        "form": form,
        "own": account.member_id == membership.pk,
    }
    if not form.is_valid():
        return render(request, "ledger/statement.html", context, status=400)
    page = statements.statement_page(
        account,
        _cursor(request.GET.get("before")),
        statements.DEFAULT_PAGE_SIZE,
        after_id=_cursor(request.GET.get("after")),
        **form.filters(),
    )
    query = form.query()
    context.update(
        lines=[
            {
                "line": line,
                "paid_in": _amount(currency, line.amount) if line.amount > 0 else "",
                "paid_out": _amount(currency, -line.amount) if line.amount < 0 else "",
                "balance_after": _amount(currency, line.balance_after),
            }
            for line in page.lines
        ],
        page=page,
        filtered=any(form.filters().values()),
        query=query,
        paged=bool(request.GET.get("before") or request.GET.get("after")),
        older_query=_join(query, f"before={page.older_cursor}") if page.older_cursor else "",
        newer_query=_join(query, f"after={page.newer_cursor}") if page.newer_cursor else "",
    )
    return render(request, "ledger/statement.html", context)


def _join(*parts: str) -> str:
    return "&".join(part for part in parts if part)


def _statement_export(request: HttpRequest, slug: str, account_id: int) -> tuple[Account, dict, str]:
    _, membership = _viewer(request, slug)
    account = access.get_account_or_404(membership, account_id)
    form = StatementFilterForm(request.GET)
    if not form.is_valid():
        raise _BadFilters(" ".join(e for errors in form.errors.values() for e in errors))
    name = f"statement-{account.community.slug}-{account.currency.code}-account-{account.pk}"
    return account, form.filters(), name


class _BadFilters(Exception):
    pass


@login_required
def statement_csv(request: HttpRequest, slug: str, account_id: int) -> HttpResponse:
    """The statement as CSV, streamed (columns in docs/ledger-export-formats.md)."""
    try:
        account, filters, name = _statement_export(request, slug, account_id)
    except _BadFilters as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    response = StreamingHttpResponse(exports.statement_csv(account, **filters), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@login_required
def statement_xlsx(request: HttpRequest, slug: str, account_id: int) -> HttpResponse:
    """The statement as an Excel workbook, with the same columns as the CSV."""
    try:
        account, filters, name = _statement_export(request, slug, account_id)
    except _BadFilters as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    response = HttpResponse(
        exports.statement_xlsx(account, **filters),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


def _period(request: HttpRequest, community: Community) -> tuple[PeriodForm, date, date]:
    form = PeriodForm(request.GET)
    start, end = reports.default_period(timezone.localdate(timezone=_zone(community)))
    if form.is_valid():
        start = form.cleaned_data["date_from"] or start
        end = form.cleaned_data["date_to"] or end
        if start > end:
            form.add_error("date_from", "The first day must be on or before the last day.")
    return form, start, end


def _zone(community: Community) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(community.time_zone)


@login_required
def report(request: HttpRequest, slug: str) -> HttpResponse:
    """The community ledger summary for coordinators, with the CSV and the ZIP of everything."""
    community, membership = _coordinator(request, slug)
    form, start, end = _period(request, community)
    currencies = list(Currency.objects.filter(community=community).order_by("name"))
    context = {
        "community": community,
        "membership": membership,
        "form": form,
        "zip_form": ZipForm(currencies=currencies),
        "date_from": start,
        "date_to": end,
        "query": urlencode({"date_from": start.isoformat(), "date_to": end.isoformat()}),
    }
    if not form.is_valid():
        return render(request, "ledger/report.html", context, status=400)
    context["summaries"] = [_summary_view(s) for s in reports.ledger_summary(community, start, end)]
    return render(request, "ledger/report.html", context)


def _summary_view(summary: reports.CurrencySummary) -> dict:
    currency = summary.currency

    def amount(units: int) -> str:
        return _amount(currency, units)

    return {
        "currency": currency,
        "summary": summary,
        "volume": amount(summary.volume.amount),
        "months": [(m, amount(m.amount)) for m in summary.months],
        "categories": [(c, amount(c.amount)) for c in summary.categories],
        "kinds": [(k, amount(k.balance), amount(k.held_to_pay), amount(k.held_to_receive)) for k in summary.kinds],
        "near_limits": [(n, amount(n.balance), amount(n.limit), amount(n.room)) for n in summary.near_limits],
        "balance_sum": amount(summary.balance_sum),
        "held_difference": amount(summary.held_difference),
    }


@login_required
def report_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """The summary as CSV (columns in docs/ledger-export-formats.md, summary.csv)."""
    community, _ = _coordinator(request, slug)
    form, start, end = _period(request, community)
    if not form.is_valid():
        message = " ".join(e for errors in form.errors.values() for e in errors)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
    rows = reports.summary_rows(reports.ledger_summary(community, start, end))
    response = StreamingHttpResponse(
        exports.stream_csv(exports.headers(exports.SUMMARY_COLUMNS), rows), content_type="text/csv; charset=utf-8"
    )
    name = f"ledger-summary-{community.slug}-{start.isoformat()}-{end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def export_zip(request: HttpRequest, slug: str) -> HttpResponse:
    """Everything in the community's ledger (or one currency's) as a ZIP of CSV files with a README, streamed."""
    community, _ = _coordinator(request, slug)
    currencies = list(Currency.objects.filter(community=community).order_by("name"))
    form = ZipForm(request.GET, currencies=currencies)
    if not form.is_valid():
        return HttpResponseBadRequest(
            "Choose one of the community's currencies, or every currency.", content_type="text/plain; charset=utf-8"
        )
    code = form.cleaned_data["currency"]
    currency = next((c for c in currencies if c.code == code), None)
    today = timezone.localdate(timezone=_zone(community)).isoformat()
    name = f"ledger-{community.slug}{f'-{currency.code}' if currency else ''}-{today}.zip"
    response = StreamingHttpResponse(exports.ledger_zip(community, currency), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


urlpatterns: list[URLPattern] = [
    path("statement/", statement_accounts, name="ledger_statement_accounts"),
    path("accounts/<int:account_id>/statement/", statement, name="ledger_statement"),
    path("accounts/<int:account_id>/statement.csv", statement_csv, name="ledger_export_statement_csv"),
    path("accounts/<int:account_id>/statement.xlsx", statement_xlsx, name="ledger_export_statement_xlsx"),
    path("report/", report, name="ledger_report"),
    path("report.csv", report_csv, name="ledger_report_csv"),
    path("export.zip", export_zip, name="ledger_export_zip"),
]
