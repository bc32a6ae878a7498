"""Who could help with a request, and why: scoring as plain functions over plain data, no database.

A score is a whole number of points, so equal inputs always give equal scores and ties break the same way every
time (by member, then offer). Points come from how well the helper fits the need (shared tags and skills, the
same category, similar words), then from the practicalities (distance, times both are free), then from their
record (exchanges confirmed rather than cancelled or disputed). Helpers already asked a lot lose points, so the
same few people are not asked every time. Each suggestion carries its reasons in plain words."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from ostrom.communities.domain import Availability

from .geo import describe_distance, haversine_metres
from .words import tag_key

# Fit: what makes someone a candidate at all. A helper who fits in no way is never suggested, however close.
TAG_POINTS = 100  # each of the request's tags the helper offers or has as a skill
CATEGORY_POINTS = 60  # an offer in the request's own category
PARENT_CATEGORY_POINTS = 30  # an offer in the same family ("Home and garden")
TEXT_POINTS = 200  # times the share of words the two texts have in common (Jaccard)
# Practicalities.
DISTANCE_POINTS = 100  # within NEAR_METRES, falling to nothing at FAR_METRES
NEAR_METRES = 1_000
FAR_METRES = 15_000
REMOTE_POINTS = DISTANCE_POINTS  # both sides happy by phone or online: distance does not matter
AVAILABILITY_POINTS = 40  # each day part both are free in
MAX_SHARED_DAY_PARTS = 2
# Record: a smoothed share of exchanges confirmed rather than cancelled or disputed (a newcomer starts halfway),
# and a little for experience, up to EXPERIENCE_CAP exchanges.
RELIABILITY_POINTS = 60
EXPERIENCE_POINTS = 4
EXPERIENCE_CAP = 10
# Load spreading: each open exchange the helper gives in, and each time they were asked lately, costs points.
OPEN_ASK_PENALTY = 40
RECENT_ASK_PENALTY = 10
MAX_LOAD_PENALTY = 300
# Reasons: enough to explain, few enough to read on a phone.
MAX_REASONS = 4
MAX_TAGS_NAMED = 3
MAX_WORDS_NAMED = 3
# Two texts need this share of words in common (in thousandths) before "Mentions …" is worth saying.
TEXT_REASON_PER_MILLE = 100

DAY_PART_WORDS = {
    Availability.WEEKDAY_MORNINGS: "weekday mornings",
    Availability.WEEKDAY_AFTERNOONS: "weekday afternoons",
    Availability.WEEKDAY_EVENINGS: "weekday evenings",
    Availability.WEEKENDS: "weekends",
}


@dataclass(frozen=True)
class Point:
    latitude: Decimal
    longitude: Decimal


@dataclass(frozen=True)
class Need:
    """What a request asks for: its tags, the stems of its words (with how it spells them, for reasons), its
    category and the category's parent."""

    tags: tuple[str, ...] = ()
    words: frozenset[str] = frozenset()
    spelled: tuple[tuple[str, str], ...] = ()
    category_id: int | None = None
    parent_category_id: int | None = None
    location: Point | None = None
    availability: frozenset[str] = frozenset()
    remote_ok: bool = False


@dataclass(frozen=True)
class Record:
    """A helper's history as the giver of exchanges."""

    confirmed: int = 0  # help given and confirmed
    failed: int = 0  # cancelled or disputed
    open_asks: int = 0  # exchanges still open (talking, agreed or done but unconfirmed)
    recent_asks: int = 0  # exchanges started with them in the recent window, whatever became of them


@dataclass(frozen=True)
class Candidate:
    """Someone who might help: through one of their offers (``listing_id``), or through their profile's skills."""

    member_id: int
    listing_id: int | None = None
    offered_tags: tuple[str, ...] = ()  # the offer's tags
    skills: tuple[str, ...] = ()  # the member's profile skills
    words: frozenset[str] = frozenset()
    category_id: int | None = None
    parent_category_id: int | None = None
    location: Point | None = None
    availability: frozenset[str] = frozenset()
    remote_ok: bool = False
    record: Record = field(default_factory=Record)


@dataclass(frozen=True)
class Suggestion:
    candidate: Candidate
    score: int
    fit: int
    distance_metres: int | None
    reasons: tuple[str, ...]


