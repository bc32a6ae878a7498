"""What volunteering tells people: an application accepted or declined, and hours logged with the time credits
they earned. Written to notify's outbox inside the action's transaction, so a refused action tells nobody."""

from __future__ import annotations

from django.urls import reverse

from ostrom.ledger.models import Currency
from ostrom.ledger.notices import fit_memo, money, short, text_amount
from ostrom.notify import registry
from ostrom.notify.actions import outbox
from ostrom.notify.domain import sms_text
from ostrom.notify.registry import MessageKind

from ..models import ApplicationStatus, VolunteerApplication, VolunteerLog

APPLICATION_ANSWERED = MessageKind("market.volunteer_application_answered", "Your volunteering application is answered")
HOURS_LOGGED = MessageKind("market.volunteer_hours_logged", "Volunteering hours logged for you, and credits earned")
KINDS = (APPLICATION_ANSWERED, HOURS_LOGGED)
MAX_NAME_CHARS = 40


def register() -> None:
    """Add this part's message kinds to notify's registry; safe to call twice."""
    for kind in KINDS:
        registry.register_kind(kind)


def application_answered(application: VolunteerApplication) -> None:
    """Tell the applicant their application was accepted or declined, with what the organisation said."""
    role, member = application.role, application.member
    organisation = role.organisation.name
    accepted = application.status == ApplicationStatus.ACCEPTED
    page = reverse("market_volunteer_role", kwargs={"slug": member.community.slug, "role_id": role.pk})
    if accepted:
        subject = f"{organisation} accepted you as {role.title}"
        said = f"{organisation} accepted your application to volunteer as “{role.title}”. They will be in touch."
        sms = f"{short(organisation, MAX_NAME_CHARS)} accepted you to volunteer as '"
    else:
        subject = f"{organisation} declined your application for {role.title}"
        said = f"{organisation} declined your application to volunteer as “{role.title}”."
        sms = f"{short(organisation, MAX_NAME_CHARS)} declined your application for '"
    if application.answer:
        said += f"\nThey said: “{application.answer}”"
    body = f"Hello {member.display_name},\n\n{said}\n\nThe role: {page}"
    outbox.notify(
        member, APPLICATION_ANSWERED.key, subject=subject, body=body, sms_body=fit_memo(sms, role.title, "'.")
    )


def hours_logged(log: VolunteerLog, currency: Currency, balance: int) -> None:
    """Tell the volunteer their hours were logged, the credits they earned and their balance now."""
    member, role = log.member, log.role
    organisation = role.organisation.name
    earned, now = money(log.minutes, currency), money(balance, currency)
    subject = f"You earned {earned} volunteering with {organisation}"
    body = (
        f"Hello {member.display_name},\n\n{organisation} logged {earned} you volunteered as “{role.title}” on "
        f"{log.worked_on:%A} {log.worked_on.day} {log.worked_on:%B}, and you earned {earned} of {currency.name}.\n"
        f"Your {currency.name} balance is now {now}. Thank you!"
    )
    sms = sms_text.fit_one(
        f"{short(organisation, MAX_NAME_CHARS)} logged {text_amount(log.minutes, currency)} of volunteering for you. "
        f"Your balance is now {text_amount(balance, currency)}. Thank you!"
    )
    outbox.notify(member, HOURS_LOGGED.key, subject=subject, body=body, sms_body=sms)
