"""Suggested matches, read-only: who could help with a request, which requests a member could help with, and which
offers fit a member's own requests. The scoring is domain/matching.py's; this module only gathers candidates.

Gathering is bounded so a request among 100,000 offers costs a few small queries: for each of a few terms (the
request's tags, then its title's words) the newest offers that match it by full-text search (search.newest_matching
chooses how PostgreSQL finds them), and the newest in its category; members whose profile lists one of its tags as
a skill; then one query for those helpers' records as givers. Candidates are read as plain values and only the ten
chosen are loaded as models. Everything goes through visible_listings of the person who needs the help, so hidden, paused or other
communities' ads never appear, nor anyone in a block with them either way."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from ostrom.communities.domain import Status
from ostrom.communities.models import Member

from .access.listings import visible_listings
from .access.moderation import blocked_member_ids
from .domain import matching
from .domain.words import MARKET_STOP_WORDS, raw_words, spellings, tag_key
from .models import Exchange, ExchangeStatus, Listing, ListingKind, ListingStatus
from .search import newest_matching, word_plans

DEFAULT_LIMIT = 10
# Terms searched one by one, so one common word cannot crowd out the rest, and the newest offers each one finds.
# A request's first two terms (its tags come first) and its category find plenty for a top ten; each extra term
# cost a query that set the p95 at 100,000 offers (market.match.p95 went from about 48 to 37 ms). A helper's own
# skills are all searched, up to MAX_SKILLS, so nobody's third skill is forgotten.
MAX_TERMS = 2
MAX_SKILLS = 3
PER_TERM = 20
PER_CATEGORY = 40
PER_MEMBER_SKILLS = 40
# A member's own requests (or offers) looked at for the dashboard and the digest: their newest few.
MAX_OWN_LISTINGS = 3
PER_OWN_REQUEST = 3
# An ask is "recent" for load spreading for this long, whatever became of it.
RECENT_ASKS = timedelta(days=30)
OPEN_STATUSES = (ExchangeStatus.ENQUIRY, ExchangeStatus.AGREED, ExchangeStatus.DONE)
FAILED_STATUSES = (ExchangeStatus.CANCELLED, ExchangeStatus.DISPUTED)
RELATIONS = ("member__community", "category", "organisation")


@dataclass(frozen=True)
class Match:
    """A suggestion with what it points at: a listing (an offer for a request; a request for a helper), or for a
    member found through their profile's skills, no listing."""

    suggestion: matching.Suggestion
    member: Member
    listing: Listing | None
    for_listing: Listing | None = None  # the member's own request this offer would help with

    @property
    def reasons(self) -> tuple[str, ...]:
        return self.suggestion.reasons


def suggest_helpers(
    request: Listing,
    limit: int = DEFAULT_LIMIT,
    *,
    published_since: datetime | None = None,
    published_before: datetime | None = None,
    offers_only: bool = False,
) -> list[Match]:
    """The best helpers for ``request``, best first: one suggestion a member, through their best offer or their
    profile's skills, each with its reasons."""
    poster = request.member
    offers = visible_listings(poster).filter(kind=ListingKind.OFFER).exclude(member_id=poster.pk)
    offers = _published_within(offers, published_since, published_before)
    found = _gather(offers, _terms(request.tags, request.title), _family(request))
    # Plain values, not models: a few hundred candidates are scored and only the best few are shown.
    rows = list(Listing.objects.filter(pk__in=found).values_list(*OFFER_FIELDS))
    profiles = [] if offers_only else _skilled_members(poster, request.tags)
    records = _records(poster.community_id, {row[1] for row in rows} | {row[0] for row in profiles})
    candidates = [_offer(row, records) for row in rows] + [_profile(row, records) for row in profiles]
    return _matches(matching.rank(need_for(request), candidates, limit))


def requests_for_helper(
    helper: Member,
    limit: int = DEFAULT_LIMIT,
    *,
    published_since: datetime | None = None,
    published_before: datetime | None = None,
) -> list[Match]:
    """Requests by others that ``helper`` could help with (through their offers or skills), best fit first."""
    if not helper.is_active:
        return []
    offers = list(_own(helper, ListingKind.OFFER).values_list(*OFFER_FIELDS))
    tags = _distinct([*helper.skills, *(tag for offer in offers for tag in offer[4])])
    if not tags and not offers:
        return []
    requests = visible_listings(helper).filter(kind=ListingKind.REQUEST).exclude(member_id=helper.pk)
    requests = _published_within(requests, published_since, published_before)
    found = _gather(requests, _terms(tags, "", MAX_SKILLS), {offer[5] for offer in offers})
    records = _records(helper.community_id, {helper.pk})
    ways = [_offer(offer, records) for offer in offers] + [_profile(_profile_row(helper), records)]
    fitting = []
    for row in Listing.objects.filter(pk__in=found).values_list(*REQUEST_FIELDS):
        best = matching.best_fit(_need(*row[1:]), ways)
        if best is not None:
            fitting.append((best, row[0]))
    fitting.sort(key=lambda pair: (-pair[0].score, -pair[0].fit, -pair[1]))
    chosen = fitting[:limit]
    listings = Listing.objects.filter(pk__in=[pk for _, pk in chosen]).select_related(*RELATIONS).in_bulk()
    return [Match(best, listings[pk].member, listings[pk]) for best, pk in chosen if pk in listings]


