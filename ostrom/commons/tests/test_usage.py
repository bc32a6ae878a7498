"""Idle capacity from the tables: the kitchen (the council's, open Monday evenings 18:00-21:00) and three drills
(the community's, open the same hours) in February 2026, with figures worked out by hand:

- kitchen: four Mondays × 3 h = 720 open minutes, less the evening closed for maintenance = 540. Booked: 2 h
  returned + 1 h of a confirmed booking that started an hour before opening = 180 minutes, so 333‰. A 3 h no-show
  (180 minutes, 1 no-show); a cancelled booking counts for nothing. Two requests turned away for a clash; a refusal
  for being too long is not demand the asset failed to meet.
- drills: 3 items × 720 = 2,160 open item-minutes. Two drills out for 3 h (360) and a party kit taking the third
  for an hour (60) = 420 booked, 194‰.
- the community (both): 2,700 open, 600 booked, 222‰."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ostrom.commons import usage
from ostrom.commons.models import AssetUnit, Booking, BookingStatus, BookingUnit, Kit, MaintenancePeriod, UnmetRequest
from ostrom.commons.tests.factories import AssetFactory, ItemsFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
MONDAY_EVENING = [(0, 18 * 60, 21 * 60)]


def at(day: int, hour: int, month: int = 2) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=LONDON)


def booked(asset, member, start, end, status, units=(1,), kit=None):
    booking = Booking.objects.create(
        community=asset.community, member=member, asset=None if kit else asset, kit=kit, units=len(units),
        starts_at=start, ends_at=end, status=status,
    )  # fmt: skip
    for number in units:
        BookingUnit.objects.create(
            community=asset.community, booking=booking, asset=asset,
            unit=AssetUnit.objects.get(asset=asset, number=number), starts_at=start, blocked_until=end, is_live=False,
        )  # fmt: skip
    return booking


@pytest.fixture
def february(community, organisation, member, coordinator):
    kitchen = AssetFactory(community=community, name="Kitchen", owner=organisation, opening=MONDAY_EVENING)
    drills = ItemsFactory(community=community, name="Drills", opening=MONDAY_EVENING)
    booked(kitchen, member, at(2, 18), at(2, 20), BookingStatus.RETURNED)
    booked(kitchen, member, at(9, 18), at(9, 21), BookingStatus.NO_SHOW)
    booked(kitchen, member, at(16, 17), at(16, 19), BookingStatus.CONFIRMED)
    booked(kitchen, member, at(23, 18), at(23, 21), BookingStatus.CANCELLED)
    booked(kitchen, member, at(26, 18), at(26, 21), BookingStatus.RETURNED)  # a Thursday: closed, so not counted
    MaintenancePeriod.objects.create(
        community=community, asset=kitchen, starts_at=at(23, 17), ends_at=at(23, 22), reason="Oven", created_by=coordinator
    )  # fmt: skip
    for code, when in (("overlaps_booking", at(3, 9)), ("overlaps_booking", at(20, 9)), ("too_long", at(4, 9))):
        UnmetRequest.objects.create(
            community=community, asset=kitchen, starts_at=at(23, 18), ends_at=at(23, 20), code=code, requested_at=when
        )  # fmt: skip
    UnmetRequest.objects.create(
        community=community, asset=kitchen, starts_at=at(2, 18), ends_at=at(2, 20), code="overlaps_booking",
        requested_at=at(20, 9, month=1),
    )  # fmt: skip
    booked(drills, member, at(2, 18), at(2, 21), BookingStatus.RETURNED, units=(1, 2))
    kit = Kit.objects.create(community=community, name="Party kit", slug="party-kit")
    booked(drills, member, at(9, 18), at(9, 19), BookingStatus.RETURNED, units=(3,), kit=kit)
    return kitchen, drills


def test_the_figures_match_the_hand_count(february, community):
    report = usage.usage_report(community, list(february), at(1, 0), at(1, 0, month=3))

    assert [row.name for row in report.assets] == ["Drills", "Kitchen"]
    rows = {row.name: row.months for row in report.assets}
    (k,) = rows["Kitchen"]
    assert (k.month, k.open_minutes, k.booked_minutes, k.utilisation_permille) == (date(2026, 2, 1), 540, 180, 333)
    assert (k.no_shows, k.no_show_minutes, k.unmet_requests) == (1, 180, 2)
    (d,) = rows["Drills"]
    assert (d.open_minutes, d.booked_minutes, d.utilisation_permille, d.no_shows) == (2160, 420, 194, 0)
    (everything,) = report.community.months
    assert (everything.open_minutes, everything.booked_minutes, everything.utilisation_permille) == (2700, 600, 222)


def test_owners_add_up_their_own_assets(february, community, organisation):
    report = usage.usage_report(community, list(february), at(1, 0), at(1, 0, month=3))

    owners = {row.key: (row.name, row.totals.open_minutes, row.totals.booked_minutes) for row in report.owners}
    assert owners == {
        organisation.slug: ("Riverside Council", 540, 180),
        "community": ("Riverside Timebank", 2160, 420),
    }


def test_months_are_counted_separately(february, community):
    report = usage.usage_report(community, list(february), at(1, 0, month=1), at(1, 0, month=3))

    kitchen = next(row for row in report.assets if row.name == "Kitchen")
    january, feb = kitchen.months
    assert (january.month, january.open_minutes, january.booked_minutes, january.unmet_requests) == (
        date(2026, 1, 1), 4 * 180, 0, 1,
    )  # fmt: skip  # four Mondays in January 2026, one request turned away
    assert feb.booked_minutes == 180
    assert kitchen.totals.utilisation_permille == (180 * 1000 * 2 + 1260) // (2 * 1260)


def test_the_report_runs_from_eleven_months_back_until_now():
    now = datetime(2026, 3, 15, 12, tzinfo=UTC)

    start, end = usage.report_range(now, LONDON)

    assert (start, end) == (datetime(2025, 4, 1, tzinfo=LONDON), now)
    assert datetime(2025, 4, 1, tzinfo=LONDON).astimezone(UTC) == datetime(2025, 3, 31, 23, tzinfo=UTC)


def test_an_asset_with_no_stock_and_a_community_with_no_assets_report_nothing(community):
    drills = ItemsFactory(community=community, stock=0, opening=MONDAY_EVENING)

    report = usage.usage_report(community, [drills], at(1, 0), at(1, 0, month=3))
    empty = usage.usage_report(community, [], at(1, 0), at(1, 0, month=3))

    assert report.assets[0].months[0].open_minutes == 0
    assert [m.open_minutes for m in empty.community.months] == [0]


def test_free_times_leave_out_bookings_with_their_buffer(community, member):
    kitchen = AssetFactory(community=community, opening=[(0, 9 * 60, 17 * 60)], buffer_minutes=30)
    booking = Booking.objects.create(
        community=community, member=member, asset=kitchen, starts_at=at(2, 12), ends_at=at(2, 13), status="confirmed"
    )
    BookingUnit.objects.create(
        community=community, booking=booking, asset=kitchen, unit=kitchen.units.get(), starts_at=booking.starts_at,
        blocked_until=booking.ends_at + timedelta(minutes=30),
    )  # fmt: skip

    (monday,) = usage.days_view(kitchen, date(2026, 2, 2), days=1)

    local = [
        (p.start.astimezone(LONDON).strftime("%H:%M"), p.end.astimezone(LONDON).strftime("%H:%M")) for p in monday.free
    ]
    assert local == [("09:00", "11:30"), ("13:30", "17:00")]
    # Taken: the booking with its half-hour buffer either side, and no name anywhere.
    assert [
        (p.start.astimezone(LONDON).strftime("%H:%M"), p.end.astimezone(LONDON).strftime("%H:%M"))
        for p in monday.booked
    ] == [("11:30", "13:30")]
    assert not monday.closed


def test_items_are_free_until_every_unit_is_taken(community, member):
    drills = ItemsFactory(community=community, stock=2, opening=[(0, 9 * 60, 17 * 60)])
    for number, hours in ((1, (10, 12)), (2, (11, 14))):
        booking = Booking.objects.create(
            community=community, member=member, asset=drills, starts_at=at(2, hours[0]), ends_at=at(2, hours[1]),
            status="confirmed",
        )  # fmt: skip
        BookingUnit.objects.create(
            community=community, booking=booking, asset=drills, unit=drills.units.get(number=number),
            starts_at=booking.starts_at, blocked_until=booking.ends_at,
        )  # fmt: skip

    (monday,) = usage.days_view(drills, date(2026, 2, 2), days=1)

    assert [(p.start.astimezone(LONDON).hour, p.end.astimezone(LONDON).hour) for p in monday.free] == [
        (9, 11),
        (12, 17),
    ]


def test_hours_and_percentages_read_well():
    assert [usage.hours_text(m) for m in (0, 60, 90, 125, 60 * 1234)] == ["0", "1", "1.5", "2.1", "1,234"]
    assert [usage.percent_text(p) for p in (0, 5, 333, 1000)] == ["0.0%", "0.5%", "33.3%", "100.0%"]
