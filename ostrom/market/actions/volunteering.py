"""Volunteering's state changes: post and close roles, apply, answer and withdraw applications, log hours (which
earn the volunteer time credits) and set an employer's pledge.

Where the credits come from: this ledger keeps one issuance account per currency, the community's, whose debit
limit is how much may be issued in all; organisations have no issuance account of their own. So logged hours
are issued from the issuance account of the community's timebank hours (its first active time currency), on the
organisation's word: only its staff or a coordinator can log them, the transfer's memo and reference name the
organisation, role and log, and each log keeps the organisation, so reports can sum what each one issued. A
community with no time currency, or whose issuance account cannot issue that much, is refused in words that say
what a coordinator has to set up.

Logging is idempotent: the form (or API client) carries ``key``; the log is unique on it and it is the ledger
transfer's key, so resubmitting, or two submissions at once, credit the hours once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from ostrom.communities.actions import audit
from ostrom.communities.domain import DomainError, Role
from ostrom.communities.models import Member, Organisation
from ostrom.ledger.actions import accounts, transfers
from ostrom.ledger.models import Account, AccountKind, AccountStatus, Currency, CurrencyKind

from ..access import volunteering as access
from ..domain import volunteering as domain
from ..domain.volunteering import RoleFields, hours
from ..models import (
    ApplicationStatus,
    RoleStatus,
    VolunteerApplication,
    VolunteerLog,
    VolunteerPledge,
    VolunteerRole,
)
from ..models.volunteering import ACTIVE_APPLICATION
from ..notices import volunteering as notices

TRANSFER_CATEGORY = "volunteering"
MEMO_MAX_CHARS = 500


def community_today(member: Member) -> date:
    """Today's date where the community is: what "not in the future" means for its members."""
    return timezone.localdate(timezone.now(), ZoneInfo(member.community.time_zone))


# --- roles -------------------------------------------------------------------------------------------------------


def post_role(actor: Member, organisation: Organisation, fields: RoleFields) -> VolunteerRole:
    """Post a role for an organisation: its staff or a coordinator (audited when a coordinator posts for it)."""
    _require_speaks_for(actor, organisation, "post roles")
    if not organisation.is_active:
        raise DomainError("organisation_inactive", f"{organisation.name} is no longer a partner here.", "organisation")
    checked = domain.check_role(fields, community_today(actor))
    with transaction.atomic():
        role = VolunteerRole.objects.create(
            community_id=organisation.community_id,
            organisation=organisation,
            title=checked.title,
            description=checked.description,
            minutes_per_week=checked.minutes_per_week,
            volunteers_needed=checked.volunteers_needed,
            place=checked.place,
            starts_on=checked.starts_on,
            ends_on=checked.ends_on,
            created_by=actor,
        )
        _audit_on_behalf(actor, organisation, "market.volunteer_role_posted", None, role=role.pk)
    return role


def close_role(actor: Member, role: VolunteerRole) -> VolunteerRole:
    """Stop taking applications. Waiting applications are declined; accepted volunteers' hours can still be logged."""
    _require_manager(actor, role, "close this role")
    with transaction.atomic():
        locked = VolunteerRole.objects.select_for_update().get(pk=role.pk)
        if locked.status == RoleStatus.CLOSED:
            return locked
        now = timezone.now()
        locked.status, locked.updated_at = RoleStatus.CLOSED, now
        locked.save(update_fields=["status", "updated_at"])
        waiting = list(locked.applications.filter(status=ApplicationStatus.APPLIED).select_related("member__user"))
        for application in waiting:
            application.status, application.decided_at, application.decided_by = ApplicationStatus.DECLINED, now, actor
            application.answer = "The role has closed."
            application.save(update_fields=["status", "decided_at", "decided_by", "answer"])
            application.role = locked
            notices.application_answered(application)
        _audit_on_behalf(actor, locked.organisation, "market.volunteer_role_closed", None, role=locked.pk)
    return locked


# --- applications ------------------------------------------------------------------------------------------------


