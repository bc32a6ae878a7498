"""Many connections at once: Mina's posting limit holds when her posts race, two coordinators editing the category
tree at once cannot take the same slug, and two expiry runs expire each ad once.

Each worker is a thread with its own database connection, so they really race on the server. SQLite has one
writer at a time and nothing to race, so these run on PostgreSQL only (as CI does)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from ostrom.communities.domain import DomainError
from ostrom.communities.tests.factories import CoordinatorFactory
from ostrom.market.actions import categories as category_actions
from ostrom.market.actions import listings as actions
from ostrom.market.domain.listings import POSTING_LIMIT
from ostrom.market.models import Category, Listing
from ostrom.market.tests.factories import ListingFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="Separate connections racing for row locks need PostgreSQL; SQLite has a single writer.",
    ),
]

WORKERS = 8


def race(work: Callable[[int], object]) -> list[object]:
    """Run ``work(n)`` for n in 0..WORKERS-1 on as many threads at once; a DomainError comes back as its code."""
    start = threading.Barrier(WORKERS)
    results: list[object] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def run(number: int) -> None:
        try:
            start.wait()
            try:
                result: object = work(number)
            except DomainError as error:
                result = error.code
            with lock:
                results.append(result)
        except BaseException as error:  # a deadlock or any database error fails the test below
            with lock:
                failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    assert len(results) == WORKERS
    return results


def test_racing_posts_never_pass_the_daily_limit(member, gardening):
    already = POSTING_LIMIT - 3
    for number in range(already):
        ListingFactory(community=member.community, member=member, category=gardening, title=f"Earlier {number}")

    results = race(
        lambda n: (
            actions.create_listing(
                member, kind="offer", title=f"Race {n}", description="Posted at the same moment.", category=gardening.pk
            ).pk
        )
    )

    assert Counter(r for r in results if isinstance(r, str)) == {"posting_rate_limited": WORKERS - 3}
    assert Listing.objects.filter(member=member).count() == POSTING_LIMIT


def test_coordinators_adding_the_same_category_at_once_get_distinct_slugs(community, coordinator):
    others = [coordinator] + [CoordinatorFactory(community=community) for _ in range(WORKERS - 1)]

    results = race(lambda n: category_actions.create_category(others[n], f"Allotments {n % 2}").slug)

    slugs = list(Category.objects.filter(community=community).values_list("slug", flat=True))
    assert len(slugs) == len(set(slugs)) == 2
    assert Counter(r for r in results if r == "category_name_taken") == {"category_name_taken": WORKERS - 2}


def test_installing_the_defaults_from_many_pages_at_once_installs_them_once(community):
    made = race(lambda n: category_actions.install_default_categories(community))
    total = Category.objects.filter(community=community).count()
    assert sorted(made) == [0] * (WORKERS - 1) + [total]


def test_two_expiry_runs_at_once_expire_each_ad_once(member, gardening):
    past = timezone.now() - timedelta(days=1)
    for _ in range(40):
        ListingFactory(community=member.community, member=member, category=gardening, expires_at=past)

    results = race(lambda n: actions.expire_due(limit=10))

    assert sum(results) <= 40  # each run expires what it still finds due, never an ad twice
    assert Listing.objects.filter(status="expired").count() == sum(results)
