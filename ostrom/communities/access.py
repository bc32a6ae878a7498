"""Who may see or do what. Views and API endpoints ask here; none decides on its own.

Every lookup is scoped to a community, so one community's rows never leak into another's pages."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from . import domain
from .domain import Role, Status
from .models import ApiToken, AuditEntry, Community, Invitation, Member, Organisation, User


def get_community_or_404(slug: str) -> Community:
    try:
        return Community.objects.get(slug=slug)
    except Community.DoesNotExist:
        raise Http404("No community with that address.") from None


def get_membership(user: User, community: Community) -> Member | None:
    """The user's membership of the community, whatever its status, or None."""
    if not user.is_authenticated:
        return None
    return Member.objects.filter(community=community, user=user).select_related("organisation").first()


def memberships(user: User) -> QuerySet[Member]:
    """The communities a user belongs to or has asked to join, for the community switcher."""
    if not user.is_authenticated:
        return Member.objects.none()
    return (
        Member.objects.filter(user=user)
        .exclude(status=Status.LEFT)
        .select_related("community")
        .order_by("community__name")
    )


def require_active_member(user: User, community: Community) -> Member:
    """The viewer's active membership, or a 403 that says why."""
    member = get_membership(user, community)
    if member is None or not member.is_active:
        raise PermissionDenied("Only active members of this community can see this page.")
    return member


def community_and_member(user: User, slug: str) -> tuple[Community, Member]:
    """What every members' page of a community starts with: the community at ``slug`` and the user's active
    membership of it (404 for an unknown community; as ``require_active_member`` otherwise)."""
    community = get_community_or_404(slug)
    return community, require_active_member(user, community)


def require_coordinator(user: User, community: Community) -> Member:
    member = require_active_member(user, community)
    if not member.is_coordinator:
        raise PermissionDenied("Only coordinators of this community can do this.")
    return member


def can_manage_members(member: Member | None) -> bool:
    return member is not None and member.is_coordinator


def can_view_audit(member: Member | None) -> bool:
    return member is not None and member.is_coordinator


def visible_members(viewer: Member) -> QuerySet[Member]:
    """Members the viewer may see in the directory: active and listed, plus everyone for coordinators."""
    members = Member.objects.filter(community=viewer.community).select_related("organisation", "user")
    if viewer.is_coordinator:
        return members
    return members.filter(Q(status=Status.ACTIVE, listed_in_directory=True) | Q(pk=viewer.pk))


MAX_SEARCH_WORDS = 5


def search_members(members: QuerySet[Member], query: str) -> QuerySet[Member]:
    """Members whose name, skills, interests or shared area contain every word typed (at most five words)."""
    for word in query.lower().split()[:MAX_SEARCH_WORDS]:
        members = members.filter(search_text__contains=word)
    return members


def get_member_or_404(viewer: Member, member_id: int) -> Member:
    member = visible_members(viewer).filter(pk=member_id).first()
    if member is None:
        raise Http404("No member with that number here.")
    return member


def profile_visibility(viewer: Member, member: Member) -> domain.Visibility:
    return domain.profile_visibility(
        is_self=viewer.pk == member.pk,
        viewer_coordinates=viewer.is_coordinator and viewer.community_id == member.community_id,
        share_email=member.share_email,
        share_phone=member.share_phone,
        share_location=member.share_location,
    )


def visible_organisations(viewer: Member) -> QuerySet[Organisation]:
    """Current partners; coordinators also see former ones, so they can look back at who worked here."""
    organisations = Organisation.objects.filter(community=viewer.community)
    return organisations if viewer.is_coordinator else organisations.filter(is_active=True)


def get_organisation_or_404(viewer: Member, slug: str) -> Organisation:
    organisation = visible_organisations(viewer).filter(slug=slug).first()
    if organisation is None:
        raise Http404("No organisation with that address here.")
    return organisation


def can_edit_organisation(member: Member | None, organisation: Organisation) -> bool:
    """Coordinators edit any partner's page; staff edit their own organisation's."""
    if member is None or not member.is_active or member.community_id != organisation.community_id:
        return False
    return member.is_coordinator or (member.role == Role.STAFF and member.organisation_id == organisation.pk)


def can_create_organisation(member: Member | None) -> bool:
    return member is not None and member.is_coordinator


def assignable_roles(member: Member) -> list[Role]:
    return domain.assignable_roles(member.role) if member.is_active else []


def get_managed_member_or_404(coordinator: Member, member_id: int) -> Member:
    """A member of the coordinator's own community, whatever their status."""
    member = (
        Member.objects.filter(community=coordinator.community, pk=member_id)
        .select_related("user", "organisation")
        .first()
    )
    if member is None:
        raise Http404("No member with that number here.")
    return member


def community_invitations(coordinator: Member) -> QuerySet[Invitation]:
    return Invitation.objects.filter(community=coordinator.community).select_related("created_by", "organisation")


def get_invitation_or_404(coordinator: Member, invitation_id: int) -> Invitation:
    invitation = community_invitations(coordinator).filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404("No invitation with that number here.")
    return invitation


def audit_entries(coordinator: Member) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(community=coordinator.community).select_related("actor", "member")


def own_tokens(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(member__user=user).select_related("community", "member")


def get_own_token_or_404(user: User, token_id: int) -> ApiToken:
    token = own_tokens(user).filter(pk=token_id).first()
    if token is None:
        raise Http404("No token with that number.")
    return token
