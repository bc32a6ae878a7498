"""Pages about people: joining, the directory, profiles, organisations, coordinators' tools and your account.
Thin: each loads through ``access``, changes through ``actions`` and renders."""

import json

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from . import access, actions, domain
from .data_export import user_data
from .domain import DomainError, Status
from .forms import (
    AssistedSignUpForm,
    DirectorySearchForm,
    EraseForm,
    InvitationForm,
    JoinForm,
    OnBehalfProfileForm,
    OrganisationForm,
    ProfileForm,
    ReasonForm,
    RoleForm,
    SignUpForm,
    StatusForm,
    TokenForm,
    add_domain_error,
)
from .models import Community, Member

DIRECTORY_PAGE_SIZE = 24
MANAGE_PAGE_SIZE = 50
AUDIT_PAGE_SIZE = 50


class RejectedFormIs400:
    """Django's account views answer 200 to a rejected form; ours answer 400, like every other form here."""

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class LoginView(RejectedFormIs400, auth_views.LoginView):
    pass


class PasswordResetView(RejectedFormIs400, auth_views.PasswordResetView):
    pass


class PasswordResetConfirmView(RejectedFormIs400, auth_views.PasswordResetConfirmView):
    pass


class PasswordChangeView(RejectedFormIs400, auth_views.PasswordChangeView):
    pass


def _page(request: HttpRequest, items, size: int):
    return Paginator(items, size).get_page(request.GET.get("page"))


def _remember(request: HttpRequest, community: Community) -> None:
    request.session["community"] = community.slug


def community_list(request: HttpRequest) -> HttpResponse:
    """Every community on this installation, with the viewer's own first: the community switcher."""
    mine = list(access.memberships(request.user))
    mine_ids = {m.community_id for m in mine}
    others = Community.objects.exclude(pk__in=mine_ids)
    return render(request, "communities/community_list.html", {"mine": mine, "others": others})


def community_home(request: HttpRequest, slug: str) -> HttpResponse:
    """The community's dashboard for members; its public front page for everyone else."""
    community = access.get_community_or_404(slug)
    membership = access.get_membership(request.user, community)
    context = {"community": community, "membership": membership}
    if membership is None or not membership.is_active:
        return render(request, "communities/community_public.html", context)
    _remember(request, community)
    members = Member.objects.filter(community=community, status=Status.ACTIVE)
    context.update(
        member_count=members.count(),
        organisation_count=access.visible_organisations(membership).filter(is_active=True).count(),
        newcomers=access.visible_members(membership).filter(status=Status.ACTIVE).order_by("-joined_at")[:6],
        pending_count=Member.objects.filter(community=community, status=Status.PENDING).count()
        if membership.is_coordinator
        else 0,
    )
    return render(request, "communities/community_home.html", context)


def join(request: HttpRequest, slug: str, token: str | None = None) -> HttpResponse:
    """Sign up and join in one step, or join with an existing account; an invitation link skips approval."""
    community = access.get_community_or_404(slug)
    membership = access.get_membership(request.user, community)
    if membership is not None and membership.status != Status.LEFT:
        return redirect("community_home", community.slug)
    invitation = None
    if token:
        try:
            invitation = actions.find_invitation(community, token)
        except DomainError as error:
            return render(
                request, "communities/invitation_invalid.html", {"community": community, "error": error}, status=410
            )
    signed_in = request.user.is_authenticated
    form_class = JoinForm if signed_in else SignUpForm
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if signed_in:
                member = actions.join(request.user, community, invitation_token=token, **form.cleaned_data)
            else:
                member = actions.sign_up(community, invitation_token=token, **form.cleaned_data)
                login(request, member.user, backend="ostrom.communities.auth.EmailOrPhoneBackend")
        except DomainError as error:
            add_domain_error(form, error)
        else:
            _remember(request, community)
            if member.status == Status.PENDING:
                messages.success(request, f"Thank you. A coordinator of {community} will look at your request soon.")
            else:
                messages.success(request, f"Welcome to {community}!")
            return redirect("community_home", community.slug)
    status = 400 if form.errors else 200
    context = {"community": community, "form": form, "invitation": invitation, "signed_in": signed_in}
    return render(request, "communities/join.html", context, status=status)


