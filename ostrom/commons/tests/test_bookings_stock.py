"""Stock never goes below zero: any sequence of bookings, cancellations, check-outs, returns and the clock moving on,
for a library of three drills, leaves at every instant no more live units than the stock, and no unit in two live
bookings at once."""

from __future__ import annotations

from datetime import timedelta
from itertools import combinations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ostrom.commons.actions import bookings as actions
from ostrom.commons.actions import lending
from ostrom.commons.models import Booking, BookingStatus, BookingUnit
from ostrom.commons.tests.factories import ItemsFactory
from ostrom.commons.tests.test_bookings_helpers import NOW
from ostrom.communities.domain import DomainError
from ostrom.communities.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

HALF_HOUR = timedelta(minutes=30)
STOCK = 3

book = st.tuples(
    st.just("book"),
    st.integers(0, 3),  # who
    st.integers(0, 12),  # start, in half hours from an hour from now
    st.integers(1, 6),  # length in half hours
    st.integers(-1, 4),  # units (the odd bad number included)
)
act = st.tuples(st.sampled_from(["cancel", "out", "in", "no_show"]), st.integers(0, 30))
tick = st.tuples(st.just("tick"), st.integers(1, 4))  # the clock moves on by half hours


def check_invariants(asset) -> None:
    rows = list(BookingUnit.objects.filter(asset=asset, is_live=True))
    for one, other in combinations(rows, 2):
        if one.unit_id == other.unit_id:
            assert not (one.starts_at < other.blocked_until and other.starts_at < one.blocked_until), "double booked"
    for instant in {row.starts_at for row in rows}:
        at_once = sum(row.starts_at <= instant < row.blocked_until for row in rows)
        assert at_once <= STOCK
    for booking in Booking.objects.filter(asset=asset):
        live = BookingUnit.objects.filter(booking=booking, is_live=True).count()
        assert live == (
            booking.units if booking.status in (BookingStatus.HELD, BookingStatus.CONFIRMED, BookingStatus.OUT) else 0
        )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.one_of(book, act, tick), max_size=25), buffer=st.sampled_from([0, 30]))
def test_stock_never_goes_below_zero(community, coordinator, time_machine, steps, buffer):
    time_machine.move_to(NOW, tick=False)
    drills = ItemsFactory(community=community, stock=STOCK, buffer_minutes=buffer)
    people = [MemberFactory(community=community) for _ in range(4)]
    now, made = NOW, []
    for step in steps:
        try:
            if step[0] == "book":
                _, who, slot, length, units = step
                start = NOW + timedelta(hours=1) + slot * HALF_HOUR
                made.append(actions.book(people[who], drills, start, start + length * HALF_HOUR, units=units))
            elif step[0] == "tick":
                now += step[1] * HALF_HOUR
                time_machine.move_to(now, tick=False)
                actions.expire_holds()
            elif made:
                booking = made[step[1] % len(made)]
                {
                    "cancel": lambda b: actions.cancel(coordinator, b, "Changed plans"),
                    "out": lambda b: lending.check_out(coordinator, b),
                    "in": lambda b: lending.check_in(coordinator, b),
                    "no_show": lambda b: actions.mark_no_show(coordinator, b),
                }[step[0]](booking)
        except DomainError:
            pass  # a refusal writes nothing; the invariants below still hold
        check_invariants(drills)
