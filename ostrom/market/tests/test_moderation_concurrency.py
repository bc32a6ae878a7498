"""Double clicks and two coordinators at once: each thread has its own database connection, so the requests
really race on the server. SQLite has a single writer and nothing to race, so these run on PostgreSQL only."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection, connections

from ostrom.communities.domain import DomainError
from ostrom.communities.models import AuditEntry
from ostrom.communities.tests.factories import CoordinatorFactory, MemberFactory
from ostrom.market.actions import moderation as actions
from ostrom.market.models import Block, Report, ReportStatus
from ostrom.notify.models import Message

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="Separate connections racing for rows need PostgreSQL; SQLite has a single writer.",
    ),
]

WORKERS = 6


def race(calls: list[Callable[[], object]]) -> Counter:
    """Run the calls at the same moment, one thread and connection each; how many succeeded and each refusal."""
    start = threading.Barrier(len(calls))
    outcomes: Counter = Counter()
    failures: list[BaseException] = []
    lock = threading.Lock()

    def work(call: Callable[[], object]) -> None:
        try:
            start.wait()
            try:
                call()
                result = "ok"
            except DomainError as error:
                result = error.code
            with lock:
                outcomes[result] += 1
        except BaseException as error:  # an IntegrityError or a deadlock fails the test
            with lock:
                failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    return outcomes


def test_the_same_report_sent_many_times_at_once_is_filed_once(community, minas_offer, coordinator):
    rita = MemberFactory(community=community, display_name="Rita")

    outcomes = race([lambda: actions.report_listing(rita, minas_offer, "spam")] * WORKERS)

    assert outcomes == Counter({"ok": 1, "already_reported": WORKERS - 1})
    assert Report.objects.count() == 1
    assert Message.objects.filter(kind="market.report_filed").count() == 1


def test_two_coordinators_hiding_at_once_hide_once(community, minas_offer, coordinator):
    ada = CoordinatorFactory(community=community, display_name="Ada")
    reporters = MemberFactory.create_batch(3, community=community)
    for reporter in reporters:
        actions.report_listing(reporter, minas_offer, "scam")

    outcomes = race([lambda who=who: actions.hide_listing(who, minas_offer, "Scam.") for who in (coordinator, ada)] * 2)

    assert outcomes == Counter({"ok": 1, "already_hidden": 3})
    assert AuditEntry.objects.filter(action="market.listing_hidden").count() == 1
    assert set(Report.objects.values_list("status", flat=True)) == {ReportStatus.ACTIONED}


def test_hiding_and_dismissing_at_once_decide_each_report_once(community, minas_offer, coordinator):
    ada = CoordinatorFactory(community=community, display_name="Ada")
    reports = [
        actions.report_listing(r, minas_offer, "spam") for r in MemberFactory.create_batch(3, community=community)
    ]

    outcomes = race(
        [
            lambda: actions.hide_listing(coordinator, minas_offer, "Spam."),
            lambda: actions.dismiss_report(ada, reports[0]),
        ]
    )

    decided = AuditEntry.objects.filter(action__in=["market.listing_hidden", "market.report_dismissed"])
    closed = [report for entry in decided for report in entry.details["reports"]]
    assert sorted(closed) == sorted(r.pk for r in reports)  # every report decided exactly once
    assert sum(outcomes.values()) == 2
    assert not Report.objects.filter(status=ReportStatus.OPEN).exists()


def test_blocking_with_many_clicks_at_once_makes_one_block(community, member):
    rita = MemberFactory(community=community, display_name="Rita")

    outcomes = race([lambda: actions.block_member(rita, member)] * WORKERS)

    assert outcomes == Counter({"ok": WORKERS})
    assert Block.objects.count() == 1
