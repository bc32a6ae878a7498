"""Rota pages, under /c/<slug>/commons/teams/: the teams, a team's page (people, weekly shifts, the rota week by
week with who is on each shift and each person's hours against their fair share, shifts short of people said in
words, swap offers), and the forms to run it. Thin: load through access, change through actions, render. Every
page works without JavaScript (plain forms, POST then redirect)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_POST

from ostrom.communities import access as community_access
from ostrom.communities.domain import DomainError
from ostrom.communities.forms import add_domain_error
from ostrom.communities.models import Member

from ..access import rotas as access
from ..actions import rotas as actions
from ..forms.rotas import (
    AddMemberForm,
    GenerateForm,
    MemberSettingsForm,
    OfferSwapForm,
    PatternAvailabilityForm,
    PatternForm,
    TakeSwapForm,
    TeamForm,
    WindowForm,
    minutes_of,
    pattern_label,
)
from ..models import Team, TeamMember

# The team page shows this many weeks of the rota from the current one, and hours to log from this far back.
WEEKS_SHOWN = actions.MAX_WEEKS
LOG_LOOKBACK = timedelta(weeks=8)


@login_required
def team_list(request: HttpRequest, slug: str) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    teams = list(access.visible_teams(viewer).order_by("name", "pk"))
    mine = set(TeamMember.objects.filter(member=viewer, team__in=teams).values_list("team_id", flat=True))
    context = {"community": community, "membership": viewer, "rows": [(team, team.pk in mine) for team in teams]}
    return render(request, "commons/rotas/team_list.html", context)


@login_required
def team_new(request: HttpRequest, slug: str) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    form = TeamForm(request.POST or None, currencies=access.timebank_currencies(viewer))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            team = actions.create_team(viewer, data["name"], data["kind"], data["description"], data["timebank"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{team.name} is set up, and you are its organiser. Add people and shifts next.")
            return redirect("commons-team", community.slug, team.slug)
    context = {"community": community, "membership": viewer, "form": form}
    return render(request, "commons/rotas/team_new.html", context, status=400 if form.errors else 200)


@login_required
def team_detail(request: HttpRequest, slug: str, team_slug: str) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    team = access.get_team_or_404(viewer, team_slug)
    now = timezone.now()
    zone = timezone.get_current_timezone()
    this_monday = timezone.localdate(now, zone) - timedelta(days=timezone.localdate(now, zone).weekday())
    start = datetime.combine(this_monday, datetime.min.time(), tzinfo=zone)
    shifts = list(access.team_shifts(team, start, start + timedelta(weeks=WEEKS_SHOWN)))
    mine = access.membership_of(viewer, team)
    context = {
        "community": community,
        "membership": viewer,
        "team": team,
        "mine": mine,
        "can_manage": access.can_manage_team(viewer, team),
        "members": list(access.team_members(team)),
        "patterns": [(p, pattern_label(p)) for p in access.team_patterns(team)],
        "weeks": _weeks(shifts, viewer, now, zone),
        "loads": _loads(team, now),
        "swaps": list(access.open_swaps(team, now)),
        "take_form": TakeSwapForm(),
        "to_log": _to_log(team, viewer, now) if team.timebank_id and mine else [],
    }
    return render(request, "commons/rotas/team_detail.html", context)


def _weeks(shifts, viewer: Member, now: datetime, zone) -> list[tuple[date, list[dict]]]:
    by_week: dict[date, list[dict]] = defaultdict(list)
    offered = access.offered_assignment_ids(viewer, now)
    for shift in shifts:
        local = shift.starts_at.astimezone(zone).date()
        people = sorted(shift.assignments.all(), key=lambda a: a.pk)
        missing = max(shift.people_needed - len(people), 0)
        by_week[local - timedelta(days=local.weekday())].append(
            {
                "shift": shift,
                "people": people,
                "missing": missing,
                "reason": actions.UNFILLED_MESSAGES.get(shift.unfilled_reason, "") if missing else "",
                "my_assignment": next((a for a in people if a.member_id == viewer.pk), None),
                "offered": any(a.pk in offered for a in people if a.member_id == viewer.pk),
                "started": shift.starts_at <= now,
            }
        )
    return sorted(by_week.items())


def _loads(team: Team, now: datetime) -> list[dict]:
    rows = actions.team_rota(team, now, now + actions.UPCOMING).load_rows()
    return [
        {
            "member": row.member,
            "hours": actions.describe_minutes(row.minutes),
            "fair": actions.describe_minutes(row.fair_share_minutes),
            "within": row.within_one_shift,
            "max": actions.describe_minutes(row.max_minutes) if row.max_minutes is not None else "",
        }
        for row in rows
    ]


def _to_log(team: Team, viewer: Member, now: datetime):
    return list(
        viewer.shift_assignments.filter(
            shift__team=team,
            shift__ends_at__lte=now,
            shift__ends_at__gt=now - LOG_LOOKBACK,
            hours_transfer__isnull=True,
        )
        .select_related("shift")
        .order_by("shift__starts_at", "pk")
    )


def _managed(viewer: Member, team_slug: str) -> Team:
    """A team the viewer organises: others get a 404, as if there were nothing to manage."""
    team = access.get_team_or_404(viewer, team_slug)
    if not access.can_manage_team(viewer, team):
        raise Http404("No team of yours with that name here.")
    return team


def _in_team(viewer: Member, team_slug: str) -> tuple[Team, TeamMember]:
    team = access.get_team_or_404(viewer, team_slug)
    mine = access.membership_of(viewer, team)
    if mine is None:
        raise Http404("You are not in this team.")
    return team, mine


@login_required
def team_settings(request: HttpRequest, slug: str, team_slug: str) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    team = _managed(viewer, team_slug)
    initial = {"description": team.description, "timebank": team.timebank}
    form = TeamForm(
        request.POST or None, currencies=access.timebank_currencies(viewer), with_name=False, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_team(viewer, team, form.cleaned_data["description"], form.cleaned_data["timebank"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{team.name}'s settings are saved.")
            return redirect("commons-team", community.slug, team.slug)
    context = {"community": community, "membership": viewer, "team": team, "form": form}
    return render(request, "commons/rotas/team_settings.html", context, status=400 if form.errors else 200)


@login_required
def team_members(request: HttpRequest, slug: str, team_slug: str) -> HttpResponse:
    """Organisers add people and change how many hours each does."""
    community, viewer = community_access.community_and_member(request.user, slug)
    team = _managed(viewer, team_slug)
    form = AddMemberForm(request.POST or None, members=access.candidates(team))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            added = actions.add_member(
                viewer, team, data["member"], is_organiser=data["is_organiser"], max_minutes=form.max_minutes()
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{added.member.display_name} is in {team.name}.")
            return redirect("commons-team-members", community.slug, team.slug)
    rows = [
        (
            tm,
            MemberSettingsForm(
                initial={
                    "max_hours": None if tm.max_minutes_per_rota is None else tm.max_minutes_per_rota // 60,
                    "is_organiser": tm.is_organiser,
                },
                prefix=f"m{tm.pk}",
            ),
        )
        for tm in access.team_members(team)
    ]
    context = {"community": community, "membership": viewer, "team": team, "form": form, "rows": rows}
    return render(request, "commons/rotas/team_members.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def team_member_update(request: HttpRequest, slug: str, team_slug: str, team_member_id: int) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    team = _managed(viewer, team_slug)
    tm = _team_member_or_404(team, team_member_id)
    form = MemberSettingsForm(request.POST, prefix=f"m{tm.pk}")
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return redirect("commons-team-members", community.slug, team.slug)
    try:
        actions.update_member(
            viewer, tm, is_organiser=form.cleaned_data["is_organiser"], max_minutes=form.max_minutes()
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{tm.member.display_name}'s details are saved.")
    return redirect("commons-team-members", community.slug, team.slug)


@login_required
@require_POST
def team_member_remove(request: HttpRequest, slug: str, team_slug: str, team_member_id: int) -> HttpResponse:
    """An organiser takes someone off the team, or someone leaves it themselves."""
    community, viewer = community_access.community_and_member(request.user, slug)
    team = access.get_team_or_404(viewer, team_slug)
    tm = _team_member_or_404(team, team_member_id)
    if tm.member_id != viewer.pk and not access.can_manage_team(viewer, team):
        raise Http404("No one with that number in a team of yours.")
    try:
        freed = actions.remove_member(viewer, tm)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("commons-team", community.slug, team.slug)
    who = "You have" if tm.member_id == viewer.pk else f"{tm.member.display_name} has"
    extra = (
        f" {len(freed)} shift{'s' if len(freed) != 1 else ''} now need someone; the team will be told." if freed else ""
    )
    messages.success(request, f"{who} left {team.name}.{extra}")
    if tm.member_id == viewer.pk:
        return redirect("commons-teams", community.slug)
    return redirect("commons-team-members", community.slug, team.slug)


def _team_member_or_404(team: Team, team_member_id: int) -> TeamMember:
    tm = team.memberships.select_related("member", "team").filter(pk=team_member_id).first()
    if tm is None:
        raise Http404("No one with that number in this team.")
    return tm


@login_required
def team_patterns(request: HttpRequest, slug: str, team_slug: str) -> HttpResponse:
    """Organisers set the weekly shifts."""
    community, viewer = community_access.community_and_member(request.user, slug)
    team = _managed(viewer, team_slug)
    form = PatternForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            pattern = actions.add_pattern(
                viewer, team, data["title"], data["weekday"], minutes_of(data["start"]), data["duration_minutes"],
                data["people_needed"],
            )  # fmt: skip
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{pattern_label(pattern)} is added. Make the rota to put people on it.")
            return redirect("commons-team-patterns", community.slug, team.slug)
    patterns = [(p, pattern_label(p)) for p in access.team_patterns(team)]
    context = {"community": community, "membership": viewer, "team": team, "form": form, "patterns": patterns}
    return render(request, "commons/rotas/team_patterns.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def team_pattern_remove(request: HttpRequest, slug: str, team_slug: str, pattern_id: int) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    team = _managed(viewer, team_slug)
    pattern = access.team_patterns(team).filter(pk=pattern_id).first()
    if pattern is None:
        raise Http404("No shift with that number in this team.")
    actions.remove_pattern(viewer, pattern)
    messages.success(request, f"{pattern.title} is removed, with its shifts still to come.")
    return redirect("commons-team-patterns", community.slug, team.slug)


@login_required
def team_availability(request: HttpRequest, slug: str, team_slug: str) -> HttpResponse:
    """When I can work: weekly times (days, from, until) and the team's shifts I can do."""
    community, viewer = community_access.community_and_member(request.user, slug)
    team, mine = _in_team(viewer, team_slug)
    patterns = list(access.team_patterns(team))
    current = actions.windows_of(mine)
    window_form = WindowForm(request.POST if request.POST.get("form") == "window" else None)
    chosen = [p.pk for p in patterns if actions.window_of(p) in current]
    pattern_form = PatternAvailabilityForm(
        request.POST if request.POST.get("form") == "patterns" else None,
        patterns=patterns,
        initial={"patterns": chosen},
    )
    if request.method == "POST":
        windows = None
        if request.POST.get("form") == "window" and window_form.is_valid():
            windows = current + window_form.windows()
        elif request.POST.get("form") == "patterns" and pattern_form.is_valid():
            picked = {actions.window_of(p) for p in patterns if p.pk in pattern_form.cleaned_data["patterns"]}
            offered = {actions.window_of(p) for p in patterns}
            windows = [w for w in current if w not in offered] + sorted(picked)
        if windows is not None:
            try:
                actions.set_availability(viewer, mine, windows)
            except DomainError as error:
                add_domain_error(window_form if request.POST.get("form") == "window" else pattern_form, error)
            else:
                messages.success(request, "Your availability is saved.")
                return redirect("commons-team-availability", community.slug, team.slug)
    context = {
        "community": community,
        "membership": viewer,
        "team": team,
        "window_form": window_form,
        "pattern_form": pattern_form,
        "windows": [(index, describe_window(start, end)) for index, (start, end) in enumerate(current)],
    }
    failed = window_form.errors or pattern_form.errors
    return render(request, "commons/rotas/team_availability.html", context, status=400 if failed else 200)


