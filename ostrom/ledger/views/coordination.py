"""Ledger pages: coordinators' bulk tools (levy, issuing credits, transfers for members) and importing history.

Thin: load through ledger.access, change through ledger.actions (bulk, imports), render. Every tool is two
steps without JavaScript: the form's "Preview" shows every row with its outcome (and why a row fails); the
preview's "Post" form carries the same inputs and the preview's batch key in hidden fields, re-validates and
posts everything or nothing. A post pressed twice posts once (same key). An uploaded file is kept in the cache
between the two steps, so it is not sent through the page twice."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path

from ostrom.communities import access as community_access
from ostrom.communities.domain import DomainError
from ostrom.communities.models import Community, Member

from .. import access
from ..actions import bulk, imports
from ..domain import csv_formats
from ..domain.csv_formats import FORMAT_LABELS, FileFormat
from ..forms import ImportForm, IssueForm, LevyForm, OnBehalfBulkForm, add_domain_error

# A preview lists every failing row, but only this many of the rows that are fine: a 50,000-row import
# would otherwise make a page too big to open.
OK_ROWS_SHOWN = 200
RECENT_BATCHES = 20
# Pasted lists go back through the page in a hidden field, so they stay well below Django's request limit.
MAX_LIST_ROWS = 5_000
IMPORT_KEPT_SECONDS = 2 * 60 * 60
BATCH_KINDS = {
    "levy": "Levy",
    "issue": "Credits issued",
    "on_behalf": "Transfers for members",
    "import": "Imported transfers",
    "opening_balances": "Opening balances",
}


def _coordinator(request: HttpRequest, slug: str) -> tuple[Community, Member]:
    community = community_access.get_community_or_404(slug)
    return community, community_access.require_coordinator(request.user, community)


@login_required
def tools(request: HttpRequest, slug: str) -> HttpResponse:
    """The coordinator's bulk tools and the batches posted lately."""
    community, coordinator = _coordinator(request, slug)
    batches = access.community_batches(coordinator).select_related("created_by")[:RECENT_BATCHES]
    rows = [(batch, BATCH_KINDS.get(batch.kind, batch.kind.replace("_", " ").capitalize())) for batch in batches]
    context = {"community": community, "membership": coordinator, "batches": rows}
    return render(request, "ledger/coord_home.html", context)


@login_required
def levy(request: HttpRequest, slug: str) -> HttpResponse:
    """Charge a fixed amount to every active member (or a list of them), paid into the currency's fees account."""
    community, coordinator = _coordinator(request, slug)

    def run(form: LevyForm, key: uuid.UUID, dry_run: bool) -> bulk.Result:
        data = form.cleaned_data
        people = None
        if data["who"] == "list":
            people, errors = csv_formats.parse_people(data["people"])
            _check_list_size(len(people) + len(errors))
            if errors:
                raise DomainError(errors[0].code, f"Line {errors[0].line}: {errors[0].message}", "people")
        planned = bulk.plan_levy(data["currency"], data["amount_units"], data["memo"], people)
        return bulk.run(
            coordinator, data["currency"], planned, key=key, kind="levy", memo=data["memo"], reason=data["memo"],
            dry_run=dry_run, leave_out_unpayable=data["leave_out"],
        )  # fmt: skip

    form = LevyForm(request.POST or None, coordinator=coordinator)
    return _two_steps(request, community, coordinator, form, "ledger/coord_levy.html", run)


@login_required
def issue(request: HttpRequest, slug: str) -> HttpResponse:
    """Issue credits from the currency's issuance account to a list of volunteers."""
    community, coordinator = _coordinator(request, slug)

    def run(form: IssueForm, key: uuid.UUID, dry_run: bool) -> bulk.Result:
        data = form.cleaned_data
        currency = data["currency"]
        units = csv_formats.Units(currency.kind, currency.scale)
        parsed = csv_formats.parse_payments(data["volunteers"], units, data["amount_units"])
        _check_list_size(len(parsed.rows) + len(parsed.errors))
        planned = bulk.plan_issue(currency, parsed.rows, parsed.errors)
        return bulk.run(
            coordinator, currency, planned, key=key, kind="issue", memo=data["memo"], reason=data["memo"],
            dry_run=dry_run,
        )  # fmt: skip

    form = IssueForm(request.POST or None, coordinator=coordinator)
    return _two_steps(request, community, coordinator, form, "ledger/coord_issue.html", run)


@login_required
def on_behalf(request: HttpRequest, slug: str) -> HttpResponse:
    """Transfers a coordinator makes for members (pasted or uploaded), each payer's record showing who made it."""
    community, coordinator = _coordinator(request, slug)

    def run(form: OnBehalfBulkForm, key: uuid.UUID, dry_run: bool) -> bulk.Result:
        data = form.cleaned_data
        currency = data["currency"]
        parsed = csv_formats.parse_on_behalf(data["rows"], csv_formats.Units(currency.kind, currency.scale))
        _check_list_size(len(parsed.rows) + len(parsed.errors))
        planned = bulk.plan_on_behalf(currency, parsed.rows, parsed.errors)
        return bulk.run(
            coordinator, currency, planned, key=key, kind="on_behalf", memo="Made by a coordinator",
            reason=data["reason"], dry_run=dry_run, audit_payers=True,
        )  # fmt: skip

    form = OnBehalfBulkForm(request.POST or None, request.FILES or None, coordinator=coordinator)
    return _two_steps(request, community, coordinator, form, "ledger/coord_on_behalf.html", run)


