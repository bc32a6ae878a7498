"""Stories about the actions that change people and memberships: each rule enforced once, nothing half-written."""

from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.urls import resolve
from django.utils import timezone

from ostrom.communities import actions, domain
from ostrom.communities.domain import DomainError, JoinPolicy, Role, Status
from ostrom.communities.models import ApiToken, AuditEntry, Invitation, Member, Organisation, User
from ostrom.communities.tests.factories import (
    PASSWORD,
    CoordinatorFactory,
    MemberFactory,
    OrganisationFactory,
    UserFactory,
)

NEW_PASSWORD = "plum orchard lantern"


def refuses(code: str, function, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        function(*args, **kwargs)
    assert caught.value.code == code, caught.value.message
    return caught.value


def row_counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "members": Member.objects.count(),
        "audit": AuditEntry.objects.count(),
        "organisations": Organisation.objects.count(),
        "invitations": Invitation.objects.count(),
    }


def sign_up(community, **overrides):
    details = {"full_name": "Nell Newcomer", "password": NEW_PASSWORD, "email": "nell@example.org"} | overrides
    return actions.sign_up(community, **details)


def refetch(obj):
    return type(obj).objects.get(pk=obj.pk)


@pytest.fixture
def invitation_for(coordinator):
    def make(**options):
        return actions.create_invitation(coordinator, **options)

    return make


# Signing up


def test_signing_up_to_an_open_community_makes_an_active_member_who_can_log_in(community):
    member = sign_up(community, email="Nell@Example.ORG", display_name="Nell")

    assert member.status == Status.ACTIVE
    assert member.role == Role.MEMBER
    assert member.approved_at is not None
    assert member.user.email == "nell@example.org"
    assert authenticate(username="nell@example.org", password=NEW_PASSWORD) == member.user


def test_signing_up_to_a_community_that_approves_members_leaves_them_waiting(community):
    community.join_policy = JoinPolicy.APPROVAL
    community.save()

    member = sign_up(community)

    assert member.status == Status.PENDING
    assert member.approved_at is None


def test_signing_up_to_an_invitation_only_community_without_an_invitation_writes_nothing(community):
    community.join_policy = JoinPolicy.INVITATION
    community.save()
    before = row_counts()

    refuses("invitation_required", sign_up, community)

    assert row_counts() == before


def test_an_invitation_lets_people_into_an_invitation_only_community_with_its_role(
    community, coordinator, organisation, invitation_for
):
    community.join_policy = JoinPolicy.INVITATION
    community.save()
    invitation, secret = invitation_for(role=Role.STAFF, organisation=organisation)

    member = sign_up(community, invitation_token=secret)

    assert member.status == Status.ACTIVE
    assert (member.role, member.organisation) == (Role.STAFF, organisation)
    assert refetch(invitation).use_count == 1


def test_an_invitation_can_be_used_only_once(community, invitation_for):
    invitation, secret = invitation_for()
    sign_up(community, invitation_token=secret)
    before = row_counts()

    refuses("invitation_used", sign_up, community, email="second@example.org", invitation_token=secret)

    assert row_counts() == before
    assert refetch(invitation).use_count == 1


def test_an_expired_invitation_is_refused(community, invitation_for, time_machine):
    _, secret = invitation_for(valid_days=3)
    time_machine.move_to(timezone.now() + timedelta(days=3, seconds=1))

    refuses("invitation_expired", sign_up, community, invitation_token=secret)

    assert not User.objects.filter(email="nell@example.org").exists()


def test_a_withdrawn_invitation_is_refused(community, coordinator, invitation_for):
    invitation, secret = invitation_for()
    actions.revoke_invitation(coordinator, invitation)

    refuses("invitation_revoked", sign_up, community, invitation_token=secret)


def test_an_invitation_for_one_address_is_refused_to_another(community, invitation_for):
    invitation, secret = invitation_for(email="nell@example.org")

    refuses("invitation_other_email", sign_up, community, email="someone-else@example.org", invitation_token=secret)
    refuses("invitation_other_email", sign_up, community, email=None, phone="07911 123456", invitation_token=secret)
    assert refetch(invitation).use_count == 0

    member = sign_up(community, email="NELL@example.org", invitation_token=secret)
    assert member.is_active