def offers_for_member(
    member: Member,
    limit: int = DEFAULT_LIMIT,
    *,
    published_since: datetime | None = None,
    published_before: datetime | None = None,
) -> list[Match]:
    """Offers that could help with the member's own open requests (their newest few), best first, each offer once;
    ``for_listing`` says which request."""
    if not member.is_active:
        return []
    mine = list(_own(member, ListingKind.REQUEST).select_related("member", "category")[:MAX_OWN_LISTINGS])
    found: dict[int, Match] = {}
    for request in mine:
        for match in suggest_helpers(
            request, PER_OWN_REQUEST, published_since=published_since, published_before=published_before,
            offers_only=True,
        ):  # fmt: skip
            if match.listing is None:
                continue
            current = found.get(match.listing.pk)
            if current is None or match.suggestion.score > current.suggestion.score:
                found[match.listing.pk] = Match(match.suggestion, match.member, match.listing, request)
    ordered = sorted(found.values(), key=lambda m: (-m.suggestion.score, -m.suggestion.fit, -_pk(m.listing)))
    return ordered[:limit]


def need_for(request: Listing) -> matching.Need:
    """A request as the scoring sees it; where it gives no place or times, its poster's profile does."""
    poster = request.member
    return _need(
        request.title, request.description, request.tags, request.category_id,
        request.category.parent_id if request.category_id else None, request.latitude, request.longitude,
        request.availability, request.remote_ok, poster.latitude, poster.longitude, poster.availability,
    )  # fmt: skip


def _need(
    title, description, tags, category_id, parent_id, latitude, longitude, availability, remote_ok,
    poster_latitude, poster_longitude, poster_availability,
) -> matching.Need:  # fmt: skip
    spelled = spellings(" ".join([title, description, *tags]))
    return matching.Need(
        tags=tuple(tags),
        words=frozenset(spelled),
        spelled=tuple(spelled.items()),
        category_id=category_id,
        parent_category_id=parent_id,
        location=_point(latitude, longitude) or _point(poster_latitude, poster_longitude),
        availability=frozenset(availability or poster_availability or ()),
        remote_ok=remote_ok,
    )


# --- Gathering ------------------------------------------------------------------------------------------------


def _terms(tags: Iterable[str], title: str, most: int = MAX_TERMS) -> list[str]:
    """What to search for: the tags, then the title's words, at most ``most``, none twice ("cook" and "cooking"
    are one search)."""
    terms: dict[str, str] = {}
    for term in [*_distinct(tags), *raw_words(title, MARKET_STOP_WORDS)]:
        if raw_words(term):
            terms.setdefault(tag_key(term), term)
    return list(terms.values())[:most]


def _gather(listings: QuerySet[Listing], terms: list[str], families: Iterable[int]) -> set[int]:
    """Ids of the newest listings matching each term, and the newest in the category families: each query small."""
    found: set[int] = set()
    for term, plan in zip(terms, word_plans(terms, PER_TERM), strict=True):
        found.update(pk for pk, _ in newest_matching(listings, term, PER_TERM, plan))
    families = sorted(set(families))
    if families:
        newest = listings.filter(category_id__in=families).order_by("-published_at", "-pk")
        found.update(newest.values_list("pk", flat=True)[:PER_CATEGORY])
    return found


def _family(listing: Listing) -> set[int]:
    """The categories whose newest listings are worth a look for this one: its own (a sibling's listings come
    through the words, and score a little for the shared parent)."""
    return {listing.category_id} if listing.category_id else set()


def _skilled_members(poster: Member, tags: Iterable[str]) -> list[tuple]:
    """PROFILE_FIELDS of active members listed in the directory whose profile names one of the tags (checked
    exactly when scored)."""
    wanted = [tag.lower() for tag in _distinct(tags)[:MAX_TERMS] if tag.strip()]
    if not wanted:
        return []
    anyone = Q()
    for tag in wanted:
        anyone |= Q(search_text__contains=tag)
    excluded = blocked_member_ids(poster) | {poster.pk}
    members = Member.objects.filter(anyone, community_id=poster.community_id, status=Status.ACTIVE,
                                    listed_in_directory=True).exclude(pk__in=excluded)  # fmt: skip
    return list(members.order_by("-pk").values_list(*PROFILE_FIELDS)[:PER_MEMBER_SKILLS])


