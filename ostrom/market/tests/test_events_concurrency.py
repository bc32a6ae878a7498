"""Many connections at once: an event's places are never over-taken. Each worker is a thread with its own database
connection, so the answers really race for the event's row on the server; SQLite has one writer at a time and
nothing to race, so these run on PostgreSQL only."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection, connections

from ostrom.communities.domain import DomainError
from ostrom.communities.tests.factories import MemberFactory
from ostrom.market.actions import events as event_actions
from ostrom.market.models import Event, Rsvp, RsvpStatus
from ostrom.market.tests.factories_community_life import EventFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="Separate connections racing for row locks need PostgreSQL; SQLite has a single writer.",
    ),
]

WORKERS = 10


def race(jobs: list[Callable[[], object]]) -> list[object]:
    """Run the jobs from WORKERS threads at once, each on its own connection; a DomainError comes back as itself,
    anything else (a deadlock, a constraint the actions should have caught) fails the test."""
    start = threading.Barrier(WORKERS)
    results: list[object] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def work(share: list[Callable[[], object]]) -> None:
        try:
            start.wait()
            for job in share:
                try:
                    result: object = job()
                except DomainError as error:
                    result = error
                with lock:
                    results.append(result)
        except BaseException as error:
            with lock:
                failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(jobs[n::WORKERS],)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    assert len(results) == len(jobs)
    return results


def going(event: Event) -> int:
    return Rsvp.objects.filter(event=event, status=RsvpStatus.GOING).count()


def test_thirty_people_answering_at_once_take_exactly_the_five_places(community):
    event = EventFactory(community=community, host=MemberFactory(community=community), capacity=5)
    people = [MemberFactory(community=community) for _ in range(30)]

    race([lambda person=person: event_actions.rsvp(person, event) for person in people])

    event.refresh_from_db()
    statuses = Counter(Rsvp.objects.filter(event=event).values_list("status", flat=True))
    assert statuses == {RsvpStatus.GOING: 5, RsvpStatus.WAITLISTED: 25}
    assert event.going_count == going(event) == 5


def test_places_given_up_while_others_answer_still_never_overflow(community):
    """Five going give up their places while ten more answer and five on the waiting list stay: every free place
    goes to someone, and never more than the five there are."""
    event = EventFactory(community=community, host=MemberFactory(community=community), capacity=5)
    first = [MemberFactory(community=community) for _ in range(10)]
    for person in first:
        event_actions.rsvp(person, event)
    late = [MemberFactory(community=community) for _ in range(10)]

    jobs = [lambda person=person: event_actions.rsvp(person, event, going=False) for person in first[:5]]
    jobs += [lambda person=person: event_actions.rsvp(person, event) for person in late]
    race(jobs)

    event.refresh_from_db()
    assert event.going_count == going(event) == 5
    assert Rsvp.objects.filter(event=event, status=RsvpStatus.WAITLISTED).count() == 10
    # The five who waited from the start were first in the queue, so they got the five places given up.
    assert set(Rsvp.objects.filter(event=event, status=RsvpStatus.GOING).values_list("member", flat=True)) == {
        person.pk for person in first[5:]
    }
