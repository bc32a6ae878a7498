"""Finding offers and requests: words, filters, three orders and pages that follow on with a cursor, never OFFSET.

Words. On PostgreSQL, ``to_tsvector('english', search_text) @@ websearch_to_tsquery('english', …)``: the very
expression migration 0002 indexes with GIN, so "gardening" finds "garden", quotes find phrases, "or" widens and
"-word" excludes. On SQLite there is no such index: every word's stem must appear in ``search_text`` (LIKE), and
quotes, "or" and "-" are read as plain words.

Orders. *Newest* is keyed on (published_at, id), the order the listing_newest index holds; with words, how
PostgreSQL should find the newest matches is chosen from the index's statistics (see "Finding the newest listings
with some words" below). *Distance* on (whole metres from the viewer, id), worked out in SQL by the haversine
formula domain/geo.py uses, in growing circles that each start from a bounding box of plain column ranges;
listings without a location come last. *Relevance* is ts_rank (on SQLite: how many of the words are in the
title) — but ranking means reading every match's text, which for a word in a quarter of 100,000 ads is far too
slow for a page. So relevance ranks the newest RANK_WINDOW matches, pinned by the first page's oldest one (the
cursor carries it, so new ads never push one off the end between pages), and says so when there were more;
sorting by newest walks every match.

Every key ends in the id, so ties never repeat or skip a row between pages. The cursor is opaque to clients:
base64 of a short JSON list, checked field by field when it comes back."""

from __future__ import annotations

import base64
import binascii
import json
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import reduce
from operator import or_
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    DateTimeField,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import Expression, Func
from django.db.models.functions import ASin, Cast, Cos, Least, Power, Radians, Round, Sin, Sqrt, StrIndex
from django.db.models.lookups import GreaterThan

from ostrom.communities.domain import DomainError
from ostrom.communities.models import Member

from .access.listings import community_categories, visible_listings
from .domain.geo import EARTH_RADIUS_METRES, MAX_RADIUS_METRES, bounding_box, haversine_metres
from .domain.words import raw_words, stem
from .models import Listing

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 50
# Relevance ranks at most this many matches (the newest); see the module's docstring for why.
RANK_WINDOW = 100
# Later pages re-read the pinned window; if many new matches arrived meanwhile, this still bounds the work.
MAX_WINDOW = 2 * RANK_WINDOW
MAX_QUERY_CHARS = 200
# Words looked for on SQLite, where each is one LIKE over every row.
MAX_WORDS = 8
MAX_CURSOR_CHARS = 400
# The distance key of a listing without a location: further than anywhere, so it sorts last.
NOWHERE_METRES = 100_000_000

LISTING_RELATIONS = ("category", "category__parent", "member", "organisation")


class Sort(StrEnum):
    RELEVANCE = "relevance"
    DISTANCE = "distance"
    NEWEST = "newest"


@dataclass(frozen=True)
class Filters:
    """What a search asks for. ``category_ids`` holds a category and every one below it (see categories_below);
    ``availability`` lists day parts of which the listing must have at least one."""

    text: str = ""
    kind: str | None = None
    category_ids: frozenset[int] | None = None
    within_metres: int | None = None
    availability: frozenset[str] = frozenset()
    remote_only: bool = False
    sort: Sort = Sort.RELEVANCE


@dataclass(frozen=True)
class Hit:
    listing: Listing
    distance_metres: int | None  # from the viewer, when both have a location


@dataclass(frozen=True)
class ResultPage:
    hits: list[Hit]
    sort: Sort  # the order used: relevance needs words, so without any it is newest
    next_cursor: str | None
    ranked_newest_only: bool  # relevance ranked only the newest RANK_WINDOW of more matches


def _bad_cursor() -> DomainError:
    return DomainError(
        "bad_cursor", "This link to more results no longer works. Search again from the first page.", "cursor"
    )