def _records(community_id: int, member_ids: set[int]) -> dict[int, matching.Record]:
    """Each member's record as a giver: confirmed, cancelled or disputed, open now, and asked lately."""
    if not member_ids:
        return {}
    since = timezone.now() - RECENT_ASKS
    rows = (
        Exchange.objects.filter(community_id=community_id, giver_id__in=sorted(member_ids))
        .values("giver_id")
        .annotate(
            confirmed=Count("pk", filter=Q(status=ExchangeStatus.CONFIRMED)),
            failed=Count("pk", filter=Q(status__in=FAILED_STATUSES)),
            open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
            recent=Count("pk", filter=Q(created_at__gte=since)),
        )
        .order_by()
    )
    return {
        row["giver_id"]: matching.Record(row["confirmed"], row["failed"], row["open"], row["recent"]) for row in rows
    }


# What scoring reads of an offer and its poster, and of a member's profile, as plain values.
OFFER_FIELDS = (
    "pk", "member_id", "title", "description", "tags", "category_id", "category__parent_id", "latitude",
    "longitude", "availability", "remote_ok", "member__skills", "member__latitude", "member__longitude",
    "member__share_location", "member__availability",
)  # fmt: skip
PROFILE_FIELDS = ("pk", "skills", "interests", "latitude", "longitude", "share_location", "availability")
REQUEST_FIELDS = (
    "pk", "title", "description", "tags", "category_id", "category__parent_id", "latitude", "longitude",
    "availability", "remote_ok", "member__latitude", "member__longitude", "member__availability",
)  # fmt: skip


def _offer(row: tuple, records: dict[int, matching.Record]) -> matching.Candidate:
    (pk, member_id, title, description, tags, category_id, parent_id, latitude, longitude, availability, remote_ok,
     skills, member_latitude, member_longitude, shares_location, member_availability) = row  # fmt: skip
    location = _point(latitude, longitude) or (_point(member_latitude, member_longitude) if shares_location else None)
    return matching.Candidate(
        member_id=member_id,
        listing_id=pk,
        offered_tags=tuple(tags),
        skills=tuple(skills),
        words=frozenset(spellings(" ".join([title, description, *tags]))),
        category_id=category_id,
        parent_category_id=parent_id,
        location=location,
        availability=frozenset(availability or member_availability or ()),
        remote_ok=remote_ok,
        record=records.get(member_id, matching.Record()),
    )


def _profile(row: tuple, records: dict[int, matching.Record]) -> matching.Candidate:
    pk, skills, interests, latitude, longitude, shares_location, availability = row
    # A profile's place counts only when the member lets others see it: a distance would give it away.
    return matching.Candidate(
        member_id=pk,
        skills=tuple(skills),
        words=frozenset(spellings(" ".join([*skills, *interests]))),
        location=_point(latitude, longitude) if shares_location else None,
        availability=frozenset(availability or ()),
        record=records.get(pk, matching.Record()),
    )


def _profile_row(member: Member) -> tuple:
    return tuple(getattr(member, name) for name in ("pk", *PROFILE_FIELDS[1:]))


def _matches(ranked: list[matching.Suggestion]) -> list[Match]:
    """The suggestions with the listings and members they name, loaded for showing."""
    listing_ids = [s.candidate.listing_id for s in ranked if s.candidate.listing_id is not None]
    listings = Listing.objects.filter(pk__in=listing_ids).select_related(*RELATIONS).in_bulk()
    member_ids = [s.candidate.member_id for s in ranked if s.candidate.listing_id is None]
    members = Member.objects.filter(pk__in=member_ids).select_related("community").in_bulk() if member_ids else {}
    found = []
    for suggestion in ranked:
        listing = listings.get(suggestion.candidate.listing_id or 0)
        member = listing.member if listing is not None else members.get(suggestion.candidate.member_id)
        if member is not None:
            found.append(Match(suggestion, member, listing))
    return found


def _own(member: Member, kind: str) -> QuerySet[Listing]:
    """The member's own active, unhidden listings of one kind, newest first."""
    return Listing.objects.filter(
        community_id=member.community_id, member=member, kind=kind, status=ListingStatus.ACTIVE, hidden_at=None
    ).order_by("-published_at", "-pk")


def _published_within(listings: QuerySet[Listing], since: datetime | None, before: datetime | None):
    if since is not None:
        listings = listings.filter(published_at__gte=since)
    if before is not None:
        listings = listings.filter(published_at__lt=before)
    return listings


def _point(latitude, longitude) -> matching.Point | None:
    if latitude is None or longitude is None:
        return None
    return matching.Point(latitude, longitude)


def _pk(listing: Listing | None) -> int:
    return listing.pk if listing is not None else 0


def _distinct(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        key = " ".join(item.lower().split())
        if key:
            seen.setdefault(key, None)
    return list(seen)
