"""The Millbrook demo: it loads once, resets to the same town, tells its story, and every persona can log in."""

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from ostrom.communities import demo
from ostrom.communities.domain import OrganisationKind, Role, Status
from ostrom.communities.models import AuditEntry, Community, Invitation, Member, Organisation, User
from ostrom.communities.tests.factories import CommunityFactory, MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


def run_demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Community, User, Member, Organisation, Invitation, AuditEntry)
    }


def fingerprint() -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Everything the seed decides, without ids, timestamps or secrets."""
    members = sorted(
        (
            m.community.slug,
            m.user.email or m.user.phone,
            m.user.full_name,
            m.display_name,
            m.role,
            m.status,
            m.organisation.name if m.organisation else "",
            tuple(m.skills),
            tuple(m.interests),
            tuple(m.languages),
            tuple(m.availability),
            tuple(m.contact_preferences),
            m.postcode_district,
            str(m.latitude),
            str(m.longitude),
            m.bio,
            m.consent_note,
            (m.listed_in_directory, m.share_email, m.share_phone, m.share_location),
        )
        for m in Member.objects.select_related("community", "user", "organisation")
    )
    organisations = sorted((o.community.slug, o.name, o.kind, o.description) for o in Organisation.objects.all())
    invitations = sorted(
        (i.community.slug, i.role, i.email, i.note, i.max_uses, i.use_count) for i in Invitation.objects.all()
    )
    return members, organisations, invitations


def demo_member(slug: str, login: str) -> Member:
    who = {"user__email": login} if "@" in login else {"user__phone": login}
    return Member.objects.select_related("user", "organisation").get(community__slug=slug, **who)


def test_loading_twice_with_if_empty_creates_nothing_new():
    run_demo("--if-empty")
    before = row_counts()

    output = run_demo("--if-empty")

    assert "Demo data already loaded" in output
    assert row_counts() == before


def test_loading_without_a_flag_refuses_to_load_a_second_copy():
    run_demo()
    before = row_counts()

    with pytest.raises(CommandError, match="already loaded"):
        run_demo()

    assert row_counts() == before


def test_a_reset_with_the_same_seed_builds_the_same_town():
    run_demo("--if-empty")
    first, counts = fingerprint(), row_counts()

    output = run_demo("--reset")

    assert "Reloaded the Millbrook demo (seed 2026)" in output
    assert fingerprint() == first
    assert row_counts()["User"] == counts["User"]  # no demo person left behind, none doubled


def test_another_seed_builds_another_town_with_the_same_personas():
    run_demo("--if-empty")
    first = fingerprint()

    run_demo("--reset", "--seed", "7")

    assert fingerprint() != first
    assert demo_member("riverside-timebank", "colin@example.org").role == Role.COORDINATOR
    assert demo_member("northgate", "dev@example.org").role == Role.ADMIN


@pytest.mark.parametrize("persona", demo.PERSONAS, ids=lambda persona: persona.name)
def test_each_persona_can_log_in_through_the_login_page(client, persona):
    run_demo("--if-empty")

    response = client.post("/login/", {"username": persona.login, "password": demo.DEMO_PASSWORD})

    assert response.status_code == 302, response.content.decode()[:500]
    assert client.session["_auth_user_id"]


def test_gwen_logs_in_with_her_phone_number_however_she_types_it(client):
    run_demo("--if-empty")
    gwen = User.objects.get(phone="+447700900123")

    for typed in ("07700 900123", "+44 7700 900123"):
        client.logout()
        response = client.post("/login/", {"username": typed, "password": demo.DEMO_PASSWORD})
        assert response.status_code == 302
        assert int(client.session["_auth_user_id"]) == gwen.pk


def test_the_town_has_three_communities_as_the_story_says():
    run_demo("--if-empty")

    communities = {c.slug: c for c in Community.objects.all()}
    assert set(communities) == {"riverside-timebank", "northgate", "eastfield-recycling"}
    riverside, northgate, eastfield = (communities[slug] for slug in demo.DEMO_SLUGS)
    assert (riverside.name, riverside.join_policy, riverside.population) == ("Riverside Timebank", "open", 9400)
    assert (northgate.name, northgate.join_policy, northgate.population) == ("Northgate Neighbours", "approval", 14200)
    assert (eastfield.name, eastfield.join_policy, eastfield.population) == (
        "Eastfield Recycling Round",
        "invitation",
        6800,
    )
    assert {c.time_zone for c in communities.values()} == {"Europe/London"}


def test_about_sixty_members_some_of_them_in_two_communities():
    run_demo("--if-empty")

    memberships = Member.objects.count()
    people = Member.objects.values("user").distinct().count()
    assert 55 <= memberships <= 65
    assert 50 <= people < memberships
    for community in Community.objects.all():
        members = Member.objects.filter(community=community, status=Status.ACTIVE)
        assert members.filter(role=Role.ADMIN).count() == 1, community
        assert members.filter(role=Role.COORDINATOR).count() >= 2, community


def test_northgate_has_partners_staff_and_join_requests_waiting():
    run_demo("--if-empty")

    northgate = Member.objects.filter(community__slug="northgate")
    assert northgate.filter(status=Status.PENDING).count() == demo.PENDING_IN_NORTHGATE
    kinds = dict(Organisation.objects.filter(community__slug="northgate").values_list("name", "kind"))
    assert kinds == {
        "Millbrook Borough Council": OrganisationKind.COUNCIL,
        "Northgate Medical Practice": OrganisationKind.NHS,
        "St Anne's Primary School": OrganisationKind.SCHOOL,
        "Northgate Food Bank": OrganisationKind.CHARITY,
    }
    staff = northgate.filter(role=Role.STAFF)
    assert set(staff.values_list("organisation__name", flat=True)) == set(kinds)
    eastfield = dict(Organisation.objects.filter(community__slug="eastfield-recycling").values_list("name", "kind"))
    assert eastfield == {"Greenway Cargo Bikes": OrganisationKind.BUSINESS, "Millbrook Borough Council": "council"}


def test_the_named_personas_have_the_roles_the_readme_promises():
    run_demo("--if-empty")

    amara_here = demo_member("riverside-timebank", "amara@example.org")
    amara_there = demo_member("eastfield-recycling", "amara@example.org")
    assert (amara_here.role, amara_here.status, amara_there.role) == (Role.MEMBER, Status.ACTIVE, Role.MEMBER)
    assert "gardening" in amara_here.skills
    assert demo_member("riverside-timebank", "colin@example.org").role == Role.COORDINATOR
    priya = demo_member("northgate", "priya@example.org")
    assert (priya.role, priya.organisation.name) == (Role.STAFF, "Millbrook Borough Council")
    assert demo_member("northgate", "dev@example.org").role == Role.ADMIN
    gwen = demo_member("northgate", "+447700900123")
    assert (gwen.user.full_name, gwen.user.email, gwen.status) == ("Gwen Hughes", None, Status.ACTIVE)
    assert gwen.registered_by is not None and gwen.consent_note and gwen.consent_recorded_at
    site_admin = User.objects.get(email="admin@example.org")
    assert site_admin.is_staff and site_admin.is_superuser


def test_phone_only_residents_were_registered_with_consent_and_one_member_is_suspended():
    run_demo("--if-empty")

    assisted = Member.objects.filter(registered_by__isnull=False)
    assert assisted.count() >= 3
    assert all(m.consent_note and m.user.email is None for m in assisted.select_related("user"))
    assert AuditEntry.objects.filter(action="member.assisted_sign_up").count() == assisted.count()
    assert Member.objects.filter(status=Status.SUSPENDED).count() == 1
    assert AuditEntry.objects.get(action="member.suspended").reason


def test_residents_who_never_chose_a_password_cannot_log_in():
    run_demo("--if-empty")

    phone_only = User.objects.filter(email__isnull=True).exclude(phone="+447700900123")
    assert phone_only.exists()
    assert not any(user.has_usable_password() for user in phone_only)


def test_there_are_open_invitations_and_every_contact_detail_is_fictional():
    run_demo("--if-empty")

    summary = demo.summary()
    assert summary.invitations_open >= 2
    for user in User.objects.all():
        assert (user.email or "").endswith("@example.org") or (user.phone or "").startswith("+447700900")
    assert all(len(m.postcode_district) <= 4 for m in Member.objects.all())


def test_a_failed_load_writes_nothing():
    UserFactory(email="colin@example.org", full_name="Someone Else")
    before = row_counts()

    with pytest.raises(CommandError, match="already exists"):
        run_demo("--if-empty")

    assert row_counts() == before


def test_a_reset_leaves_other_communities_and_their_people_alone():
    run_demo("--if-empty")
    hillside = CommunityFactory(name="Hillside Network", slug="hillside")
    local = MemberFactory(community=hillside)
    # Someone from Hillside tried the demo too: their demo membership goes, their account stays.
    MemberFactory(community=Community.objects.get(slug="northgate"), user=local.user)

    run_demo("--reset")

    assert Member.objects.filter(pk=local.pk).exists()
    assert Member.objects.filter(user=local.user).count() == 1
    assert Community.objects.filter(slug="hillside").exists()


def test_the_personas_flag_prints_every_login_and_the_password():
    output = run_demo("--personas")

    assert "http://127.0.0.1:8000/login/" in output
    assert demo.DEMO_PASSWORD in output
    for persona in demo.PERSONAS:
        assert persona.login in output and persona.name in output
    assert not Community.objects.exists()  # printing loads nothing


def test_the_readme_names_the_same_personas():
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()

    assert demo.DEMO_PASSWORD in readme
    for persona in demo.PERSONAS:
        assert persona.login in readme