@login_required
@require_POST
def team_availability_remove(request: HttpRequest, slug: str, team_slug: str, index: int) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    team, mine = _in_team(viewer, team_slug)
    current = actions.windows_of(mine)
    if index >= len(current):
        raise Http404("No such time.")
    actions.set_availability(viewer, mine, current[:index] + current[index + 1 :])
    messages.success(request, f"{describe_window(*current[index])} is removed.")
    return redirect("commons-team-availability", community.slug, team.slug)


def describe_window(start: int, end: int) -> str:
    """A weekly window as people say it: "Monday 09:00 to 12:00"."""

    def at(minute: int) -> tuple[str, str]:
        day, rest = divmod(minute % actions.MINUTES_PER_WEEK, actions.MINUTES_PER_DAY)
        return actions.weekday_name(day), f"{rest // 60:02d}:{rest % 60:02d}"

    (first_day, first), (last_day, last) = at(start), at(end)
    if end - start == actions.MINUTES_PER_WEEK:
        return "Any time"
    same_day = start // actions.MINUTES_PER_DAY == (end - 1) // actions.MINUTES_PER_DAY and last_day == first_day
    if same_day or (last == "00:00" and end - start <= actions.MINUTES_PER_DAY):
        return f"{first_day} {first} to {'24:00' if last == '00:00' else last}"
    return f"{first_day} {first} to {last_day} {last}"


