"""Many connections at once: a request window allocates exactly once, however many runs start together (the
periodic check on two workers, a coordinator's button). Threads on their own connections really race for the
window's row, so this runs on PostgreSQL only; SQLite has a single writer and nothing to race."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from ostrom.commons.actions import allocation as actions
from ostrom.commons.actions.allocation import SlotSpec, WindowFields
from ostrom.commons.models import AllocatedSlot, RequestWindow
from ostrom.communities.domain import DomainError
from ostrom.communities.tests.factories import CoordinatorFactory, MemberFactory
from ostrom.market.tests.test_events_concurrency import WORKERS, race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="Separate connections racing for row locks need PostgreSQL; SQLite has a single writer.",
    ),
]


def test_ten_runs_at_once_allocate_the_window_exactly_once(community):
    coordinator = CoordinatorFactory(community=community)
    fields = WindowFields(
        title="Plots", closes_at=timezone.now() + timedelta(days=1), method="lottery",
        slots=[SlotSpec(f"Plot {n}") for n in range(1, 4)],
    )  # fmt: skip
    window = actions.open_window(coordinator, fields)
    for person in MemberFactory.create_batch(6, community=community):
        actions.request_slots(person, window)

    with time_machine.travel(window.closes_at + timedelta(minutes=1), tick=False):
        results = race([lambda: actions.allocate(window) for _ in range(WORKERS)])

    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == WORKERS - 1 and {r.code for r in refused} == {"already_allocated"}
    assert AllocatedSlot.objects.filter(window=window).count() == 3
    [done] = [r for r in results if isinstance(r, RequestWindow)]
    window.refresh_from_db()
    assert window.seed == done.seed