def test_an_invitation_to_another_community_is_unknown_here(community, other_community):
    hillside_coordinator = CoordinatorFactory(community=other_community)
    _, secret = actions.create_invitation(hillside_coordinator)

    refuses("invitation_unknown", sign_up, community, invitation_token=secret)
    refuses("invitation_unknown", sign_up, community, invitation_token="made-up")


def test_a_failed_sign_up_does_not_use_up_the_invitation(community, member, invitation_for):
    invitation, secret = invitation_for()

    refuses("email_taken", sign_up, community, email=member.user.email, invitation_token=secret)

    assert refetch(invitation).use_count == 0


def test_a_second_account_with_the_same_email_in_any_case_is_refused_and_nothing_is_written(community, member):
    before = row_counts()

    error = refuses("email_taken", sign_up, community, email="  MINA@Example.org ")

    assert error.field == "email"
    assert "already exists" in error.message
    assert row_counts() == before


def test_a_second_account_with_the_same_phone_in_another_spelling_is_refused_and_nothing_is_written(community):
    UserFactory(email=None, phone="+447911123456")
    before = row_counts()

    error = refuses("phone_taken", sign_up, community, email=None, phone="07911 123 456")

    assert error.field == "phone"
    assert "already exists" in error.message
    assert row_counts() == before


@pytest.mark.parametrize(
    ("details", "code"),
    [
        ({"full_name": "   "}, "name_required"),
        ({"email": None, "phone": None}, "contact_required"),
        ({"email": None, "phone": "not a number"}, "invalid_phone"),
    ],
)
def test_sign_up_with_missing_or_bad_details_writes_nothing(community, details, code):
    before = row_counts()

    refuses(code, sign_up, community, **details)

    assert row_counts() == before


# Joining with an existing account


def test_someone_from_another_community_can_join_with_the_account_they_have(community, outsider):
    member = actions.join(outsider.user, community, display_name="Otto R")

    assert (member.community, member.status, member.display_name) == (community, Status.ACTIVE, "Otto R")
    assert outsider.user.memberships.count() == 2


def test_joining_twice_is_refused(community, member):
    refuses("already_member", actions.join, member.user, community)


def test_a_member_who_left_can_rejoin_but_does_not_get_their_old_role_back(community, coordinator, admin_member):
    actions.leave_community(coordinator)

    rejoined = actions.join(coordinator.user, community)

    assert rejoined.pk == coordinator.pk
    assert (rejoined.status, rejoined.role) == (Status.ACTIVE, Role.MEMBER)
    assert not refetch(coordinator).is_coordinator


def test_joining_through_an_invitation_uses_it_up(community, outsider, invitation_for):
    community.join_policy = JoinPolicy.INVITATION
    community.save()
    invitation, secret = invitation_for()

    member = actions.join(outsider.user, community, invitation_token=secret)

    assert member.is_active
    assert refetch(invitation).use_count == 1


# Assisted sign-up


def test_a_coordinator_registers_a_resident_with_only_a_phone_and_their_consent_is_recorded(coordinator, time_machine):
    time_machine.move_to("2025-03-04 10:00Z", tick=False)

    member = actions.assisted_sign_up(
        coordinator,
        full_name="Phyllis Phone",
        phone="07911 123456",
        consent_note="In person at the Tuesday drop-in",
        skills="Knitting, baking",
        postcode_district="ls6",
    )

    member = refetch(member)
    assert member.user.phone == "+447911123456"
    assert member.user.email is None
    assert not member.user.has_usable_password()
    assert member.registered_by == coordinator
    assert member.consent_recorded_at.isoformat() == "2025-03-04T10:00:00+00:00"
    assert member.consent_note == "In person at the Tuesday drop-in"
    assert (member.skills, member.postcode_district) == (["knitting", "baking"], "LS6")
    assert member.contact_preferences == [domain.ContactChannel.SMS]
    assert member.status == Status.ACTIVE
    entry = AuditEntry.objects.get(action="member.assisted_sign_up")
    assert (entry.actor, entry.member, entry.reason) == (coordinator.user, member, "In person at the Tuesday drop-in")


def assisted(coordinator, **overrides):
    details = {"full_name": "Phyllis Phone", "phone": "07911 123456", "consent_note": "Signed a form"} | overrides
    return actions.assisted_sign_up(coordinator, **details)