def score(need: Need, candidate: Candidate, *, for_helper: bool = False) -> Suggestion:
    """How well ``candidate`` fits ``need``, in points, with the reasons a person would give: to the request's
    poster about the helper ("Offers gardening"), or with ``for_helper`` to the helper about the request ("You
    offer gardening"), which leaves out the helper's own record."""
    reasons: list[str] = []
    fit = 0

    wanted = {tag_key(tag): tag for tag in need.tags}
    offered = [tag for tag in candidate.offered_tags if tag_key(tag) in wanted]
    known = {tag_key(tag) for tag in offered}
    skilled = [tag for tag in candidate.skills if tag_key(tag) in wanted and tag_key(tag) not in known]
    shared = len(known) + len({tag_key(tag) for tag in skilled})
    fit += TAG_POINTS * shared
    if offered:
        reasons.append(("You offer " if for_helper else "Offers ") + _listed(offered[:MAX_TAGS_NAMED]))
    if skilled:
        plural = "s" if len(skilled) > 1 else ""
        said = "Your skills include " if for_helper else f"Has the skill{plural} "
        reasons.append(said + _listed(skilled[:MAX_TAGS_NAMED]))

    if candidate.category_id is not None and candidate.category_id == need.category_id:
        fit += CATEGORY_POINTS
    elif candidate.category_id is not None and need.parent_category_id is not None:
        family = {need.parent_category_id, need.category_id}
        if candidate.parent_category_id in family or candidate.category_id == need.parent_category_id:
            fit += PARENT_CATEGORY_POINTS

    common = need.words & candidate.words
    similarity = _per_mille(len(common), len(need.words | candidate.words))
    fit += TEXT_POINTS * similarity // 1000
    if not shared and common and similarity >= TEXT_REASON_PER_MILLE:
        spelled = dict(need.spelled)
        reasons.append("Mentions " + _listed([spelled.get(word, word) for word in sorted(common)[:MAX_WORDS_NAMED]]))

    practical, distance = _distance_points(need, candidate, reasons)
    practical += _availability_points(need, candidate, reasons)
    record = _record_points(candidate.record, [] if for_helper else reasons)
    load = min(
        MAX_LOAD_PENALTY,
        OPEN_ASK_PENALTY * candidate.record.open_asks + RECENT_ASK_PENALTY * candidate.record.recent_asks,
    )
    total = fit + practical + record - load
    return Suggestion(candidate, total, fit, distance, tuple(reasons[:MAX_REASONS]))


def rank(need: Need, candidates: Iterable[Candidate], limit: int = 10) -> list[Suggestion]:
    """The best ``limit`` suggestions, one per member (their best offer, or their profile), best first. Nobody who
    fits in no way is suggested. The order depends only on the inputs, never on the order they came in."""
    best: dict[int, Suggestion] = {}
    for candidate in candidates:
        suggestion = score(need, candidate)
        if suggestion.fit <= 0:
            continue
        current = best.get(candidate.member_id)
        if current is None or _order(suggestion) < _order(current):
            best[candidate.member_id] = suggestion
    return sorted(best.values(), key=_order)[: max(limit, 0)]


def best_fit(need: Need, ways: Iterable[Candidate]) -> Suggestion | None:
    """The best of the ways one helper could meet ``need`` (each of their offers, or their profile), as the helper
    would read it; None if none fits at all."""
    scored = [score(need, way, for_helper=True) for way in ways]
    fitting = sorted((s for s in scored if s.fit > 0), key=_order)
    return fitting[0] if fitting else None


def _order(suggestion: Suggestion) -> tuple[int, int, int, int, int]:
    # An offer (a listing) before a bare profile when all else is equal: it says what the helper will do.
    candidate = suggestion.candidate
    return (-suggestion.score, -suggestion.fit, candidate.member_id, candidate.listing_id is None,
            candidate.listing_id or 0)  # fmt: skip


def _distance_points(need: Need, candidate: Candidate, reasons: list[str]) -> tuple[int, int | None]:
    distance = None
    if need.location is not None and candidate.location is not None:
        distance = haversine_metres(
            need.location.latitude, need.location.longitude,
            candidate.location.latitude, candidate.location.longitude,
        )  # fmt: skip
    if need.remote_ok and candidate.remote_ok:
        reasons.append("Can help by phone or online")
        return REMOTE_POINTS, distance
    if distance is None:
        return 0, None
    reasons.append(describe_distance(distance))
    if distance <= NEAR_METRES:
        return DISTANCE_POINTS, distance
    if distance >= FAR_METRES:
        return 0, distance
    return DISTANCE_POINTS * (FAR_METRES - distance) // (FAR_METRES - NEAR_METRES), distance


def _availability_points(need: Need, candidate: Candidate, reasons: list[str]) -> int:
    both = [part for part in DAY_PART_WORDS if part in need.availability and part in candidate.availability]
    if not both:
        return 0
    reasons.append("Free on " + _listed([DAY_PART_WORDS[part] for part in both]))
    return AVAILABILITY_POINTS * min(len(both), MAX_SHARED_DAY_PARTS)


def _record_points(record: Record, reasons: list[str]) -> int:
    if record.confirmed:
        reasons.append("Helped once" if record.confirmed == 1 else f"Helped {record.confirmed} times")
    # (confirmed + 1) / (confirmed + failed + 2): one cancelled exchange does not sink a newcomer.
    reliability = RELIABILITY_POINTS * (record.confirmed + 1) // (record.confirmed + record.failed + 2)
    return reliability + EXPERIENCE_POINTS * min(record.confirmed, EXPERIENCE_CAP)


def _per_mille(part: int, whole: int) -> int:
    return 1000 * part // whole if whole else 0


def _listed(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
