"""Many connections at once: a log of hours sent ten times at the same moment credits once, and logs racing for
one volunteer's day never add up to more than 24 hours. Threads with their own connections, as in
test_events_concurrency; PostgreSQL only."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from ostrom.communities.domain import DomainError
from ostrom.communities.tests.factories import MemberFactory
from ostrom.ledger import verify
from ostrom.ledger.models import Transfer
from ostrom.market.actions import volunteering as volunteering_actions
from ostrom.market.models import ApplicationStatus, VolunteerLog
from ostrom.market.tests.factories_community_life import (
    HOUR,
    VolunteerApplicationFactory,
    balance,
    garden_role,
    hours,
)
from ostrom.market.tests.test_events_concurrency import WORKERS, race

__all__ = ["garden_role", "hours"]  # fixtures, imported for pytest to find

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="Separate connections racing for row locks need PostgreSQL; SQLite has a single writer.",
    ),
]


def test_the_same_log_sent_ten_times_at_once_credits_once(hours, garden_role, staff, community):
    volunteer = MemberFactory(community=community)
    VolunteerApplicationFactory(role=garden_role, member=volunteer, status=ApplicationStatus.ACCEPTED)
    key, day = uuid.uuid4(), volunteering_actions.community_today(volunteer)

    results = race(
        [lambda: volunteering_actions.log_hours(staff, garden_role, volunteer, 90, day, key) for _ in range(WORKERS)]
    )

    assert all(isinstance(result, volunteering_actions.Logged) for result in results)
    assert len({result.log.pk for result in results}) == 1
    assert sum(not result.replayed for result in results) == 1
    assert VolunteerLog.objects.count() == 1 and Transfer.objects.count() == 1
    assert balance(volunteer, hours) == 90
    assert verify.verify_ledger() == []


def test_logs_racing_for_one_day_never_add_up_to_more_than_24_hours(hours, garden_role, staff, community):
    volunteer = MemberFactory(community=community)
    VolunteerApplicationFactory(role=garden_role, member=volunteer, status=ApplicationStatus.ACCEPTED)
    day = volunteering_actions.community_today(volunteer)

    results = race(
        [
            lambda: volunteering_actions.log_hours(staff, garden_role, volunteer, 5 * HOUR, day, uuid.uuid4())
            for _ in range(WORKERS)
        ]
    )

    refused = [result for result in results if isinstance(result, DomainError)]
    assert {error.code for error in refused} == {"day_over_full"}
    assert len(refused) == WORKERS - 4
    assert balance(volunteer, hours) == 20 * HOUR
