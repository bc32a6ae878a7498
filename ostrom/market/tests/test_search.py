"""Search (market/search.py) as Mina uses it in Riverside: words, filters, the three orders and cursor pages.

Runs on SQLite and PostgreSQL; the tests marked postgres check what only full-text search does (phrases, "-word",
ts_rank). Mina lives at 53.800, -1.550; Colin, Tess and Ollie post offers and requests around her."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from ostrom.communities.domain import DomainError
from ostrom.communities.tests.factories import MemberFactory
from ostrom.market import search
from ostrom.market.actions.moderation import block_member
from ostrom.market.models import ListingKind, ListingStatus
from ostrom.market.search import Filters, Sort
from ostrom.market.tests.factories import CategoryFactory, ListingFactory

HERE = (Decimal("53.800"), Decimal("-1.550"))


@pytest.fixture
def mina(member):
    member.latitude, member.longitude = HERE
    member.save(update_fields=["latitude", "longitude"])
    return member


@pytest.fixture
def colin(community):
    return MemberFactory(community=community, display_name="Colin")


@pytest.fixture
def tess(community):
    return MemberFactory(community=community, display_name="Tess")


@pytest.fixture
def home_and_garden(community):
    return CategoryFactory(community=community, name="Home and garden", slug="home-and-garden")


@pytest.fixture
def garden(community, home_and_garden):
    return CategoryFactory(community=community, name="Gardening", slug="gardening", parent=home_and_garden)


@pytest.fixture
def transport(community):
    return CategoryFactory(community=community, name="Transport", slug="transport")


def post(member, category, title, description="", minutes_ago=0, **fields):
    fields.setdefault("tags", [])
    fields.setdefault("published_at", timezone.now() - timedelta(minutes=minutes_ago))
    return ListingFactory(
        community=member.community, member=member, category=category, title=title,
        description=description or f"{title}, happy to help.", **fields,
    )  # fmt: skip


def titles(page):
    return [hit.listing.title for hit in page.hits]


def everything(viewer, filters, limit=3):
    """Every page of a search, following the cursors; the listings in the order seen."""
    seen, cursor = [], None
    for _ in range(100):
        page = search.search(viewer, filters, cursor, limit)
        seen += [hit.listing for hit in page.hits]
        cursor = page.next_cursor
        if cursor is None:
            return seen
    raise AssertionError("the cursors never ended")


# --- Words ------------------------------------------------------------------------------------------------------


def test_words_find_the_listings_that_have_them(mina, colin, garden, transport):
    post(colin, garden, "Help with the garden", "Weeding and mowing")
    post(colin, transport, "Lifts to the clinic", "I drive on Fridays")

    assert titles(search.search(mina, Filters(text="garden"))) == ["Help with the garden"]
    assert titles(search.search(mina, Filters(text="clinic lifts"))) == ["Lifts to the clinic"]
    assert titles(search.search(mina, Filters(text="piano"))) == []


def test_gardening_finds_a_garden_and_gardens_find_gardening(mina, colin, garden, transport):
    post(colin, garden, "Help with the garden", "Weeding and mowing")
    post(colin, garden, "Gardening tips", "Ask me anything")

    assert set(titles(search.search(mina, Filters(text="gardening")))) == {"Help with the garden", "Gardening tips"}
    assert set(titles(search.search(mina, Filters(text="gardens")))) == {"Help with the garden", "Gardening tips"}


def test_every_word_must_be_there(mina, colin, garden, transport):
    post(colin, garden, "Hedge trimming", "Tall hedges too")
    post(colin, garden, "Lawn mowing")

    assert titles(search.search(mina, Filters(text="hedge lawn"))) == []


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="Phrases and exclusions are PostgreSQL's.")
def test_on_postgresql_quotes_find_a_phrase_and_a_minus_leaves_a_word_out(mina, colin, garden):
    post(colin, garden, "Dog walking", "In the park")
    post(colin, garden, "Walking the dog and the cats", "Feeding cats too")

    assert titles(search.search(mina, Filters(text='"dog walking"'))) == ["Dog walking"]
    assert titles(search.search(mina, Filters(text="dog -cats"))) == ["Dog walking"]


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="ts_rank is PostgreSQL's.")
def test_on_postgresql_the_best_match_comes_first_by_ts_rank(mina, colin, garden):
    post(colin, garden, "Odd jobs", "Anything: some garden work too", minutes_ago=1)
    post(colin, garden, "Garden help", "Garden weeding, garden planting, garden design", minutes_ago=5)

    page = search.search(mina, Filters(text="garden"))

    assert titles(page) == ["Garden help", "Odd jobs"]
    assert page.sort == Sort.RELEVANCE


@pytest.mark.skipif(connection.vendor == "postgresql", reason="On PostgreSQL ts_rank decides (test above).")
def test_on_sqlite_words_in_the_title_come_first_and_newest_breaks_ties(mina, colin, garden):
    post(colin, garden, "Odd jobs", "Anything, some garden work too", minutes_ago=1)
    post(colin, garden, "Garden help", "Weeding", minutes_ago=5)
    post(colin, garden, "Garden tidying", "Leaves", minutes_ago=3)

    assert titles(search.search(mina, Filters(text="garden"))) == ["Garden tidying", "Garden help", "Odd jobs"]


def test_without_words_relevance_means_newest(mina, colin, garden):
    post(colin, garden, "Older", minutes_ago=5)
    post(colin, garden, "Newer", minutes_ago=1)

    page = search.search(mina, Filters(text="  the  ", sort=Sort.RELEVANCE))

    assert (titles(page), page.sort) == (["Newer", "Older"], Sort.NEWEST)


# --- Filters ----------------------------------------------------------------------------------------------------


def test_kind_chooses_offers_or_requests(mina, colin, garden):
    post(colin, garden, "Garden help on offer", kind=ListingKind.OFFER)
    post(colin, garden, "Garden help wanted", kind=ListingKind.REQUEST)

    assert titles(search.search(mina, Filters(kind=ListingKind.REQUEST))) == ["Garden help wanted"]
    assert titles(search.search(mina, Filters(kind=ListingKind.OFFER))) == ["Garden help on offer"]
    assert len(search.search(mina, Filters()).hits) == 2


def test_a_category_includes_the_ones_inside_it(mina, colin, community, home_and_garden, garden, transport):
    cleaning = CategoryFactory(community=community, name="Cleaning", slug="cleaning", parent=home_and_garden)
    post(colin, garden, "Weeding")
    post(colin, cleaning, "Window cleaning")
    post(colin, transport, "Lifts")

    whole = search.categories_below(mina, home_and_garden.pk)
    only_garden = search.categories_below(mina, garden.pk)

    assert set(titles(search.search(mina, Filters(category_ids=whole)))) == {"Weeding", "Window cleaning"}
    assert titles(search.search(mina, Filters(category_ids=only_garden))) == ["Weeding"]


def test_another_communitys_category_is_nothing_here(mina, outsider):
    theirs = CategoryFactory(community=outsider.community, name="Theirs", slug="theirs")

    assert search.categories_below(mina, theirs.pk) == frozenset()


def test_times_and_remote_help_narrow_the_results(mina, colin, garden):
    post(colin, garden, "Weekend weeding", availability=["weekends"])
    post(colin, garden, "Evening computer help", availability=["weekday-evenings", "weekends"], remote_ok=True)
    post(colin, garden, "Any time")

    weekends = search.search(mina, Filters(availability=frozenset({"weekends"})))
    mornings_or_evenings = search.search(
        mina, Filters(availability=frozenset({"weekday-mornings", "weekday-evenings"}))
    )
    remote = search.search(mina, Filters(remote_only=True))

    assert set(titles(weekends)) == {"Weekend weeding", "Evening computer help"}
    assert titles(mornings_or_evenings) == ["Evening computer help"]
    assert titles(remote) == ["Evening computer help"]


def test_within_a_distance_keeps_only_what_is_that_close(mina, colin, garden):
    post(colin, garden, "Next door", latitude=Decimal("53.801"), longitude=Decimal("-1.550"))  # 111 m
    post(colin, garden, "Across town", latitude=Decimal("53.830"), longitude=Decimal("-1.550"))  # 3.3 km
    post(colin, garden, "In York", latitude=Decimal("53.960"), longitude=Decimal("-1.080"))  # 35 km
    post(colin, garden, "Nowhere in particular")

    within_2km = search.search(mina, Filters(within_metres=2000))
    within_5km = search.search(mina, Filters(within_metres=5000, sort=Sort.DISTANCE))

    assert titles(within_2km) == ["Next door"]
    assert titles(within_5km) == ["Next door", "Across town"]
    assert [hit.distance_metres for hit in within_5km.hits] == [111, 3336]


def test_nearest_first_puts_listings_without_a_place_last(mina, colin, garden):
    post(colin, garden, "Nowhere in particular")
    post(colin, garden, "Across town", latitude=Decimal("53.830"), longitude=Decimal("-1.550"))
    post(colin, garden, "Next door", latitude=Decimal("53.801"), longitude=Decimal("-1.550"))

    page = search.search(mina, Filters(sort=Sort.DISTANCE))

    assert titles(page) == ["Next door", "Across town", "Nowhere in particular"]
    assert page.hits[-1].distance_metres is None


def test_distance_needs_a_location_on_the_profile(member, colin, garden):
    with pytest.raises(DomainError) as sorting:
        search.search(member, Filters(sort=Sort.DISTANCE))
    with pytest.raises(DomainError) as filtering:
        search.search(member, Filters(within_metres=1000))

    assert sorting.value.code == filtering.value.code == "location_needed"


def test_a_radius_beyond_a_community_is_refused(mina):
    with pytest.raises(DomainError) as caught:
        search.search(mina, Filters(within_metres=10_000_000))

    assert caught.value.code == "radius_out_of_range"


# --- Who sees what ------------------------------------------------------------------------------------------------


def test_another_communitys_listings_never_appear(mina, outsider, garden):
    theirs = CategoryFactory(community=outsider.community, name="Gardening", slug="gardening")
    post(outsider, theirs, "Garden help in Hillside")

    for sort in Sort:
        assert search.search(mina, Filters(text="garden", sort=sort)).hits == []
    assert search.search(mina, Filters()).hits == []


def test_hidden_paused_and_draft_listings_do_not_appear(mina, colin, coordinator, garden):
    post(colin, garden, "Garden help showing")
    post(colin, garden, "Garden help paused", status=ListingStatus.PAUSED)
    post(colin, garden, "Garden help draft", status=ListingStatus.DRAFT, published_at=None)
    post(colin, garden, "Garden help hidden", hidden_at=timezone.now(), hidden_by=coordinator)

    assert titles(search.search(mina, Filters(text="garden"))) == ["Garden help showing"]


def test_people_in_a_block_either_way_do_not_see_each_others_listings(mina, colin, tess, garden):
    post(colin, garden, "Colin's garden help")
    post(tess, garden, "Tess's garden help")
    block_member(mina, colin)  # Mina blocked Colin
    block_member(tess, mina)  # Tess blocked Mina

    assert titles(search.search(mina, Filters(text="garden"))) == []
    assert set(titles(search.search(colin, Filters(text="garden")))) == {"Colin's garden help", "Tess's garden help"}


# --- Pages ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", list(Sort))
def test_pages_never_repeat_or_skip_a_listing_even_when_keys_tie(mina, colin, garden, sort):
    same_moment = timezone.now() - timedelta(hours=1)
    listings = [
        post(colin, garden, f"Garden help {n}", latitude=Decimal("53.801"), longitude=Decimal("-1.550"),
             published_at=same_moment if n % 2 else same_moment - timedelta(minutes=n))
        for n in range(11)
    ]  # fmt: skip

    seen = everything(mina, Filters(text="garden", sort=sort), limit=3)

    assert len(seen) == len({listing.pk for listing in seen}) == len(listings)
    assert seen == everything(mina, Filters(text="garden", sort=sort), limit=11)


def test_a_listing_posted_between_pages_does_not_push_another_off_the_ranked_ones(mina, colin, garden, monkeypatch):
    monkeypatch.setattr(search, "RANK_WINDOW", 4)
    for n in range(6):
        post(colin, garden, f"Garden help {n}", minutes_ago=10 + n)
    first = search.search(mina, Filters(text="garden"), limit=2)
    post(colin, garden, "Garden help posted meanwhile")

    rest: list[str] = []
    cursor = first.next_cursor
    while cursor:
        page = search.search(mina, Filters(text="garden"), cursor, 2)
        rest += titles(page)
        cursor = page.next_cursor

    assert first.ranked_newest_only
    assert set(titles(first) + rest) == {f"Garden help {n}" for n in range(4)}


def test_a_cursor_that_is_not_ours_is_refused_in_words(mina, colin, garden):
    for n in range(3):
        post(colin, garden, f"Garden help {n}", minutes_ago=n)
    newest_cursor = search.search(mina, Filters(sort=Sort.NEWEST), limit=1).next_cursor

    for bad in ["nonsense", "W10", "WyJuIiwxXQ", newest_cursor[:-2], "x" * 1000]:
        with pytest.raises(DomainError) as caught:
            search.search(mina, Filters(sort=Sort.NEWEST), bad)
        assert caught.value.code == "bad_cursor"
    with pytest.raises(DomainError):
        search.search(mina, Filters(text="garden", sort=Sort.RELEVANCE), newest_cursor)


# --- How PostgreSQL is steered (the rows never depend on it) ----------------------------------------------------

# Words whose English stems PostgreSQL's Snowball stemmer rewrites at the end, and plain ones.
_STEMMER_TEXT = (
    "possibility possibilities ability abilities happily happy agreed agreeing tidied tidying skies sky dying lying "
    "relational relations organization organise hopping hoped gardening gardeners lifts walking dogs buddies "
    "generously electricity sensibility responsibly dependence hesitancy reliability cooking baking ironed "
    "e-mail emails computing repairs furniture mowing befriending tutoring plumbing decorating"
)
STEMMER_WORDS = _STEMMER_TEXT.split()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's stemmer.")
def test_every_word_contains_the_prefix_of_its_stems(db):
    # Each part of "e-mail" is a stem of its own: the test is "contains", as the search's substring test is.
    for word in STEMMER_WORDS:
        for lexeme in search._lexemes([word])[0]:
            assert search.stem_prefix(lexeme) in word.lower(), (word, lexeme)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="The plans are PostgreSQL's.")
def test_walking_the_newest_listings_finds_what_the_gin_index_finds(mina, colin, garden, monkeypatch):
    for n, word in enumerate(STEMMER_WORDS):
        post(colin, garden, f"Listing {n}", f"About {word.upper() if n % 3 == 0 else word} and more", minutes_ago=n)
    monkeypatch.setattr(search, "_frequencies", lambda: ({}, 0.0))  # no statistics: always the GIN index
    listings = search._filtered(mina, Filters())

    for word in STEMMER_WORDS:
        from_index = search.newest_matching(listings, word, 5, search.FROM_THE_INDEX)
        [lexemes] = search._lexemes([word])
        prefixes = tuple(p for lexeme in lexemes if len(p := search.stem_prefix(lexeme)) >= search.MIN_PREFIX_CHARS)
        walked = search.newest_matching(listings, word, 5, search.WordPlan(len(STEMMER_WORDS) * 2, prefixes))
        assert walked == from_index, word


def test_common_words_walk_rare_ones_start_from_the_gin_index():
    frequencies, rows = {"garden": 0.25, "lift": 0.08, "guitar": 0.01}, 100_000.0

    common = search._plan(["garden"], frequencies, rows, limit=30, left=1.0)
    rare = search._plan(["guitar"], frequencies, rows, limit=30, left=1.0)
    unknown = search._plan(["zither"], frequencies, rows, limit=30, left=1.0)
    both = search._plan(["garden", "guitar"], frequencies, rows, limit=30, left=1.0)
    narrowed = search._plan(["garden"], frequencies, rows, limit=30, left=0.001)  # e.g. requests within 500 m

    assert common.walk_rows == 180 and common.prefixes == ("garden",)
    assert rare == unknown == both == narrowed == search.FROM_THE_INDEX
    assert search._plan([], frequencies, rows, limit=30, left=1.0).walk_rows == 45  # only words to leave out
    assert search.stem_prefix("happili") == "happi" and search.stem_prefix("possibl") == "possib"