def apply(member: Member, role: VolunteerRole, note: str = "") -> VolunteerApplication:
    """A member offers to take an open role; at most one application of theirs is waiting or accepted at a time."""
    if not member.is_active or member.community_id != role.community_id:
        raise DomainError("not_allowed", "Only active members of this community can apply.")
    note = domain.check_text(note, field="note", max_chars=domain.NOTE_MAX_CHARS, required=False, what="your note")
    if role.status != RoleStatus.OPEN:
        raise DomainError("role_not_open", "This role is not taking applications any more.")
    if role.ends_on is not None and role.ends_on < community_today(member):
        raise DomainError("role_ended", "This role has ended.")
    if VolunteerApplication.objects.filter(role=role, member=member, status__in=ACTIVE_APPLICATION).exists():
        raise DomainError("already_applied", "You have already applied for this role.")
    try:
        with transaction.atomic():
            return VolunteerApplication.objects.create(
                community_id=role.community_id, role=role, member=member, note=note
            )
    except IntegrityError:  # the same member applying twice at once: the partial unique index decides
        raise DomainError("already_applied", "You have already applied for this role.") from None


def accept(actor: Member, application: VolunteerApplication, answer: str = "") -> VolunteerApplication:
    """The organisation takes the volunteer on. The role shows as filled once enough are accepted."""
    return _answer(actor, application, ApplicationStatus.ACCEPTED, answer)


def decline(actor: Member, application: VolunteerApplication, answer: str = "") -> VolunteerApplication:
    """The organisation says no, with an optional word of why that the applicant sees."""
    return _answer(actor, application, ApplicationStatus.DECLINED, answer)


def _answer(actor: Member, application: VolunteerApplication, status: str, answer: str) -> VolunteerApplication:
    role = application.role
    _require_manager(actor, role, "answer applications for this role")
    answer = domain.check_text(
        answer, field="answer", max_chars=domain.ANSWER_MAX_CHARS, required=False, what="your answer"
    )
    with transaction.atomic():
        # The role's row is the lock every change to its applications takes, so counting accepted volunteers for
        # "filled" never races with another answer or a withdrawal.
        locked_role = (
            VolunteerRole.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=role.pk)
        )
        locked = VolunteerApplication.objects.select_related("member__user", "member__community").get(pk=application.pk)
        if locked.status != ApplicationStatus.APPLIED:
            raise DomainError("wrong_status", f"This application is already {locked.get_status_display().lower()}.")
        if status == ApplicationStatus.ACCEPTED and locked_role.status == RoleStatus.CLOSED:
            raise DomainError("role_not_open", "This role is closed; open a new one to take more volunteers.")
        locked.status, locked.decided_at, locked.decided_by, locked.answer = status, timezone.now(), actor, answer
        locked.save(update_fields=["status", "decided_at", "decided_by", "answer"])
        _refresh_role_status(locked_role)
        locked.role = locked_role
        notices.application_answered(locked)
        _audit_on_behalf(
            actor,
            locked_role.organisation,
            f"market.volunteer_application_{status}",
            locked.member,
            application=locked.pk,
        )
    return locked


def withdraw(member: Member, application: VolunteerApplication) -> VolunteerApplication:
    """The applicant takes back a waiting or accepted application; a filled role opens again."""
    if application.member_id != member.pk:
        raise DomainError("not_your_application", "Only the person who applied can withdraw an application.")
    with transaction.atomic():
        locked_role = VolunteerRole.objects.select_for_update().get(pk=application.role_id)
        locked = VolunteerApplication.objects.get(pk=application.pk)
        if locked.status not in ACTIVE_APPLICATION:
            raise DomainError("wrong_status", f"This application is already {locked.get_status_display().lower()}.")
        locked.status = ApplicationStatus.WITHDRAWN
        locked.save(update_fields=["status"])
        _refresh_role_status(locked_role)
    return locked


def _refresh_role_status(role: VolunteerRole) -> None:
    """Open ↔ filled as accepted volunteers come and go; call with the role's row locked."""
    accepted = role.applications.filter(status=ApplicationStatus.ACCEPTED).count()
    status = domain.status_after_acceptances(role.status, accepted, role.volunteers_needed)
    if status != role.status:
        role.status, role.updated_at = status, timezone.now()
        role.save(update_fields=["status", "updated_at"])


# --- hours ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Logged:
    """A log of hours and what it did: ``replayed`` when the key had been used and nothing new was written."""

    log: VolunteerLog
    currency: Currency
    balance_after: int
    replayed: bool = False


