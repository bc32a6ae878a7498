"""Volunteering through its actions, told as stories: Riverside Council posts a community-garden role, Mina applies
and Sam (council staff) accepts her and logs her hours, which earn her timebank hours from the community's
issuance account, exactly once. Then what goes wrong, and an employer's pledge."""

import uuid
from datetime import date, timedelta

import pytest
from django.http import Http404

from ostrom.communities.domain import DomainError, Role
from ostrom.communities.models import AuditEntry
from ostrom.communities.tests.factories import MemberFactory, OrganisationFactory, StaffFactory, UserFactory
from ostrom.ledger import actions as ledger
from ostrom.ledger.models import Account, AccountKind, AccountStatus, CurrencyKind, Transfer
from ostrom.market.access import volunteering as access
from ostrom.market.actions import volunteering as actions
from ostrom.market.domain.volunteering import PledgeProgress, RoleFields, status_after_acceptances
from ostrom.market.models import ApplicationStatus, RoleStatus, VolunteerApplication, VolunteerLog, VolunteerRole
from ostrom.market.tests.factories_community_life import (
    HOUR,
    VolunteerApplicationFactory,
    VolunteerRoleFactory,
    balance,
    garden_role,
    hours,
    minas_place,
)
from ostrom.notify.models import Message

__all__ = ["garden_role", "hours", "minas_place"]  # fixtures, imported for pytest to find


def today(member):
    return actions.community_today(member)


