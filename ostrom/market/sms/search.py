"""``OFFERS [category]`` by text message: the newest few offers the sender could see on the web, optionally in one
category (found by the start of its name or slug, with everything under it), as one plain text. Each comes with
its number, which is what a coordinator or the web uses to find it."""

from __future__ import annotations

from django.db.models import Q

from ostrom.communities.domain import DomainError
from ostrom.communities.models import Member
from ostrom.notify import registry
from ostrom.notify.domain import sms_text
from ostrom.notify.domain.sms_commands import ArgKind, ArgSpec, CommandSpec, ParsedCommand
from ostrom.notify.registry import SmsCommand, SmsContext, SmsReply

from ..access.listings import community_categories, visible_listings
from ..models import Category, ListingKind
from ..search import categories_below

OFFERS = CommandSpec("OFFERS", args=(ArgSpec("category", ArgKind.TEXT, optional=True),), summary="newest offers")
# A text holds a handful of offers; the web and the printed directory have the rest.
MAX_OFFERS = 4
TITLE_CHARS = 30
NAME_CHARS = 15
CATEGORY_CHARS = 20
TAIL = " Ask a coordinator about one by its number."
ELLIPSIS = sms_text.GSM7_ELLIPSIS


def register() -> None:
    """Add OFFERS to notify's registry; safe to call twice."""
    registry.register_command(SmsCommand(OFFERS, answer_offers))


def answer_offers(context: SmsContext, command: ParsedCommand) -> SmsReply:
    """OFFERS [category]: the newest offers, each as "#12 Gardening help (Mina)"."""
    member = context.member
    if member is None:  # the dispatcher only calls member commands for members; this is a guard
        raise DomainError("member_unknown", "This number is not linked to a member.")
    typed = " ".join(command.args.get("category", "").split())
    offers = visible_listings(member).filter(kind=ListingKind.OFFER)
    where = ""
    if typed:
        categories = _categories(member, typed)
        ids = set().union(*(categories_below(member, category.pk) for category in categories))
        offers = offers.filter(category_id__in=sorted(ids))
        where = " in " + _short(categories[0].name if len(categories) == 1 else typed, CATEGORY_CHARS)
    newest = list(offers.select_related("member", "organisation").order_by("-published_at", "-pk")[:MAX_OFFERS])
    if not newest:
        return SmsReply(sms_text.fit_one(f"No offers{where} right now. To ask for help, send WANT and what you need."))
    return SmsReply(offers_text(f"Newest offers{where}: ", [_item(offer) for offer in newest]))


def offers_text(start: str, items: list[str]) -> str:
    """``start`` and as many items as fit one GSM-7 text with the tail; at least the first, cut if need be."""
    fitted = sms_text.to_gsm7(start)
    for index, item in enumerate(items):
        glue = "" if index == 0 else "; "
        candidate = fitted + glue + sms_text.to_gsm7(item)
        if sms_text.gsm7_septets(candidate + "." + TAIL) > sms_text.GSM7_SINGLE_SEPTETS:
            if index == 0:
                return sms_text.fit_one(candidate + ".")
            break
        fitted = candidate
    return fitted + "." + TAIL


def _categories(member: Member, typed: str) -> list[Category]:
    """The categories the word names: one whose name or slug is exactly it, else all that start with it."""
    categories = community_categories(member).order_by("position", "name", "pk")
    exact = list(categories.filter(Q(name__iexact=typed) | Q(slug__iexact=typed))[:1])
    if exact:
        return exact
    found = list(categories.filter(Q(name__istartswith=typed) | Q(slug__istartswith=typed))[:10])
    if not found:
        example = categories.filter(parent=None).values_list("name", flat=True).first() or "garden"
        raise DomainError(
            "category_unknown",
            sms_text.fit_one(
                f'No category starts with "{_short(typed, CATEGORY_CHARS)}". Send OFFERS on its own for all, or '
                f"e.g. OFFERS {example.split()[0].upper()}"
            ),
        )
    return found


def _item(offer) -> str:
    poster = offer.organisation.name if offer.organisation_id else offer.member.display_name
    return f"#{offer.pk} {_short(offer.title, TITLE_CHARS)} ({_short(poster, NAME_CHARS)})"


def _short(text: str, max_chars: int) -> str:
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return text
    return text[: max_chars - len(ELLIPSIS)].rstrip() + ELLIPSIS
