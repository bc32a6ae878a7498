"""Idle capacity made visible: for the last twelve months, per asset and per owner, the hours each asset was
open against the hours it was booked (utilisation), no-shows and requests turned away because nothing was free.
Every active member sees the figures (never names). A table, a bar chart drawn from the same figures (the table
is its text alternative), and a CSV download of the whole table."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone

from ostrom.communities import access as community_access
from ostrom.communities.models import Community, Member

from .. import usage
from ..access import assets as access
from ..domain.utilisation import MonthUsage

# The chart's drawing box, in SVG user units; the browser scales it to the page.
CHART_WIDTH = 640
CHART_HEIGHT = 240
CHART_TOP = 20
CHART_BOTTOM = 40
CHART_LEFT = 44
BAR_GAP = 8
CSV_COLUMNS = (
    "row",
    "name",
    "month",
    "open_minutes",
    "booked_minutes",
    "utilisation_percent",
    "no_show_minutes",
    "no_shows",
    "unmet_requests",
)


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    label: str
    label_x: int
    percent: str


def chart(row: usage.UsageRow) -> dict:
    """Bars for each month's utilisation on a 0–100% scale, with gridlines at 0, 50 and 100%."""
    months = row.months
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    slot = (CHART_WIDTH - CHART_LEFT) // max(len(months), 1)
    bars = []
    for index, month in enumerate(months):
        height = month.utilisation_permille * plot_height // 1000
        x = CHART_LEFT + index * slot + BAR_GAP // 2
        bars.append(
            Bar(
                x=x,
                y=CHART_TOP + plot_height - height,
                width=slot - BAR_GAP,
                height=height,
                label=month.month.strftime("%b"),
                label_x=x + (slot - BAR_GAP) // 2,
                percent=usage.percent_text(month.utilisation_permille),
            )
        )
    grid = [(CHART_TOP + plot_height - plot_height * share // 100, f"{share}%") for share in (0, 50, 100)]
    return {
        "bars": bars,
        "grid": grid,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "baseline": CHART_TOP + plot_height,
        "label_y": CHART_TOP + plot_height + 18,
    }


def _report(community: Community, viewer: Member) -> usage.UsageReport:
    start, end = usage.report_range(timezone.now(), ZoneInfo(community.time_zone))
    return usage.usage_report(community, list(access.visible_assets(viewer).select_related("community")), start, end)


def _chosen(report: usage.UsageReport, request: HttpRequest) -> usage.UsageRow:
    """The row the member picked (?asset=<id> or ?owner=<key>), else the whole community."""
    asset, owner = request.GET.get("asset", ""), request.GET.get("owner", "")
    for row in report.assets:
        if asset and row.key == asset:
            return row
    for row in report.owners:
        if owner and row.key == owner:
            return row
    return report.community


@login_required
def utilisation(request: HttpRequest, slug: str) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    report = _report(community, viewer)
    chosen = _chosen(report, request)
    context = {
        "community": community,
        "membership": viewer,
        "report": report,
        "chosen": chosen,
        "months": [(m, _cells(m)) for m in chosen.months],
        "chosen_totals": _cells(chosen.totals),
        "owners": [(row, _cells(row.totals)) for row in report.owners],
        "assets": [(row, _cells(row.totals)) for row in report.assets],
        "chart": chart(chosen),
        "first_month": report.months[0] if report.months else None,
        "query": request.GET.urlencode(),
    }
    return render(request, "commons/utilisation/page.html", context)


def _cells(totals: usage.Totals | MonthUsage) -> dict:
    """A row's figures as people read them: hours to a tenth, utilisation as a percentage."""
    return {
        "open": usage.hours_text(totals.open_minutes),
        "booked": usage.hours_text(totals.booked_minutes),
        "percent": usage.percent_text(totals.utilisation_permille),
        "no_show_hours": usage.hours_text(totals.no_show_minutes),
        "no_shows": totals.no_shows,
        "unmet": totals.unmet_requests,
    }


@login_required
def utilisation_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """Every row of the report (the community, each owner, each asset) month by month, in minutes."""
    community, viewer = community_access.community_and_member(request.user, slug)
    report = _report(community, viewer)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{community.slug}-utilisation.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    rows = [("community", report.community)]
    rows += [("owner", row) for row in report.owners] + [("asset", row) for row in report.assets]
    for kind, row in rows:
        for month in row.months:
            writer.writerow(
                [
                    kind,
                    _safe_cell(row.name),
                    month.month.strftime("%Y-%m"),
                    month.open_minutes,
                    month.booked_minutes,
                    usage.percent_text(month.utilisation_permille).rstrip("%"),
                    month.no_show_minutes,
                    month.no_shows,
                    month.unmet_requests,
                ]
            )
    return response


def _safe_cell(text: str) -> str:
    """Names typed by people must not be read as formulas by a spreadsheet (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


urlpatterns: list[URLPattern] = [
    path("utilisation/", utilisation, name="commons-utilisation"),
    path("utilisation.csv", utilisation_csv, name="commons-utilisation-csv"),
]
