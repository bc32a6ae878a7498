"""Volunteering pages, under /c/<slug>/market/volunteering/: open roles and applying for them; an organisation's
roles, their applications and the hours it logs; an employer's pledge. Thin: load through access, change through
actions, render. Every page works without JavaScript (plain forms, POST then redirect)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from ostrom.communities import access as community_access
from ostrom.communities.domain import DomainError
from ostrom.communities.forms import add_domain_error

from ..access import volunteering as access
from ..actions import volunteering as actions
from ..domain.volunteering import FIRST_PLEDGE_YEAR, LAST_PLEDGE_YEAR, PledgeProgress, hours
from ..forms.volunteering import AnswerForm, ApplyForm, LogHoursForm, PledgeForm, RoleForm
from ..models import ApplicationStatus, RoleStatus

# The most a list shows; a community with more roles than this closes old ones.
LIST_SIZE = 100
LOGS_SHOWN = 50


@login_required
def role_list(request: HttpRequest, slug: str) -> HttpResponse:
    """Open roles, the viewer's applications and hours, and a way in for those who post roles."""
    community, viewer = community_access.community_and_member(request.user, slug)
    roles = access.visible_roles(viewer).filter(status=RoleStatus.OPEN).order_by("-created_at", "-pk")[:LIST_SIZE]
    applications = access.own_applications(viewer).order_by("-created_at", "-pk")[:LIST_SIZE]
    logs = list(access.own_logs(viewer)[:LOGS_SHOWN])
    employer = (
        viewer.organisation if viewer.organisation_id and access.can_see_pledge(viewer, viewer.organisation) else None
    )
    context = {
        "community": community,
        "membership": viewer,
        "roles": roles,
        "applications": applications,
        "logs": [(log, hours(log.minutes)) for log in logs],
        "total_logged": hours(sum(log.minutes for log in logs)),
        "can_post": access.organisations_to_post_for(viewer).exists(),
        "employer": employer,
    }
    return render(request, "market/volunteering_list.html", context)


@login_required
def role_detail(request: HttpRequest, slug: str, role_id: int) -> HttpResponse:
    """A role, with the form to apply (or the viewer's application and how to withdraw it)."""
    community, viewer = community_access.community_and_member(request.user, slug)
    role = access.get_role_or_404(viewer, role_id)
    return _role_page(request, community, viewer, role, ApplyForm())


def _role_page(request, community, viewer, role, form, status=200) -> HttpResponse:
    mine = access.own_applications(viewer).filter(role=role, status__in=["applied", "accepted"]).first()
    context = {
        "community": community,
        "membership": viewer,
        "role": role,
        "form": form,
        "mine": mine,
        "can_manage": access.can_manage_role(viewer, role),
        "per_week": hours(role.minutes_per_week),
    }
    return render(request, "market/volunteering_role.html", context, status=status)


@login_required
@require_POST
def apply(request: HttpRequest, slug: str, role_id: int) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    role = access.get_role_or_404(viewer, role_id)
    form = ApplyForm(request.POST)
    if form.is_valid():
        try:
            actions.apply(viewer, role, form.cleaned_data["note"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request, f"You applied to volunteer as {role.title}. {role.organisation.name} will answer."
            )
            return redirect("market_volunteer_role", community.slug, role.pk)
    return _role_page(request, community, viewer, role, form, status=400)


@login_required
@require_POST
def withdraw(request: HttpRequest, slug: str, application_id: int) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    application = access.get_application_or_404(viewer, application_id)
    try:
        actions.withdraw(viewer, application)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"You withdrew your application for {application.role.title}.")
    return redirect("market_volunteer_role", community.slug, application.role_id)


# --- for organisations -----------------------------------------------------------------------------------------


@login_required
def manage(request: HttpRequest, slug: str) -> HttpResponse:
    """The roles the viewer's organisation posted (every organisation's, for coordinators)."""
    community, viewer = community_access.community_and_member(request.user, slug)
    organisations = access.organisations_to_post_for(viewer)
    if not organisations.exists():
        return _not_for_you(request, community, viewer)
    roles = access.managed_roles(viewer).order_by("status", "-created_at", "-pk")[:LIST_SIZE]
    context = {"community": community, "membership": viewer, "roles": roles, "organisations": organisations}
    return render(request, "market/volunteering_manage.html", context)


def _not_for_you(request, community, viewer) -> HttpResponse:
    context = {"community": community, "membership": viewer}
    return render(request, "market/volunteering_not_staff.html", context, status=403)


@login_required
def role_new(request: HttpRequest, slug: str) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    organisations = access.organisations_to_post_for(viewer)
    if not organisations.exists():
        return _not_for_you(request, community, viewer)
    form = RoleForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            role = actions.post_role(viewer, form.cleaned_data["organisation"], form.role_fields())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"You posted the role {role.title}. Members can now apply.")
            return redirect("market_volunteer_role_manage", community.slug, role.pk)
    context = {"community": community, "membership": viewer, "form": form}
    return render(request, "market/volunteering_role_new.html", context, status=400 if form.errors else 200)


@login_required
def role_manage(request: HttpRequest, slug: str, role_id: int) -> HttpResponse:
    """A role's applications to answer, its volunteers' hours to log, and the hours logged so far."""
    community, viewer = community_access.community_and_member(request.user, slug)
    role = access.get_managed_role_or_404(viewer, role_id)
    return _manage_page(request, community, viewer, role, None)