@login_required
def team_generate(request: HttpRequest, slug: str, team_slug: str) -> HttpResponse:
    """Make (or remake) the rota for some weeks: shifts already started are kept."""
    community, viewer = community_access.community_and_member(request.user, slug)
    team = _managed(viewer, team_slug)
    today = timezone.localdate()
    next_monday = today + timedelta(days=7 - today.weekday())
    form = GenerateForm(request.POST or None, initial={"first_monday": next_monday, "weeks": 4})
    if request.method == "POST" and form.is_valid():
        try:
            made = actions.generate_rota(viewer, team, form.cleaned_data["first_monday"], form.cleaned_data["weeks"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            said = f"The rota is made: {len(made.shifts)} shifts."
            if made.unfilled_seats:
                said += f" {made.unfilled_seats} place{'s' if made.unfilled_seats != 1 else ''} on shifts still need someone."
            messages.success(request, said)
            return redirect("commons-team", community.slug, team.slug)
    context = {"community": community, "membership": viewer, "team": team, "form": form}
    return render(request, "commons/rotas/team_generate.html", context, status=400 if form.errors else 200)


@login_required
def shift_offer(request: HttpRequest, slug: str, assignment_id: int) -> HttpResponse:
    """Offer my shift to the team, or for a trade with someone else's."""
    community, viewer = community_access.community_and_member(request.user, slug)
    assignment = access.get_assignment_or_404(viewer, assignment_id)
    if assignment.member_id != viewer.pk:
        raise Http404("No shift of yours with that number.")
    team = assignment.shift.team
    now = timezone.now()
    other_assignments = list(access.trade_candidates(viewer, assignment, now, now + actions.UPCOMING))
    form = OfferSwapForm(request.POST or None, others=other_assignments)
    if request.method == "POST" and form.is_valid():
        wanted_id = form.cleaned_data["in_exchange_for"]
        wanted = next((a for a in other_assignments if a.pk == wanted_id), None)
        try:
            actions.offer_swap(viewer, assignment, form.cleaned_data["note"], wanted)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Your shift is offered. You stay on it until someone takes it.")
            return redirect("commons-team", community.slug, team.slug)
    context = {"community": community, "membership": viewer, "team": team, "assignment": assignment, "form": form}
    return render(request, "commons/rotas/shift_offer.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def swap_take(request: HttpRequest, slug: str, swap_id: int) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    swap = access.get_swap_or_404(viewer, swap_id)
    team = swap.assignment.shift.team
    form = TakeSwapForm(request.POST)
    accept = form.is_valid() and form.cleaned_data["accept_over_fair_share"]
    try:
        actions.take_swap(viewer, swap, accept_over_fair_share=accept)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, f"{swap.assignment.shift.title} is yours now. {swap.assignment.member.display_name} has been told."
        )
    return redirect("commons-team", community.slug, team.slug)


@login_required
@require_POST
def swap_withdraw(request: HttpRequest, slug: str, swap_id: int) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    swap = access.get_swap_or_404(viewer, swap_id)
    try:
        actions.withdraw_swap(viewer, swap)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Your offer is withdrawn. You are still on the shift.")
    return redirect("commons-team", community.slug, swap.assignment.shift.team.slug)


@login_required
@require_POST
def shift_volunteer(request: HttpRequest, slug: str, shift_id: int) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    shift = access.get_shift_or_404(viewer, shift_id)
    try:
        actions.volunteer_for_shift(viewer, shift)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Thank you: you are on {shift.title}.")
    return redirect("commons-team", community.slug, shift.team.slug)


@login_required
@require_POST
def shift_log_hours(request: HttpRequest, slug: str, assignment_id: int) -> HttpResponse:
    community, viewer = community_access.community_and_member(request.user, slug)
    assignment = access.get_assignment_or_404(viewer, assignment_id)
    try:
        logged = actions.log_hours(viewer, assignment)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        amount = actions.describe_minutes(logged.minutes)
        if logged.replayed:
            messages.info(request, f"These hours were already logged ({amount}).")
        else:
            messages.success(request, f"{amount} logged to {logged.currency.name}.")
    return redirect("commons-team", community.slug, assignment.shift.team.slug)


urlpatterns: list[URLPattern] = [
    path("teams/", team_list, name="commons-teams"),
    path("teams/new/", team_new, name="commons-team-new"),
    path("teams/<slug:team_slug>/", team_detail, name="commons-team"),
    path("teams/<slug:team_slug>/settings/", team_settings, name="commons-team-settings"),
    path("teams/<slug:team_slug>/members/", team_members, name="commons-team-members"),
    path("teams/<slug:team_slug>/members/<int:team_member_id>/", team_member_update, name="commons-team-member-update"),
    path(
        "teams/<slug:team_slug>/members/<int:team_member_id>/remove/",
        team_member_remove,
        name="commons-team-member-remove",
    ),
    path("teams/<slug:team_slug>/shifts/", team_patterns, name="commons-team-patterns"),
    path(
        "teams/<slug:team_slug>/shifts/<int:pattern_id>/remove/",
        team_pattern_remove,
        name="commons-team-pattern-remove",
    ),
    path("teams/<slug:team_slug>/availability/", team_availability, name="commons-team-availability"),
    path(
        "teams/<slug:team_slug>/availability/<int:index>/remove/",
        team_availability_remove,
        name="commons-team-availability-remove",
    ),
    path("teams/<slug:team_slug>/rota/", team_generate, name="commons-team-generate"),
    path("rota/assignments/<int:assignment_id>/offer/", shift_offer, name="commons-shift-offer"),
    path("rota/assignments/<int:assignment_id>/hours/", shift_log_hours, name="commons-shift-hours"),
    path("rota/shifts/<int:shift_id>/volunteer/", shift_volunteer, name="commons-shift-volunteer"),
    path("rota/swaps/<int:swap_id>/take/", swap_take, name="commons-swap-take"),
    path("rota/swaps/<int:swap_id>/withdraw/", swap_withdraw, name="commons-swap-withdraw"),
]