def search(viewer: Member, filters: Filters, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE) -> ResultPage:
    """One page of the listings ``viewer`` may see that match ``filters``, in the order asked for, after the
    position ``cursor`` names (None: the first page)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    text = " ".join(filters.text.split())[:MAX_QUERY_CHARS]
    if not raw_words(text):
        text = ""
    sort = Sort.NEWEST if filters.sort == Sort.RELEVANCE and not text else filters.sort
    origin = _origin(viewer)
    if origin is None and (sort == Sort.DISTANCE or filters.within_metres is not None):
        raise DomainError(
            "location_needed",
            "Add your rough location to your profile to search by distance.",
            "sort" if sort == Sort.DISTANCE else "within_km",
        )
    if filters.within_metres is not None and not 0 < filters.within_metres <= MAX_RADIUS_METRES:
        raise DomainError(
            "radius_out_of_range", f"Choose a distance up to {MAX_RADIUS_METRES // 1000} km.", "within_km"
        )
    key = _decode(cursor, sort) if cursor else None
    listings = _filtered(viewer, filters)
    if sort == Sort.DISTANCE:
        assert origin is not None
        return _nearest(listings, text, key, limit, origin, filters.within_metres)
    if filters.within_metres is not None and origin is not None:
        listings = _within(listings, origin, filters.within_metres)
    if sort == Sort.NEWEST:
        return _newest(listings, text, key, limit, origin)
    return _most_relevant(listings, text, key, limit, origin)


def categories_below(viewer: Member, category_id: int) -> frozenset[int]:
    """The category and every category under it in the viewer's community; empty if it is not theirs."""
    children: dict[int | None, list[int]] = {}
    known: set[int] = set()
    for pk, parent_id in community_categories(viewer).values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
        known.add(pk)
    if category_id not in known:
        return frozenset()
    found, level = {category_id}, [category_id]
    while level:
        level = [child for node in level for child in children.get(node, ()) if child not in found]
        found.update(level)
    return frozenset(found)


# --- Filters ----------------------------------------------------------------------------------------------------


def _origin(viewer: Member) -> tuple[Decimal, Decimal] | None:
    if viewer.latitude is None or viewer.longitude is None:
        return None
    return viewer.latitude, viewer.longitude


def _filtered(viewer: Member, filters: Filters) -> QuerySet[Listing]:
    """What the viewer may see, narrowed by everything but words and distance."""
    listings = visible_listings(viewer)
    if filters.kind:
        listings = listings.filter(kind=filters.kind)
    if filters.category_ids is not None:
        listings = listings.filter(category_id__in=sorted(filters.category_ids))
    if filters.remote_only:
        listings = listings.filter(remote_ok=True)
    if filters.availability:
        # A position test rather than LIKE: PostgreSQL guesses a third of rows pass it, near the truth, where it
        # guesses a LIKE on an expression passes 1 in 200, and then plans a search as if it found nothing.
        text = Cast("availability", TextField())
        listings = listings.filter(
            reduce(
                or_, (Q(GreaterThan(StrIndex(text, Value(f'"{part}"')), 0)) for part in sorted(filters.availability))
            )
        )
    return listings


def _within(listings: QuerySet[Listing], origin: tuple[Decimal, Decimal], radius_metres: int) -> QuerySet[Listing]:
    """Listings within the radius: the box first (plain ranges on the columns), then the exact distance."""
    box = bounding_box(origin[0], origin[1], radius_metres)
    return listings.filter(
        latitude__gte=box.min_latitude, latitude__lte=box.max_latitude,
        longitude__gte=box.min_longitude, longitude__lte=box.max_longitude,
    ).alias(within=distance_from(*origin)).filter(within__lte=radius_metres)  # fmt: skip


def matches_words(text: str) -> Q | Expression:
    """The condition "search_text has these words": full-text on PostgreSQL, each word's stem on SQLite."""
    if connection.vendor == "postgresql":
        return WebSearch(F("search_text"), Value(text))
    stems = [stem(word) for word in raw_words(text)[:MAX_WORDS]]
    return reduce(lambda q, s: q & Q(search_text__icontains=s), stems, Q())