@pytest.mark.parametrize(
    ("details", "code"),
    [
        ({"consent_note": "  "}, "consent_required"),
        ({"phone": "123"}, "invalid_phone"),
        ({"postcode_district": "LS6 1AB"}, "postcode_too_precise"),
        ({"skills": "x" * 41}, "tag_too_long"),
    ],
)
def test_assisted_sign_up_with_bad_details_writes_nothing(coordinator, details, code):
    before = row_counts()

    refuses(code, assisted, coordinator, **details)

    assert row_counts() == before


def test_assisted_sign_up_refuses_a_phone_number_someone_already_has(coordinator):
    UserFactory(email=None, phone="+447911123456")
    before = row_counts()

    refuses("phone_taken", assisted, coordinator, phone="+44 7911 123456")

    assert row_counts() == before


@pytest.mark.parametrize("persona", ["member", "staff"])
def test_only_coordinators_can_register_people(request, persona):
    refuses("not_coordinator", assisted, request.getfixturevalue(persona))


# Approving, declining, suspending, reinstating


@pytest.fixture
def applicant(community):
    return MemberFactory(community=community, status=Status.PENDING, approved_at=None, display_name="Pat")


def audit_of(member, action):
    return AuditEntry.objects.filter(member=member, action=action)


def test_a_coordinator_approves_someone_waiting_and_it_is_recorded(coordinator, applicant):
    actions.approve_member(coordinator, applicant)

    applicant = refetch(applicant)
    assert applicant.status == Status.ACTIVE
    assert applicant.approved_at is not None
    assert audit_of(applicant, "member.approved").get().actor == coordinator.user


def test_declining_someone_needs_a_reason_which_is_recorded(coordinator, applicant):
    refuses("reason_required", actions.decline_member, coordinator, applicant, " ")
    assert refetch(applicant).status == Status.PENDING
    assert not AuditEntry.objects.exists()

    actions.decline_member(coordinator, applicant, "Lives outside the area")

    assert refetch(applicant).status == Status.LEFT
    assert audit_of(applicant, "member.declined").get().reason == "Lives outside the area"


def test_suspending_needs_a_reason_and_reinstating_brings_the_member_back(coordinator, member):
    refuses("reason_required", actions.suspend_member, coordinator, member, "")
    assert refetch(member).status == Status.ACTIVE

    actions.suspend_member(coordinator, member, "Complaint under review")
    assert refetch(member).status == Status.SUSPENDED
    assert audit_of(member, "member.suspended").get().reason == "Complaint under review"

    actions.reinstate_member(coordinator, refetch(member))
    assert refetch(member).status == Status.ACTIVE
    assert audit_of(member, "member.reinstated").count() == 1


@pytest.mark.parametrize(
    ("operation", "status"),
    [
        (actions.approve_member, Status.ACTIVE),
        (actions.reinstate_member, Status.ACTIVE),
        (actions.decline_member, Status.ACTIVE),
        (actions.suspend_member, Status.PENDING),
        (actions.suspend_member, Status.SUSPENDED),
    ],
)
def test_a_status_change_from_the_wrong_status_is_refused(community, coordinator, operation, status):
    member = MemberFactory(community=community, status=status)

    refuses("wrong_status", operation, coordinator, member, "a reason")

    assert refetch(member).status == status
    assert not AuditEntry.objects.exists()


def test_a_coordinator_cannot_suspend_another_coordinator_but_an_administrator_can(
    community, coordinator, admin_member
):
    colleague = CoordinatorFactory(community=community)

    refuses("role_not_allowed", actions.suspend_member, coordinator, colleague, "Disagreement")
    assert refetch(colleague).status == Status.ACTIVE

    actions.suspend_member(admin_member, colleague, "Stepping back for now")
    assert refetch(colleague).status == Status.SUSPENDED


def test_nobody_changes_their_own_membership_status(coordinator):
    refuses("not_yourself", actions.suspend_member, coordinator, coordinator, "Holiday")


@pytest.mark.parametrize("persona", ["member", "staff", "outsider"])
def test_only_this_communitys_coordinators_change_a_members_status(request, community, persona):
    target = MemberFactory(community=community)

    refuses("not_coordinator", actions.suspend_member, request.getfixturevalue(persona), target, "Because")

    assert refetch(target).status == Status.ACTIVE


