"""The marketplace's digest section "Offers and requests that fit you": requests posted in the digest's period
that the member could help with (their skills and offers), and offers posted in it that fit the member's own open
requests, best fit first, each with why. Nothing is sent on its own: the digest carries it."""

from __future__ import annotations

from datetime import datetime

from ostrom.communities.models import Member
from ostrom.notify import registry
from ostrom.notify.registry import DigestSection

from ..matches import Match, offers_for_member, requests_for_helper

SECTION = "market.fits"
TITLE = "Offers and requests that fit you"
ORDER = 40
# A digest suggests a few of each; the marketplace's page has the rest.
MAX_REQUESTS = 5
MAX_OFFERS = 5
MAX_TITLE_CHARS = 60
MAX_REASONS = 2


def register() -> None:
    """Add the section to every digest; safe to call twice."""
    registry.register_digest_section(DigestSection(SECTION, TITLE, ORDER, fitting_lines))


def fitting_lines(member: Member, start: datetime, end: datetime) -> list[str]:
    """One line for each request and offer posted in [start, end) that fits the member."""
    window = {"published_since": start, "published_before": end}
    lines = [_request_line(match) for match in requests_for_helper(member, MAX_REQUESTS, **window)]
    lines += [_offer_line(match) for match in offers_for_member(member, MAX_OFFERS, **window)]
    return lines


def _request_line(match: Match) -> str:
    assert match.listing is not None
    return f"{match.member.display_name} asks for “{_title(match.listing.title)}”{_why(match)}"


def _offer_line(match: Match) -> str:
    assert match.listing is not None and match.for_listing is not None
    offer = match.listing
    poster = offer.organisation.name if offer.organisation_id else match.member.display_name
    return f"{poster} offers “{_title(offer.title)}”, for your request “{_title(match.for_listing.title)}”{_why(match)}"


def _why(match: Match) -> str:
    reasons = [reason[0].lower() + reason[1:] for reason in match.reasons[:MAX_REASONS]]
    return f": {', '.join(reasons)}." if reasons else "."


def _title(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= MAX_TITLE_CHARS else title[: MAX_TITLE_CHARS - 1].rstrip() + "…"
