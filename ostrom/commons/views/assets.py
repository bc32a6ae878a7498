"""Assets pages, under /c/<slug>/commons/: the Commons home (what can be booked, by kind and owner), an asset's
page (its rules in words and a week of free and booked times, without names), and the coordinators' pages to add
and edit assets, their opening hours, maintenance and training permits, kits, and lending memberships.

Thin: load through access, change through actions, render. Every page works without JavaScript (plain forms,
POST then redirect). URL names `commons-assets` and `commons-asset` are what other parts link to."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ostrom.communities import access as community_access
from ostrom.communities.domain import DomainError
from ostrom.communities.forms import add_domain_error
from ostrom.communities.models import Member
from ostrom.ledger.domain.amounts import format_amount
from ostrom.ledger.models import Currency

from .. import usage
from ..access import assets as access
from ..actions import assets as actions
from ..asset_rules import zone_of
from ..domain.booking_rules import WEEKDAY_NAMES, WhoMayBook
from ..forms.assets import (
    AssetForm,
    KitForm,
    MaintenanceForm,
    MembershipForm,
    OpeningHoursForm,
    PermitForm,
    PlanForm,
    StockForm,
)
from ..models import Asset, AssetKind, OpeningWindow

KIND_HEADINGS = {
    AssetKind.SPACE: "Spaces",
    AssetKind.EQUIPMENT: "Equipment",
    AssetKind.ITEMS: "Things to borrow",
}
DAYS_SHOWN = 7
LIST_SIZE = 500


# --- in words ----------------------------------------------------------------------------------------------------


def clock(minute: int) -> str:
    return "midnight" if minute in (0, 24 * 60) else f"{minute // 60:02d}:{minute % 60:02d}"


def minutes_in_words(minutes: int) -> str:
    if minutes and minutes % (24 * 60) == 0:
        count, unit = minutes // (24 * 60), "day"
    elif minutes and minutes % 60 == 0:
        count, unit = minutes // 60, "hour"
    else:
        count, unit = minutes, "minute"
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def opening_hours_in_words(windows: list[OpeningWindow]) -> list[tuple[str, str]]:
    """(day, "09:00 to 17:00 and 18:00 to 22:00" or "Closed") for Monday to Sunday."""
    by_day: dict[int, list[str]] = {day: [] for day in range(7)}
    for window in sorted(windows, key=lambda w: (w.weekday, w.start_minute)):
        by_day[window.weekday].append(f"{clock(window.start_minute)} to {clock(window.end_minute)}")
    return [(WEEKDAY_NAMES[day], " and ".join(times) or "Closed") for day, times in by_day.items()]


def rules_in_words(asset: Asset) -> list[str]:
    """The booking rules as sentences a resident reads before booking."""
    who = {
        WhoMayBook.ANY_MEMBER.value: "Any member may book it.",
        WhoMayBook.TRAINED_MEMBERS.value: "Only members trained to use it may book it; ask a coordinator about "
        "training.",
        WhoMayBook.COORDINATORS.value: "Only coordinators may book it.",
    }[asset.who_may_book]
    lines = [who]
    if asset.lead_time_minutes:
        lines.append(f"Book at least {minutes_in_words(asset.lead_time_minutes)} ahead.")
    lines.append(f"The longest booking is {minutes_in_words(asset.max_duration_minutes)}.")
    if asset.max_bookings_per_month:
        count = asset.max_bookings_per_month
        lines.append(f"Each member may book it at most {count} time{'s' if count != 1 else ''} a month.")
    if asset.buffer_minutes:
        lines.append(f"{minutes_in_words(asset.buffer_minutes).capitalize()} is kept free between bookings.")
    if asset.hold_minutes:
        lines.append(
            f"A booking is held for {minutes_in_words(asset.hold_minutes)} until it is confirmed or picked up."
        )
    if asset.block_when_overdue:
        lines.append("Anyone with something overdue cannot make a new booking until it is back.")
    return lines


def money(currency: Currency | None, units: int) -> str:
    if currency is None:
        return str(units)
    return f"{format_amount(units, currency.kind, currency.scale, currency.symbol)} ({currency.name})"


def money_in_words(asset: Asset) -> list[str]:
    if asset.currency_id is None:
        return ["Free to use: no fee and no deposit."]
    lines = []
    if asset.fee_units:
        lines.append(f"Fee: {money(asset.currency, asset.fee_units)} a booking.")
    if asset.deposit_units:
        lines.append(f"Deposit: {money(asset.currency, asset.deposit_units)}, held while booked and given back after.")
    if asset.daily_overdue_fee_units:
        lines.append(f"Late return: {money(asset.currency, asset.daily_overdue_fee_units)} for each day late.")
    return lines or ["Free to use: no fee and no deposit."]


# --- pages everyone sees -----------------------------------------------------------------------------------------


@login_required
def commons_home(request: HttpRequest, slug: str) -> HttpResponse:
    """What the community shares, grouped by kind, with a filter by kind and owner."""
    community, viewer = community_access.community_and_member(request.user, slug)
    assets = access.visible_assets(viewer)
    owners = sorted({a.owner for a in assets if a.owner_id}, key=lambda o: o.name)
    kind, owner = request.GET.get("kind", ""), request.GET.get("owner", "")
    if kind in AssetKind.values:
        assets = assets.filter(kind=kind)
    if owner == "community":
        assets = assets.filter(owner__isnull=True)
    elif owner:
        assets = assets.filter(owner__slug=owner)
    groups = [(heading, [a for a in assets[:LIST_SIZE] if a.kind == k]) for k, heading in KIND_HEADINGS.items()]
    context = {
        "community": community,
        "membership": viewer,
        "groups": [(heading, items) for heading, items in groups if items],
        "kinds": AssetKind.choices,
        "owners": owners,
        "chosen_kind": kind,
        "chosen_owner": owner,
        "kits": access.visible_kits(viewer)[:LIST_SIZE],
        "can_create": access.can_create_asset(viewer),
        "can_manage_kits": access.can_manage_kits(viewer),
        "can_manage_memberships": access.can_manage_memberships(viewer),
    }
    return render(request, "commons/assets/home.html", context)


def _week_start(request: HttpRequest, asset: Asset) -> date:
    today = timezone.now().astimezone(zone_of(asset)).date()
    try:
        asked = date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        return today
    # Within a year either way: the page is for planning, and it keeps the work bounded.
    return min(max(asked, today - timedelta(days=366)), today + timedelta(days=366))


@login_required
def asset_detail(request: HttpRequest, slug: str, asset_slug: str) -> HttpResponse:
    """An asset: what it is, when it is open, its rules and fees in words, and a week of free and booked times."""
    community, viewer = community_access.community_and_member(request.user, slug)
    asset = access.get_asset_or_404(viewer, asset_slug)
    first_day = _week_start(request, asset)
    feed = reverse("commons-asset-feed", args=[community.slug, asset.slug, asset.feed_token])
    now = timezone.now()
    context = {
        "community": community,
        "membership": viewer,
        "asset": asset,
        "hours": opening_hours_in_words(list(asset.opening_windows.all())),
        "rules": rules_in_words(asset),
        "money": money_in_words(asset),
        "days": usage.days_view(asset, first_day, DAYS_SHOWN),
        "previous_week": first_day - timedelta(days=DAYS_SHOWN),
        "next_week": first_day + timedelta(days=DAYS_SHOWN),
        "maintenance": access.asset_maintenance(asset).filter(ends_at__gt=now)[:50],
        "kits": access.kits_containing(asset),
        "can_manage": access.can_manage_asset(viewer, asset),
        "has_permit": access.has_permit(viewer, asset),
        "feed_url": request.build_absolute_uri(feed),
    }
    return render(request, "commons/assets/detail.html", context)


@login_required
def kit_detail(request: HttpRequest, slug: str, kit_slug: str) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    kit = access.get_kit_or_404(viewer, kit_slug)
    context = {
        "community": community,
        "membership": viewer,
        "kit": kit,
        "items": kit.items.select_related("asset").order_by("asset__name"),
        "can_manage": access.can_manage_kits(viewer),
    }
    return render(request, "commons/assets/kit_detail.html", context)


# --- managing an asset -------------------------------------------------------------------------------------------


def _managed_asset(viewer: Member, asset_slug: str) -> Asset:
    """An asset the viewer manages: others get a 404, as if there were nothing to manage."""
    asset = access.get_asset_or_404(viewer, asset_slug)
    if not access.can_manage_asset(viewer, asset):
        raise Http404("No asset of yours with that address here.")
    return asset


def _currencies(viewer: Member):
    return Currency.objects.filter(community_id=viewer.community_id, is_active=True).order_by("name")


@login_required
def asset_new(request: HttpRequest, slug: str) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    if not access.can_create_asset(viewer):
        raise Http404("Only coordinators and partner staff add assets.")
    form = AssetForm(
        request.POST or None,
        owners=access.owners_for(viewer),
        currencies=_currencies(viewer),
        creating=True,
        initial={
            "kind": AssetKind.SPACE,
            "stock": 1,
            "who_may_book": WhoMayBook.ANY_MEMBER.value,
            "lead_time_minutes": 0,
            "max_duration_minutes": 240,
            "buffer_minutes": 0,
            "hold_minutes": 0,
            "fee_units": 0,
            "deposit_units": 0,
            "daily_overdue_fee_units": 0,
            "owner": viewer.organisation if not viewer.is_coordinator else None,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            asset = actions.create_asset(viewer, kind=data["kind"], stock=data["stock"], **form.asset_fields())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{asset.name} is added. Now set its opening hours.")
            return redirect("commons-asset-hours", community.slug, asset.slug)
    context = {"community": community, "membership": viewer, "form": form}
    return render(request, "commons/assets/new.html", context, status=400 if form.errors else 200)


@login_required
def asset_edit(request: HttpRequest, slug: str, asset_slug: str) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    asset = _managed_asset(viewer, asset_slug)
    form = AssetForm(
        request.POST or None,
        owners=access.owners_for(viewer),
        currencies=_currencies(viewer),
        creating=False,
        initial=AssetForm.initial_for(asset),
    )
    if request.method == "POST" and form.is_valid():
        try:
            changed = actions.update_asset(viewer, asset, **form.asset_fields())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{asset.name} is updated." if changed else "Nothing was changed.")
            return redirect("commons-asset", community.slug, asset.slug)
    context = {
        "community": community,
        "membership": viewer,
        "asset": asset,
        "form": form,
        "stock_form": StockForm(initial={"stock": asset.stock}) if asset.kind == AssetKind.ITEMS else None,
    }
    return render(request, "commons/assets/edit.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def asset_stock(request: HttpRequest, slug: str, asset_slug: str) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    asset = _managed_asset(viewer, asset_slug)
    form = StockForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["stock"]))
        return redirect("commons-asset-edit", community.slug, asset.slug)
    try:
        changed = actions.set_stock(viewer, asset, form.cleaned_data["stock"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{changed.name}: {changed.stock} in stock.")
    return redirect("commons-asset-edit", community.slug, asset.slug)


@login_required
@require_POST
def asset_active(request: HttpRequest, slug: str, asset_slug: str) -> HttpResponse:
    """Deactivate (no new bookings, off members' lists) or bring back: ``active`` is yes or no."""
    community, viewer = community_access.community_and_member(request.user, slug)
    asset = _managed_asset(viewer, asset_slug)
    active = request.POST.get("active") == "yes"
    try:
        actions.set_active(viewer, asset, active)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{asset.name} can be booked again." if active else f"{asset.name} is withdrawn.")
    if not active and not viewer.is_coordinator:
        return redirect("commons-assets", community.slug)  # staff no longer see it
    return redirect("commons-asset", community.slug, asset.slug)


@login_required
def asset_hours(request: HttpRequest, slug: str, asset_slug: str) -> HttpResponse:
    """Opening hours: seven days, up to two windows each."""
    community, viewer = community_access.community_and_member(request.user, slug)
    asset = _managed_asset(viewer, asset_slug)
    form = OpeningHoursForm(request.POST or None, initial=OpeningHoursForm.initial_for(asset.opening_windows.all()))
    if request.method == "POST" and form.is_valid():
        try:
            actions.set_opening_hours(viewer, asset, form.windows())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{asset.name}'s opening hours are saved.")
            return redirect("commons-asset", community.slug, asset.slug)
    context = {"community": community, "membership": viewer, "asset": asset, "form": form}
    return render(request, "commons/assets/hours.html", context, status=400 if form.errors else 200)


@login_required
def asset_maintenance(request: HttpRequest, slug: str, asset_slug: str) -> HttpResponse:
    """Maintenance coming up, and a form to add a period; overlapping bookings need confirming."""
    community, viewer = community_access.community_and_member(request.user, slug)
    asset = _managed_asset(viewer, asset_slug)
    form = MaintenanceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.add_maintenance(viewer, asset, data["starts_at"], data["ends_at"], data["reason"], data["force"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{asset.name} is blocked for maintenance then.")
            return redirect("commons-asset-maintenance", community.slug, asset.slug)
    context = {
        "community": community,
        "membership": viewer,
        "asset": asset,
        "form": form,
        "periods": access.asset_maintenance(asset).filter(ends_at__gt=timezone.now())[:100],
    }
    return render(request, "commons/assets/maintenance.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def maintenance_remove(request: HttpRequest, slug: str, asset_slug: str, period_id: int) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    asset = _managed_asset(viewer, asset_slug)
    period = access.get_maintenance_or_404(asset, period_id)
    try:
        actions.remove_maintenance(viewer, period)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "The maintenance period is removed.")
    return redirect("commons-asset-maintenance", community.slug, asset.slug)


@login_required
def asset_permits(request: HttpRequest, slug: str, asset_slug: str) -> HttpResponse:
    """Who has been trained to use it; grant a permit to another member."""
    community, viewer = community_access.community_and_member(request.user, slug)
    asset = _managed_asset(viewer, asset_slug)
    form = PermitForm(request.POST or None, members=access.permit_candidates(asset))
    if request.method == "POST" and form.is_valid():
        member = form.cleaned_data["member"]
        try:
            actions.grant_permit(viewer, asset, member)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{member.display_name} may now book {asset.name}.")
            return redirect("commons-asset-permits", community.slug, asset.slug)
    context = {
        "community": community,
        "membership": viewer,
        "asset": asset,
        "form": form,
        "permits": access.asset_permits(asset),
    }
    return render(request, "commons/assets/permits.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def permit_revoke(request: HttpRequest, slug: str, asset_slug: str, permit_id: int) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    asset = _managed_asset(viewer, asset_slug)
    permit = access.get_permit_or_404(asset, permit_id)
    try:
        actions.revoke_permit(viewer, permit)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{permit.member.display_name} may no longer book {asset.name}.")
    return redirect("commons-asset-permits", community.slug, asset.slug)


# --- kits --------------------------------------------------------------------------------------------------------


def _kit_assets(viewer: Member):
    return access.visible_assets(viewer).filter(is_active=True).order_by("name", "pk")[: actions.MAX_KIT_ITEMS * 4]


@login_required
def kit_new(request: HttpRequest, slug: str) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    if not access.can_manage_kits(viewer):
        raise Http404("Only coordinators make kits.")
    form = KitForm(request.POST or None, assets=_kit_assets(viewer), initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        try:
            kit = actions.create_kit(viewer, form.cleaned_data["name"], form.items(), form.cleaned_data["description"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"The kit “{kit.name}” is ready to book.")
            return redirect("commons-kit", community.slug, kit.slug)
    context = {"community": community, "membership": viewer, "form": form, "kit": None}
    return render(request, "commons/assets/kit_form.html", context, status=400 if form.errors else 200)


@login_required
def kit_edit(request: HttpRequest, slug: str, kit_slug: str) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    if not access.can_manage_kits(viewer):
        raise Http404("Only coordinators change kits.")
    kit = access.get_kit_or_404(viewer, kit_slug)
    form = KitForm(request.POST or None, assets=_kit_assets(viewer), initial=KitForm.initial_for(kit))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.update_kit(viewer, kit, data["name"], form.items(), data["description"], data["is_active"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"The kit “{data['name']}” is saved.")
            return redirect("commons-kit", community.slug, kit.slug)
    context = {"community": community, "membership": viewer, "form": form, "kit": kit}
    return render(request, "commons/assets/kit_form.html", context, status=400 if form.errors else 200)


# --- lending memberships -----------------------------------------------------------------------------------------


@login_required
def plans(request: HttpRequest, slug: str) -> HttpResponse:
    """Membership plans (how many items a member may have out) and who is on which; coordinators only."""
    community, viewer = community_access.community_and_member(request.user, slug)
    if not access.can_manage_memberships(viewer):
        raise Http404("Only coordinators manage lending memberships.")
    plan_form = PlanForm(request.POST if request.POST.get("form") == "plan" else None, prefix="plan")
    membership_form = MembershipForm(
        request.POST if request.POST.get("form") == "membership" else None,
        prefix="membership",
        members=access.community_members(viewer),
        plans=access.membership_plans(viewer),
    )
    if request.method == "POST":
        done = _plan_posted(request, viewer, plan_form) or _membership_posted(request, viewer, membership_form)
        if done:
            return redirect("commons-plans", community.slug)
    context = {
        "community": community,
        "membership": viewer,
        "plans": access.membership_plans(viewer),
        "memberships": access.memberships(viewer)[:LIST_SIZE],
        "plan_form": plan_form,
        "membership_form": membership_form,
    }
    failed = plan_form.errors or membership_form.errors
    return render(request, "commons/assets/plans.html", context, status=400 if failed else 200)


def _plan_posted(request: HttpRequest, viewer: Member, form: PlanForm) -> bool:
    if not form.is_bound or not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        plan = actions.create_plan(viewer, data["name"], data["max_items_out"], data["is_default"])
    except DomainError as error:
        add_domain_error(form, error)
        return False
    messages.success(request, f"The plan “{plan.name}” is added.")
    return True


def _membership_posted(request: HttpRequest, viewer: Member, form: MembershipForm) -> bool:
    if not form.is_bound or not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        actions.set_membership(viewer, data["member"], data["plan"], data["expires_on"])
    except DomainError as error:
        add_domain_error(form, error)
        return False
    plan = data["plan"]
    who = data["member"].display_name
    messages.success(request, f"{who} is on the {plan.name} plan." if plan else f"{who} has no plan of their own.")
    return True


@login_required
def plan_edit(request: HttpRequest, slug: str, plan_id: int) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    if not access.can_manage_memberships(viewer):
        raise Http404("Only coordinators manage lending memberships.")
    plan = access.get_plan_or_404(viewer, plan_id)
    form = PlanForm(
        request.POST or None,
        initial={"name": plan.name, "max_items_out": plan.max_items_out, "is_default": plan.is_default},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.update_plan(viewer, plan, data["name"], data["max_items_out"], data["is_default"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"The plan “{data['name']}” is saved.")
            return redirect("commons-plans", community.slug)
    context = {"community": community, "membership": viewer, "plan": plan, "form": form}
    return render(request, "commons/assets/plan_edit.html", context, status=400 if form.errors else 200)


urlpatterns: list[URLPattern] = [
    path("", commons_home, name="commons-assets"),
    path("assets/new/", asset_new, name="commons-asset-new"),
    path("assets/<slug:asset_slug>/", asset_detail, name="commons-asset"),
    path("assets/<slug:asset_slug>/edit/", asset_edit, name="commons-asset-edit"),
    path("assets/<slug:asset_slug>/stock/", asset_stock, name="commons-asset-stock"),
    path("assets/<slug:asset_slug>/active/", asset_active, name="commons-asset-active"),
    path("assets/<slug:asset_slug>/hours/", asset_hours, name="commons-asset-hours"),
    path("assets/<slug:asset_slug>/maintenance/", asset_maintenance, name="commons-asset-maintenance"),
    path(
        "assets/<slug:asset_slug>/maintenance/<int:period_id>/remove/",
        maintenance_remove,
        name="commons-asset-maintenance-remove",
    ),
    path("assets/<slug:asset_slug>/permits/", asset_permits, name="commons-asset-permits"),
    path("assets/<slug:asset_slug>/permits/<int:permit_id>/revoke/", permit_revoke, name="commons-asset-permit-revoke"),
    path("kits/new/", kit_new, name="commons-kit-new"),
    path("kits/<slug:kit_slug>/", kit_detail, name="commons-kit"),
    path("kits/<slug:kit_slug>/edit/", kit_edit, name="commons-kit-edit"),
    path("memberships/", plans, name="commons-plans"),
    path("memberships/plans/<int:plan_id>/", plan_edit, name="commons-plan-edit"),
]