def test_a_coordinator_of_another_community_cannot_approve_someone_here(other_community, applicant):
    refuses("not_coordinator", actions.approve_member, CoordinatorFactory(community=other_community), applicant)


def test_a_suspended_coordinator_cannot_act(community, coordinator, admin_member, member):
    actions.suspend_member(admin_member, coordinator, "Under review")

    refuses("not_coordinator", actions.suspend_member, refetch(coordinator), member, "Because")


# Roles


def test_a_coordinator_makes_a_member_staff_of_a_partner_and_it_is_recorded(coordinator, member, organisation):
    actions.change_role(coordinator, member, Role.STAFF, organisation, reason="Started at the council")

    member = refetch(member)
    assert (member.role, member.organisation) == (Role.STAFF, organisation)
    entry = audit_of(member, "member.role_changed").get()
    assert entry.details == {"before": "member", "after": "staff", "organisation": organisation.pk}
    assert entry.reason == "Started at the council"


def test_a_coordinator_cannot_appoint_a_coordinator_but_an_administrator_can(coordinator, admin_member, member):
    refuses("role_not_allowed", actions.change_role, coordinator, member, Role.COORDINATOR)
    assert refetch(member).role == Role.MEMBER

    actions.change_role(admin_member, member, Role.COORDINATOR)
    assert refetch(member).is_coordinator


def test_a_coordinator_cannot_demote_another_coordinator(community, coordinator):
    colleague = CoordinatorFactory(community=community)

    refuses("role_not_allowed", actions.change_role, coordinator, colleague, Role.MEMBER)


def test_staff_must_belong_to_an_organisation_of_the_same_community(coordinator, member, other_community):
    refuses("organisation_required", actions.change_role, coordinator, member, Role.STAFF)
    elsewhere = OrganisationFactory(community=other_community)
    refuses("organisation_unknown", actions.change_role, coordinator, member, Role.STAFF, elsewhere)

    assert refetch(member).role == Role.MEMBER


def test_nobody_changes_their_own_role(admin_member):
    refuses("not_yourself", actions.change_role, admin_member, admin_member, Role.MEMBER)


def test_a_member_who_stops_being_staff_loses_the_organisation(coordinator, staff):
    actions.change_role(coordinator, staff, Role.MEMBER)

    assert (refetch(staff).role, refetch(staff).organisation) == (Role.MEMBER, None)


def test_changing_a_role_to_what_it_already_is_records_nothing(coordinator, member):
    actions.change_role(coordinator, member, Role.MEMBER)

    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("persona", ["member", "staff", "outsider"])
def test_only_this_communitys_coordinators_change_roles(request, community, persona):
    target = MemberFactory(community=community)

    refuses("not_coordinator", actions.change_role, request.getfixturevalue(persona), target, Role.MEMBER)


# Profiles


def test_a_member_edits_their_own_profile_without_an_audit_row(member):
    changed = actions.update_profile(
        member.user, member, display_name="  Mina   M ", skills="Cooking, Gardening", latitude=53.80751, longitude=-1.5
    )

    member = refetch(member)
    assert set(changed) == {"display_name", "skills", "latitude", "longitude"}
    assert (member.display_name, member.skills) == ("Mina M", ["cooking", "gardening"])
    assert (str(member.latitude), str(member.longitude)) == ("53.808", "-1.500")
    assert "cooking" in member.search_text
    assert not AuditEntry.objects.exists()


def test_a_coordinator_editing_someone_elses_profile_must_say_why(coordinator, member):
    refuses("reason_required", actions.update_profile, coordinator.user, member, bio="New bio")
    assert refetch(member).bio == ""

    actions.update_profile(coordinator.user, member, reason="Asked by phone", bio="New bio")

    assert refetch(member).bio == "New bio"
    entry = audit_of(member, "member.profile_updated").get()
    assert (entry.actor, entry.reason, entry.details) == (coordinator.user, "Asked by phone", {"fields": ["bio"]})


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"display_name": " "}, "name_required"),
        ({"display_name": "x" * 81}, "name_too_long"),
        ({"bio": "x" * 2001}, "bio_too_long"),
        ({"postcode_district": "LS6 1AB"}, "postcode_too_precise"),
        ({"latitude": 53.8}, "invalid_location"),
        ({"latitude": 95, "longitude": 0}, "invalid_location"),
        ({"availability": ["at midnight"]}, "invalid_availability"),
        ({"email": "new@example.org"}, "unknown_field"),
    ],
)
def test_a_profile_edit_with_bad_input_saves_nothing(member, changes, code):
    refuses(code, actions.update_profile, member.user, member, interests="Half of a change", **changes)

    member = refetch(member)
    assert (member.bio, member.interests, member.display_name) == ("", [], "Mina")