def log_hours(
    actor: Member, role: VolunteerRole, volunteer: Member, minutes: int, worked_on: date, key: uuid.UUID, note: str = ""
) -> Logged:
    """Record ``minutes`` a volunteer worked on ``worked_on`` and credit them as many minutes of timebank hours,
    once however often the same ``key`` is sent."""
    if not isinstance(key, uuid.UUID):
        raise DomainError("invalid_key", "This form is out of date. Check the details and send again.", "key")
    _require_manager(actor, role, "log hours for this role")
    existing = VolunteerLog.objects.filter(community_id=role.community_id, transfer_key=key).first()
    if existing is not None:
        return _replay(existing, role, volunteer, minutes, worked_on)
    if volunteer.community_id != role.community_id:
        raise DomainError("member_unknown", "There is no such member in this community.", "member")
    if volunteer.pk == actor.pk:
        raise DomainError("not_yourself", "Someone else at the organisation has to log your own hours.", "member")
    domain.check_log(minutes, worked_on, community_today(actor))
    if worked_on < role.starts_on:
        raise DomainError(
            "before_role_start",
            f"This role started on {role.starts_on.day} {role.starts_on:%B %Y}; log hours from that day on.",
            "worked_on",
        )
    note = domain.check_text(note, field="note", max_chars=domain.LOG_NOTE_MAX_CHARS, required=False, what="the note")
    currency, issuance = _issuance(role)
    try:
        with transaction.atomic():
            _lock_accepted_application(role, volunteer)
            already = VolunteerLog.objects.filter(role=role, member=volunteer, worked_on=worked_on).aggregate(
                total=Sum("minutes")
            )["total"]
            domain.check_day_total(already or 0, minutes)
            log = VolunteerLog.objects.create(
                community_id=role.community_id,
                role=role,
                member=volunteer,
                minutes=minutes,
                worked_on=worked_on,
                note=note,
                logged_by=actor,
                employer_id=volunteer.organisation_id,
                transfer_key=key,
            )
            posted = _credit(actor, role, volunteer, log, currency, issuance)
            log.transfer_id = posted.id
            log.save(update_fields=["transfer"])
            notices.hours_logged(log, currency, posted.credit_balance_after)
            _audit_on_behalf(
                actor,
                role.organisation,
                "market.volunteer_hours_logged",
                volunteer,
                log=log.pk,
                minutes=minutes,
                transfer=posted.id,
            )
    except IntegrityError:
        # The same key sent twice at once: the other submission's log won the unique index; hand it back.
        existing = VolunteerLog.objects.filter(community_id=role.community_id, transfer_key=key).first()
        if existing is None:
            raise
        return _replay(existing, role, volunteer, minutes, worked_on)
    return Logged(log, currency, posted.credit_balance_after)


def _issuance(role: VolunteerRole) -> tuple[Currency, Account]:
    """The community's timebank hours and their issuance account, or a refusal that says what to set up."""
    community = role.community
    currency = (
        Currency.objects.filter(community_id=role.community_id, kind=CurrencyKind.TIME, is_active=True)
        .order_by("created_at", "pk")
        .first()
    )
    if currency is None:
        raise DomainError(
            "no_time_currency",
            f"{community.name} has no timebank hours to earn yet. A coordinator can set up a currency of kind "
            "time on the Exchange's currencies page; then log these hours again.",
        )
    issuance = Account.objects.filter(currency=currency, kind=AccountKind.ISSUANCE).first()
    if issuance is None or issuance.status != AccountStatus.ACTIVE:
        raise DomainError(
            "issuance_unavailable",
            f"{currency.name} can't be issued right now: its issuance account is "
            f"{issuance.get_status_display().lower() if issuance else 'missing'}. Ask a coordinator to make it active.",
        )
    return currency, issuance