def _manage_page(request, community, viewer, role, log_form, status=200) -> HttpResponse:
    volunteers = access.accepted_volunteers(role)
    logs = list(access.role_logs(role)[:LOGS_SHOWN])
    context = {
        "community": community,
        "membership": viewer,
        "role": role,
        "applications": access.role_applications(role),
        "log_form": log_form or LogHoursForm(volunteers=volunteers),
        "has_volunteers": volunteers.exists(),
        "logs": [(log, hours(log.minutes)) for log in logs],
        "per_week": hours(role.minutes_per_week),
    }
    return render(request, "market/volunteering_role_manage.html", context, status=status)


@login_required
@require_POST
def answer(request: HttpRequest, slug: str, application_id: int, verdict: str) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    application = access.get_application_or_404(viewer, application_id)
    form = AnswerForm(request.POST)
    said = form.cleaned_data["answer"] if form.is_valid() else ""
    decide = actions.accept if verdict == ApplicationStatus.ACCEPTED else actions.decline
    try:
        decide(viewer, application, said)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        done = "accepted" if verdict == ApplicationStatus.ACCEPTED else "declined"
        messages.success(request, f"You {done} {application.member.display_name}. They have been told.")
    return redirect("market_volunteer_role_manage", community.slug, application.role_id)


@login_required
@require_POST
def log_hours(request: HttpRequest, slug: str, role_id: int) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    role = access.get_managed_role_or_404(viewer, role_id)
    form = LogHoursForm(request.POST, volunteers=access.accepted_volunteers(role))
    if form.is_valid():
        data = form.cleaned_data
        try:
            logged = actions.log_hours(
                viewer, role, data["member"], data["minutes"], data["worked_on"], data["key"], data["note"]
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            who, time = logged.log.member.display_name, hours(logged.log.minutes)
            if logged.replayed:
                messages.info(request, f"These hours were already logged: {time} for {who}. Nothing more was added.")
            else:
                messages.success(request, f"You logged {time} for {who}. They earned {time} of {logged.currency.name}.")
            return redirect("market_volunteer_role_manage", community.slug, role.pk)
    return _manage_page(request, community, viewer, role, form, status=400)


@login_required
@require_POST
def role_close(request: HttpRequest, slug: str, role_id: int) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    role = access.get_managed_role_or_404(viewer, role_id)
    try:
        actions.close_role(viewer, role)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{role.title} is closed. Anyone still waiting for an answer has been told.")
    return redirect("market_volunteer_role_manage", community.slug, role.pk)


# --- pledges -------------------------------------------------------------------------------------------------------


@login_required
def pledge(request: HttpRequest, slug: str, organisation_slug: str) -> HttpResponse:
    """An employer's pledge for a year (this one unless ?year= says otherwise) against the hours its staff gave."""
    community, viewer = community_access.community_and_member(request.user, slug)
    employer = access.get_pledge_employer_or_404(viewer, organisation_slug)
    this_year = actions.community_today(viewer).year
    year = _year(request.GET.get("year"), this_year)
    form = PledgeForm(request.POST or None, initial={"year": year})
    if request.method == "POST" and form.is_valid():
        try:
            saved = actions.set_pledge(viewer, employer, form.cleaned_data["year"], form.cleaned_data["minutes"] or 0)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{employer.name} pledges {hours(saved.minutes_pledged)} in {saved.year}.")
            return redirect(f"{request.path}?year={saved.year}")
    pledged = access.pledges(employer).filter(year=year).first()
    given, staff = access.hours_given_by_staff(employer, year)
    progress = PledgeProgress(pledged.minutes_pledged if pledged else 0, given)
    context = {
        "community": community,
        "membership": viewer,
        "employer": employer,
        "year": year,
        "form": form,
        "pledged": pledged,
        "progress": progress,
        "given_text": hours(given),
        "pledged_text": hours(progress.pledged),
        "remaining_text": hours(progress.remaining),
        "staff": [(name, hours(minutes)) for name, minutes in staff],
        "years": sorted({this_year, year, *access.pledges(employer).values_list("year", flat=True)}, reverse=True),
    }
    return render(request, "market/volunteering_pledge.html", context, status=400 if form.errors else 200)


def _year(raw: str | None, default: int) -> int:
    try:
        year = int(raw or default)
    except ValueError:
        return default
    return year if FIRST_PLEDGE_YEAR <= year <= LAST_PLEDGE_YEAR else default


urlpatterns: list[URLPattern] = [
    path("volunteering/", role_list, name="market_volunteering"),
    path("volunteering/roles/new/", role_new, name="market_volunteer_role_new"),
    path("volunteering/roles/<int:role_id>/", role_detail, name="market_volunteer_role"),
    path("volunteering/roles/<int:role_id>/apply/", apply, name="market_volunteer_apply"),
    path("volunteering/roles/<int:role_id>/manage/", role_manage, name="market_volunteer_role_manage"),
    path("volunteering/roles/<int:role_id>/log/", log_hours, name="market_volunteer_log"),
    path("volunteering/roles/<int:role_id>/close/", role_close, name="market_volunteer_role_close"),
    path("volunteering/applications/<int:application_id>/withdraw/", withdraw, name="market_volunteer_withdraw"),
    path(
        "volunteering/applications/<int:application_id>/accept/",
        answer,
        {"verdict": "accepted"},
        name="market_volunteer_accept",
    ),
    path(
        "volunteering/applications/<int:application_id>/decline/",
        answer,
        {"verdict": "declined"},
        name="market_volunteer_decline",
    ),
    path("volunteering/manage/", manage, name="market_volunteer_manage"),
    path("volunteering/pledges/<slug:organisation_slug>/", pledge, name="market_volunteer_pledge"),
]
