"""The printable directory: the community's current offers grouped by category, as a PDF for a library counter or
a noticeboard, so people without internet can see what neighbours offer.

A printed page leaves the community's hands, so it shows no one's own contact details: members appear by first
name (organisations by name), and each offer says how to answer it: online by its number, or, for members who
use a phone only or prefer it, through a coordinator at the contact the person printing it gives."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field

from django.template.loader import render_to_string
from django.utils import timezone

from ostrom.communities.domain import Availability, ContactChannel
from ostrom.communities.models import Member
from ostrom.ledger.domain.amounts import format_amount

from .access import listings as access
from .domain import categories as tree_rules
from .models import Category, Listing

# A directory lists at most this many offers (the newest): a few dozen pages, made in seconds. Communities with
# more print one top-level category at a time.
MAX_ENTRIES = 300
DESCRIPTION_CHARS = 280
TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "rev", "sir", "dame", "lady", "lord"}


@dataclass
class Entry:
    number: int
    title: str
    description: str
    who: str
    place: str
    when: str
    remote: bool
    price: str
    reply_online: str  # the address to answer it online, or "" when it goes through a coordinator


@dataclass
class Section:
    name: str
    groups: list[tuple[str, list[Entry]]] = field(default_factory=list)  # (subcategory name or "", entries)

    @property
    def count(self) -> int:
        return sum(len(entries) for _, entries in self.groups)


@dataclass(frozen=True)
class Directory:
    html: str
    pdf: bytes
    pages: int
    offers: int
    truncated: bool


def first_name(display_name: str) -> str:
    """ "Pat" for "Pat Price"; "Mrs J." for "Mrs Jones", whose first word is not a name."""
    words = display_name.split()
    if not words:
        return "A member"
    if words[0].rstrip(".").lower() in TITLES and len(words) > 1:
        return f"{words[0]} {words[1][0]}."
    return words[0]


def via_coordinator(member: Member) -> bool:
    """Members without an email address, or who asked to be reached through a coordinator."""
    return not member.user.email or ContactChannel.COORDINATOR in (member.contact_preferences or [])


def _short(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) <= DESCRIPTION_CHARS:
        return flat
    return flat[:DESCRIPTION_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:.") + "…"


def _entry(listing: Listing, site: str) -> Entry:
    labels = dict(Availability.choices)
    organisation = listing.organisation
    who = organisation.name if organisation is not None else first_name(listing.member.display_name)
    online = organisation is not None or not via_coordinator(listing.member)
    price = ""
    if listing.price_amount and listing.price_currency:
        currency = listing.price_currency
        price = format_amount(listing.price_amount, currency.kind, currency.scale, currency.symbol)
    return Entry(
        number=listing.pk,
        title=listing.title,
        description=_short(listing.description),
        who=who,
        place=listing.place_name,
        when=", ".join(str(labels[v]) for v in listing.availability if v in labels),
        remote=listing.remote_ok,
        price=price,
        reply_online=f"{site}/c/{listing.community.slug}/market/listings/{listing.pk}/" if online else "",
    )


def _sections(listings: list[Listing], categories: dict[int, Category], site: str) -> list[Section]:
    """Offers under their top-level category, then their subcategory, both in the tree's order."""
    parent_of = {pk: category.parent_id for pk, category in categories.items()}
    sections: dict[int, Section] = {}
    groups: dict[tuple[int, int], list[Entry]] = {}
    for listing in listings:
        chain = tree_rules.ancestors(listing.category_id, parent_of)
        top, second = chain[-1], (chain[-2] if len(chain) > 1 else chain[-1])
        sections.setdefault(top, Section(categories[top].name))
        groups.setdefault((top, second), []).append(_entry(listing, site))

    def order(pk: int) -> tuple[int, str, int]:
        return (categories[pk].position, categories[pk].name, pk)

    for (top, second), entries in sorted(groups.items(), key=lambda item: (order(item[0][0]), order(item[0][1]))):
        entries.sort(key=lambda entry: entry.title.lower())
        sections[top].groups.append(("" if second == top else categories[second].name, entries))
    return [sections[top] for top in sorted(sections, key=order)]


def _refuse_fetch(url: str, *args: object, **kwargs: object) -> dict:
    # The directory is self-contained; nothing in it (an ad's text least of all) may make the server fetch a URL.
    raise ValueError(f"the directory fetches nothing, not {url[:60]!r}")


def build(viewer: Member, *, category: int | None = None, contact: str = "", site: str = "") -> Directory:
    """The current offers ``viewer`` could see, of one top-level category or all, as HTML and as a PDF."""
    community = viewer.community
    categories = {c.pk: c for c in access.community_categories(viewer)}
    offers = access.directory_offers(viewer)
    chosen = categories.get(category) if category else None
    if chosen is not None:
        parent_of = {pk: c.parent_id for pk, c in categories.items()}
        inside = [pk for pk in categories if chosen.pk in tree_rules.ancestors(pk, parent_of)]
        offers = offers.filter(category_id__in=inside)
    rows = list(offers.order_by("-published_at", "-pk")[: MAX_ENTRIES + 1])
    truncated = len(rows) > MAX_ENTRIES
    rows = rows[:MAX_ENTRIES]
    context = {
        "community": community,
        "sections": _sections(rows, categories, site),
        "chosen": chosen,
        "contact": " ".join(contact.split()) or f"a coordinator of {community.name}",
        "made_at": timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(community.time_zone)),
        "count": len(rows),
        "truncated": truncated,
        "max_entries": MAX_ENTRIES,
        "site": site,
    }
    html = render_to_string("market/directory.html", context)
    from weasyprint import HTML  # a heavy import (it parses its own style sheets), paid only when printing

    document = HTML(string=html, url_fetcher=_refuse_fetch).render()
    return Directory(
        html=html, pdf=document.write_pdf(), pages=len(document.pages), offers=len(rows), truncated=truncated
    )