def refusal(call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value


def written():
    """Everything logging hours could write, to prove a refusal wrote nothing."""
    return (VolunteerLog.objects.count(), Transfer.objects.count(), Account.objects.count(), Message.objects.count())


def issuance_account(currency):
    return Account.objects.get(currency=currency, kind=AccountKind.ISSUANCE)


# --- logging hours -------------------------------------------------------------------------------------------------


def test_logging_hours_credits_the_volunteer_exactly_those_minutes_from_the_issuance_account(
    hours, garden_role, minas_place, staff, member
):
    logged = actions.log_hours(staff, garden_role, member, 90, today(member), uuid.uuid4(), "Weeding")

    assert balance(member, hours) == 90
    assert issuance_account(hours).balance == -90
    transfer = Transfer.objects.get()
    assert (transfer.amount, transfer.debit_account.kind, transfer.credit_account.member) == (90, "issuance", member)
    assert transfer.key == logged.log.transfer_key and logged.log.transfer_id == transfer.pk
    assert transfer.category == "volunteering" and transfer.reference == f"volunteering:{logged.log.pk}"
    assert "Riverside Council" in transfer.memo
    assert (logged.balance_after, logged.replayed) == (90, False)


def test_submitting_the_same_log_again_credits_nothing_more(hours, garden_role, minas_place, staff, member):
    key = uuid.uuid4()
    first = actions.log_hours(staff, garden_role, member, 2 * HOUR, today(member), key)
    again = actions.log_hours(staff, garden_role, member, 2 * HOUR, today(member), key)

    assert again.replayed and again.log.pk == first.log.pk
    assert VolunteerLog.objects.count() == 1 and Transfer.objects.count() == 1
    assert balance(member, hours) == 2 * HOUR
    assert Message.objects.filter(kind="market.volunteer_hours_logged").count() == 1


def test_the_same_form_sent_with_other_hours_is_refused(hours, garden_role, minas_place, staff, member):
    key = uuid.uuid4()
    actions.log_hours(staff, garden_role, member, HOUR, today(member), key)

    error = refusal(actions.log_hours, staff, garden_role, member, 3 * HOUR, today(member), key)

    assert error.code == "exists_with_different_details"
    assert balance(member, hours) == HOUR


def test_two_logs_with_different_keys_credit_twice(hours, garden_role, minas_place, staff, member):
    actions.log_hours(staff, garden_role, member, HOUR, today(member), uuid.uuid4())
    actions.log_hours(staff, garden_role, member, 30, today(member) - timedelta(days=1), uuid.uuid4())

    assert balance(member, hours) == 90


@pytest.mark.parametrize("who", ["member", "outsider", "other_staff", "the_volunteer_herself"])
def test_only_the_organisations_staff_or_a_coordinator_can_log_hours(
    who, hours, garden_role, minas_place, member, outsider, community
):
    colleague = MemberFactory(community=community, display_name="Colin")
    VolunteerApplicationFactory(role=garden_role, member=colleague, status=ApplicationStatus.ACCEPTED)
    actor = {
        "member": member,
        "outsider": outsider,
        "other_staff": StaffFactory(community=community, organisation=OrganisationFactory(community=community)),
        "the_volunteer_herself": member,
    }[who]
    volunteer = member if who == "the_volunteer_herself" else colleague
    before = written()

    error = refusal(actions.log_hours, actor, garden_role, volunteer, HOUR, today(member), uuid.uuid4())

    assert error.code == "not_allowed"
    assert "Riverside Council" in error.message
    assert written() == before


def test_staff_cannot_log_their_own_hours(hours, garden_role, staff, member):
    VolunteerApplicationFactory(role=garden_role, member=staff, status=ApplicationStatus.ACCEPTED)

    error = refusal(actions.log_hours, staff, garden_role, staff, HOUR, today(member), uuid.uuid4())

    assert error.code == "not_yourself"
    assert balance(staff, hours) == 0


def test_a_coordinator_logs_hours_for_an_organisation_and_it_is_audited(
    hours, garden_role, minas_place, coordinator, member
):
    actions.log_hours(coordinator, garden_role, member, 45, today(member), uuid.uuid4())

    assert balance(member, hours) == 45
    entry = AuditEntry.objects.get(action="market.volunteer_hours_logged")
    assert (entry.actor, entry.member, entry.details["minutes"]) == (coordinator.user, member, 45)


def test_staff_logging_for_their_own_organisation_leave_no_audit_row(hours, garden_role, minas_place, staff, member):
    actions.log_hours(staff, garden_role, member, 45, today(member), uuid.uuid4())

    assert not AuditEntry.objects.filter(action="market.volunteer_hours_logged").exists()


@pytest.mark.parametrize(
    ("minutes", "days_ago", "code"),
    [
        (0, 0, "invalid_minutes"),
        (-30, 0, "invalid_minutes"),
        (24 * HOUR + 1, 0, "invalid_minutes"),
        (HOUR, -1, "date_in_future"),
        (HOUR, 400, "date_too_old"),
        (HOUR, 31, "before_role_start"),
    ],
)
def test_bad_hours_are_refused_and_nothing_is_written(
    minutes, days_ago, code, hours, garden_role, minas_place, staff, member
):
    before = written()

    error = refusal(
        actions.log_hours, staff, garden_role, member, minutes, today(member) - timedelta(days=days_ago), uuid.uuid4()
    )

    assert error.code == code
    assert error.field in {"minutes", "worked_on"}
    assert written() == before


def test_hours_are_only_logged_for_accepted_volunteers(hours, garden_role, staff, member):
    VolunteerApplicationFactory(role=garden_role, member=member, status=ApplicationStatus.APPLIED)

    error = refusal(actions.log_hours, staff, garden_role, member, HOUR, today(member), uuid.uuid4())

    assert error.code == "not_accepted"
    assert "Mina" in error.message
    assert balance(member, hours) == 0


def test_a_day_holds_at_most_24_hours_for_a_role(hours, garden_role, minas_place, staff, member):
    actions.log_hours(staff, garden_role, member, 20 * HOUR, today(member), uuid.uuid4())

    error = refusal(actions.log_hours, staff, garden_role, member, 5 * HOUR, today(member), uuid.uuid4())

    assert error.code == "day_over_full"
    assert "4 h" in error.message
    assert balance(member, hours) == 20 * HOUR


def test_a_member_of_another_community_is_not_found(hours, garden_role, staff, outsider, member):
    error = refusal(actions.log_hours, staff, garden_role, outsider, HOUR, today(member), uuid.uuid4())

    assert error.code == "member_unknown"


def test_without_timebank_hours_the_coordinator_is_told_what_to_set_up(garden_role, minas_place, staff, member):
    ledger.create_currency(member.community, code="credits", name="Riverside credits", kind=CurrencyKind.CREDIT)

    error = refusal(actions.log_hours, staff, garden_role, member, HOUR, today(member), uuid.uuid4())

    assert error.code == "no_time_currency"
    assert "set up a currency of kind time" in error.message
    assert not VolunteerLog.objects.exists()


def test_when_the_issuance_limit_is_reached_the_message_says_what_to_raise(garden_role, minas_place, staff, member):
    small = ledger.create_currency(
        member.community, code="hours", name="Timebank hours", kind=CurrencyKind.TIME, issuance_limit=HOUR
    )
    actions.log_hours(staff, garden_role, member, HOUR, today(member), uuid.uuid4())

    error = refusal(actions.log_hours, staff, garden_role, member, 30, today(member), uuid.uuid4())

    assert error.code == "issuance_limit_reached"
    assert "raise the issuance account's limit" in error.message
    assert balance(member, small) == HOUR
    assert VolunteerLog.objects.count() == 1


def test_a_frozen_issuance_account_is_refused_in_words(hours, garden_role, minas_place, staff, member, coordinator):
    ledger.set_status(coordinator, issuance_account(hours), AccountStatus.FROZEN, "Audit")

    error = refusal(actions.log_hours, staff, garden_role, member, HOUR, today(member), uuid.uuid4())

    assert error.code == "issuance_unavailable"
    assert "frozen" in error.message


def test_the_volunteer_is_told_what_they_earned(hours, garden_role, minas_place, staff, member):
    actions.log_hours(staff, garden_role, member, 90, today(member), uuid.uuid4())

    message = Message.objects.get(member=member, kind="market.volunteer_hours_logged")
    assert "1 h 30 min" in message.subject and "Riverside Council" in message.subject
    assert "balance is now 1 h 30 min" in message.body


def test_the_employer_at_the_time_is_kept_with_the_log(hours, garden_role, staff, community):
    acme = OrganisationFactory(community=community, name="Acme", kind="business")
    eve = StaffFactory(community=community, organisation=acme, display_name="Eve")
    VolunteerApplicationFactory(role=garden_role, member=eve, status=ApplicationStatus.ACCEPTED)

    logged = actions.log_hours(staff, garden_role, eve, HOUR, today(eve), uuid.uuid4())
    eve.organisation, eve.role = None, Role.MEMBER
    eve.save()

    assert VolunteerLog.objects.get(pk=logged.log.pk).employer == acme


# --- roles and applications ----------------------------------------------------------------------------------------


def role_fields(member, **changes):
    fields = {
        "title": "Befriender", "description": "A weekly visit and a chat.", "minutes_per_week": HOUR,
        "volunteers_needed": 1, "place": "", "starts_on": today(member), "ends_on": None,
    }  # fmt: skip
    return RoleFields(**{**fields, **changes})


def test_staff_post_a_role_for_their_organisation(staff, organisation, member):
    role = actions.post_role(staff, organisation, role_fields(member, title="  Befriender  "))

    assert (role.title, role.status, role.organisation, role.created_by) == ("Befriender", "open", organisation, staff)


def test_a_member_cannot_post_a_role_for_an_organisation(member, organisation):
    error = refusal(actions.post_role, member, organisation, role_fields(member))

    assert error.code == "not_allowed"
    assert not VolunteerRole.objects.exists()


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"title": " "}, "title_required"),
        ({"description": ""}, "description_required"),
        ({"title": "x" * 121}, "title_too_long"),
        ({"minutes_per_week": 0}, "invalid_minutes_per_week"),
        ({"minutes_per_week": 41 * HOUR}, "invalid_minutes_per_week"),
        ({"volunteers_needed": 0}, "invalid_volunteers_needed"),
        ({"ends_on": date(2000, 1, 1)}, "date_in_past"),
        ({"starts_on": date(2100, 1, 2), "ends_on": date(2100, 1, 1)}, "ends_before_start"),
    ],
)
def test_a_role_with_bad_details_is_refused(changes, code, staff, organisation, member):
    error = refusal(actions.post_role, staff, organisation, role_fields(member, **changes))

    assert error.code == code
    assert not VolunteerRole.objects.exists()