# Leaving and erasure


def test_a_member_leaves_and_their_row_stays(member):
    actions.leave_community(member)

    assert refetch(member).status == Status.LEFT


def test_the_last_administrator_cannot_leave_but_one_of_two_can(community, admin_member):
    refuses("last_admin", actions.leave_community, admin_member)
    assert refetch(admin_member).status == Status.ACTIVE

    MemberFactory(community=community, role=Role.ADMIN)
    actions.leave_community(admin_member)
    assert refetch(admin_member).status == Status.LEFT


def test_erasure_anonymises_a_person_everywhere_and_keeps_their_rows(community, other_community, member):
    elsewhere = actions.join(member.user, other_community)
    actions.update_profile(member.user, member, bio="I grow leeks", postcode_district="LS6", languages="Welsh")
    token, _ = actions.create_api_token(member, "Spreadsheet")
    before = row_counts()

    actions.erase_user(member.user, reason="Asked to be forgotten")

    user = refetch(member.user)
    assert (user.email, user.phone, user.is_active) == (None, None, False)
    assert user.erased_at is not None
    assert not user.has_usable_password()
    assert user.full_name == domain.pseudonym(member.pk)
    assert authenticate(username="mina@example.org", password=PASSWORD) is None
    for membership in (refetch(member), refetch(elsewhere)):
        assert membership.display_name == domain.pseudonym(membership.pk)
        assert (membership.bio, membership.postcode_district, membership.search_text) == ("", "", "")
        assert membership.skills == membership.languages == []
        assert membership.status == Status.LEFT
        assert not membership.listed_in_directory
    assert refetch(token).revoked_at is not None
    assert row_counts()["members"] == before["members"]
    assert AuditEntry.objects.filter(action="member.erased").count() == 2


def test_erasing_twice_changes_nothing_the_second_time(member):
    actions.erase_user(member.user)
    erased_at = refetch(member.user).erased_at

    actions.erase_user(refetch(member.user))

    assert refetch(member.user).erased_at == erased_at


def test_the_last_administrator_cannot_be_erased(admin_member):
    refuses("last_admin", actions.erase_user, admin_member.user)

    user = refetch(admin_member.user)
    assert (user.email, user.erased_at, user.is_active) == ("ada@example.org", None, True)
    assert refetch(admin_member).display_name == "Ada"


# Tokens


def test_an_api_token_is_shown_once_and_only_its_hash_is_kept(member):
    token, secret = actions.create_api_token(member, "  Spreadsheet   sync ", valid_days=30)

    assert secret.startswith(actions.TOKEN_PREFIX)
    assert token.token_hash == domain.hash_token(secret)
    assert secret not in {token.token_hash, token.prefix, token.name}
    assert secret.startswith(actions.TOKEN_PREFIX + token.prefix)
    assert token.name == "Spreadsheet sync"
    assert token.community == member.community
    assert token.state == "Active"


def test_a_revoked_token_stays_revoked(member):
    token, _ = actions.create_api_token(member, "Sync")

    actions.revoke_api_token(token)
    revoked_at = refetch(token).revoked_at
    actions.revoke_api_token(refetch(token))

    assert refetch(token).revoked_at == revoked_at
    assert refetch(token).state == "Revoked"


@pytest.mark.parametrize(
    ("name", "valid_days", "code"),
    [(" ", None, "name_required"), ("x" * 61, None, "name_too_long"), ("Sync", 0, "invalid_expiry")],
)
def test_a_token_with_bad_details_is_not_created(member, name, valid_days, code):
    refuses(code, actions.create_api_token, member, name, valid_days)

    assert not ApiToken.objects.exists()


def test_a_suspended_member_cannot_create_a_token(coordinator, member):
    actions.suspend_member(coordinator, member, "Under review")

    refuses("not_active", actions.create_api_token, refetch(member), "Sync")