@login_required
def directory(request: HttpRequest, slug: str) -> HttpResponse:
    community = access.get_community_or_404(slug)
    viewer = access.require_active_member(request.user, community)
    form = DirectorySearchForm(request.GET or None)
    members = access.visible_members(viewer).filter(status=Status.ACTIVE)
    query = form.cleaned_data["q"].strip().lower() if form.is_valid() else ""
    members = access.search_members(members, query)
    page = _page(request, members, DIRECTORY_PAGE_SIZE)
    context = {"community": community, "membership": viewer, "form": form, "page": page, "query": query}
    template = "communities/_directory_results.html" if request.htmx else "communities/directory.html"
    return render(request, template, context)


@login_required
def member_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    community = access.get_community_or_404(slug)
    viewer = access.require_active_member(request.user, community)
    member = access.get_member_or_404(viewer, pk)
    context = {
        "community": community,
        "membership": viewer,
        "member": member,
        "visible": access.profile_visibility(viewer, member),
        "can_manage": access.can_manage_members(viewer),
        "phone_display": domain.format_phone(member.user.phone) if member.user.phone else "",
    }
    return render(request, "communities/member_detail.html", context)


def _profile_form_page(request, community, viewer, member, form_class, template, on_success):
    form = form_class(request.POST or None, initial=ProfileForm.initial_for(member))
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in ProfileForm.base_fields}
        reason = form.cleaned_data.get("reason", "")
        try:
            actions.update_profile(request.user, member, reason=reason, **changes)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Profile saved.")
            return on_success()
    context = {"community": community, "membership": viewer, "member": member, "form": form}
    return render(request, template, context, status=400 if form.errors else 200)


@login_required
def profile_edit(request: HttpRequest, slug: str) -> HttpResponse:
    community = access.get_community_or_404(slug)
    member = access.require_active_member(request.user, community)
    return _profile_form_page(
        request,
        community,
        member,
        member,
        ProfileForm,
        "communities/profile_edit.html",
        lambda: redirect("member_detail", community.slug, member.pk),
    )


@login_required
def leave(request: HttpRequest, slug: str) -> HttpResponse:
    community = access.get_community_or_404(slug)
    member = access.require_active_member(request.user, community)
    error = None
    if request.method == "POST":
        try:
            actions.leave_community(member)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, f"You have left {community}. You can rejoin at any time.")
            return redirect("home")
    context = {"community": community, "membership": member, "error": error}
    return render(request, "communities/leave.html", context, status=400 if error else 200)


@login_required
def organisation_list(request: HttpRequest, slug: str) -> HttpResponse:
    community = access.get_community_or_404(slug)
    viewer = access.require_active_member(request.user, community)
    context = {
        "community": community,
        "membership": viewer,
        "organisations": access.visible_organisations(viewer),
        "can_create": access.can_create_organisation(viewer),
    }
    return render(request, "communities/organisation_list.html", context)


@login_required
def organisation_detail(request: HttpRequest, slug: str, org: str) -> HttpResponse:
    community = access.get_community_or_404(slug)
    viewer = access.require_active_member(request.user, community)
    organisation = access.get_organisation_or_404(viewer, org)
    context = {
        "community": community,
        "membership": viewer,
        "organisation": organisation,
        "staff": access.visible_members(viewer).filter(organisation=organisation, status=Status.ACTIVE),
        "can_edit": access.can_edit_organisation(viewer, organisation),
    }
    return render(request, "communities/organisation_detail.html", context)