def _check_list_size(count: int) -> None:
    if count > MAX_LIST_ROWS:
        raise DomainError(
            "list_too_long", f"A list can hold at most {MAX_LIST_ROWS:,} lines; for more, use the import page."
        )


def _two_steps(request, community, coordinator, form, template, run) -> HttpResponse:
    """Preview, then post: the flow every bulk tool shares."""
    context = {"community": community, "membership": coordinator, "form": form}
    if request.method != "POST" or not form.is_valid():
        return render(request, template, context, status=400 if form.errors else 200)
    confirm = request.POST.get("action") == "confirm" and form.cleaned_data["key"] is not None
    key = form.cleaned_data["key"] if confirm else uuid.uuid4()
    try:
        result = run(form, key, not confirm)
    except DomainError as error:
        add_domain_error(form, error)
        return render(request, template, context, status=400)
    if result.batch is not None:
        return _posted(request, community, result)
    data = _confirm_data(request.POST, result.key, form)
    context.update(
        _preview_context(result, confirm), confirm_form=type(form)(data, coordinator=coordinator, auto_id=False)
    )
    return render(request, template, context, status=400 if result.failures else 200)


def _confirm_data(posted: QueryDict, key: uuid.UUID, form: forms.Form) -> QueryDict:
    data = posted.copy()
    data["key"] = str(key)
    if "rows" in form.fields and form.cleaned_data.get("upload"):
        data["rows"] = form.cleaned_data["rows"]  # the uploaded list travels on as text
    return data


def _preview_context(result: bulk.Result, confirm: bool) -> dict:
    ok_rows = [row for row in result.rows if not row.failed]
    shown = sorted([*result.failures, *ok_rows[:OK_ROWS_SHOWN]], key=lambda row: row.line)
    return {
        "result": result,
        "shown_rows": shown,
        "rows_not_shown": max(len(ok_rows) - OK_ROWS_SHOWN, 0),
        "changed_since_preview": confirm,
    }


def _posted(request: HttpRequest, community: Community, result: bulk.Result) -> HttpResponse:
    batch = result.batch
    if result.replayed:
        messages.info(request, f"This was already posted as batch {batch.pk}; nothing was posted twice.")
    else:
        messages.success(request, f"Posted {batch.transfer_count:,} transfers as batch {batch.pk}.")
    return redirect("ledger_coord_tools", community.slug)


@login_required
def import_file(request: HttpRequest, slug: str) -> HttpResponse:
    """Import past transfers or opening balances from a file: preview every row, then post all or nothing."""
    community, coordinator = _coordinator(request, slug)
    form = ImportForm(request.POST or None, request.FILES or None, coordinator=coordinator)
    context = {"community": community, "membership": coordinator, "form": form}
    template = "ledger/coord_import.html"
    if request.method != "POST" or not form.is_valid():
        return render(request, template, context, status=400 if form.errors else 200)
    data = form.cleaned_data
    confirm = request.POST.get("action") == "confirm" and data["key"] is not None
    text = cache.get(_kept(coordinator, data["key"])) if confirm else data["text"]
    if confirm and text is None:
        already = imports.posted_batch(coordinator, data["key"])
        if already is not None:
            messages.info(request, f"This file was already imported as batch {already.pk}; nothing was posted twice.")
            return redirect("ledger_coord_tools", community.slug)
        form.add_error(None, "The preview has expired. Choose the file again and preview it.")
        return render(request, template, context, status=400)
    if not text:
        form.add_error("upload", "Choose a file, or paste its contents.")
        return render(request, template, context, status=400)
    try:
        imported = imports.run(
            coordinator, data["currency"], text, reason=data["reason"],
            file_format=FileFormat(data["file_format"]) if data["file_format"] else None, names=data["names"],
            raise_limits=data["raise_limits"], dry_run=not confirm,
        )  # fmt: skip
    except DomainError as error:
        add_domain_error(form, error)
        return render(request, template, context, status=400)
    result = imported.result
    if result.batch is not None:
        cache.delete(_kept(coordinator, result.key))
        return _posted(request, community, result)
    cache.set(_kept(coordinator, result.key), text, IMPORT_KEPT_SECONDS)
    confirm_data = request.POST.copy()
    confirm_data["key"], confirm_data["file_format"], confirm_data["text"] = str(result.key), imported.format, ""
    context.update(
        _preview_context(result, confirm),
        confirm_form=ImportForm(confirm_data, coordinator=coordinator, auto_id=False),
        imported=imported,
        format_label=FORMAT_LABELS[imported.format],
    )
    return render(request, template, context, status=400 if result.failures else 200)


def _kept(coordinator: Member, key: uuid.UUID | None) -> str:
    return f"ledger-import:{coordinator.pk}:{key}"


urlpatterns: list[URLPattern] = [
    path("coordinate/", tools, name="ledger_coord_tools"),
    path("coordinate/levy/", levy, name="ledger_coord_levy"),
    path("coordinate/issue/", issue, name="ledger_coord_issue"),
    path("coordinate/on-behalf/", on_behalf, name="ledger_coord_on_behalf"),
    path("coordinate/import/", import_file, name="ledger_coord_import"),
]