def test_a_member_applies_once_while_the_application_is_active(garden_role, member):
    application = actions.apply(member, garden_role, "Saturdays suit me")

    assert refusal(actions.apply, member, garden_role).code == "already_applied"
    actions.withdraw(member, application)
    again = actions.apply(member, garden_role)

    assert again.status == ApplicationStatus.APPLIED
    assert VolunteerApplication.objects.filter(member=member).count() == 2


def test_a_closed_role_takes_no_applications(garden_role, member, staff):
    actions.close_role(staff, garden_role)

    assert refusal(actions.apply, member, VolunteerRole.objects.get(pk=garden_role.pk)).code == "role_not_open"


def test_accepting_enough_volunteers_fills_the_role_and_a_withdrawal_opens_it_again(garden_role, staff, community):
    first, second = (actions.apply(MemberFactory(community=community), garden_role) for _ in range(2))

    actions.accept(staff, first)
    assert VolunteerRole.objects.get(pk=garden_role.pk).status == RoleStatus.OPEN
    actions.accept(staff, second)
    assert VolunteerRole.objects.get(pk=garden_role.pk).status == RoleStatus.FILLED

    actions.withdraw(second.member, second)
    assert VolunteerRole.objects.get(pk=garden_role.pk).status == RoleStatus.OPEN


