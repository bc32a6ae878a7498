"""Marketplace benchmarks (issue 6), each against a reference measured on the same machine in the same run.

- market.match.p95: ``matches.suggest_helpers`` (the top 10 helpers for a request, with reasons) for random
  requests among 100,000 offers by 2,000 members, with 20,000 exchanges behind the helpers' records.
- market.search.p95: ``search.search`` (what the marketplace page runs) for random realistic searches: words or
  none, a category, a kind, a radius, times, remote help, in each of the three orders, some of them second pages
  followed by cursor.

The reference for each is the same SQL replayed raw through psycopg: every query the call made, captured on an
untimed run and then timed on the bare connection, taking turns with ours call by call. Its p95 and the ratio
show how much of our time is the database's and how much is Python's.

The data is generated with a fixed seed from a vocabulary per default category (titles, tags, sentences, places),
so words repeat as they do in a real town, loaded in bulk and then ``VACUUM ANALYZE``d. PostgreSQL is found as in
bench_ledger; the benchmark creates its own database, named after this process, migrates it (so migration 0002's
GIN index is there), runs every phase in a spawned child whose Django points at it, and drops it at the end.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from bench.bench_ledger import _child, _server_url, _with_database
from bench.results import Result

# BENCH_MARKET_OFFERS makes a quick trial run smaller; the benchmark's figures are for 100,000.
OFFERS = int(os.environ.get("BENCH_MARKET_OFFERS", "100000"))
MEMBERS = max(OFFERS // 50, 100)
REQUESTS = max(OFFERS // 20, 300)
EXCHANGES = OFFERS // 5
BATCH = 5_000
MATCH_CALLS = 200
SEARCH_CALLS = 300
WARM_UP_CALLS = 10
SEED = 6
# The town the listings are in: Leeds, roughly, and how far from its middle people live (standard deviation).
CENTRE = (53.800, -1.550)
SPREAD_DEGREES = 0.04

GOALS = {
    "market.match.p95": ("ms", "<=", 50),
    "market.search.p95": ("ms", "<=", 50),
}


def run() -> list[Result]:
    import psycopg

    server = _server_url()
    try:
        admin = psycopg.connect(_with_database(server, "postgres"), autocommit=True)
    except psycopg.OperationalError as error:
        reason = f"PostgreSQL not reachable at {urlsplit(server).hostname}: {str(error).splitlines()[0]}"
        return [_missing(name, reason) for name in GOALS]
    database = f"ostrom_bench_market_{os.getpid()}"
    try:
        admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {database}")
        return _measure(_with_database(server, database))
    except Exception as error:
        reason = f"could not run: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        return [_missing(name, reason) for name in GOALS]
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        admin.close()


def _result(name: str, value: float, detail: str) -> Result:
    unit, op, target = GOALS[name]
    return Result(name, value, unit, op, target, detail)


def _missing(name: str, reason: str) -> Result:
    """A benchmark that could not run is shown as a failure with the reason, never silently left out."""
    return _result(name, float("inf"), reason)


def _measure(url: str) -> list[Result]:
    with _child(url) as child:
        cast = child.submit(_prepare).result()
        loaded = f"{OFFERS:,} offers, {REQUESTS:,} requests, {MEMBERS:,} members loaded in {cast['load_seconds']:.0f} s"
        match = child.submit(_time_matching, cast).result()
        found = child.submit(_time_search, cast).result()
    return [
        _result("market.match.p95", match["p95"], f"top 10 helpers for a request; {_detail(match)}; {loaded}"),
        _result("market.search.p95", found["p95"], f"search page queries (words, filters, 3 orders); {_detail(found)}"),
    ]


def _detail(timed: dict[str, Any]) -> str:
    kinds = timed["by_label"]
    parts = "; p95 by kind: " + ", ".join(f"{label} {p95:.1f} ms ({n})" for label, (p95, n) in kinds.items())
    return (
        f"median {timed['median']:.1f} ms over {timed['calls']} calls; the same SQL raw through psycopg "
        f"p95 {timed['raw_p95']:.1f} ms (ours/raw {timed['p95'] / timed['raw_p95']:.1f})"
        + (parts if len(kinds) > 1 else "")
    )


# --- Loading (in the child) ----------------------------------------------------------------------------------------


def _prepare() -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    start = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    cast = _load(random.Random(SEED))
    with connection.cursor() as cursor:
        # A live database has statistics (autovacuum gathers them); a freshly loaded one must be told.
        cursor.execute("VACUUM ANALYZE")
    cast["load_seconds"] = time.perf_counter() - start
    return cast


def _load(rng: random.Random) -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from ostrom.communities import domain
    from ostrom.communities.models import Community, Member, User
    from ostrom.market.actions.categories import install_default_categories
    from ostrom.market.models import Category, Exchange, ExchangeStatus, Listing, ListingKind, ListingStatus

    now = timezone.now()
    with transaction.atomic():
        community = Community.objects.create(name="Bench Neighbours", slug="bench")
        install_default_categories(community)
        categories = list(Category.objects.filter(community=community).select_related("parent"))
        leaves = [c for c in categories if not any(other.parent_id == c.pk for other in categories)]
        users = User.objects.bulk_create(
            User(email=f"bench{n}@example.org", full_name=f"Bench Member {n}", password="!") for n in range(MEMBERS)
        )
        members = Member.objects.bulk_create(_member(rng, community, user, n, leaves) for n, user in enumerate(users))
    listings = [_listing(rng, community, members, leaves, ListingKind.OFFER, now) for _ in range(OFFERS)]
    listings += [_listing(rng, community, members, leaves, ListingKind.REQUEST, now) for _ in range(REQUESTS)]
    for start in range(0, len(listings), BATCH):
        with transaction.atomic():
            Listing.objects.bulk_create(listings[start : start + BATCH])
    statuses = [ExchangeStatus.CONFIRMED] * 60 + [ExchangeStatus.CANCELLED] * 10 + [ExchangeStatus.DISPUTED] * 2
    statuses += [ExchangeStatus.ENQUIRY] * 15 + [ExchangeStatus.AGREED] * 8 + [ExchangeStatus.DONE] * 5
    exchanges = []
    for n in range(EXCHANGES):
        giver, receiver = rng.sample(members, 2)
        status = rng.choice(statuses)
        confirmed = status == ExchangeStatus.CONFIRMED
        exchanges.append(
            Exchange(
                community=community, giver=giver, receiver=receiver, started_by=receiver, status=status,
                what="Help", created_at=now - timedelta(days=rng.uniform(0, 120)),
                # The table insists a confirmed exchange names its transfer; no ledger is needed to rank helpers.
                transfer_id=n + 1 if confirmed else None, confirmed_at=now if confirmed else None,
            )
        )  # fmt: skip
    with transaction.atomic():
        Exchange.objects.bulk_create(exchanges, batch_size=BATCH)
    requests = list(
        Listing.objects.filter(community=community, kind=ListingKind.REQUEST, status=ListingStatus.ACTIVE)
        .order_by("?")
        .values_list("pk", flat=True)[:MATCH_CALLS + WARM_UP_CALLS]
    )  # fmt: skip
    searchers = [m.pk for m in members if m.status == domain.Status.ACTIVE]
    return {
        "community": community.pk,
        "requests": requests,
        "searchers": searchers,
        "categories": [(c.pk, c.parent_id is None) for c in categories],
        "words": sorted({word for leaf in leaves for word in _vocabulary(leaf.slug)["queries"]}),
    }


def _member(rng: random.Random, community, user, n: int, leaves):
    from ostrom.communities import domain
    from ostrom.communities.models import Member

    skills = sorted({tag for leaf in rng.sample(leaves, 2) for tag in rng.sample(_vocabulary(leaf.slug)["tags"], 2)})
    skills = skills[: rng.randint(0, 4)]
    name = f"{rng.choice(FIRST_NAMES)} {n}"
    latitude, longitude = _place(rng)
    return Member(
        community=community, user=user, display_name=name, skills=skills,
        availability=rng.sample(DAY_PARTS, rng.randint(0, 3)), latitude=latitude, longitude=longitude,
        share_location=rng.random() < 0.8, listed_in_directory=rng.random() < 0.9,
        search_text=domain.search_text(name, skills, [], ""),
    )  # fmt: skip


def _listing(rng: random.Random, community, members, leaves, kind: str, now):
    from ostrom.market.models import Listing, ListingKind, ListingStatus

    member = rng.choice(members)
    category = rng.choices(leaves, weights=[_weight(leaf.slug) for leaf in leaves])[0]
    words = _vocabulary(category.slug)
    title = rng.choice(words["titles"])
    if kind == ListingKind.REQUEST:
        title = rng.choice(("Looking for: ", "Wanted: ", "Can anyone help? ")) + title[0].lower() + title[1:]
    elif rng.random() < 0.3:
        title += rng.choice((" on Saturdays", " in the evenings", f" near {rng.choice(PLACES)}", ", beginners welcome"))
    sentences = rng.sample(words["sentences"], min(2, len(words["sentences"]))) + rng.sample(GENERIC, 2)
    description = " ".join(sentences).replace("{place}", rng.choice(PLACES))
    tags = rng.sample(words["tags"], rng.randint(1, min(4, len(words["tags"]))))
    located = rng.random() < 0.75
    latitude, longitude = _place(rng) if located else (None, None)
    published = now - timedelta(minutes=rng.uniform(0, 60 * 24 * 60))
    roll = rng.random()
    status = ListingStatus.ACTIVE if roll < 0.95 else ListingStatus.PAUSED if roll < 0.98 else ListingStatus.CLOSED
    names = [category.name] + ([category.parent.name] if category.parent_id else [])
    return Listing(
        community=community, kind=kind, status=status, member=member, title=title[:120], description=description,
        category=category, tags=tags, place_name=rng.choice(PLACES) if located else "",
        latitude=latitude, longitude=longitude, availability=rng.sample(DAY_PARTS, rng.randint(0, 2)),
        remote_ok=rng.random() < (0.6 if category.slug in REMOTE_FRIENDLY else 0.05),
        search_text=" ".join([title, description, *tags, *names]),
        created_at=published, updated_at=published, published_at=published, expires_at=published + timedelta(days=60),
    )  # fmt: skip


def _place(rng: random.Random) -> tuple[Decimal, Decimal]:
    latitude = CENTRE[0] + rng.gauss(0, SPREAD_DEGREES)
    longitude = CENTRE[1] + rng.gauss(0, SPREAD_DEGREES * 1.6)
    return Decimal(f"{latitude:.3f}"), Decimal(f"{longitude:.3f}")


# --- Timing (in the child) -----------------------------------------------------------------------------------------


def _time_matching(cast: dict[str, Any]) -> dict[str, float]:
    from ostrom.market.matches import suggest_helpers
    from ostrom.market.models import Listing

    requests = {
        listing.pk: listing
        for listing in Listing.objects.filter(pk__in=cast["requests"]).select_related("member", "category")
    }
    calls = [
        ("match", lambda listing=requests[pk]: suggest_helpers(listing, 10))
        for pk in cast["requests"]
        if pk in requests
    ]
    return _timed(calls)


def _time_search(cast: dict[str, Any]) -> dict[str, float]:
    from ostrom.communities.models import Member
    from ostrom.market import search
    from ostrom.market.search import Filters, Sort

    rng = random.Random(SEED + 1)
    searchers = list(Member.objects.filter(pk__in=rng.sample(cast["searchers"], min(200, len(cast["searchers"])))))
    tops = [pk for pk, top in cast["categories"] if top]
    leaves = [pk for pk, top in cast["categories"] if not top]
    calls = []
    for _ in range(SEARCH_CALLS + WARM_UP_CALLS):
        viewer = rng.choice(searchers)
        located = viewer.latitude is not None
        text = ""
        if rng.random() < 0.65:
            text = " ".join(rng.sample(cast["words"], 1 if rng.random() < 0.7 else 2))
        sorts = [Sort.RELEVANCE] * 6 + [Sort.NEWEST] * 3 + ([Sort.DISTANCE] * 2 if located else [])
        category_ids = None
        if rng.random() < (0.2 if text else 0.6):
            chosen = rng.choice(tops if rng.random() < 0.4 else leaves)
            category_ids = search.categories_below(viewer, chosen)
        filters = Filters(
            text=text,
            kind=rng.choice(("offer", "request")) if rng.random() < 0.3 else None,
            category_ids=category_ids,
            within_metres=rng.choice((1, 2, 5, 10)) * 1000 if located and rng.random() < 0.25 else None,
            availability=frozenset(rng.sample(DAY_PARTS, 1)) if rng.random() < 0.15 else frozenset(),
            remote_only=rng.random() < 0.05,
            sort=rng.choice(sorts),
        )
        cursor = None
        if rng.random() < 0.2:  # a second page, as "More results" asks for it
            cursor = search.search(viewer, filters).next_cursor
        label = f"{filters.sort}{' with words' if text else ''}"
        calls.append(
            (label, lambda viewer=viewer, filters=filters, cursor=cursor: search.search(viewer, filters, cursor))
        )
    return _timed(calls)


def _timed(calls: list[tuple[str, Any]]) -> dict[str, Any]:
    """Each call once untimed to capture its SQL and warm the caches; then, call by call, ours and the same SQL
    replayed raw, alternating which goes first. p95 and median in milliseconds, and the p95 of each kind of call."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    captured = []
    for _, call in calls:
        with CaptureQueriesContext(connection) as queries:
            call()
        captured.append([query["sql"] for query in queries.captured_queries])
    calls, captured = calls[WARM_UP_CALLS:], captured[WARM_UP_CALLS:]
    raw = connection.connection  # the psycopg connection Django opened
    ours_ms, raw_ms = [], []
    by_label: dict[str, list[float]] = {}
    for index, ((label, call), sqls) in enumerate(zip(calls, captured, strict=True)):
        order = ("ours", "raw") if index % 2 == 0 else ("raw", "ours")
        for which in order:
            start = time.perf_counter()
            if which == "ours":
                call()
            else:
                with raw.cursor() as cursor:
                    for sql in sqls:
                        cursor.execute(sql)
                        cursor.fetchall()
            (ours_ms if which == "ours" else raw_ms).append((time.perf_counter() - start) * 1000)
        by_label.setdefault(label, []).append(ours_ms[-1])
    return {
        "p95": _p95(ours_ms),
        "median": statistics.median(ours_ms),
        "raw_p95": _p95(raw_ms),
        "calls": len(ours_ms),
        "by_label": {label: (_p95(times), len(times)) for label, times in sorted(by_label.items())},
    }


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(int(len(ordered) * 0.95) - 1, 0)]


