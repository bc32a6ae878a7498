"""Matching's scoring (market/domain/matching.py), as plain functions: who fits a request better, and why.

The properties hold for any inputs hypothesis can think of: more shared tags never lower a score, a helper asked
a lot ranks below an otherwise identical one asked less, nearer never scores lower, and the ranking is the same
whatever order the candidates come in."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ostrom.market.domain import geo, matching, words
from ostrom.market.domain.matching import Candidate, Need, Point, Record

TAGS = ["gardening", "dog walking", "ironing", "lifts", "computers", "cooking", "shopping", "befriending"]
DAY_PARTS = ["weekday-mornings", "weekday-afternoons", "weekday-evenings", "weekends"]
HOME = Point(Decimal("53.800"), Decimal("-1.550"))

tags = st.lists(st.sampled_from(TAGS), unique=True, max_size=5).map(tuple)
day_parts = st.frozensets(st.sampled_from(DAY_PARTS))
counts = st.integers(min_value=0, max_value=30)
offsets = st.integers(min_value=-300, max_value=300).map(lambda n: Decimal(n) / 1000)
points = st.one_of(st.none(), st.builds(lambda a, b: Point(HOME.latitude + a, HOME.longitude + b), offsets, offsets))
records = st.builds(Record, counts, counts, counts, counts)
stems = st.frozensets(st.sampled_from(["garden", "hedg", "dog", "walk", "lift", "clinic", "iron", "cook"]))


member_ids = st.integers(min_value=1, max_value=50)


@st.composite
def candidates(draw):
    return Candidate(
        member_id=draw(member_ids),
        listing_id=draw(st.one_of(st.none(), st.integers(min_value=1, max_value=10_000))),
        offered_tags=draw(tags),
        skills=draw(tags),
        words=draw(stems),
        category_id=draw(st.one_of(st.none(), st.integers(min_value=1, max_value=4))),
        location=draw(points),
        availability=draw(day_parts),
        remote_ok=draw(st.booleans()),
        record=draw(records),
    )


needs = st.builds(
    Need,
    tags=tags,
    words=stems,
    category_id=st.one_of(st.none(), st.integers(min_value=1, max_value=4)),
    location=points,
    availability=day_parts,
    remote_ok=st.booleans(),
)


# --- Properties -----------------------------------------------------------------------------------------------------


@given(needs, candidates())
def test_sharing_one_more_of_the_requests_tags_never_lowers_the_score(need, candidate):
    missing = [tag for tag in need.tags if tag not in candidate.offered_tags and tag not in candidate.skills]
    if not missing:
        return
    more = replace(candidate, offered_tags=(*candidate.offered_tags, missing[0]))

    assert matching.score(need, more).score == matching.score(need, candidate).score + matching.TAG_POINTS


@given(needs, candidates(), st.integers(min_value=1, max_value=5), st.integers(min_value=0, max_value=5))
def test_a_helper_asked_more_ranks_below_an_otherwise_identical_one(need, candidate, more_open, more_recent):
    idle = replace(candidate, member_id=1, record=replace(candidate.record, open_asks=0, recent_asks=0))
    busy = replace(idle, member_id=2, record=replace(idle.record, open_asks=more_open, recent_asks=more_recent))

    assert matching.score(need, busy).score < matching.score(need, idle).score
    ranked = matching.rank(need, [busy, idle])
    if ranked:
        assert ranked[0].candidate.member_id == idle.member_id


@given(needs, candidates(), st.integers(min_value=0, max_value=5))
def test_more_open_exchanges_never_raise_a_score(need, candidate, extra):
    busier = replace(candidate, record=replace(candidate.record, open_asks=candidate.record.open_asks + extra))

    assert matching.score(need, busier).score <= matching.score(need, candidate).score


@given(needs, candidates(), st.integers(min_value=0, max_value=200))
def test_moving_a_helper_further_away_never_raises_their_score(need, candidate, steps):
    if need.location is None:
        return
    near = replace(candidate, location=need.location, remote_ok=False)
    far = replace(near, location=Point(need.location.latitude + Decimal(steps) / 1000, need.location.longitude))

    assert matching.score(need, far).score <= matching.score(need, near).score


# A candidate is one member's one offer (or their profile): (member, listing) names it.
pools = st.lists(candidates(), max_size=12, unique_by=lambda c: (c.member_id, c.listing_id))


@given(needs, pools, st.randoms())
def test_the_ranking_is_the_same_whatever_order_the_candidates_come_in(need, pool, random):
    shuffled = list(pool)
    random.shuffle(shuffled)

    first = matching.rank(need, pool)
    second = matching.rank(need, shuffled)

    assert [(s.candidate, s.score) for s in first] == [(s.candidate, s.score) for s in second]


@given(needs, pools)
def test_a_ranking_names_each_member_once_best_first_and_only_those_who_fit(need, pool):
    ranked = matching.rank(need, pool, limit=10)

    members = [s.candidate.member_id for s in ranked]
    assert len(members) == len(set(members))
    assert [s.score for s in ranked] == sorted((s.score for s in ranked), reverse=True)
    assert all(s.fit > 0 for s in ranked)
    assert len(ranked) <= 10


# --- Examples -------------------------------------------------------------------------------------------------------


def garden_request(**changes):
    text = "Help with my garden: weeding and hedge trimming on weekend mornings"
    need = Need(
        tags=("gardening",),
        words=words.words(text),
        spelled=tuple(words.spellings(text).items()),
        category_id=1,
        location=HOME,
        availability=frozenset({"weekends"}),
    )
    return replace(need, **changes)


def test_each_suggestion_says_why_in_words():
    helper = Candidate(
        member_id=7, listing_id=70, offered_tags=("Gardening",), skills=("dog walking",),
        words=words.words("Gardening help: weeding, mowing"), category_id=1,
        location=Point(Decimal("53.807"), Decimal("-1.550")), availability=frozenset({"weekends"}),
        record=Record(confirmed=5),
    )  # fmt: skip

    suggestion = matching.score(garden_request(), helper)

    assert suggestion.reasons == ("Offers Gardening", "0.8 km away", "Free on weekends", "Helped 5 times")
    assert suggestion.distance_metres == 778


def test_a_helper_found_only_by_words_is_told_which_words():
    helper = Candidate(member_id=7, words=words.words("Hedge trimming and garden tidying"))

    suggestion = matching.score(garden_request(), helper)

    assert suggestion.reasons == ("Mentions garden, hedge and trimming",)


def test_the_helper_reads_why_a_request_fits_them_without_their_own_record():
    helper = Candidate(member_id=7, skills=("gardening",), record=Record(confirmed=3))

    suggestion = matching.score(garden_request(location=None), helper, for_helper=True)

    assert suggestion.reasons == ("Your skills include gardening",)


def test_both_happy_to_help_remotely_makes_distance_irrelevant():
    far_away = Point(Decimal("51.500"), Decimal("-0.120"))
    helper = Candidate(member_id=7, offered_tags=("gardening",), location=far_away, remote_ok=True)

    suggestion = matching.score(garden_request(remote_ok=True), helper)

    assert "Can help by phone or online" in suggestion.reasons
    assert suggestion.score >= matching.TAG_POINTS + matching.REMOTE_POINTS


def test_someone_who_fits_in_no_way_is_never_suggested_however_close():
    neighbour = Candidate(member_id=7, offered_tags=("ironing",), location=HOME, availability=frozenset({"weekends"}))

    assert matching.rank(garden_request(), [neighbour]) == []


def test_cancelled_and_disputed_exchanges_lower_a_helpers_standing():
    reliable = Candidate(member_id=1, offered_tags=("gardening",), record=Record(confirmed=4, failed=0))
    unreliable = replace(reliable, member_id=2, record=Record(confirmed=4, failed=4))

    ranked = matching.rank(garden_request(), [unreliable, reliable])

    assert [s.candidate.member_id for s in ranked] == [1, 2]


def test_a_members_best_offer_stands_for_them():
    weak = Candidate(member_id=1, listing_id=10, offered_tags=("ironing",), words=words.words("garden"))
    strong = Candidate(member_id=1, listing_id=11, offered_tags=("gardening",), words=words.words("garden weeding"))

    [only] = matching.rank(garden_request(), [weak, strong])

    assert only.candidate.listing_id == 11


# --- Words and distances ---------------------------------------------------------------------------------------------


def test_words_meet_at_their_stems():
    assert words.words("Gardening, gardens and a gardener") == {"garden"}
    assert words.tag_key("Dog Walking") == words.tag_key("dog walks")
    assert words.words("I can help with your shopping") == {"shop"}


def test_distances_are_whole_metres_and_said_roughly():
    assert geo.haversine_metres(Decimal("53.800"), Decimal("-1.550"), Decimal("53.800"), Decimal("-1.550")) == 0
    assert 342_000 < geo.haversine_metres(51.5, -0.12, 48.857, 2.352) < 344_000  # London to Paris
    assert geo.describe_distance(90) == "Very close by"
    assert geo.describe_distance(778) == "0.8 km away"
    assert geo.describe_distance(12_400) == "12 km away"


@given(
    st.integers(min_value=-80_000, max_value=80_000),
    st.integers(min_value=-179_000, max_value=179_000),
    st.integers(min_value=100, max_value=geo.MAX_RADIUS_METRES),
    st.integers(min_value=0, max_value=359),
)
def test_a_bounding_box_holds_every_point_within_its_radius(lat_thousandths, lon_thousandths, radius, bearing):
    import math

    lat, lon = Decimal(lat_thousandths) / 1000, Decimal(lon_thousandths) / 1000
    box = geo.bounding_box(lat, lon, radius)
    # A point just inside the radius on the given bearing, rounded to a stored location's three decimals.
    distance = radius * 0.99 / geo.EARTH_RADIUS_METRES
    phi, lam, theta = math.radians(lat), math.radians(lon), math.radians(bearing)
    phi2 = math.asin(math.sin(phi) * math.cos(distance) + math.cos(phi) * math.sin(distance) * math.cos(theta))
    lam2 = lam + math.atan2(
        math.sin(theta) * math.sin(distance) * math.cos(phi), math.cos(distance) - math.sin(phi) * math.sin(phi2)
    )
    point_lat = Decimal(repr(math.degrees(phi2))).quantize(Decimal("0.001"))
    point_lon = Decimal(repr(math.degrees(lam2))).quantize(Decimal("0.001"))
    if not -180 <= point_lon <= 180 or geo.haversine_metres(lat, lon, point_lat, point_lon) > radius:
        return  # wrapped round the date line, or rounding took it outside: not a point within the radius
    assert box.min_latitude <= point_lat <= box.max_latitude
    assert box.min_longitude <= point_lon <= box.max_longitude
