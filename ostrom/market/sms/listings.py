"""Posting by text message: ``OFFER <text>`` and ``WANT <text>`` put an offer or a request up at once for the
sender, through the same action as the web's form (so the same rules and the same posting limit apply).

The title is the text's first words, the description the whole text, the category "Other" (a coordinator can
move it); availability and rough location come from the sender's profile. The reply gives the ad's number, which
is what a coordinator or the web uses to find it."""

from __future__ import annotations

import zoneinfo

from django.utils import timezone
from django.utils.formats import date_format

from ostrom.communities.domain import DomainError
from ostrom.communities.models import Member
from ostrom.ledger.notices import fit_memo
from ostrom.notify import registry
from ostrom.notify.domain import sms_text
from ostrom.notify.domain.sms_commands import ArgKind, ArgSpec, CommandSpec, ParsedCommand
from ostrom.notify.registry import SmsCommand, SmsContext, SmsReply

from ..actions import listings as actions
from ..actions.categories import fallback_category
from ..domain import listings as rules
from ..models import Listing, ListingKind

OFFER = CommandSpec("OFFER", args=(ArgSpec("text", ArgKind.TEXT),), summary="offer help")
WANT = CommandSpec("WANT", args=(ArgSpec("text", ArgKind.TEXT),), aliases=("NEED",), summary="ask for help")
EXAMPLES = {
    ListingKind.OFFER: "OFFER help with gardening on Saturdays",
    ListingKind.REQUEST: "WANT a lift to the clinic on Friday",
}
# What the text's own rules say is wrong, in words that fit a text and say what to send instead.
TOO_SHORT = {"title_required", "title_too_short", "description_required", "description_too_short"}


def register() -> None:
    """Add OFFER and WANT to notify's registry; safe to call twice."""
    registry.register_command(SmsCommand(OFFER, answer_offer))
    registry.register_command(SmsCommand(WANT, answer_want))


def answer_offer(context: SmsContext, command: ParsedCommand) -> SmsReply:
    """OFFER: put an offer up for the sender."""
    return SmsReply(_post(context, ListingKind.OFFER, command.args.get("text", "")))


def answer_want(context: SmsContext, command: ParsedCommand) -> SmsReply:
    """WANT: put a request up for the sender."""
    return SmsReply(_post(context, ListingKind.REQUEST, command.args.get("text", "")))


def _post(context: SmsContext, kind: str, text: str) -> str:
    member = context.member
    if member is None:  # the dispatcher only calls member commands for members; this is a guard
        raise DomainError("member_unknown", "This number is not linked to a member.")
    try:
        listing = actions.create_listing(
            member, kind=kind, title=rules.title_from_text(text), description=text,
            category=fallback_category(member.community), availability=member.availability,
            latitude=member.latitude, longitude=member.longitude,
        )  # fmt: skip
    except DomainError as error:
        if error.code in TOO_SHORT:
            raise DomainError(error.code, f"Please say a bit more, e.g. {EXAMPLES[kind]}") from None
        raise
    return posted_text(listing, member)


def posted_text(listing: Listing, member: Member) -> str:
    """'Your offer is up as number 12: "Help with gardening". It shows until 3 Jun.' in one text."""
    zone = zoneinfo.ZoneInfo(member.community.time_zone)
    until = date_format(timezone.localtime(listing.expires_at, zone), "j M") if listing.expires_at else ""
    word = actions.kind_word(listing.kind)
    before = f'Your {word} is up as number {listing.pk}: "'
    after = f'". It shows until {until}. To change it, use the website or ask a coordinator.'
    text = fit_memo(before, listing.title, after)
    return text if sms_text.gsm7_septets(text) <= sms_text.GSM7_SINGLE_SEPTETS else sms_text.fit_one(text)