class WebSearch(Func):
    """``to_tsvector('english', search_text) @@ websearch_to_tsquery('english', %s)``: written out by hand
    because Django's SearchVector wraps the column in COALESCE, and then the GIN index no longer fits."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra):  # type: ignore[override]
        document, document_params = compiler.compile(self.source_expressions[0])
        query, query_params = compiler.compile(self.source_expressions[1])
        sql = f"to_tsvector('english', {document}) @@ websearch_to_tsquery('english', {query})"
        return sql, [*document_params, *query_params]


class TextRank(Func):
    """``ts_rank`` of the same document against the same query (PostgreSQL only)."""

    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra):  # type: ignore[override]
        document, document_params = compiler.compile(self.source_expressions[0])
        query, query_params = compiler.compile(self.source_expressions[1])
        sql = f"ts_rank(to_tsvector('english', {document}), websearch_to_tsquery('english', {query}))"
        return sql, [*document_params, *query_params]


def distance_from(latitude: Decimal | float, longitude: Decimal | float) -> Expression:
    """Whole metres from the point to the listing (haversine, as domain/geo.py), NOWHERE_METRES without one."""
    phi = Radians(Cast("latitude", FloatField()))
    lam = Radians(Cast("longitude", FloatField()))
    phi0, lam0 = Value(math.radians(float(latitude))), Value(math.radians(float(longitude)))
    cos0 = Value(math.cos(math.radians(float(latitude))))
    half_chord = Power(Sin((phi - phi0) / 2), 2) + cos0 * Cos(phi) * Power(Sin((lam - lam0) / 2), 2)
    metres = Round(Value(2.0 * EARTH_RADIUS_METRES) * ASin(Least(Sqrt(half_chord), Value(1.0))))
    # Not Coalesce: PostgreSQL's LEAST skips a NULL, so a listing without a place would come out half a world away.
    return Case(
        When(latitude__isnull=True, then=Value(NOWHERE_METRES)),
        default=Cast(metres, IntegerField()),
        output_field=IntegerField(),
    )


# --- Finding the newest listings with some words, fast ----------------------------------------------------------
#
# "The newest N listings with these words" can be found two ways: walk the listing_newest index from the top and
# test each row's words (to_tsvector, about 35 µs a row) until N match, or take every match from the GIN index
# (about 1.7 µs a row to fetch) and sort them. Walking wins for common words, the GIN index for rare ones; but
# PostgreSQL prices to_tsvector far too cheaply and walks for rare words too — through a whole community, for a
# second or more — or takes 25,000 rows from the GIN index for a common one. So we choose, from the statistics
# ANALYZE keeps for the GIN index (the share of listings each stem is in), and leave PostgreSQL no other way:
# a walk reads the newest K listings (K from the share, with a margin) and tests only those, a cheap substring
# test first (a stem's first letters begin every word it came from) and to_tsvector written so the GIN index
# cannot serve it; otherwise the order is written so no index gives it, which leaves the GIN index as the way
# in. A walk that finds too few falls back to the GIN index, so the rows and their order never depend on it.

FTS_ROW_MICROS = 35.0
LIKE_ROW_MICROS = 2.5
HEAP_ROW_MICROS = 1.7
WALK_MARGIN = 1.5  # read half as many rows again as the share says should hold enough matches
MAX_WALK_ROWS = 20_000
SEARCH_INDEX = "listing_search_text_fts"  # migration 0002
STATS_SECONDS = 300
# Shorter than this, a substring test tells nothing.
MIN_PREFIX_CHARS = 3
UNINDEXED_NEWEST = ExpressionWrapper(F("published_at") + Value(timedelta(0)), output_field=DateTimeField())
NEWEST = ("-published_at", "-pk")

_word_stats: dict[str, Any] = {"at": -math.inf, "frequencies": {}, "rows": 0.0}


@dataclass(frozen=True)
class WordPlan:
    walk_rows: int = 0  # read this many of the newest listings and test them; 0: start from the GIN index
    prefixes: tuple[str, ...] = ()  # substrings every match contains, tested before to_tsvector on a walk


FROM_THE_INDEX = WordPlan()


def word_plans(texts: Sequence[str], limit: int, left: float = 1.0) -> list[WordPlan]:
    """For each text, how PostgreSQL should find its newest ``limit`` matches among listings of which the other
    filters leave the share ``left`` (see share_left); SQLite has only one way."""
    if connection.vendor != "postgresql":
        return [FROM_THE_INDEX for _ in texts]
    positives = [_positive_words(text) for text in texts]
    found = _lexemes([words for words, _ in positives])
    frequencies, rows = _frequencies()
    return [
        FROM_THE_INDEX if either else _plan(lexemes, frequencies, rows, limit, left)
        for (_, either), lexemes in zip(positives, found, strict=True)
    ]


def share_left(listings: QuerySet[Listing]) -> float:
    """The share of all listings PostgreSQL expects ``listings``' filters to leave (kind, category, place, times):
    a walk reads that many fewer of the newest for each one it tests. One EXPLAIN, without running the query."""
    if connection.vendor != "postgresql":
        return 1.0
    plan = json.loads(listings.values("pk").explain(format="json"))
    _, rows = _frequencies()
    return min(1.0, max(plan[0]["Plan"]["Plan Rows"], 1) / rows) if rows else 1.0


def _plan(lexemes: list[str], frequencies: dict[str, float], rows: float, limit: int, left: float) -> WordPlan:
    # Stems missing from the statistics are rarer than any in them: the GIN index. Words only to leave out match
    # nearly everything: a walk.
    share = math.prod(frequencies.get(lexeme, 0.0) for lexeme in lexemes) if lexemes else 1.0
    if share <= 0 or left <= 0:
        return FROM_THE_INDEX
    walk_rows = math.ceil(limit / share * WALK_MARGIN)
    walked = walk_rows / left  # the index entries read to find walk_rows that pass the other filters
    prefixes = tuple(p for lexeme in lexemes if len(p := stem_prefix(lexeme)) >= MIN_PREFIX_CHARS)
    tested = LIKE_ROW_MICROS if prefixes else FTS_ROW_MICROS
    walking = walked * HEAP_ROW_MICROS + walk_rows * tested + (limit * WALK_MARGIN * FTS_ROW_MICROS if prefixes else 0)
    if walked > MAX_WALK_ROWS or walking > share * rows * HEAP_ROW_MICROS:
        return FROM_THE_INDEX
    return WordPlan(walk_rows, prefixes)


def stem_prefix(lexeme: str) -> str:
    """The start of ``lexeme`` that every word PostgreSQL's English stemmer turns into it begins with. Snowball only
    rewrites a word's last letters: a stem ending in a vowel or y may have had two rewritten ("happily" → "happili",
    "agreed" → "agre"), one ending in l one ("possibility" → "possibl"), any other is where the word was cut."""
    if lexeme[-1:] in ("a", "e", "i", "o", "u", "y"):
        return lexeme[:-2]
    if lexeme.endswith("l"):
        return lexeme[:-1]
    return lexeme


def newest_matching(
    listings: QuerySet[Listing], text: str, limit: int, plan: WordPlan | None = None
) -> list[tuple[int, datetime]]:
    """(id, published_at) of the newest ``limit`` of ``listings`` that have the words of ``text``, newest first."""
    plan = plan or word_plans([text], limit, share_left(listings))[0]
    if plan.walk_rows:
        rows = _walk(listings, text, limit, plan)
        if len(rows) == limit:
            return rows
    if connection.vendor == "postgresql":
        order: tuple[Any, ...] = (UNINDEXED_NEWEST.desc(), F("pk").desc())
    else:
        order = NEWEST
    return list(listings.filter(matches_words(text)).order_by(*order).values_list("pk", "published_at")[:limit])


def _walk(listings: QuerySet[Listing], text: str, limit: int, plan: WordPlan) -> list[tuple[int, datetime]]:
    """The matches among the newest ``plan.walk_rows`` listings. The newest are read once, as a subquery, and
    tested outside it, where the GIN index cannot be used and each row's text is at hand."""
    newest = listings.order_by(*NEWEST).values_list("pk", "published_at", "search_text")[: plan.walk_rows]
    sql, params = newest.query.sql_with_params()
    tests = ["w.search_text ILIKE %s"] * len(plan.prefixes)
    tests.append("to_tsvector('english', w.search_text) @@ websearch_to_tsquery('english', %s)")
    # Only Django's own SQL and the fixed tests above go into the text; every value is a parameter.
    walk = (
        f"SELECT w.id, w.published_at FROM ({sql}) AS w (id, published_at, search_text) WHERE {' AND '.join(tests)}"  # noqa: S608
        " ORDER BY w.published_at DESC, w.id DESC LIMIT %s"
    )
    likes = [
        "%" + prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for prefix in plan.prefixes
    ]
    with connection.cursor() as cursor:
        cursor.execute(walk, [*params, *likes, text, limit])
        return [(pk, published) for pk, published in cursor.fetchall()]