def _credit(
    actor: Member, role: VolunteerRole, volunteer: Member, log: VolunteerLog, currency: Currency, issuance: Account
):
    memo = f"Volunteering: {role.title} with {role.organisation.name}"[:MEMO_MAX_CHARS]
    account = accounts.open_account(currency, member=volunteer)
    try:
        return transfers.transfer(
            debit=issuance,
            credit=account,
            amount=log.minutes,
            key=log.transfer_key,
            memo=memo,
            category=TRANSFER_CATEGORY,
            reference=f"volunteering:{log.pk}",
            actor=actor.user,
        )
    except DomainError as error:
        if error.code != "debit_limit_exceeded":
            raise
        issued = hours(max(-issuance.balance, 0))
        raise DomainError(
            "issuance_limit_reached",
            f"{currency.name} can't issue {hours(log.minutes)} more: {issued} has been issued, which is as much "
            "as the community allows. A coordinator can raise the issuance account's limit on the Exchange's "
            "accounts page; then log these hours again.",
            "minutes",
        ) from None


def _lock_accepted_application(role: VolunteerRole, volunteer: Member) -> VolunteerApplication:
    """The volunteer's accepted application, locked: two logs for the same person and role never race past the
    day's total."""
    application = (
        VolunteerApplication.objects.select_for_update()
        .filter(role=role, member=volunteer, status=ApplicationStatus.ACCEPTED)
        .first()
    )
    if application is None:
        raise DomainError(
            "not_accepted",
            f"{volunteer.display_name} is not an accepted volunteer for this role. Accept their application first.",
            "member",
        )
    return application


def _replay(existing: VolunteerLog, role: VolunteerRole, volunteer: Member, minutes: int, worked_on: date) -> Logged:
    same = (existing.role_id, existing.member_id, existing.minutes, existing.worked_on) == (
        role.pk,
        volunteer.pk,
        minutes,
        worked_on,
    )
    if not same:
        raise DomainError(
            "exists_with_different_details",
            "This form was already used to log other hours. Open the form again to log more.",
            "key",
        )
    account = Account.objects.select_related("currency").get(pk=existing.transfer.credit_account_id)
    return Logged(existing, account.currency, existing.transfer.credit_balance_after, replayed=True)


# --- pledges -----------------------------------------------------------------------------------------------------


def set_pledge(actor: Member, employer: Organisation, year: int, minutes_pledged: int) -> VolunteerPledge:
    """An employer's staff (or a coordinator) pledge hours for a year; setting it again changes the figure."""
    _require_speaks_for(actor, employer, "pledge hours for this organisation")
    domain.check_pledge(year, minutes_pledged, community_today(actor).year)
    now = timezone.now()
    with transaction.atomic():
        pledge = (
            VolunteerPledge.objects.select_for_update()
            .filter(community_id=employer.community_id, employer=employer, year=year)
            .first()
        )
        if pledge is None:
            try:
                with transaction.atomic():
                    pledge = VolunteerPledge.objects.create(
                        community_id=employer.community_id,
                        employer=employer,
                        year=year,
                        minutes_pledged=minutes_pledged,
                        created_by=actor,
                    )
            except IntegrityError:  # pledged at the same moment by a colleague: change theirs
                pledge = VolunteerPledge.objects.select_for_update().get(
                    community_id=employer.community_id, employer=employer, year=year
                )
        before = pledge.minutes_pledged
        pledge.minutes_pledged, pledge.updated_at = minutes_pledged, now
        pledge.save(update_fields=["minutes_pledged", "updated_at"])
        _audit_on_behalf(
            actor, employer, "market.volunteer_pledge_set", None, year=year, before=before, after=minutes_pledged
        )
    return pledge


# --- helpers -----------------------------------------------------------------------------------------------------


def _require_manager(actor: Member, role: VolunteerRole, what: str) -> None:
    if not access.can_manage_role(actor, role):
        raise DomainError("not_allowed", f"Only {role.organisation.name}'s staff or a coordinator can {what}.")


def _require_speaks_for(actor: Member, organisation: Organisation, what: str) -> None:
    if not access.speaks_for(actor, organisation):
        raise DomainError("not_allowed", f"Only {organisation.name}'s staff or a coordinator can {what}.")


def _audit_on_behalf(actor: Member, organisation: Organisation, action: str, member: Member | None, **details) -> None:
    """A coordinator acting for an organisation they don't work for leaves an audit row; its own staff don't."""
    if actor.role == Role.STAFF and actor.organisation_id == organisation.pk:
        return
    audit(
        actor.community, actor.user, action, member, f"For {organisation.name}", organisation=organisation.pk, **details
    )