def test_an_application_is_answered_once(garden_role, staff, member):
    application = actions.apply(member, garden_role)
    actions.decline(staff, application, "We have enough gardeners for now.")

    assert refusal(actions.accept, staff, application).code == "wrong_status"


@pytest.mark.parametrize("who", ["member", "outsider", "other_staff"])
def test_only_the_organisations_staff_answer_applications(who, garden_role, member, outsider, community):
    application = VolunteerApplicationFactory(role=garden_role, member=MemberFactory(community=community))
    actor = {
        "member": member,
        "outsider": outsider,
        "other_staff": StaffFactory(community=community, organisation=OrganisationFactory(community=community)),
    }[who]

    assert refusal(actions.accept, actor, application).code == "not_allowed"
    assert VolunteerApplication.objects.get(pk=application.pk).status == ApplicationStatus.APPLIED


def test_the_applicant_is_told_of_the_answer_with_the_organisations_words(garden_role, staff, member):
    application = actions.apply(member, garden_role)

    actions.accept(staff, application, "See you on Saturday at ten!")

    message = Message.objects.get(member=member, kind="market.volunteer_application_answered")
    assert message.subject == "Riverside Council accepted you as Community garden shift"
    assert "See you on Saturday at ten!" in message.body


def test_closing_a_role_declines_those_still_waiting(garden_role, staff, member, community):
    waiting = actions.apply(member, garden_role)
    taken = VolunteerApplicationFactory(
        role=garden_role, member=MemberFactory(community=community), status=ApplicationStatus.ACCEPTED
    )

    actions.close_role(staff, garden_role)

    assert VolunteerApplication.objects.get(pk=waiting.pk).status == ApplicationStatus.DECLINED
    assert VolunteerApplication.objects.get(pk=taken.pk).status == ApplicationStatus.ACCEPTED
    assert Message.objects.filter(member=member, kind="market.volunteer_application_answered").exists()


def test_another_communitys_role_is_not_found(garden_role, outsider):
    with pytest.raises(Http404):
        access.get_role_or_404(outsider, garden_role.pk)


def test_members_see_open_roles_and_their_own(garden_role, member, community, organisation):
    closed = VolunteerRoleFactory(community=community, organisation=organisation, status=RoleStatus.CLOSED)
    applied = VolunteerRoleFactory(community=community, organisation=organisation, status=RoleStatus.FILLED)
    VolunteerApplicationFactory(role=applied, member=member, status=ApplicationStatus.ACCEPTED)

    assert set(access.visible_roles(member)) == {garden_role, applied}
    assert closed not in access.visible_roles(member)


# --- pledges -------------------------------------------------------------------------------------------------------


