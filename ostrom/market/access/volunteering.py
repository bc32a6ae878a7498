"""Who may see or do what in volunteering. Every member sees the open roles of their own community; an
organisation's staff (and the community's coordinators) post its roles, answer applications and log hours; an
employer's staff (and coordinators) see and set its pledge. Nothing here returns another community's rows."""

from __future__ import annotations

from django.db.models import Q, QuerySet, Sum
from django.http import Http404

from ostrom.communities.domain import Role
from ostrom.communities.models import Member, Organisation

from ..domain.volunteering import year_bounds
from ..models import ApplicationStatus, RoleStatus, VolunteerApplication, VolunteerLog, VolunteerPledge, VolunteerRole


def speaks_for(viewer: Member | None, organisation: Organisation) -> bool:
    """Staff of the organisation, or a coordinator of its community: they act for it in volunteering."""
    if viewer is None or not viewer.is_active or viewer.community_id != organisation.community_id:
        return False
    if viewer.is_coordinator:
        return True
    return viewer.role == Role.STAFF and viewer.organisation_id == organisation.pk


def can_manage_role(viewer: Member | None, role: VolunteerRole) -> bool:
    """Post, change and close the role, answer its applications and log its volunteers' hours."""
    return speaks_for(viewer, role.organisation)


def organisations_to_post_for(viewer: Member) -> QuerySet[Organisation]:
    """The active organisations the viewer can post roles for: their own (staff), or every one (coordinators)."""
    organisations = Organisation.objects.filter(community_id=viewer.community_id, is_active=True)
    if not viewer.is_active:
        return organisations.none()
    if viewer.is_coordinator:
        return organisations
    if viewer.role == Role.STAFF and viewer.organisation_id:
        return organisations.filter(pk=viewer.organisation_id)
    return organisations.none()


def managed_roles(viewer: Member) -> QuerySet[VolunteerRole]:
    """Roles the viewer manages, in any state."""
    roles = VolunteerRole.objects.filter(community_id=viewer.community_id).select_related("organisation")
    return (
        roles.filter(organisation__in=organisations_to_post_for(viewer).values("pk"))
        if viewer.is_active
        else roles.none()
    )


def visible_roles(viewer: Member) -> QuerySet[VolunteerRole]:
    """Roles the viewer can see: open ones of their community, plus any they manage or applied for."""
    roles = VolunteerRole.objects.filter(community_id=viewer.community_id).select_related("organisation")
    if not viewer.is_active:
        return roles.none()
    if viewer.is_coordinator:
        return roles
    mine = Q(applications__member=viewer)
    if viewer.role == Role.STAFF and viewer.organisation_id:
        mine |= Q(organisation_id=viewer.organisation_id)
    return roles.filter(Q(status=RoleStatus.OPEN) | mine).distinct()


def get_role_or_404(viewer: Member, role_id: int) -> VolunteerRole:
    role = visible_roles(viewer).filter(pk=role_id).first()
    if role is None:
        raise Http404("No volunteering role with that number here.")
    return role


def get_managed_role_or_404(viewer: Member, role_id: int) -> VolunteerRole:
    """A role the viewer manages; any other (or another community's) is a 404, never a hint that it exists."""
    role = managed_roles(viewer).filter(pk=role_id).first()
    if role is None:
        raise Http404("No volunteering role of yours with that number here.")
    return role


def own_applications(viewer: Member) -> QuerySet[VolunteerApplication]:
    return VolunteerApplication.objects.filter(community_id=viewer.community_id, member=viewer).select_related(
        "role__organisation"
    )


def get_application_or_404(viewer: Member, application_id: int) -> VolunteerApplication:
    """An application the viewer made, or one to a role they manage."""
    application = (
        VolunteerApplication.objects.filter(community_id=viewer.community_id, pk=application_id)
        .select_related("role__organisation", "member__user")
        .first()
    )
    if application is None or not (application.member_id == viewer.pk or can_manage_role(viewer, application.role)):
        raise Http404("No application with that number here.")
    return application


def role_applications(role: VolunteerRole) -> QuerySet[VolunteerApplication]:
    """A role's applications, waiting ones first; for those who manage the role (check can_manage_role first)."""
    return role.applications.select_related("member").order_by("status", "created_at", "pk")


def accepted_volunteers(role: VolunteerRole) -> QuerySet[Member]:
    """Members whose application to the role was accepted: those whose hours can be logged."""
    return Member.objects.filter(
        volunteer_applications__role=role, volunteer_applications__status=ApplicationStatus.ACCEPTED
    ).order_by("display_name", "pk")


def own_logs(viewer: Member) -> QuerySet[VolunteerLog]:
    return VolunteerLog.objects.filter(community_id=viewer.community_id, member=viewer).select_related(
        "role__organisation"
    )


def role_logs(role: VolunteerRole) -> QuerySet[VolunteerLog]:
    return role.logs.select_related("member", "logged_by").order_by("-worked_on", "-pk")


def can_see_pledge(viewer: Member | None, employer: Organisation) -> bool:
    """An employer's pledge page names its staff and their hours: only its staff and coordinators see it."""
    return speaks_for(viewer, employer)


def get_pledge_employer_or_404(viewer: Member, slug: str) -> Organisation:
    employer = Organisation.objects.filter(community_id=viewer.community_id, slug=slug).first()
    if employer is None or not can_see_pledge(viewer, employer):
        raise Http404("No organisation of yours with that address here.")
    return employer


def pledges(employer: Organisation) -> QuerySet[VolunteerPledge]:
    return VolunteerPledge.objects.filter(community_id=employer.community_id, employer=employer)


# Staff listed by name on the pledge page; an employer with more volunteers than this sees the total and the top.
MAX_STAFF_LISTED = 200


def hours_given_by_staff(employer: Organisation, year: int) -> tuple[int, list[tuple[str, int]]]:
    """Minutes volunteered in ``year`` by people who were the employer's staff when their hours were logged: the
    total, and each person's (most first). For those who may see the pledge (check can_see_pledge first)."""
    first, last = year_bounds(year)
    logs = VolunteerLog.objects.filter(
        community_id=employer.community_id, employer=employer, worked_on__gte=first, worked_on__lte=last
    )
    total = logs.aggregate(total=Sum("minutes"))["total"] or 0
    per_person = (
        logs.values("member_id", "member__display_name")
        .annotate(minutes=Sum("minutes"))
        .order_by("-minutes", "member__display_name", "member_id")[:MAX_STAFF_LISTED]
    )
    return total, [(row["member__display_name"], row["minutes"]) for row in per_person]