def _positive_words(text: str) -> tuple[str, bool]:
    """The words a websearch query requires (not those after "-"), and whether it says "or"."""
    tokens = text.replace('"', " ").split()
    either = any(token.lower() == "or" for token in tokens)
    return " ".join(token for token in tokens if not token.startswith("-")), either


def _lexemes(texts: list[str]) -> list[list[str]]:
    """Each text's stems as PostgreSQL's English configuration makes them, in one round trip."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tsvector_to_array(to_tsvector('english', u.text)) FROM unnest(%s::text[]) WITH ORDINALITY"
            " AS u(text, position) ORDER BY u.position",
            [list(texts)],
        )
        return [list(row[0]) for row in cursor.fetchall()]


def _frequencies() -> tuple[dict[str, float], float]:
    """The share of listings each common stem is in, and how many listings there are: ANALYZE's figures for the
    GIN index, read again every few minutes. Stems not among them are rarer than any that are."""
    now = time.monotonic()
    if now - _word_stats["at"] < STATS_SECONDS:
        return _word_stats["frequencies"], _word_stats["rows"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples FROM pg_class c"
            " LEFT JOIN pg_stats s ON s.schemaname = current_schema() AND s.tablename = %s"
            " WHERE c.relname = %s AND c.relnamespace = current_schema()::regnamespace",
            [SEARCH_INDEX, Listing._meta.db_table],
        )
        row = cursor.fetchone()
    elements, shares, rows = row if row else (None, None, 0.0)
    frequencies = dict(zip(elements, shares, strict=False)) if elements and shares else {}
    _word_stats.update(at=now, frequencies=frequencies, rows=max(float(rows or 0.0), 0.0))
    return frequencies, _word_stats["rows"]


# --- The three orders --------------------------------------------------------------------------------------------


def _newest(listings: QuerySet[Listing], text: str, key: list | None, limit: int, origin) -> ResultPage:
    if key is not None:
        published, pk = key
        listings = listings.filter(Q(published_at__lt=published) | Q(published_at=published, pk__lt=pk))
    if text:
        found = [pk for pk, _ in newest_matching(listings, text, limit + 1)]
        loaded = Listing.objects.filter(pk__in=found).select_related(*LISTING_RELATIONS).in_bulk()
        rows = [loaded[pk] for pk in found if pk in loaded]
    else:
        rows = list(listings.select_related(*LISTING_RELATIONS).order_by(*NEWEST)[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = _encode(Sort.NEWEST, [rows[-1].published_at.isoformat(), rows[-1].pk]) if more else None
    return ResultPage([_hit(row, origin) for row in rows], Sort.NEWEST, cursor, False)


# Nearest first looks in growing circles and stops at the first that fills the page: each circle is a box of
# plain ranges on latitude and longitude, then the exact distance, so only what is near is measured.
RINGS_METRES = (1_000, 5_000, 25_000, MAX_RADIUS_METRES)


def _nearest(
    listings: QuerySet[Listing], text: str, key: list | None, limit: int, origin, within: int | None
) -> ResultPage:
    if text:
        listings = listings.filter(matches_words(text))
    after = key[0] if key is not None else -1
    radii = [radius for radius in RINGS_METRES if within is None or radius < within]
    radii = [radius for radius in [*radii, *([within] if within else [])] if radius >= after]
    found: list[tuple[int, int]] = []
    for radius in radii:
        found = _ring(listings, origin, radius, key, limit)
        if len(found) > limit:
            break
    else:
        if within is None:  # the page is not full within the largest circle: further away, and nowhere given
            found = _ring(listings, origin, None, key, limit)
    more = len(found) > limit
    found = found[:limit]
    rows = {
        row.pk: row for row in Listing.objects.filter(pk__in=[pk for pk, _ in found]).select_related(*LISTING_RELATIONS)
    }
    hits = [Hit(rows[pk], metres if metres != NOWHERE_METRES else None) for pk, metres in found if pk in rows]
    cursor = _encode(Sort.DISTANCE, [found[-1][1], found[-1][0]]) if more else None
    return ResultPage(hits, Sort.DISTANCE, cursor, False)


def _ring(
    listings: QuerySet[Listing], origin, radius: int | None, key: list | None, limit: int
) -> list[tuple[int, int]]:
    """(id, metres) of the nearest ``limit`` + 1 listings after the key, within ``radius`` (None: anywhere)."""
    if radius is not None:
        box = bounding_box(origin[0], origin[1], radius)
        listings = listings.filter(
            latitude__gte=box.min_latitude, latitude__lte=box.max_latitude,
            longitude__gte=box.min_longitude, longitude__lte=box.max_longitude,
        )  # fmt: skip
    listings = listings.annotate(distance=distance_from(*origin))
    if radius is not None:
        listings = listings.filter(distance__lte=radius)
    if key is not None:
        metres, pk = key
        listings = listings.filter(Q(distance__gt=metres) | Q(distance=metres, pk__gt=pk))
    return list(listings.order_by("distance", "pk").values_list("pk", "distance")[: limit + 1])


def _most_relevant(listings: QuerySet[Listing], text: str, key: list | None, limit: int, origin) -> ResultPage:
    if key is None:
        window = newest_matching(listings, text, RANK_WINDOW + 1)
        ranked_newest_only = len(window) > RANK_WINDOW
        window = window[:RANK_WINDOW]
        edge = (window[-1][1], window[-1][0]) if window else None
        after = None
    else:
        edge_published, edge_pk, ranked_newest_only, *after = key
        edge = (edge_published, edge_pk)
        since = listings.filter(Q(published_at__gt=edge_published) | Q(published_at=edge_published, pk__gte=edge_pk))
        window = newest_matching(since, text, MAX_WINDOW)
    if not window or edge is None:
        return ResultPage([], Sort.RELEVANCE, None, False)
    published = dict(window)
    ranks = dict(_ranks(text, list(published)))

    def position(pk: int) -> tuple[float, datetime, int]:
        return ranks.get(pk, 0.0), published[pk], pk

    order = sorted(published, key=position, reverse=True)
    if after:
        order = [pk for pk in order if position(pk) < tuple(after)]
    chosen = order[: limit + 1]
    rows = {row.pk: row for row in Listing.objects.filter(pk__in=chosen[:limit]).select_related(*LISTING_RELATIONS)}
    page = [rows[pk] for pk in chosen[:limit] if pk in rows]
    cursor = None
    if len(chosen) > limit and page:
        last = page[-1]
        cursor = _encode(
            Sort.RELEVANCE,
            [edge[0].isoformat(), edge[1], ranked_newest_only, ranks.get(last.pk, 0), last.published_at.isoformat(),
             last.pk],
        )  # fmt: skip
    return ResultPage([_hit(row, origin) for row in page], Sort.RELEVANCE, cursor, ranked_newest_only)


def _ranks(text: str, ids: Sequence[int]) -> Iterable[tuple[int, float]]:
    """(id, rank) for the window: ts_rank on PostgreSQL; on SQLite, how many of the words are in the title."""
    rows = Listing.objects.filter(pk__in=ids)
    if connection.vendor == "postgresql":
        return rows.annotate(rank=TextRank(F("search_text"), Value(text))).values_list("pk", "rank")
    stems = [stem(word) for word in raw_words(text)[:MAX_WORDS]]
    in_title = [Case(When(title__icontains=s, then=Value(1)), default=Value(0)) for s in stems]
    score = reduce(lambda a, b: a + b, in_title, Value(0))
    return ((pk, float(rank)) for pk, rank in rows.annotate(rank=score).values_list("pk", "rank"))


def _hit(listing: Listing, origin) -> Hit:
    if origin is None or listing.latitude is None or listing.longitude is None:
        return Hit(listing, None)
    return Hit(listing, haversine_metres(origin[0], origin[1], listing.latitude, listing.longitude))


# --- Cursors -------------------------------------------------------------------------------------------------------


def _encode(sort: Sort, values: list) -> str:
    raw = json.dumps([sort.value[0], *values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, sort: Sort) -> list:
    """The key a cursor holds, checked: the right order, the right number and types of values."""
    if len(cursor) > MAX_CURSOR_CHARS:
        raise _bad_cursor()
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _bad_cursor() from None
    if not isinstance(values, list) or not values or values[0] != sort.value[0]:
        raise _bad_cursor()
    values = values[1:]
    shapes = {
        Sort.NEWEST: (_at, _id),
        Sort.DISTANCE: (_whole, _id),
        Sort.RELEVANCE: (_at, _id, _flag, _number, _at, _id),
    }[sort]
    if len(values) != len(shapes):
        raise _bad_cursor()
    return [check(value) for check, value in zip(shapes, values, strict=True)]


def _at(value: Any) -> datetime:
    if not isinstance(value, str):
        raise _bad_cursor()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _bad_cursor() from None
    if moment.tzinfo is None:
        raise _bad_cursor()
    return moment


def _id(value: Any) -> int:
    if type(value) is not int or not 0 < value < 2**63:
        raise _bad_cursor()
    return value


def _whole(value: Any) -> int:
    if type(value) is not int or not 0 <= value <= NOWHERE_METRES:
        raise _bad_cursor()
    return value


def _number(value: Any) -> float:
    if type(value) not in (int, float) or value != value or abs(value) > 1e9:
        raise _bad_cursor()
    return float(value)


def _flag(value: Any) -> bool:
    if type(value) is not bool:
        raise _bad_cursor()
    return value