# Organisations


def test_a_coordinator_adds_a_partner_organisation(coordinator):
    organisation = actions.create_organisation(
        coordinator, name=" Leeds  NHS Trust ", kind="nhs", phone="0113 243 3144", email="Info@NHS.example"
    )

    assert (organisation.name, organisation.slug) == ("Leeds NHS Trust", "leeds-nhs-trust")
    assert (organisation.phone, organisation.email) == ("+441132433144", "info@nhs.example")
    assert AuditEntry.objects.filter(action="organisation.created").count() == 1


def test_an_organisation_name_is_used_once_per_community(coordinator, organisation, other_community):
    before = row_counts()

    error = refuses(
        "organisation_exists", actions.create_organisation, coordinator, name="RIVERSIDE council", kind="council"
    )

    assert error.field == "name"
    assert row_counts() == before
    actions.create_organisation(CoordinatorFactory(community=other_community), name="Riverside Council", kind="council")


def test_a_member_cannot_add_an_organisation(member):
    refuses("not_coordinator", actions.create_organisation, member, name="Corner Shop", kind="business")


def test_renaming_an_organisation_to_another_partners_name_is_refused(staff, organisation, community):
    OrganisationFactory(community=community, name="Food Bank")

    refuses("organisation_exists", actions.update_organisation, staff, organisation, name="food bank")

    assert refetch(organisation).name == "Riverside Council"


# Invitations


def test_only_a_hash_of_the_invitation_is_stored(coordinator):
    invitation, secret = actions.create_invitation(coordinator, email="Nell@Example.org", note="From the fete")

    assert invitation.token_hash == domain.hash_token(secret)
    assert invitation.email == "nell@example.org"
    assert AuditEntry.objects.get(action="invitation.created").reason == "From the fete"


def test_a_coordinator_cannot_invite_a_coordinator_but_an_administrator_can(coordinator, admin_member):
    refuses("role_not_allowed", actions.create_invitation, coordinator, role=Role.COORDINATOR)
    assert not Invitation.objects.exists()

    invitation, _ = actions.create_invitation(admin_member, role=Role.COORDINATOR)
    assert invitation.role == Role.COORDINATOR


@pytest.mark.parametrize("persona", ["member", "staff"])
def test_only_coordinators_make_invitations(request, persona):
    refuses("not_coordinator", actions.create_invitation, request.getfixturevalue(persona))

    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"role": Role.STAFF}, "organisation_required"),
        ({"valid_days": 0}, "invalid_expiry"),
        ({"valid_days": 91}, "invalid_expiry"),
        ({"max_uses": 0}, "invalid_max_uses"),
    ],
)
def test_an_invitation_with_bad_options_is_not_made(coordinator, options, code):
    refuses(code, actions.create_invitation, coordinator, **options)

    assert not Invitation.objects.exists()


def test_a_staff_invitation_must_name_one_of_this_communitys_organisations(coordinator, other_community):
    elsewhere = OrganisationFactory(community=other_community)

    refuses("organisation_unknown", actions.create_invitation, coordinator, role=Role.STAFF, organisation=elsewhere)


def test_a_coordinator_of_another_community_cannot_withdraw_an_invitation(coordinator, other_community):
    invitation, _ = actions.create_invitation(coordinator)

    refuses("not_coordinator", actions.revoke_invitation, CoordinatorFactory(community=other_community), invitation)

    assert refetch(invitation).revoked_at is None


# Password links for people without email


def test_a_coordinator_issues_a_password_link_with_a_reason_on_record(coordinator, community):
    phone_only = actions.assisted_sign_up(
        coordinator, full_name="Phyllis Phone", phone="07911 123456", consent_note="Form signed"
    )
    refuses("reason_required", actions.issue_password_link, coordinator, phone_only, "")

    path = actions.issue_password_link(coordinator, phone_only, "Wants to log in on the library computer")

    assert resolve(path).url_name == "password_reset_confirm"
    assert audit_of(phone_only, "member.password_link_issued").get().actor == coordinator.user


def test_a_coordinator_of_another_community_cannot_issue_a_password_link(member, other_community):
    refuses(
        "not_coordinator",
        actions.issue_password_link,
        CoordinatorFactory(community=other_community),
        member,
        "Because",
    )
