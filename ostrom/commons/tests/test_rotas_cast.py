"""The cast of the rota tests (fixtures, no tests): Mina starts a care circle for Edith in Riverside and adds her
neighbours Ann, Bob and Cat; each can help any time unless a test says otherwise. Riverside keeps London time, and
the story starts on Wednesday 4 March 2026 at noon, so the rota's first Monday is 9 March."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from ostrom.commons.actions import rotas as actions
from ostrom.commons.models import TeamKind
from ostrom.communities.tests.factories import MemberFactory, UserFactory
from ostrom.ledger.actions import accounts
from ostrom.ledger.models import Account, CurrencyKind

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
FIRST_MONDAY = date(2026, 3, 9)
HOUR = 60
DAY = 24 * HOUR
ANY_TIME = [(0, 7 * DAY)]
ANN_PHONE = "+447700900201"


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def hours(community):
    return accounts.create_currency(community, code="hours", name="Timebank hours", kind=CurrencyKind.TIME)


@pytest.fixture
def neighbours(community):
    return [
        MemberFactory(
            community=community, user=UserFactory(full_name=f"{name} Neighbour", phone=phone), display_name=name
        )
        for name, phone in (("Ann", ANN_PHONE), ("Bob", "+447700900202"), ("Cat", "+447700900203"))
    ]


@pytest.fixture
def circle(frozen, member, neighbours, hours):
    """Mina's care circle with Ann, Bob and Cat, all free any time."""
    team = actions.create_team(member, "Care for Edith", TeamKind.CARE_CIRCLE, "Daily visits", hours)
    for person in neighbours:
        actions.add_member(member, team, person)
    for tm in team.memberships.all():
        actions.set_availability(tm.member, tm, ANY_TIME)
    return team


def daily(team, organiser, title="Morning visit", start=9 * HOUR, duration=HOUR, people=1):
    return [actions.add_pattern(organiser, team, title, day, start, duration, people) for day in range(7)]


def minutes_of(team) -> dict[int, int]:
    loads: dict[int, int] = {tm.member_id: 0 for tm in team.memberships.all()}
    for shift in team.shifts.prefetch_related("assignments"):
        for assignment in shift.assignments.all():
            loads[assignment.member_id] += actions.shift_minutes(shift)
    return loads


def balance(member, currency) -> int:
    account = Account.objects.filter(member=member, currency=currency).first()
    return account.balance if account else 0
