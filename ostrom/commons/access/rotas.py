"""Who may see or do what with teams and rotas. Self-managed teams are seen by every active member of the
community (so people can ask to join); a care circle is private to the people in it (and the community's
coordinators). A team's organisers manage it: members, shifts, the rota, the timebank. Team members set their own
availability, offer and take swaps and log their own hours. Nothing here returns another community's rows."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import Http404

from ostrom.communities.models import Member
from ostrom.ledger.models import Currency, CurrencyKind

from ..models import Shift, ShiftAssignment, ShiftPattern, SwapRequest, SwapStatus, Team, TeamKind, TeamMember


def visible_teams(viewer: Member) -> QuerySet[Team]:
    """Self-managed teams of the viewer's community, and the care circles they are in (coordinators: all)."""
    teams = Team.objects.filter(community_id=viewer.community_id)
    if not viewer.is_active:
        return teams.none()
    if viewer.is_coordinator:
        return teams
    return teams.filter(Q(kind=TeamKind.TEAM) | Q(memberships__member=viewer)).distinct()


def get_team_or_404(viewer: Member, slug: str) -> Team:
    team = visible_teams(viewer).filter(slug=slug).select_related("timebank").first()
    if team is None:
        raise Http404("No team with that name here.")
    return team


def membership_of(member: Member, team: Team) -> TeamMember | None:
    return TeamMember.objects.filter(team=team, member=member).first()


def is_in_team(member: Member | None, team: Team) -> bool:
    return member is not None and member.is_active and membership_of(member, team) is not None


def can_manage_team(viewer: Member | None, team: Team) -> bool:
    """Add people, shifts, make the rota: the team's organisers (self-management: no coordinator needed)."""
    if viewer is None or not viewer.is_active or viewer.community_id != team.community_id:
        return False
    return TeamMember.objects.filter(team=team, member=viewer, is_organiser=True).exists()


def can_create_team(viewer: Member | None) -> bool:
    return viewer is not None and viewer.is_active


def team_members(team: Team) -> QuerySet[TeamMember]:
    return team.memberships.select_related("member").order_by("member__display_name", "pk")


def team_patterns(team: Team) -> QuerySet[ShiftPattern]:
    return team.patterns.filter(is_active=True).order_by("weekday", "start_minute", "pk")


def team_shifts(team: Team, start: datetime, end: datetime) -> QuerySet[Shift]:
    """The team's shifts starting in [start, end), soonest first, with who is on them."""
    return (
        team.shifts.filter(starts_at__gte=start, starts_at__lt=end)
        .prefetch_related("assignments__member")
        .order_by("starts_at", "pk")
    )


def candidates(team: Team) -> QuerySet[Member]:
    """Active members of the team's community who are not in it yet, by name."""
    return (
        Member.objects.filter(community_id=team.community_id, status="active")
        .exclude(team_memberships__team=team)
        .order_by("display_name", "pk")
    )


def timebank_currencies(viewer: Member) -> QuerySet[Currency]:
    """The community's timebank currencies (kind time) a team can log hours in."""
    return Currency.objects.filter(community_id=viewer.community_id, kind=CurrencyKind.TIME, is_active=True).order_by(
        "name", "pk"
    )


def get_assignment_or_404(viewer: Member, assignment_id: int) -> ShiftAssignment:
    """A shift assignment in a team the viewer can see."""
    assignment = (
        ShiftAssignment.objects.filter(
            community_id=viewer.community_id, pk=assignment_id, shift__team__in=visible_teams(viewer)
        )
        .select_related("shift__team", "member")
        .first()
    )
    if assignment is None:
        raise Http404("No shift with that number here.")
    return assignment


def get_swap_or_404(viewer: Member, swap_id: int) -> SwapRequest:
    swap = (
        SwapRequest.objects.filter(
            community_id=viewer.community_id, pk=swap_id, assignment__shift__team__in=visible_teams(viewer)
        )
        .select_related(
            "assignment__shift__team", "assignment__member", "in_exchange_for__shift", "in_exchange_for__member"
        )
        .first()
    )
    if swap is None:
        raise Http404("No swap with that number here.")
    return swap


def open_swaps(team: Team, now: datetime) -> QuerySet[SwapRequest]:
    """Swap offers still looking for someone, for shifts not yet started."""
    return (
        SwapRequest.objects.filter(
            assignment__shift__team=team, status=SwapStatus.OPEN, assignment__shift__starts_at__gt=now
        )
        .select_related("assignment__shift", "assignment__member", "in_exchange_for__shift", "in_exchange_for__member")
        .order_by("assignment__shift__starts_at", "pk")
    )


def upcoming_assignments(member: Member, start: datetime, end: datetime) -> QuerySet[ShiftAssignment]:
    """The member's shifts starting in [start, end), soonest first."""
    return (
        ShiftAssignment.objects.filter(
            community_id=member.community_id, member=member, shift__starts_at__gte=start, shift__starts_at__lt=end
        )
        .select_related("shift__team")
        .order_by("shift__starts_at", "pk")
    )


def get_shift_or_404(viewer: Member, shift_id: int) -> Shift:
    shift = Shift.objects.filter(team__in=visible_teams(viewer), pk=shift_id).select_related("team").first()
    if shift is None:
        raise Http404("No shift with that number here.")
    return shift


def trade_candidates(viewer: Member, assignment: ShiftAssignment, start: datetime, end: datetime):
    """Other people's shifts in the same team, starting in [start, end), the viewer could propose a trade for."""
    return (
        ShiftAssignment.objects.filter(
            shift__team_id=assignment.shift.team_id, shift__starts_at__gt=start, shift__starts_at__lt=end
        )
        .exclude(shift_id=assignment.shift_id)
        .exclude(member=viewer)
        .select_related("member", "shift")
        .order_by("shift__starts_at", "pk")[:200]
    )


def offered_assignment_ids(viewer: Member, now: datetime) -> set[int]:
    """The viewer's shifts still to come that they have offered to swap."""
    return set(
        SwapRequest.objects.filter(
            assignment__member=viewer, status=SwapStatus.OPEN, assignment__shift__starts_at__gt=now
        ).values_list("assignment_id", flat=True)
    )