# --- The vocabulary ------------------------------------------------------------------------------------------------

DAY_PARTS = ["weekday-mornings", "weekday-afternoons", "weekday-evenings", "weekends"]
FIRST_NAMES = ["Mina", "Colin", "Tess", "Sam", "Priya", "Olu", "Grace", "Tomasz", "Aisha", "Dev", "Ruth", "Kwame",
               "Joan", "Li", "Fatima", "Pete", "Sian", "Marek", "Amara", "Bill"]  # fmt: skip
PLACES = ["Hyde Park", "Kirkstall", "Chapel Allerton", "Headingley", "Burley", "Armley", "Harehills", "Beeston",
          "Holbeck", "Meanwood", "Roundhay", "Seacroft", "Gipton", "Hunslet", "Woodhouse", "Little London",
          "Bramley", "Horsforth", "Moortown", "Crossgates"]  # fmt: skip
GENERIC = [
    "Happy to help neighbours.", "I have done this for years.", "Retired and have time on my hands.",
    "Message me through the site first.", "I work shifts so times vary.", "Beginners welcome, no pressure.",
    "I can travel by bus around {place}.", "Around {place} most days.", "Weekends suit me best.",
    "I speak English and some Polish.", "Patient and friendly.", "Can bring my own things.",
]  # fmt: skip
REMOTE_FRIENDLY = {"calls", "it-help", "languages", "tutoring", "listening", "forms-and-letters", "budgeting"}
VOCABULARY: dict[str, dict[str, list[str]]] = {
    "gardening": {
        "titles": [
            "Help with the garden",
            "Weeding and mowing",
            "Hedge trimming",
            "Allotment help",
            "Lawn care",
            "Planting and pruning",
        ],
        "tags": ["gardening", "weeding", "mowing", "hedges", "allotment", "pruning"],
        "sentences": [
            "I can weed, mow and plant.",
            "I bring my own tools and take the cuttings away.",
            "Small gardens and yards, no trees.",
            "I grow vegetables on an allotment near {place}.",
        ],
    },
    "diy-and-repairs": {
        "titles": [
            "Odd jobs and repairs",
            "Shelves put up",
            "Bike repairs",
            "Flat-pack furniture built",
            "Fixing leaky taps",
            "Painting and decorating",
        ],
        "tags": ["diy", "repairs", "bikes", "painting", "furniture", "plumbing"],
        "sentences": [
            "I can put up shelves and fix doors.",
            "Punctures, brakes and gears on bikes.",
            "I have a drill and a ladder.",
            "Painting a room takes me a day.",
        ],
    },
    "cleaning-and-tidying": {
        "titles": ["Ironing", "Help with cleaning", "Decluttering", "Window cleaning", "Tidying up after a move"],
        "tags": ["ironing", "cleaning", "tidying", "laundry", "decluttering"],
        "sentences": [
            "I can do a basket of ironing a week.",
            "Kitchens and bathrooms.",
            "Good at sorting what to keep.",
        ],
    },
    "pet-care": {
        "titles": ["Dog walking", "Cat sitting", "Feeding pets while you are away", "Dog walks in the park"],
        "tags": ["dog walking", "pets", "cats", "dogs", "pet sitting"],
        "sentences": [
            "I walk dogs in {place} park most afternoons.",
            "I can feed cats and change litter.",
            "Used to big dogs.",
        ],
    },
    "befriending": {
        "titles": [
            "A chat over a cup of tea",
            "Befriending visits",
            "Company for an older neighbour",
            "Going for a walk together",
        ],
        "tags": ["befriending", "company", "chat", "visits", "loneliness"],
        "sentences": ["I like a good chat.", "I visit once a week for an hour or two.", "Good listener."],
    },
    "shopping-and-errands": {
        "titles": ["Shopping for you", "Picking up prescriptions", "Errands around town", "Weekly shop"],
        "tags": ["shopping", "prescriptions", "errands", "groceries"],
        "sentences": [
            "I go to the supermarket every week anyway.",
            "I can collect from the pharmacy.",
            "Posting parcels and letters.",
        ],
    },
    "calls": {
        "titles": ["Phone calls for a chat", "Video calls with family set up", "A friendly phone call"],
        "tags": ["phone calls", "video calls", "chat", "company"],
        "sentences": ["I can ring once a week.", "Help to use video calls with family."],
    },
    "meals": {
        "titles": ["Hot meals cooked", "Batch cooking for the freezer", "Meals for someone recovering"],
        "tags": ["meals", "cooking", "food", "batch cooking"],
        "sentences": ["I cook a big pot of soup every Sunday.", "Vegetarian and halal meals."],
    },
    "lifts": {
        "titles": [
            "Lifts to the hospital",
            "Lifts to appointments",
            "Driving to the GP",
            "School run lifts",
            "Lift to the station",
        ],
        "tags": ["lifts", "driving", "hospital", "appointments", "transport"],
        "sentences": [
            "I have a car and can drive to St James's or the LGI.",
            "I can wait during appointments.",
            "Wheelchair fits in the boot.",
        ],
    },
    "deliveries": {
        "titles": ["Collecting furniture", "Moving boxes with a van", "Deliveries around town"],
        "tags": ["van", "moving", "deliveries", "collections"],
        "sentences": ["I have a small van.", "Can carry a sofa with a second pair of hands."],
    },
    "languages": {
        "titles": [
            "Spanish conversation",
            "English practice for newcomers",
            "Learn basic French",
            "Polish lessons",
            "Urdu and Punjabi conversation",
        ],
        "tags": ["languages", "spanish", "english", "french", "polish", "urdu"],
        "sentences": [
            "Native speaker, happy to practise.",
            "Conversation over coffee.",
            "Help with forms in English too.",
        ],
    },
    "it-help": {
        "titles": [
            "Computer help",
            "Setting up a smartphone",
            "Fixing laptops",
            "Help with email and online forms",
            "Printer set up",
        ],
        "tags": ["computers", "laptops", "smartphones", "email", "internet", "printers"],
        "sentences": [
            "I fix laptops, phones and printers.",
            "I can set up email and video calls.",
            "Patient with beginners and older people.",
        ],
    },
    "music-and-arts": {
        "titles": [
            "Guitar lessons",
            "Piano for beginners",
            "Drawing and painting",
            "Knitting circle",
            "Singing together",
        ],
        "tags": ["guitar", "piano", "music", "art", "knitting", "singing"],
        "sentences": ["I have played for twenty years.", "Bring your own wool.", "All ages welcome."],
    },
    "tutoring": {
        "titles": ["Maths tutoring", "Homework help", "Reading with children", "GCSE science revision"],
        "tags": ["maths", "homework", "reading", "tutoring", "science", "gcse"],
        "sentences": ["Retired teacher.", "Primary and secondary maths.", "Help with reading and spelling."],
    },
    "lend-tools": {
        "titles": ["Drill to lend", "Ladder to borrow", "Lawnmower to lend", "Tools to borrow"],
        "tags": ["tools", "drill", "ladder", "lawnmower", "lending"],
        "sentences": ["Collect and return the same day.", "Please bring it back clean."],
    },
    "lend-household": {
        "titles": ["Sewing machine to lend", "Folding chairs for a party", "Steam cleaner to borrow"],
        "tags": ["sewing machine", "chairs", "household", "lending"],
        "sentences": ["For a week at most.", "Good as new."],
    },
    "lend-books-games": {
        "titles": ["Board games to borrow", "Children's books to lend", "Jigsaws to swap"],
        "tags": ["books", "games", "jigsaws", "toys"],
        "sentences": ["A shelf full to choose from.", "Swap one for one."],
    },
    "cooking-and-baking": {
        "titles": ["Cooking lessons", "Baking bread together", "Birthday cakes baked", "Learn to cook on a budget"],
        "tags": ["cooking", "baking", "bread", "cakes", "recipes"],
        "sentences": [
            "Simple healthy meals on a budget.",
            "I bake bread every Saturday.",
            "Cakes for birthdays and events.",
        ],
    },
    "food-sharing": {
        "titles": ["Spare vegetables from the allotment", "Surplus apples", "Food sharing"],
        "tags": ["vegetables", "fruit", "food sharing", "allotment"],
        "sentences": ["Too many courgettes again.", "Apples from the tree, free to a good home."],
    },
    "exercise": {
        "titles": ["Walking group", "Running buddy", "Chair yoga", "Cycling together"],
        "tags": ["walking", "running", "yoga", "cycling", "exercise"],
        "sentences": ["Gentle pace, all welcome.", "We meet in {place} at nine."],
    },
    "listening": {
        "titles": ["Someone to listen", "Support after a bereavement", "Peer support for carers"],
        "tags": ["listening", "support", "carers", "bereavement"],
        "sentences": ["Trained listener.", "Confidential and kind."],
    },
    "forms-and-letters": {
        "titles": ["Help with forms", "Reading letters", "Filling in benefit forms", "Writing a CV"],
        "tags": ["forms", "letters", "benefits", "cv", "paperwork"],
        "sentences": ["I used to work in an advice centre.", "Housing and benefit forms."],
    },
    "budgeting": {
        "titles": ["Budgeting help", "Sorting out bills", "Saving on energy bills"],
        "tags": ["budgeting", "bills", "money", "energy"],
        "sentences": ["Spreadsheets are my thing.", "Switching suppliers and checking bills."],
    },
    "event-help": {
        "titles": ["Help at the summer fair", "Setting up chairs for events", "Serving tea at events"],
        "tags": ["events", "volunteering", "fair", "tea"],
        "sentences": ["I can carry and set up.", "Happy to run a stall."],
    },
    "local-groups": {
        "titles": ["Litter picking group", "Residents' association help", "Community garden volunteers"],
        "tags": ["litter picking", "community", "volunteering", "residents"],
        "sentences": ["We meet monthly.", "Gloves and pickers provided."],
    },
}
OTHER = {
    "titles": ["Help with anything", "A spare pair of hands", "Odd favours"],
    "tags": ["help", "favours", "misc"],
    "sentences": ["Ask me, I might be able to help."],
}


def _vocabulary(slug: str) -> dict[str, list[str]]:
    words = VOCABULARY.get(slug, OTHER)
    if "queries" not in words:
        # What people type: the tags, and the words of the titles that carry meaning.
        from ostrom.market.domain.words import MARKET_STOP_WORDS, raw_words

        title_words = {word for title in words["titles"] for word in raw_words(title, MARKET_STOP_WORDS)}
        words["queries"] = sorted(set(words["tags"]) | title_words)
    return words


def _weight(slug: str) -> int:
    # Some help is asked and offered far more than other: gardening, lifts and computers, say.
    return {"gardening": 8, "lifts": 6, "it-help": 6, "shopping-and-errands": 5, "pet-care": 5}.get(slug, 2)
