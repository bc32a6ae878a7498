"""What contested allocation tells people: the result of a window they asked in, with a link to the result page
(who got what and why, and the certificate to check it). Written to notify's outbox inside the allocation's
transaction, so it goes out only if the allocation is saved."""

from __future__ import annotations

from collections.abc import Mapping

from django.urls import reverse

from ostrom.communities.models import Member
from ostrom.ledger.notices import fit_memo
from ostrom.notify import registry
from ostrom.notify.actions import outbox
from ostrom.notify.registry import MessageKind

ALLOCATION_RESULT = MessageKind(
    "commons.allocation_result", "The result of a request window you asked in", default_channel="sms"
)
KINDS = (ALLOCATION_RESULT,)


def register() -> None:
    """Add this part's message kinds to notify's registry."""
    for kind in KINDS:
        registry.register_kind(kind)


def allocation_result(window, member: Member, person: Mapping[str, object]) -> None:
    """Tell someone who asked what they got (or that they did not get a slot this time), with the link."""
    page = reverse("commons-window", kwargs={"slug": member.community.slug, "window_id": window.pk})
    slots = [str(label) for label in person.get("slots", []) or []]
    got = f"You have: {', '.join(slots)}." if slots else "You did not get a slot this time."
    explanation = str(person.get("explanation", ""))
    subject = f"Result: {window.title}"
    body = (
        f"Hello {member.display_name},\n\nThe allocation for “{window.title}” has run.\n{got}\n{explanation}\n\n"
        f"See who got what, why, and check the result yourself: {page}"
    )
    sms = fit_memo(
        "Result of '", window.title, f"': {'you have ' + ', '.join(slots) if slots else 'no slot this time'}. {page}"
    )
    outbox.notify(
        member, ALLOCATION_RESULT.key, subject=subject, body=body, sms_body=sms,
        dedupe_key=f"commons.allocation_result:{window.pk}:{member.pk}",
    )  # fmt: skip
