"""What moderation tells people: coordinators hear of a new report; a poster hears that a coordinator hid (or
showed again) what they posted, and why. Written to notify's outbox inside the action's transaction, so a
refused or rolled-back action tells nobody. The reporter is never named to the person reported."""

from __future__ import annotations

from django.urls import reverse

from ostrom.communities.domain import COORDINATING_ROLES, Status
from ostrom.communities.models import Member
from ostrom.notify import registry
from ostrom.notify.actions import outbox
from ostrom.notify.domain import sms_text
from ostrom.notify.registry import MessageKind

from ..models import ExchangeMessage, Listing, Report

REPORT_FILED = MessageKind("market.report_filed", "Someone reported an ad or a message (coordinators)")
CONTENT_MODERATED = MessageKind("market.content_moderated", "A coordinator hid or restored something you posted")
KINDS = (REPORT_FILED, CONTENT_MODERATED)

# Coordinators told of one report: a community has a handful; the bound keeps one report's notices small.
MAX_COORDINATORS_TOLD = 20
QUOTE_CHARS = 80


def register() -> None:
    """Add moderation's message kinds to notify's registry; safe to call twice."""
    for kind in KINDS:
        registry.register_kind(kind)


def report_filed(report: Report) -> None:
    """Tell the community's coordinators (except the person reported) what was reported, and where to decide."""
    coordinators = (
        Member.objects.filter(community_id=report.community_id, role__in=COORDINATING_ROLES, status=Status.ACTIVE)
        .exclude(pk__in=[report.about_id, report.reporter_id])
        .select_related("user", "community")
        .order_by("pk")[:MAX_COORDINATORS_TOLD]
    )
    what = _what(report)
    page = reverse("market_moderation", kwargs={"slug": report.community.slug})
    subject = f"New report: {what}"
    for coordinator in coordinators:
        body = (
            f"Hello {coordinator.display_name},\n\n{report.reporter.display_name} reported {what} by "
            f"{report.about.display_name} as “{report.get_reason_display()}”."
            + (f"\nThey wrote: “{report.note}”" if report.note else "")
            + f"\n\nHide it or dismiss the report on the moderation page ({page})."
        )
        sms = sms_text.fit_one(f"New report in the marketplace: {_short(what)}. See the moderation page.")
        outbox.notify(coordinator, REPORT_FILED.key, subject=subject, body=body, sms_body=sms)


def listing_hidden(listing: Listing, reason: str) -> None:
    """Tell the poster their ad is hidden, and why, so they can put it right or ask a coordinator."""
    member = listing.member
    subject = f"Your {listing.get_kind_display().lower()} “{_short(listing.title)}” is hidden"
    body = (
        f"Hello {member.display_name},\n\nA coordinator hid your {listing.get_kind_display().lower()} "
        f"“{listing.title}”, so other members no longer see it.\nThe reason they gave: “{reason}”\n\n"
        "If you think this is a mistake, or you would like to change it, talk to a coordinator."
    )
    sms = sms_text.fit_one(f"A coordinator hid your ad '{_short(listing.title, 40)}': {reason}")
    outbox.notify(member, CONTENT_MODERATED.key, subject=subject, body=body, sms_body=sms)


def listing_restored(listing: Listing) -> None:
    member = listing.member
    subject = f"Your {listing.get_kind_display().lower()} “{_short(listing.title)}” is shown again"
    body = (
        f"Hello {member.display_name},\n\nA coordinator showed your {listing.get_kind_display().lower()} "
        f"“{listing.title}” again. Members who look for it can find it as before."
    )
    sms = sms_text.fit_one(f"A coordinator showed your ad '{_short(listing.title, 40)}' again.")
    outbox.notify(member, CONTENT_MODERATED.key, subject=subject, body=body, sms_body=sms)


def message_hidden(message: ExchangeMessage, reason: str) -> None:
    """Tell the author a message of theirs is hidden from the thread, and why."""
    author = message.author
    if author is None:  # a note the system wrote; nobody to tell
        return
    subject = "A message of yours was hidden"
    body = (
        f"Hello {author.display_name},\n\nA coordinator hid your message “{_short(message.body)}” in the "
        f"exchange “{message.exchange}”.\nThe reason they gave: “{reason}”"
    )
    sms = sms_text.fit_one(f"A coordinator hid a message of yours in the marketplace: {reason}")
    outbox.notify(author, CONTENT_MODERATED.key, subject=subject, body=body, sms_body=sms)


def _what(report: Report) -> str:
    if report.listing_id is not None:
        listing = report.listing
        return f"the {listing.get_kind_display().lower()} “{_short(listing.title)}”"
    return f"a message (“{_short(report.message.body)}”)"


def _short(text: str, max_chars: int = QUOTE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= max_chars else text[: max_chars - 1].rstrip() + "…"
