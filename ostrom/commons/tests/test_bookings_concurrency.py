"""Double booking is impossible on PostgreSQL, however many ask at once: fifty members, each on their own
connection, released together by a barrier, ask for the same slot, and exactly one gets it. The exclusion
constraint (migration 0002) is checked on its own too: a live row overlapping another of the same unit is refused
by the database even when the Python check is skipped. Run with migrations (the constraint lives in one):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ostrom_bookings .venv/bin/pytest -q \
        ostrom/commons/tests/test_bookings_concurrency.py

SQLite has one writer at a time and nothing to race, so these run on PostgreSQL only."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, connections, transaction

from ostrom.commons.actions import bookings as actions
from ostrom.commons.models import Booking, BookingUnit
from ostrom.commons.tests.factories import AssetFactory, ItemsFactory
from ostrom.communities.domain import DomainError
from ostrom.communities.tests.factories import MemberFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="Separate connections racing for the same unit need PostgreSQL; SQLite has a single writer.",
    ),
]

WORKERS = 50


def race(jobs):
    """Run every job in its own thread and connection, all released at once; DomainErrors come back as results,
    anything else (a deadlock, an IntegrityError the action should have turned into words) fails the test."""
    start = threading.Barrier(len(jobs))
    results, failures = [], []
    lock = threading.Lock()

    def work(job):
        try:
            start.wait()
            try:
                result = job()
            except DomainError as error:
                result = error
            with lock:
                results.append(result)
        except BaseException as error:
            with lock:
                failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    assert len(results) == len(jobs)
    return results


def soon():
    from django.utils import timezone

    start = (timezone.now() + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    return start, start + timedelta(hours=2)


def test_fifty_members_asking_for_the_same_slot_at_once_get_exactly_one_booking(community):
    kitchen = AssetFactory(community=community, name="Fire station kitchen")
    people = [MemberFactory(community=community) for _ in range(WORKERS)]
    start, end = soon()

    results = race([lambda person=person: actions.book(person, kitchen, start, end) for person in people])

    won = [r for r in results if isinstance(r, Booking)]
    codes = Counter(r.code for r in results if isinstance(r, DomainError))
    assert len(won) == 1
    assert sum(codes.values()) == WORKERS - 1 and set(codes) <= {"overlaps_booking", "slot_taken"}
    assert Booking.objects.count() == 1 and BookingUnit.objects.filter(is_live=True).count() == 1


def test_fifty_asking_for_three_drills_at_once_get_exactly_three(community):
    drills = ItemsFactory(community=community, stock=3)
    people = [MemberFactory(community=community) for _ in range(WORKERS)]
    start, end = soon()

    results = race([lambda person=person: actions.book(person, drills, start, end) for person in people])

    assert sum(isinstance(r, Booking) for r in results) == 3
    assert BookingUnit.objects.filter(is_live=True).values("unit").distinct().count() == 3


def test_the_database_refuses_a_live_unit_booked_twice(community):
    kitchen = AssetFactory(community=community)
    member = MemberFactory(community=community)
    start, end = soon()
    first = actions.book(member, kitchen, start, end)
    unit = BookingUnit.objects.get(booking=first)
    second = Booking.objects.create(
        community=community, member=member, asset=kitchen, starts_at=start, ends_at=end, status="confirmed"
    )

    with pytest.raises(IntegrityError, match="booking_unit_no_overlap"), transaction.atomic():
        BookingUnit.objects.create(
            community=community, booking=second, asset=kitchen, unit=unit.unit, starts_at=start + timedelta(hours=1),
            blocked_until=end + timedelta(hours=1),
        )  # fmt: skip
    # A row that is not live (a cancelled booking's) may overlap.
    BookingUnit.objects.create(
        community=community, booking=second, asset=kitchen, unit=unit.unit, starts_at=start, blocked_until=end,
        is_live=False,
    )  # fmt: skip


def test_when_the_python_check_misses_a_clash_the_constraint_refuses_it_in_words(community, monkeypatch):
    """Were the overlap check ever wrong, the database still says no, and the member reads why."""
    from ostrom.commons import asset_rules
    from ostrom.commons.models import UnmetRequest

    kitchen = AssetFactory(community=community)
    first, second = MemberFactory(community=community), MemberFactory(community=community)
    start, end = soon()
    actions.book(first, kitchen, start, end)
    monkeypatch.setattr(asset_rules, "live_units_overlapping", lambda *args: BookingUnit.objects.none())

    with pytest.raises(DomainError) as caught:
        actions.book(second, kitchen, start + timedelta(hours=1), end + timedelta(hours=1))

    assert caught.value.code == "slot_taken"
    assert Booking.objects.count() == 1
    assert UnmetRequest.objects.get().code == "slot_taken"