def _organisation_form_page(request, community, viewer, organisation):
    initial = {f: getattr(organisation, f) for f in OrganisationForm.base_fields} if organisation else None
    form = OrganisationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if organisation is None:
                organisation = actions.create_organisation(viewer, **form.cleaned_data)
            else:
                actions.update_organisation(viewer, organisation, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Organisation saved.")
            return redirect("organisation_detail", community.slug, organisation.slug)
    context = {"community": community, "membership": viewer, "organisation": organisation, "form": form}
    return render(request, "communities/organisation_form.html", context, status=400 if form.errors else 200)


@login_required
def organisation_create(request: HttpRequest, slug: str) -> HttpResponse:
    community = access.get_community_or_404(slug)
    viewer = access.require_coordinator(request.user, community)
    return _organisation_form_page(request, community, viewer, None)


@login_required
def organisation_edit(request: HttpRequest, slug: str, org: str) -> HttpResponse:
    community = access.get_community_or_404(slug)
    viewer = access.require_active_member(request.user, community)
    organisation = access.get_organisation_or_404(viewer, org)
    if not access.can_edit_organisation(viewer, organisation):
        raise PermissionDenied("Only coordinators and this organisation's staff can edit its page.")
    return _organisation_form_page(request, community, viewer, organisation)


# Coordinators' tools


@login_required
def manage_members(request: HttpRequest, slug: str) -> HttpResponse:
    community = access.get_community_or_404(slug)
    coordinator = access.require_coordinator(request.user, community)
    status = request.GET.get("status", "")
    members = Member.objects.filter(community=community).select_related("user", "organisation")
    if status in Status.values:
        members = members.filter(status=status)
    context = {
        "community": community,
        "membership": coordinator,
        "page": _page(request, members, MANAGE_PAGE_SIZE),
        "status": status,
        "statuses": Status.choices,
        "pending_count": Member.objects.filter(community=community, status=Status.PENDING).count(),
    }
    return render(request, "communities/manage_members.html", context)


@login_required
def manage_member(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    community = access.get_community_or_404(slug)
    coordinator = access.require_coordinator(request.user, community)
    member = access.get_managed_member_or_404(coordinator, pk)
    status_form = StatusForm(request.POST if request.POST.get("form") == "status" else None)
    role_form = RoleForm(
        request.POST if request.POST.get("form") == "role" else None,
        prefix="role",
        actor=coordinator,
        initial={"role": member.role, "organisation": member.organisation_id},
    )
    link_form = ReasonForm(request.POST if request.POST.get("form") == "link" else None, prefix="link")
    password_link = None
    if request.method == "POST":
        try:
            password_link = _manage_member_post(request, coordinator, member, status_form, role_form, link_form)
        except DomainError as error:
            form = {"status": status_form, "role": role_form, "link": link_form}.get(
                request.POST.get("form"), status_form
            )
            add_domain_error(form, error)
        else:
            if password_link is None and not any(f.errors for f in (status_form, role_form, link_form)):
                return redirect("manage_member", community.slug, member.pk)
    context = {
        "community": community,
        "membership": coordinator,
        "member": member,
        "status_form": status_form,
        "role_form": role_form,
        "link_form": link_form,
        "can_change_role": member.role in access.assignable_roles(coordinator) and member.pk != coordinator.pk,
        "password_link": request.build_absolute_uri(password_link) if password_link else None,
        "history": access.audit_entries(coordinator).filter(member=member)[:20],
        "phone_display": domain.format_phone(member.user.phone) if member.user.phone else "",
    }
    has_errors = any(f.errors for f in (status_form, role_form, link_form))
    return render(request, "communities/manage_member.html", context, status=400 if has_errors else 200)


def _manage_member_post(request, coordinator, member, status_form, role_form, link_form) -> str | None:
    which = request.POST.get("form")
    if which == "status" and status_form.is_valid():
        reason = status_form.cleaned_data["reason"]
        operation = {
            "approve": actions.approve_member,
            "decline": actions.decline_member,
            "suspend": actions.suspend_member,
            "reinstate": actions.reinstate_member,
        }[status_form.cleaned_data["action"]]
        operation(coordinator, member, reason)
        messages.success(request, "Membership updated.")
    elif which == "role" and role_form.is_valid():
        actions.change_role(coordinator, member, **role_form.cleaned_data)
        messages.success(request, "Role updated.")
    elif which == "link" and link_form.is_valid():
        return actions.issue_password_link(coordinator, member, link_form.cleaned_data["reason"])
    return None


@login_required
def manage_member_profile(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    community = access.get_community_or_404(slug)
    coordinator = access.require_coordinator(request.user, community)
    member = access.get_managed_member_or_404(coordinator, pk)
    return _profile_form_page(
        request,
        community,
        coordinator,
        member,
        OnBehalfProfileForm,
        "communities/manage_member_profile.html",
        lambda: redirect("manage_member", community.slug, member.pk),
    )


@login_required
def manage_invitations(request: HttpRequest, slug: str) -> HttpResponse:
    community = access.get_community_or_404(slug)
    coordinator = access.require_coordinator(request.user, community)
    form = InvitationForm(request.POST or None, coordinator=coordinator)
    new_link = None
    if request.method == "POST" and form.is_valid():
        try:
            _, secret = actions.create_invitation(coordinator, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            new_link = request.build_absolute_uri(f"/c/{community.slug}/invitations/{secret}/")
            form = InvitationForm(coordinator=coordinator)
    context = {
        "community": community,
        "membership": coordinator,
        "form": form,
        "new_link": new_link,
        "invitations": access.community_invitations(coordinator)[:100],
        "now": timezone.now(),
    }
    return render(request, "communities/manage_invitations.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def revoke_invitation(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    community = access.get_community_or_404(slug)
    coordinator = access.require_coordinator(request.user, community)
    actions.revoke_invitation(coordinator, access.get_invitation_or_404(coordinator, pk))
    messages.success(request, "Invitation withdrawn.")
    return redirect("manage_invitations", community.slug)


@login_required
def assisted_sign_up(request: HttpRequest, slug: str) -> HttpResponse:
    community = access.get_community_or_404(slug)
    coordinator = access.require_coordinator(request.user, community)
    form = AssistedSignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "consent_given"}
        try:
            member = actions.assisted_sign_up(coordinator, **data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request,
                f"{member.display_name} is registered. They can use text messages, or you can give them a link to set a password.",
            )
            return redirect("manage_member", community.slug, member.pk)
    context = {"community": community, "membership": coordinator, "form": form}
    return render(request, "communities/assisted_sign_up.html", context, status=400 if form.errors else 200)


@login_required
def audit_log(request: HttpRequest, slug: str) -> HttpResponse:
    community = access.get_community_or_404(slug)
    coordinator = access.require_coordinator(request.user, community)
    page = _page(request, access.audit_entries(coordinator), AUDIT_PAGE_SIZE)
    return render(
        request, "communities/audit_log.html", {"community": community, "membership": coordinator, "page": page}
    )


# Your account


@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "memberships": access.memberships(user),
        "phone_display": domain.format_phone(user.phone) if user.phone else "",
    }
    return render(request, "communities/account.html", context)


@login_required
def account_data(request: HttpRequest) -> HttpResponse:
    """Everything Ostrom holds about the signed-in person, as a JSON download."""
    response = HttpResponse(json.dumps(user_data(request.user), indent=2, default=str), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="ostrom-my-data.json"'
    return response


@login_required
def account_erase(request: HttpRequest) -> HttpResponse:
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.erase_user(request.user, reason="Erasure requested by the member")
        except DomainError as error:
            add_domain_error(form, error)
        else:
            logout(request)
            messages.success(request, "Your personal data has been erased and you have been logged out.")
            return redirect("home")
    return render(request, "communities/account_erase.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    active = [m for m in access.memberships(request.user) if m.is_active]
    form = TokenForm(request.POST or None, memberships=active)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        member = next(m for m in active if str(m.pk) == form.cleaned_data["community"])
        try:
            _, new_secret = actions.create_api_token(member, form.cleaned_data["name"], form.cleaned_data["valid_days"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            form = TokenForm(memberships=active)
    context = {
        "form": form,
        "tokens": access.own_tokens(request.user),
        "new_secret": new_secret,
        "has_memberships": bool(active),
    }
    return render(request, "communities/tokens.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    actions.revoke_api_token(access.get_own_token_or_404(request.user, pk))
    messages.success(request, "Token revoked. Programs using it can no longer sign in.")
    return redirect("tokens")
