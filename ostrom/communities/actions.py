"""Every change to people, memberships and organisations happens here, in one transaction each.

Views, the API, management commands and tests all call these functions, so each rule is enforced once.
A coordinator acting on someone else's behalf always leaves an audit row."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify

from . import domain
from .domain import DomainError, Role, Status
from .models import ApiToken, AuditEntry, Community, Invitation, Member, Organisation, User

INVITATION_MAX_DAYS = 90
INVITATION_MAX_USES = 500
TOKEN_MAX_DAYS = 366
TOKEN_PREFIX = "ost_"  # noqa: S105 - a public marker, not a secret
PROFILE_FIELDS = {
    "display_name",
    "bio",
    "skills",
    "interests",
    "languages",
    "availability",
    "contact_preferences",
    "postcode_district",
    "latitude",
    "longitude",
    "share_email",
    "share_phone",
    "share_location",
    "listed_in_directory",
}


def audit(
    community: Community,
    actor: User | None,
    action: str,
    member: Member | None = None,
    reason: str = "",
    **details: Any,
) -> AuditEntry:
    """Record who did what to whom and why."""
    return AuditEntry.objects.create(
        community=community, actor=actor, action=action, member=member, reason=reason[:500], details=details
    )


def _contact(email: str | None, phone: str | None) -> tuple[str | None, str | None]:
    email = domain.normalise_email(email) if email and email.strip() else None
    phone = domain.normalise_phone(phone, settings.PHONE_DEFAULT_REGION) if phone and phone.strip() else None
    if email and User.objects.filter(email=email).exists():
        raise DomainError("email_taken", "An account with this email address already exists. Log in to join.", "email")
    if phone and User.objects.filter(phone=phone).exists():
        raise DomainError("phone_taken", "An account with this phone number already exists. Log in to join.", "phone")
    return email, phone


def _create_user(full_name: str, email: str | None, phone: str | None, password: str | None) -> User:
    full_name = " ".join(full_name.split())
    if not full_name:
        raise DomainError("name_required", "Enter your name.", "full_name")
    email, phone = _contact(email, phone)
    if not email and not phone:
        raise DomainError("contact_required", "Enter an email address or a phone number.", "email")
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, phone=phone, password=password, full_name=full_name)
    except IntegrityError:  # someone registered the same address a moment ago
        raise DomainError(
            "email_taken", "An account with these details already exists. Log in to join.", "email"
        ) from None


def _new_member(
    community: Community,
    user: User,
    *,
    display_name: str,
    status: Status,
    role: Role = Role.MEMBER,
    organisation: Organisation | None = None,
) -> Member:
    display_name = " ".join((display_name or user.full_name).split())[:80]
    member = Member(
        community=community,
        user=user,
        display_name=display_name,
        status=status,
        role=role,
        organisation=organisation,
        approved_at=timezone.now() if status == Status.ACTIVE else None,
    )
    member.search_text = domain.search_text(member.display_name, [], [], "")
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:
        raise DomainError("already_member", "You already belong to this community.") from None
    return member


def find_invitation(community: Community, raw_token: str) -> Invitation:
    """The usable invitation behind a link, or a clear reason why it cannot be used."""
    invitation = Invitation.objects.filter(community=community, token_hash=domain.hash_token(raw_token)).first()
    if invitation is None:
        raise DomainError("invitation_unknown", "This invitation link is not valid. Ask for a new one.")
    if invitation.revoked_at:
        raise DomainError("invitation_revoked", "This invitation has been withdrawn. Ask for a new one.")
    if invitation.expires_at <= timezone.now():
        raise DomainError("invitation_expired", "This invitation has expired. Ask for a new one.")
    if invitation.use_count >= invitation.max_uses:
        raise DomainError("invitation_used", "This invitation has already been used.")
    return invitation


def _use_invitation(community: Community, raw_token: str, email: str | None) -> Invitation:
    invitation = find_invitation(community, raw_token)
    if invitation.email and domain.normalise_email(invitation.email) != (email or ""):
        raise DomainError("invitation_other_email", "This invitation was sent to a different email address.")
    # Compare-and-set, so two people racing for the last use of a link cannot both get in.
    updated = Invitation.objects.filter(pk=invitation.pk, use_count__lt=F("max_uses")).update(
        use_count=F("use_count") + 1
    )
    if not updated:
        raise DomainError("invitation_used", "This invitation has already been used.")
    return invitation


@transaction.atomic
def sign_up(
    community: Community,
    *,
    full_name: str,
    password: str,
    email: str | None = None,
    phone: str | None = None,
    display_name: str = "",
    invitation_token: str | None = None,
) -> Member:
    """Create a login and a membership in one step (self sign-up, optionally through an invitation)."""
    invitation = None
    if invitation_token:
        invitation = _use_invitation(community, invitation_token, domain.normalise_email(email) if email else None)
    status = domain.initial_status(community.join_policy, invited=invitation is not None)
    user = _create_user(full_name, email, phone, password)
    return _new_member(
        community,
        user,
        display_name=display_name,
        status=status,
        role=invitation.role if invitation else Role.MEMBER,
        organisation=invitation.organisation if invitation else None,
    )


@transaction.atomic
def join(user: User, community: Community, *, invitation_token: str | None = None, display_name: str = "") -> Member:
    """An existing user joins another community (or rejoins one they left)."""
    invitation = _use_invitation(community, invitation_token, user.email) if invitation_token else None
    status = domain.initial_status(community.join_policy, invited=invitation is not None)
    existing = Member.objects.select_for_update().filter(community=community, user=user).first()
    if existing is not None:
        if existing.status != Status.LEFT:
            raise DomainError("already_member", "You already belong to this community.")
        existing.status = status
        # Rejoining starts afresh: a role held before leaving is not restored, only what an invitation grants.
        existing.role = invitation.role if invitation else Role.MEMBER
        existing.organisation = invitation.organisation if invitation else None
        existing.approved_at = timezone.now() if status == Status.ACTIVE else None
        existing.save(update_fields=["status", "role", "organisation", "approved_at"])
        return existing
    return _new_member(
        community,
        user,
        display_name=display_name,
        status=status,
        role=invitation.role if invitation else Role.MEMBER,
        organisation=invitation.organisation if invitation else None,
    )


@transaction.atomic
def create_invitation(
    coordinator: Member,
    *,
    email: str = "",
    role: str = Role.MEMBER,
    organisation: Organisation | None = None,
    note: str = "",
    valid_days: int = 14,
    max_uses: int = 1,
) -> tuple[Invitation, str]:
    """Make an invitation link. Returns the invitation and the secret token, which is shown once."""
    if not coordinator.is_coordinator:
        raise DomainError("not_coordinator", "Only coordinators can invite people.")
    if role not in domain.assignable_roles(coordinator.role):
        raise DomainError("role_not_allowed", "Only an administrator can invite coordinators.", "role")
    if role == Role.STAFF and organisation is None:
        raise DomainError(
            "organisation_required", "Choose the organisation the new staff member works for.", "organisation"
        )
    if organisation is not None and organisation.community_id != coordinator.community_id:
        raise DomainError("organisation_unknown", "Choose one of this community's organisations.", "organisation")
    if not 1 <= valid_days <= INVITATION_MAX_DAYS:
        raise DomainError(
            "invalid_expiry", f"An invitation can last from 1 to {INVITATION_MAX_DAYS} days.", "valid_days"
        )
    if not 1 <= max_uses <= INVITATION_MAX_USES:
        raise DomainError(
            "invalid_max_uses", f"An invitation can be used from 1 to {INVITATION_MAX_USES} times.", "max_uses"
        )
    secret, token_hash = domain.new_token()
    invitation = Invitation.objects.create(
        community=coordinator.community,
        token_hash=token_hash,
        email=domain.normalise_email(email) if email else "",
        role=role,
        organisation=organisation if role == Role.STAFF else None,
        note=note[:200],
        created_by=coordinator,
        expires_at=timezone.now() + timedelta(days=valid_days),
        max_uses=max_uses,
    )
    audit(
        coordinator.community, coordinator.user, "invitation.created", None, note, invitation=invitation.pk, role=role
    )
    return invitation, secret


@transaction.atomic
def revoke_invitation(coordinator: Member, invitation: Invitation) -> None:
    """Withdraw an invitation link so nobody else can use it."""
    if invitation.community_id != coordinator.community_id or not coordinator.is_coordinator:
        raise DomainError("not_coordinator", "Only this community's coordinators can withdraw its invitations.")
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit(coordinator.community, coordinator.user, "invitation.revoked", None, invitation=invitation.pk)


@transaction.atomic
def assisted_sign_up(
    coordinator: Member,
    *,
    full_name: str,
    phone: str,
    consent_note: str,
    email: str | None = None,
    display_name: str = "",
    skills: str | list[str] = "",
    interests: str | list[str] = "",
    postcode_district: str = "",
    contact_preferences: list[str] | None = None,
) -> Member:
    """A coordinator registers a resident who has only a phone, recording how they consented."""
    if not coordinator.is_coordinator:
        raise DomainError("not_coordinator", "Only coordinators can register people.")
    if not consent_note.strip():
        raise DomainError("consent_required", "Record how the person agreed to be registered.", "consent_note")
    user = _create_user(full_name, email, phone, password=None)
    member = _new_member(coordinator.community, user, display_name=display_name, status=Status.ACTIVE)
    member.registered_by = coordinator
    member.consent_recorded_at = timezone.now()
    member.consent_note = consent_note.strip()[:500]
    _apply_profile(
        member,
        {
            "skills": skills,
            "interests": interests,
            "postcode_district": postcode_district,
            "contact_preferences": contact_preferences or [domain.ContactChannel.SMS],
        },
    )
    member.save()
    audit(coordinator.community, coordinator.user, "member.assisted_sign_up", member, consent_note)
    return member


def _apply_profile(member: Member, changes: dict[str, Any]) -> list[str]:
    unknown = set(changes) - PROFILE_FIELDS
    if unknown:
        raise DomainError("unknown_field", f"These cannot be changed here: {', '.join(sorted(unknown))}.")
    changes = dict(changes)
    if "display_name" in changes:
        name = " ".join(str(changes["display_name"]).split())
        if not name:
            raise DomainError("name_required", "Enter the name other members will see.", "display_name")
        if len(name) > 80:
            raise DomainError("name_too_long", "Keep the name to 80 characters or fewer.", "display_name")
        changes["display_name"] = name
    if "bio" in changes and len(changes["bio"]) > 2000:
        raise DomainError("bio_too_long", "Keep the description to 2,000 characters or fewer.", "bio")
    for field in ("skills", "interests", "languages"):
        if field in changes:
            changes[field] = domain.parse_tags(changes[field], field)
    for field, allowed in (("availability", domain.Availability), ("contact_preferences", domain.ContactChannel)):
        if field in changes:
            values = list(dict.fromkeys(changes[field] or []))
            if any(value not in allowed.values for value in values):
                raise DomainError(f"invalid_{field}", "Choose from the options listed.", field)
            changes[field] = values
    if "postcode_district" in changes:
        changes["postcode_district"] = domain.normalise_postcode_district(changes["postcode_district"] or "")
    if "latitude" in changes or "longitude" in changes:
        latitude, longitude = changes.get("latitude"), changes.get("longitude")
        if latitude in (None, "") and longitude in (None, ""):
            changes["latitude"] = changes["longitude"] = None
        elif latitude in (None, "") or longitude in (None, ""):
            raise DomainError("invalid_location", "Enter both latitude and longitude, or neither.", "latitude")
        else:
            changes["latitude"], changes["longitude"] = domain.round_location(latitude, longitude)
    changed = []
    for field, value in changes.items():
        if getattr(member, field) != value:
            setattr(member, field, value)
            changed.append(field)
    # A hidden area must not be findable either: searching "LS6" would reveal who lives there.
    area = member.postcode_district if member.share_location else ""
    member.search_text = domain.search_text(member.display_name, member.skills, member.interests, area)
    return changed


@transaction.atomic
def update_profile(actor: User, member: Member, reason: str = "", **changes: Any) -> list[str]:
    """Change a member's profile. A coordinator editing someone else's profile must give a reason."""
    on_behalf = member.user_id != actor.pk
    if on_behalf and not reason.strip():
        raise DomainError("reason_required", "Say why you are changing this member's profile.", "reason")
    changed = _apply_profile(member, changes)
    if changed:
        member.save(update_fields=[*changed, "search_text"])
        if on_behalf:
            audit(member.community, actor, "member.profile_updated", member, reason, fields=changed)
    return changed


def _set_status(
    coordinator: Member, member: Member, status: Status, action: str, reason: str, *, from_statuses: set[Status]
) -> None:
    if member.community_id != coordinator.community_id or not coordinator.is_coordinator:
        raise DomainError("not_coordinator", "Only this community's coordinators can do this.")
    if member.pk == coordinator.pk:
        raise DomainError("not_yourself", "Ask another coordinator to change your own membership.")
    if member.status not in from_statuses:
        raise DomainError("wrong_status", f"This member is {member.get_status_display().lower()}.")
    if member.role in domain.COORDINATING_ROLES and coordinator.role != Role.ADMIN:
        raise DomainError("role_not_allowed", "Only an administrator can suspend or remove a coordinator.")
    member.status = status
    fields = ["status"]
    if status == Status.ACTIVE and member.approved_at is None:
        member.approved_at = timezone.now()
        fields.append("approved_at")
    member.save(update_fields=fields)
    audit(member.community, coordinator.user, action, member, reason)


@transaction.atomic
def approve_member(coordinator: Member, member: Member, reason: str = "") -> None:
    _set_status(coordinator, member, Status.ACTIVE, "member.approved", reason, from_statuses={Status.PENDING})


@transaction.atomic
def decline_member(coordinator: Member, member: Member, reason: str) -> None:
    if not reason.strip():
        raise DomainError("reason_required", "Say why you are declining this request.", "reason")
    _set_status(coordinator, member, Status.LEFT, "member.declined", reason, from_statuses={Status.PENDING})


@transaction.atomic
def suspend_member(coordinator: Member, member: Member, reason: str) -> None:
    if not reason.strip():
        raise DomainError("reason_required", "Say why you are suspending this member.", "reason")
    _set_status(coordinator, member, Status.SUSPENDED, "member.suspended", reason, from_statuses={Status.ACTIVE})


@transaction.atomic
def reinstate_member(coordinator: Member, member: Member, reason: str = "") -> None:
    _set_status(coordinator, member, Status.ACTIVE, "member.reinstated", reason, from_statuses={Status.SUSPENDED})


@transaction.atomic
def change_role(
    actor: Member, member: Member, role: str, organisation: Organisation | None = None, reason: str = ""
) -> None:
    """Appoint someone coordinator, staff of a partner organisation, administrator, or plain member."""
    if member.community_id != actor.community_id or not actor.is_coordinator:
        raise DomainError("not_coordinator", "Only this community's coordinators can change roles.")
    if member.pk == actor.pk:
        raise DomainError("not_yourself", "Ask another administrator to change your own role.")
    if organisation is not None and organisation.community_id != actor.community_id:
        raise DomainError("organisation_unknown", "Choose one of this community's organisations.", "organisation")
    domain.check_role_change(actor.role, member.role, role, organisation is not None)
    before = (member.role, member.organisation_id)
    member.role = role
    member.organisation = organisation if role == Role.STAFF else None
    if before == (member.role, member.organisation_id):
        return
    member.save(update_fields=["role", "organisation"])
    audit(
        member.community,
        actor.user,
        "member.role_changed",
        member,
        reason,
        before=before[0],
        after=role,
        organisation=member.organisation_id,
    )


@transaction.atomic
def leave_community(member: Member) -> None:
    """A member leaves; their past rows stay, and they can rejoin later."""
    if (
        member.role == Role.ADMIN
        and not Member.objects.filter(community=member.community, role=Role.ADMIN, status=Status.ACTIVE)
        .exclude(pk=member.pk)
        .exists()
    ):
        raise DomainError("last_admin", "Appoint another administrator before you leave.")
    member.status = Status.LEFT
    member.save(update_fields=["status"])


def password_reset_path(user: User) -> str:
    """The path of a one-time link that lets the user choose a password (Django's signed reset token)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"/reset/{uid}/{default_token_generator.make_token(user)}/"


@transaction.atomic
def issue_password_link(coordinator: Member, member: Member, reason: str) -> str:
    """For residents without email: the coordinator hands over a one-time link to set a password."""
    if member.community_id != coordinator.community_id or not coordinator.is_coordinator:
        raise DomainError("not_coordinator", "Only this community's coordinators can do this.")
    if member.user.erased_at:
        raise DomainError("erased", "This person's account has been erased.")
    if not reason.strip():
        raise DomainError("reason_required", "Say why you are issuing this link.", "reason")
    audit(member.community, coordinator.user, "member.password_link_issued", member, reason)
    return password_reset_path(member.user)


@transaction.atomic
def erase_user(user: User, *, actor: User | None = None, reason: str = "") -> None:
    """Anonymise a person everywhere: personal data goes; rows that others rely on stay under a pseudonym."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.erased_at:
        return
    members = list(Member.objects.select_for_update().filter(user=user).select_related("community"))
    for member in members:
        if (
            member.role == Role.ADMIN
            and member.is_active
            and not Member.objects.filter(community=member.community, role=Role.ADMIN, status=Status.ACTIVE)
            .exclude(pk=member.pk)
            .exists()
        ):
            raise DomainError("last_admin", f"Appoint another administrator of {member.community} first.")
    for member in members:
        member.display_name = domain.pseudonym(member.pk)
        member.bio = member.postcode_district = member.consent_note = ""
        member.skills, member.interests, member.languages = [], [], []
        member.availability, member.contact_preferences = [], []
        member.latitude = member.longitude = None
        member.share_email = member.share_phone = member.share_location = member.listed_in_directory = False
        member.status = Status.LEFT
        member.role = Role.MEMBER
        member.organisation = None
        member.search_text = ""
        member.save()
        ApiToken.objects.filter(member=member).update(revoked_at=timezone.now())
        audit(member.community, actor or user, "member.erased", member, reason)
    user.email = user.phone = None
    user.full_name = domain.pseudonym(members[0].pk) if members else "Former member"
    user.is_active = False
    user.erased_at = timezone.now()
    user.set_unusable_password()
    user.save()


@transaction.atomic
def create_api_token(member: Member, name: str, valid_days: int | None = None) -> tuple[ApiToken, str]:
    """A personal access token for this membership. The secret is returned once and never stored."""
    name = " ".join(name.split())
    if not name:
        raise DomainError("name_required", "Give the token a name so you can recognise it later.", "name")
    if len(name) > 60:
        raise DomainError("name_too_long", "Keep the name to 60 characters or fewer.", "name")
    if not member.is_active:
        raise DomainError("not_active", "Only active members can create tokens.")
    if valid_days is not None and not 1 <= valid_days <= TOKEN_MAX_DAYS:
        raise DomainError("invalid_expiry", f"A token can last from 1 to {TOKEN_MAX_DAYS} days.", "valid_days")
    secret, token_hash = domain.new_token(TOKEN_PREFIX)
    token = ApiToken.objects.create(
        community=member.community,
        member=member,
        name=name,
        prefix=secret[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 8],
        token_hash=token_hash,
        expires_at=timezone.now() + timedelta(days=valid_days) if valid_days else None,
    )
    return token, secret


@transaction.atomic
def revoke_api_token(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def _organisation_fields(fields: dict[str, Any]) -> dict[str, Any]:
    allowed = {"name", "kind", "description", "website", "email", "phone"}
    unknown = set(fields) - allowed
    if unknown:
        raise DomainError("unknown_field", f"These cannot be changed here: {', '.join(sorted(unknown))}.")
    clean = dict(fields)
    if "name" in clean:
        clean["name"] = " ".join(clean["name"].split())
        if not clean["name"]:
            raise DomainError("name_required", "Enter the organisation's name.", "name")
    if "kind" in clean and clean["kind"] not in domain.OrganisationKind.values:
        raise DomainError("invalid_kind", "Choose what kind of organisation this is.", "kind")
    if clean.get("phone"):
        clean["phone"] = domain.normalise_phone(clean["phone"], settings.PHONE_DEFAULT_REGION)
    if clean.get("email"):
        clean["email"] = domain.normalise_email(clean["email"])
    return clean


@transaction.atomic
def create_organisation(coordinator: Member, **fields: Any) -> Organisation:
    """Register a partner organisation in the coordinator's community."""
    if not coordinator.is_coordinator:
        raise DomainError("not_coordinator", "Only coordinators can add organisations.")
    clean = _organisation_fields(fields)
    if "name" not in clean or "kind" not in clean:
        raise DomainError("name_required", "Enter the organisation's name and kind.", "name")
    slug = slugify(clean["name"])[:60] or "organisation"
    if Organisation.objects.filter(community=coordinator.community, name__iexact=clean["name"]).exists():
        raise DomainError("organisation_exists", "An organisation with this name is already a partner here.", "name")
    base, n = slug, 2
    while Organisation.objects.filter(community=coordinator.community, slug=slug).exists():
        slug, n = f"{base[:56]}-{n}", n + 1
    organisation = Organisation.objects.create(community=coordinator.community, slug=slug, **clean)
    audit(coordinator.community, coordinator.user, "organisation.created", None, organisation=organisation.pk)
    return organisation


@transaction.atomic
def update_organisation(actor: Member, organisation: Organisation, **fields: Any) -> list[str]:
    clean = _organisation_fields(fields)
    if (
        "name" in clean
        and Organisation.objects.filter(community=organisation.community, name__iexact=clean["name"])
        .exclude(pk=organisation.pk)
        .exists()
    ):
        raise DomainError("organisation_exists", "Another organisation here already has this name.", "name")
    changed = [field for field, value in clean.items() if getattr(organisation, field) != value]
    for field in changed:
        setattr(organisation, field, clean[field])
    if changed:
        organisation.save(update_fields=changed)
        audit(
            organisation.community,
            actor.user,
            "organisation.updated",
            None,
            organisation=organisation.pk,
            fields=changed,
        )
    return changed
