"""Booking first come, first served, and what surrounds it: every rule refused with its code and nothing written,
kits all-or-nothing, holds, cancelling, the desk (check-out, check-in, no-shows), money as ledger holds, the
overdue fee charged once, membership caps, reminders sent once, and allocated slots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from ostrom.commons.actions import bookings as actions
from ostrom.commons.actions import lending
from ostrom.commons.models import (
    AssetPermit,
    Booking,
    BookingSource,
    BookingStatus,
    BookingUnit,
    MaintenancePeriod,
    Membership,
    MembershipPlan,
    UnmetRequest,
)
from ostrom.commons.tests.factories import AssetFactory, ItemsFactory
from ostrom.commons.tests.test_bookings_helpers import (
    HOUR,
    NOW,
    TOMORROW_10,
    balance,
    clock,
    credits,
    drills,
    fresh,
    funded,
    issue,
    kitchen,
    party_kit,
    refusal,
)
from ostrom.communities.models import AuditEntry
from ostrom.communities.tests.factories import MemberFactory
from ostrom.ledger.models import Transfer, TransferKind
from ostrom.notify.models import Message

__all__ = ["clock", "credits", "drills", "funded", "kitchen"]  # fixtures, imported for pytest to find

pytestmark = pytest.mark.django_db


def nothing_written():
    return not Booking.objects.exists() and not BookingUnit.objects.exists()


# --- allocated slots (another part calls this) --------------------------------------------------------------------


def test_an_allocated_slot_is_confirmed_outside_opening_hours_and_the_lead_time(kitchen, member):
    kitchen.lead_time_minutes, kitchen.max_bookings_per_month = 7 * 24 * 60, 1
    kitchen.save()
    late = datetime(2027, 3, 1, 23, 0, tzinfo=UTC)  # the kitchen closes at 22:00

    booking = actions.book_allocated(kitchen, member, late, late + HOUR, purpose="Allotment draw")
    second = actions.book_allocated(kitchen, member, late + 2 * HOUR, late + 3 * HOUR)

    assert booking.status == second.status == BookingStatus.CONFIRMED
    assert booking.source == BookingSource.ALLOCATION and booking.purpose == "Allotment draw"
    assert BookingUnit.objects.filter(booking=booking, is_live=True).count() == 1


def test_an_allocated_slot_is_never_double_booked(kitchen, member, coordinator):
    actions.book(coordinator, kitchen, TOMORROW_10, TOMORROW_10 + 2 * HOUR)

    with transaction.atomic():  # the allocation's own transaction goes on after the refusal
        error = refusal(actions.book_allocated, kitchen, member, TOMORROW_10 + HOUR, TOMORROW_10 + 3 * HOUR)
        assert Booking.objects.count() == 1

    assert error.code == "slot_taken"
    assert not Booking.objects.filter(member=member).exists()


def test_an_allocated_slot_refuses_maintenance(kitchen, member, coordinator):
    MaintenancePeriod.objects.create(
        community=kitchen.community, asset=kitchen, starts_at=TOMORROW_10, ends_at=TOMORROW_10 + HOUR,
        reason="Oven repair", created_by=coordinator,
    )  # fmt: skip

    assert refusal(actions.book_allocated, kitchen, member, TOMORROW_10, TOMORROW_10 + HOUR).code == "under_maintenance"


# --- booking first come, first served ----------------------------------------------------------------------------


def test_a_member_books_the_kitchen_and_its_unit_is_blocked_with_the_buffer(kitchen, member):
    kitchen.buffer_minutes = 30
    kitchen.save()

    booking = actions.book(member, kitchen, TOMORROW_10, TOMORROW_10 + 2 * HOUR, purpose="Soup for the food bank")

    assert booking.status == BookingStatus.CONFIRMED and booking.source == BookingSource.DIRECT
    (unit,) = BookingUnit.objects.filter(booking=booking)
    assert unit.is_live and unit.blocked_until == TOMORROW_10 + 2 * HOUR + timedelta(minutes=30)


def test_the_buffer_keeps_the_next_booking_away(kitchen, member, coordinator):
    kitchen.buffer_minutes = 30
    kitchen.save()
    actions.book(member, kitchen, TOMORROW_10, TOMORROW_10 + 2 * HOUR)

    error = refusal(actions.book, coordinator, kitchen, TOMORROW_10 + 2 * HOUR, TOMORROW_10 + 3 * HOUR)
    later = actions.book(coordinator, kitchen, TOMORROW_10 + 2.5 * HOUR, TOMORROW_10 + 3 * HOUR)

    assert error.code == "overlaps_booking" and "30 minutes free between bookings" in error.message
    assert later.status == BookingStatus.CONFIRMED


def test_a_taken_time_is_refused_and_counted_as_unmet_demand(kitchen, member, coordinator):
    actions.book(member, kitchen, TOMORROW_10, TOMORROW_10 + 2 * HOUR)

    error = refusal(actions.book, coordinator, kitchen, TOMORROW_10 + HOUR, TOMORROW_10 + 3 * HOUR)

    assert error.code == "overlaps_booking"
    assert Booking.objects.count() == 1
    (unmet,) = UnmetRequest.objects.all()
    assert (unmet.asset, unmet.member, unmet.code) == (kitchen, coordinator, "overlaps_booking")


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        (datetime(2027, 3, 2, 21, 0, tzinfo=UTC), datetime(2027, 3, 2, 23, 0, tzinfo=UTC), "outside_opening_hours"),
        (datetime(2027, 3, 1, 8, 0, tzinfo=UTC), datetime(2027, 3, 1, 10, 0, tzinfo=UTC), "in_the_past"),
        (TOMORROW_10, TOMORROW_10 - HOUR, "ends_before_start"),
        (TOMORROW_10, TOMORROW_10 + 25 * HOUR, "too_long"),
        (datetime(2027, 3, 2, 10, 0), datetime(2027, 3, 2, 11, 0), "naive_time"),
    ],
)
def test_bad_times_are_refused_and_nothing_is_written(kitchen, member, start, end, code):
    assert refusal(actions.book, member, kitchen, start, end).code == code
    assert nothing_written() and not UnmetRequest.objects.exists()


def test_the_lead_time_and_the_monthly_limit_are_kept(kitchen, member):
    kitchen.lead_time_minutes, kitchen.max_bookings_per_month = 2 * 24 * 60, 1
    kitchen.save()

    too_soon = refusal(actions.book, member, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)
    actions.book(member, kitchen, TOMORROW_10 + 48 * HOUR, TOMORROW_10 + 49 * HOUR)
    over = refusal(actions.book, member, kitchen, TOMORROW_10 + 72 * HOUR, TOMORROW_10 + 73 * HOUR)
    april = actions.book(member, kitchen, datetime(2027, 4, 6, 10, tzinfo=UTC), datetime(2027, 4, 6, 11, tzinfo=UTC))

    assert (too_soon.code, too_soon.message) == ("lead_time", "This needs booking at least 2 days ahead.")
    assert over.code == "monthly_limit"
    assert april.status == BookingStatus.CONFIRMED and Booking.objects.count() == 2


def test_maintenance_blocks_booking(kitchen, member, coordinator):
    MaintenancePeriod.objects.create(
        community=kitchen.community, asset=kitchen, starts_at=TOMORROW_10, ends_at=TOMORROW_10 + 4 * HOUR,
        reason="Deep clean", created_by=coordinator,
    )  # fmt: skip

    error = refusal(actions.book, member, kitchen, TOMORROW_10 + HOUR, TOMORROW_10 + 2 * HOUR)

    assert error.code == "under_maintenance" and nothing_written()
    assert UnmetRequest.objects.get().code == "under_maintenance"


def test_only_trained_members_book_the_chainsaw(community, member, coordinator, clock):
    chainsaw = AssetFactory(community=community, name="Chainsaw", kind="equipment", who_may_book="trained_members")

    untrained = refusal(actions.book, member, chainsaw, TOMORROW_10, TOMORROW_10 + HOUR)
    AssetPermit.objects.create(community=community, asset=chainsaw, member=member, granted_by=coordinator)
    booking = actions.book(member, chainsaw, TOMORROW_10, TOMORROW_10 + HOUR)

    assert (untrained.code, untrained.message) == ("not_allowed_to_book", "Only trained members may book this.")
    assert booking.status == BookingStatus.CONFIRMED


def test_negative_or_too_many_units_are_refused(drills, kitchen, member):
    for units in (-1, 0, 1_000_001, True):
        assert (
            refusal(actions.book, member, drills, TOMORROW_10, TOMORROW_10 + HOUR, units=units).code == "invalid_units"
        )
    assert refusal(actions.book, member, kitchen, TOMORROW_10, TOMORROW_10 + HOUR, units=2).code == "invalid_units"
    assert nothing_written()


def test_items_are_booked_from_the_stock_and_never_beyond_it(drills, member, coordinator):
    two = actions.book(member, drills, TOMORROW_10, TOMORROW_10 + 3 * HOUR, units=2)

    error = refusal(actions.book, coordinator, drills, TOMORROW_10 + HOUR, TOMORROW_10 + 2 * HOUR, units=2)
    one = actions.book(coordinator, drills, TOMORROW_10 + HOUR, TOMORROW_10 + 2 * HOUR, units=1)

    assert two.units == 2 and BookingUnit.objects.filter(booking=two).count() == 2
    assert error.code == "not_enough_stock" and "Only 1 of these are free" in error.message
    assert set(BookingUnit.objects.filter(booking=one).values_list("unit__number", flat=True)) == {3}
    assert UnmetRequest.objects.get().code == "not_enough_stock"


def test_a_member_of_another_community_cannot_book(kitchen, outsider):
    assert refusal(actions.book, outsider, kitchen, TOMORROW_10, TOMORROW_10 + HOUR).code == "not_allowed"
    assert nothing_written()


# --- kits --------------------------------------------------------------------------------------------------------


def test_a_kit_books_all_its_items_at_once(community, drills, member, clock):
    gazebo = ItemsFactory(community=community, name="Gazebo", stock=2)
    kit = party_kit(community, (gazebo, 2), (drills, 1))

    booking = actions.book_kit(member, kit, TOMORROW_10, TOMORROW_10 + 4 * HOUR)

    assert booking.kit == kit and booking.asset is None
    assert sorted(BookingUnit.objects.filter(booking=booking).values_list("asset__name", flat=True)) == [
        "Cordless drill", "Gazebo", "Gazebo",
    ]  # fmt: skip


def test_a_kit_with_one_item_taken_books_nothing(community, drills, member, coordinator, clock):
    gazebo = ItemsFactory(community=community, name="Gazebo", stock=2)
    kit = party_kit(community, (drills, 1), (gazebo, 2))
    actions.book(coordinator, gazebo, TOMORROW_10, TOMORROW_10 + HOUR)

    error = refusal(actions.book_kit, member, kit, TOMORROW_10, TOMORROW_10 + 4 * HOUR)

    assert error.code == "not_enough_stock" and error.message.startswith("Gazebo: Only 1 of these are free")
    assert not Booking.objects.filter(member=member).exists()
    assert BookingUnit.objects.count() == 1  # only the coordinator's gazebo
    assert UnmetRequest.objects.get().asset == gazebo


# --- on someone's behalf -----------------------------------------------------------------------------------------


def test_a_coordinator_books_for_a_member_with_an_audit_row_and_a_message(kitchen, member, coordinator):
    booking = actions.book(member, kitchen, TOMORROW_10, TOMORROW_10 + HOUR, booked_by=coordinator, reason="By phone")

    assert booking.member == member and booking.booked_by == coordinator
    entry = AuditEntry.objects.get(action="commons.booked_for")
    assert (entry.actor, entry.member, entry.reason) == (coordinator.user, member, "By phone")
    assert Message.objects.filter(member=member, kind="commons.booked_for_you").exists()


def test_a_member_cannot_book_for_someone_else(kitchen, member, staff):
    assert (
        refusal(actions.book, staff, kitchen, TOMORROW_10, TOMORROW_10 + HOUR, booked_by=member).code == "not_allowed"
    )
    assert nothing_written()


# --- holds -------------------------------------------------------------------------------------------------------


def test_a_held_booking_is_confirmed_before_it_lapses(kitchen, member):
    kitchen.hold_minutes = 60
    kitchen.save()

    booking = actions.book(member, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)
    confirmed = actions.confirm_hold(member, booking)

    assert booking.status == BookingStatus.HELD and booking.hold_expires_at == NOW + HOUR
    assert confirmed.status == BookingStatus.CONFIRMED and confirmed.hold_expires_at is None
    assert actions.expire_holds(NOW + 2 * HOUR) == 0


def test_a_lapsed_hold_expires_and_frees_the_time(kitchen, member, coordinator, clock):
    kitchen.hold_minutes = 60
    kitchen.save()
    booking = actions.book(member, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)
    clock.move_to(NOW + HOUR, tick=False)

    assert actions.expire_holds() == 1
    assert actions.expire_holds() == 0  # twice is harmless
    assert fresh(booking).status == BookingStatus.EXPIRED
    assert not BookingUnit.objects.filter(booking=booking, is_live=True).exists()
    assert refusal(actions.confirm_hold, member, booking).code == "booking_not_held"
    assert actions.book(coordinator, kitchen, TOMORROW_10, TOMORROW_10 + HOUR).status == BookingStatus.HELD


# --- cancelling --------------------------------------------------------------------------------------------------


def test_a_member_cancels_before_the_start_and_the_time_is_free_again(kitchen, member, coordinator):
    booking = actions.book(member, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)

    cancelled = actions.cancel(member, booking)
    again = actions.cancel(member, booking)

    assert cancelled.status == again.status == BookingStatus.CANCELLED
    assert not BookingUnit.objects.filter(is_live=True).exists()
    assert actions.book(coordinator, kitchen, TOMORROW_10, TOMORROW_10 + HOUR).status == BookingStatus.CONFIRMED


def test_a_coordinator_cancelling_for_someone_needs_a_reason_and_tells_them(kitchen, member, coordinator):
    booking = actions.book(member, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)

    assert refusal(actions.cancel, coordinator, booking).code == "reason_needed"
    actions.cancel(coordinator, booking, "The kitchen flooded")

    assert fresh(booking).cancel_reason == "The kitchen flooded"
    assert AuditEntry.objects.filter(action="commons.booking_cancelled", member=member).exists()
    assert "The kitchen flooded" in Message.objects.get(member=member, kind="commons.booking_cancelled").body


def test_nobody_else_cancels_a_members_booking(kitchen, member, outsider, community):
    booking = actions.book(member, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)
    neighbour = MemberFactory(community=community)

    assert refusal(actions.cancel, neighbour, booking).code == "not_allowed"
    assert refusal(actions.cancel, outsider, booking).code == "not_allowed"
    assert fresh(booking).status == BookingStatus.CONFIRMED


def test_a_member_cannot_cancel_once_it_has_started(kitchen, member, clock):
    booking = actions.book(member, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)
    clock.move_to(TOMORROW_10 + timedelta(minutes=5), tick=False)

    assert refusal(actions.cancel, member, booking).code == "already_started"


# --- money -------------------------------------------------------------------------------------------------------


@pytest.fixture
def paid_drills(drills, credits):
    drills.currency, drills.fee_units, drills.deposit_units, drills.daily_overdue_fee_units = credits, 5, 20, 3
    drills.save()
    return drills


def test_fee_and_deposit_are_held_when_booked_and_released_on_cancelling(paid_drills, funded, credits):
    booking = actions.book(funded, paid_drills, TOMORROW_10, TOMORROW_10 + HOUR, units=2)

    fee, deposit = booking.fee_transfer, booking.deposit_transfer
    assert (fee.kind, fee.amount, deposit.kind, deposit.amount) == (TransferKind.PENDING, 10, TransferKind.PENDING, 40)
    assert deposit.expires_at == TOMORROW_10 + HOUR + lending.MONEY_HOLD_GRACE

    actions.cancel(funded, booking)

    assert Transfer.objects.filter(kind=TransferKind.VOID).count() == 2
    assert balance(credits, funded) == 100


def test_a_booking_the_member_cannot_pay_for_is_refused_whole(paid_drills, member, credits):
    error = refusal(actions.book, member, paid_drills, TOMORROW_10, TOMORROW_10 + HOUR)

    assert error.code == "debit_limit_exceeded"
    assert nothing_written() and not Transfer.objects.filter(kind=TransferKind.PENDING).exists()


def test_a_booking_with_money_too_far_ahead_is_refused_in_words(paid_drills, funded):
    far = NOW + timedelta(days=85)

    error = refusal(actions.book, funded, paid_drills, far, far + HOUR)

    assert error.code == "too_far_ahead" and "within 83 days" in error.message
    assert nothing_written()


def test_check_in_takes_the_fee_and_releases_the_deposit(paid_drills, funded, credits, coordinator, clock):
    booking = actions.book(funded, paid_drills, TOMORROW_10, TOMORROW_10 + 2 * HOUR)
    clock.move_to(TOMORROW_10, tick=False)
    lending.check_out(coordinator, booking)
    clock.move_to(TOMORROW_10 + HOUR, tick=False)

    returned = lending.check_in(coordinator, booking)

    assert returned.status == BookingStatus.RETURNED and returned.checked_in_at == TOMORROW_10 + HOUR
    assert balance(credits, funded) == 95
    unit = BookingUnit.objects.get(booking=booking)
    assert not unit.is_live and unit.blocked_until == TOMORROW_10 + HOUR  # the early return freed the rest


def test_the_desk_keeps_part_of_the_deposit_with_a_reason(paid_drills, funded, credits, coordinator, clock):
    booking = actions.book(funded, paid_drills, TOMORROW_10, TOMORROW_10 + 2 * HOUR)
    clock.move_to(TOMORROW_10, tick=False)
    lending.check_out(coordinator, booking)

    assert refusal(lending.check_in, coordinator, booking, deposit_kept_units=8).code == "reason_needed"
    assert (
        refusal(lending.check_in, coordinator, booking, deposit_kept_units=21, reason="x").code == "more_than_deposit"
    )
    lending.check_in(coordinator, booking, deposit_kept_units=8, reason="Chuck key missing")

    assert balance(credits, funded) == 100 - 5 - 8
    assert AuditEntry.objects.get(action="commons.checked_in").reason == "Chuck key missing"


def test_a_late_return_pays_the_daily_overdue_fee_once(paid_drills, funded, credits, coordinator, clock):
    booking = actions.book(funded, paid_drills, TOMORROW_10, TOMORROW_10 + 2 * HOUR)
    clock.move_to(TOMORROW_10, tick=False)
    lending.check_out(coordinator, booking)
    clock.move_to(TOMORROW_10 + 2 * HOUR + timedelta(days=1, minutes=1), tick=False)  # two started days late

    returned = lending.check_in(coordinator, booking)
    lending.charge_overdue_fee(returned, returned.checked_in_at, None)  # a retry
    lending.check_in(coordinator, booking)  # a double click at the desk

    assert returned.overdue_fee_units == 6
    assert Transfer.objects.filter(kind=TransferKind.TRANSFER, memo__startswith="Overdue fee").count() == 1
    assert balance(credits, funded) == 100 - 5 - 6


def test_a_no_show_pays_the_fee_and_gets_the_deposit_back(paid_drills, funded, credits, coordinator, clock):
    booking = actions.book(funded, paid_drills, TOMORROW_10, TOMORROW_10 + 2 * HOUR)

    assert refusal(actions.mark_no_show, coordinator, booking).code == "not_started"
    clock.move_to(TOMORROW_10 + HOUR, tick=False)
    assert refusal(actions.mark_no_show, funded, booking).code == "not_allowed"
    actions.mark_no_show(coordinator, booking)

    assert fresh(booking).status == BookingStatus.NO_SHOW
    assert balance(credits, funded) == 95
    assert not BookingUnit.objects.filter(is_live=True).exists()


# --- the desk ----------------------------------------------------------------------------------------------------


def test_check_out_opens_half_an_hour_before_the_start(kitchen, member, coordinator, clock):
    booking = actions.book(member, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)

    assert refusal(lending.check_out, coordinator, booking).code == "too_early"
    clock.move_to(TOMORROW_10 - timedelta(minutes=30), tick=False)
    assert refusal(lending.check_out, member, booking).code == "not_allowed"
    out = lending.check_out(coordinator, booking)

    assert out.status == BookingStatus.OUT and out.checked_out_at == TOMORROW_10 - timedelta(minutes=30)
    assert (
        refusal(
            lending.check_in,
            coordinator,
            fresh(actions.book(member, kitchen, TOMORROW_10 + 2 * HOUR, TOMORROW_10 + 3 * HOUR)),
        ).code
        == "booking_not_out"
    )


def test_the_owner_organisations_staff_run_the_desk_for_their_own_assets(community, member, staff, organisation, clock):
    hall = AssetFactory(community=community, name="Council hall", owner=organisation)
    kitchen = AssetFactory(community=community, name="Church kitchen")
    in_hall = actions.book(member, hall, TOMORROW_10, TOMORROW_10 + HOUR)
    in_kitchen = actions.book(member, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)
    clock.move_to(TOMORROW_10, tick=False)

    assert lending.check_out(staff, in_hall).status == BookingStatus.OUT
    assert refusal(lending.check_out, staff, in_kitchen).code == "not_allowed"


# --- overdue items and memberships -------------------------------------------------------------------------------


def test_an_overdue_item_blocks_new_bookings_where_the_asset_says_so(
    community, drills, kitchen, member, coordinator, clock
):
    drills.block_when_overdue = True
    drills.save()
    booking = actions.book(member, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)
    clock.move_to(TOMORROW_10, tick=False)
    lending.check_out(coordinator, booking)
    clock.move_to(TOMORROW_10 + 2 * HOUR, tick=False)

    blocked = refusal(actions.book, member, drills, TOMORROW_10 + 4 * HOUR, TOMORROW_10 + 5 * HOUR)
    allowed = actions.book(member, kitchen, TOMORROW_10 + 4 * HOUR, TOMORROW_10 + 5 * HOUR)

    assert blocked.code == "overdue_block"
    assert allowed.status == BookingStatus.CONFIRMED


def test_a_membership_caps_the_items_out_at_once(community, drills, member, clock):
    basic = MembershipPlan.objects.create(community=community, name="Basic", max_items_out=2, is_default=True)
    actions.book(member, drills, TOMORROW_10, TOMORROW_10 + 2 * HOUR, units=2)

    capped = refusal(actions.book, member, drills, TOMORROW_10 + HOUR, TOMORROW_10 + 3 * HOUR)
    later = actions.book(member, drills, TOMORROW_10 + 3 * HOUR, TOMORROW_10 + 4 * HOUR, units=2)
    gold = MembershipPlan.objects.create(community=community, name="Gold", max_items_out=None)
    Membership.objects.create(community=community, member=member, plan=gold)
    uncapped = actions.book(member, drills, TOMORROW_10 + HOUR, TOMORROW_10 + 3 * HOUR)

    assert capped.code == "items_out_cap" and "2 items out at once" in capped.message
    assert later.units == 2 and uncapped.units == 1
    assert basic.is_default


# --- reminders ---------------------------------------------------------------------------------------------------


def test_reminders_go_once_the_day_before_before_the_return_and_daily_when_overdue(kitchen, member, coordinator, clock):
    member.user.phone = "+447700900123"
    member.user.save()
    booking = actions.book(member, kitchen, TOMORROW_10, TOMORROW_10 + 4 * HOUR)

    assert actions.send_reminders() == 0  # more than a day ahead
    clock.move_to(TOMORROW_10 - timedelta(hours=23), tick=False)
    assert actions.send_reminders() == 1
    assert actions.send_reminders() == 0
    clock.move_to(TOMORROW_10, tick=False)
    lending.check_out(coordinator, booking)
    assert actions.send_reminders() == 0  # a quarter of four hours is one hour before the end
    clock.move_to(TOMORROW_10 + 3 * HOUR, tick=False)
    assert actions.send_reminders() == 1
    clock.move_to(TOMORROW_10 + 5 * HOUR, tick=False)
    assert actions.send_reminders() == 1  # overdue
    clock.move_to(TOMORROW_10 + 10 * HOUR, tick=False)
    assert actions.send_reminders() == 0  # the same day
    clock.move_to(TOMORROW_10 + 24 * HOUR, tick=False)
    assert actions.send_reminders() == 1  # the next day

    kinds = list(Message.objects.filter(member=member).order_by("pk").values_list("kind", flat=True))
    assert kinds == [
        "commons.booking_reminder", "commons.return_reminder", "commons.overdue", "commons.overdue",
    ]  # fmt: skip
    assert all(m.channel == "sms" for m in Message.objects.filter(member=member))


def test_the_digest_lists_upcoming_bookings_and_items_out(kitchen, drills, member, coordinator, clock):
    from ostrom.commons.notices import bookings as notices

    actions.book(member, kitchen, TOMORROW_10, TOMORROW_10 + HOUR)
    out = actions.book(member, drills, NOW + HOUR, NOW + 2 * HOUR)
    actions.book(member, kitchen, NOW + timedelta(days=20), NOW + timedelta(days=20, hours=1))  # beyond two weeks
    clock.move_to(NOW + HOUR, tick=False)
    lending.check_out(coordinator, out)

    lines = notices.upcoming_lines(member, NOW, NOW + HOUR)

    assert len(lines) == 2
    assert lines[0].startswith("Cordless drill: you have it out, due back Monday 1 March, 11:00")
    assert lines[1] == "Tuesday 2 March, 10:00: Fire station kitchen until Tuesday 2 March, 11:00."


def test_another_members_credit_is_untouched(paid_drills, funded, credits, community):
    other = MemberFactory(community=community)
    issue(credits, other, 50)

    actions.book(funded, paid_drills, TOMORROW_10, TOMORROW_10 + HOUR)

    assert balance(credits, other) == 50


def test_times_at_the_end_of_the_calendar_are_refused_in_words(kitchen, member):
    from zoneinfo import ZoneInfo

    far = datetime(9999, 12, 31, 22, 0, tzinfo=ZoneInfo("America/New_York"))

    assert refusal(actions.book, member, kitchen, far, far + HOUR).code == "too_far_ahead"
    assert (
        refusal(
            actions.book, member, kitchen, NOW + timedelta(days=4 * 365), NOW + timedelta(days=4 * 365, hours=1)
        ).code
        == "too_far_ahead"
    )
    assert nothing_written()