@pytest.fixture
def acme(community):
    return OrganisationFactory(community=community, name="Acme Ltd", slug="acme", kind="business")


@pytest.fixture
def acme_staff(community, acme, garden_role):
    """Eve and Finn work at Acme and volunteer in the council's garden."""
    people = [
        StaffFactory(community=community, organisation=acme, display_name=name, user=UserFactory(full_name=name))
        for name in ("Eve", "Finn")
    ]
    for person in people:
        VolunteerApplicationFactory(role=garden_role, member=person, status=ApplicationStatus.ACCEPTED)
    return people


def test_the_pledge_page_counts_this_years_hours_by_the_employers_staff(
    hours, acme, acme_staff, garden_role, minas_place, staff, member
):
    eve, finn = acme_staff
    day = today(member)
    actions.log_hours(staff, garden_role, eve, 2 * HOUR, day, uuid.uuid4())
    actions.log_hours(staff, garden_role, finn, HOUR, day, uuid.uuid4())
    actions.log_hours(staff, garden_role, member, 5 * HOUR, day, uuid.uuid4())  # Mina does not work at Acme
    VolunteerLog.objects.create(  # last year's hours count for last year
        community=acme.community, role=garden_role, member=eve, minutes=7 * HOUR, worked_on=date(day.year - 1, 12, 31),
        logged_by=staff, employer=acme,
    )  # fmt: skip
    actions.set_pledge(eve, acme, day.year, 10 * HOUR)

    total, people = access.hours_given_by_staff(acme, day.year)

    assert total == 3 * HOUR
    assert people == [("Eve", 2 * HOUR), ("Finn", HOUR)]
    progress = PledgeProgress(access.pledges(acme).get(year=day.year).minutes_pledged, total)
    assert (progress.remaining, progress.percent, progress.met) == (7 * HOUR, 30, False)


def test_setting_a_pledge_again_changes_the_figure(acme, acme_staff, member):
    year = today(member).year
    actions.set_pledge(acme_staff[0], acme, year, 10 * HOUR)
    actions.set_pledge(acme_staff[1], acme, year, 12 * HOUR)

    assert list(access.pledges(acme).values_list("year", "minutes_pledged")) == [(year, 12 * HOUR)]


@pytest.mark.parametrize(
    ("year_offset", "minutes", "code"), [(-1, HOUR, "year_in_past"), (0, 0, "invalid_minutes_pledged")]
)
def test_a_bad_pledge_is_refused(year_offset, minutes, code, acme, acme_staff, member):
    error = refusal(actions.set_pledge, acme_staff[0], acme, today(member).year + year_offset, minutes)

    assert error.code == code
    assert not access.pledges(acme).exists()


def test_only_the_employers_staff_or_a_coordinator_pledge(acme, member, staff, coordinator):
    year = today(member).year
    assert refusal(actions.set_pledge, member, acme, year, HOUR).code == "not_allowed"
    assert refusal(actions.set_pledge, staff, acme, year, HOUR).code == "not_allowed"  # the council's, not Acme's

    actions.set_pledge(coordinator, acme, year, HOUR)
    assert AuditEntry.objects.filter(action="market.volunteer_pledge_set").exists()


def test_another_employers_pledge_page_is_not_found(acme, staff, outsider):
    for viewer in (staff, outsider):
        with pytest.raises(Http404):
            access.get_pledge_employer_or_404(viewer, "acme")


# --- the rules on their own ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "accepted", "needed", "after"),
    [("open", 0, 1, "open"), ("open", 1, 1, "filled"), ("filled", 1, 2, "open"), ("closed", 5, 1, "closed")],
)
def test_a_role_fills_and_opens_with_its_volunteers(status, accepted, needed, after):
    assert status_after_acceptances(status, accepted, needed) == after


def test_pledge_progress_never_shows_a_negative_remainder():
    assert PledgeProgress(60, 90).remaining == 0
    assert PledgeProgress(60, 90).met and PledgeProgress(60, 90).percent == 150
    assert PledgeProgress(0, 30).percent == 0 and not PledgeProgress(0, 30).met
