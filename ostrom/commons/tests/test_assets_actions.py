"""Managing assets: Cora the coordinator adds the fire-station kitchen and a library of drills, sets opening hours,
blocks maintenance, grants permits, makes a kit and sets up lending memberships; Sam, the council's staff, manages
only the council's assets; Mina, a member, manages nothing. Every bad input is refused with its code and writes
nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ostrom.commons.actions import assets as actions
from ostrom.commons.models import (
    Asset,
    AssetPermit,
    AssetUnit,
    Booking,
    BookingStatus,
    BookingUnit,
    Kit,
    KitItem,
    MaintenancePeriod,
    Membership,
    MembershipPlan,
    OpeningWindow,
)
from ostrom.commons.tests.factories import AssetFactory, ItemsFactory
from ostrom.communities.domain import DomainError
from ostrom.communities.models import AuditEntry
from ostrom.ledger.models import Currency
from ostrom.notify.models import Message

pytestmark = pytest.mark.django_db


def refused(code, call, *args, **kwargs):
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value.message
    assert caught.value.message.strip()
    return caught.value


def book(asset, member, start, hours=2, units=(1,), status=BookingStatus.CONFIRMED):
    """A booking written as the bookings part would: a Booking and its BookingUnit rows."""
    booking = Booking.objects.create(
        community=asset.community, member=member, asset=asset, units=len(units), starts_at=start,
        ends_at=start + timedelta(hours=hours), status=status,
    )  # fmt: skip
    for number in units:
        BookingUnit.objects.create(
            community=asset.community, booking=booking, asset=asset,
            unit=AssetUnit.objects.get(asset=asset, number=number), starts_at=booking.starts_at,
            blocked_until=booking.ends_at + timedelta(minutes=asset.buffer_minutes),
            is_live=status in (BookingStatus.HELD, BookingStatus.CONFIRMED, BookingStatus.OUT),
        )  # fmt: skip
    return booking


# --- creating and editing ----------------------------------------------------------------------------------------


def test_a_coordinator_adds_a_library_of_drills_with_one_unit_each(coordinator):
    drills = actions.create_asset(coordinator, kind="items", name="Cordless drill", stock=3, location="Library")

    assert drills.slug == "cordless-drill"
    assert list(drills.units.values_list("number", flat=True)) == [1, 2, 3]
    assert len(drills.feed_token) >= 40
    assert AuditEntry.objects.filter(action="commons.asset_created").count() == 1


def test_two_assets_with_the_same_name_get_different_addresses(coordinator):
    first = actions.create_asset(coordinator, kind="space", name="Hall")
    second = actions.create_asset(coordinator, kind="space", name="Hall")

    assert (first.slug, second.slug) == ("hall", "hall-2")
    refused("slug_taken", actions.create_asset, coordinator, kind="space", name="Other", slug="hall")


def test_each_feed_token_is_new(coordinator):
    one = actions.create_asset(coordinator, kind="space", name="Kitchen")
    two = actions.create_asset(coordinator, kind="space", name="Hall")
    assert one.feed_token != two.feed_token


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"kind": "items", "name": "Drill", "stock": -1}, "negative_stock"),
        ({"kind": "space", "name": "Hall", "stock": 2}, "single_unit"),
        ({"kind": "items", "name": "Drill", "stock": 1001}, "invalid_units"),
        ({"kind": "castle", "name": "Keep"}, "invalid_kind"),
        ({"kind": "space", "name": "   "}, "name_required"),
        ({"kind": "space", "name": "Hall", "max_duration_minutes": 0}, "invalid_booking_rules"),
        ({"kind": "space", "name": "Hall", "lead_time_minutes": 400 * 24 * 60}, "invalid_booking_rules"),
        ({"kind": "space", "name": "Hall", "max_bookings_per_month": 0}, "invalid_booking_rules"),
        ({"kind": "space", "name": "Hall", "fee_units": 5}, "money_needs_currency"),
        ({"kind": "space", "name": "Hall", "slug": "New"}, "invalid_slug"),
        ({"kind": "space", "name": "Hall", "slug": "new"}, "invalid_slug"),
        ({"kind": "space", "name": "Hall", "capacity_people": 0}, "invalid_number"),
    ],
)
def test_bad_asset_details_are_refused_and_nothing_is_written(coordinator, fields, code):
    refused(code, actions.create_asset, coordinator, **fields)

    assert not Asset.objects.exists()
    assert not AssetUnit.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_currency_of_another_community_is_refused(coordinator, other_community):
    foreign = Currency.objects.create(community=other_community, code="hours", name="Hours", kind="time", scale=60)

    refused("currency_unknown", actions.create_asset, coordinator, kind="space", name="Hall", currency=foreign)
    assert not Asset.objects.exists()


def test_members_cannot_add_assets_and_staff_only_for_their_organisation(member, staff, organisation):
    refused("not_allowed", actions.create_asset, member, kind="space", name="My shed")
    refused("not_allowed", actions.create_asset, staff, kind="space", name="Hall")  # the community's: no

    depot = actions.create_asset(staff, kind="equipment", name="Minibus", owner=organisation)
    assert depot.owner == organisation


def test_editing_the_rules_checks_them_and_records_the_change(coordinator):
    kitchen = AssetFactory(community=coordinator.community)

    changed = actions.update_asset(coordinator, kitchen, buffer_minutes=30, who_may_book="trained_members")
    refused("invalid_booking_rules", actions.update_asset, coordinator, kitchen, max_duration_minutes=0)

    kitchen.refresh_from_db()
    assert sorted(changed) == ["buffer_minutes", "who_may_book"]
    assert (kitchen.buffer_minutes, kitchen.who_may_book, kitchen.max_duration_minutes) == (30, "trained_members", 1440)
    assert AuditEntry.objects.filter(action="commons.asset_updated").count() == 1


def test_staff_manage_their_organisations_assets_only(staff, organisation, coordinator):
    theirs = AssetFactory(community=staff.community, owner=organisation)
    communitys = AssetFactory(community=staff.community)

    actions.update_asset(staff, theirs, location="Depot")
    refused("not_allowed", actions.update_asset, staff, communitys, location="Depot")


def test_deactivating_an_asset_keeps_it_for_coordinators(coordinator):
    kitchen = AssetFactory(community=coordinator.community)

    actions.set_active(coordinator, kitchen, False)

    kitchen.refresh_from_db()
    assert not kitchen.is_active
    assert AuditEntry.objects.filter(action="commons.asset_deactivated").exists()


# --- stock -------------------------------------------------------------------------------------------------------


def test_raising_the_stock_adds_units_and_lowering_retires_the_highest(coordinator):
    drills = ItemsFactory(community=coordinator.community)

    actions.set_stock(coordinator, drills, 5)
    actions.set_stock(coordinator, drills, 2)

    units = dict(drills.units.values_list("number", "is_retired"))
    assert units == {1: False, 2: False, 3: True, 4: True, 5: True}
    actions.set_stock(coordinator, drills, 4)
    assert dict(drills.units.values_list("number", "is_retired")) == {1: False, 2: False, 3: False, 4: False, 5: True}


def test_stock_cannot_go_below_zero(coordinator):
    drills = ItemsFactory(community=coordinator.community)

    refused("negative_stock", actions.set_stock, coordinator, drills, -1)

    drills.refresh_from_db()
    assert drills.stock == 3 and not drills.units.filter(is_retired=True).exists()


def test_lowering_the_stock_is_refused_while_a_unit_to_retire_is_booked(coordinator, member):
    drills = ItemsFactory(community=coordinator.community)
    book(drills, member, timezone.now() + timedelta(days=2), units=(3,))

    error = refused("stock_booked", actions.set_stock, coordinator, drills, 2)

    assert "a booking" in error.message
    drills.refresh_from_db()
    assert drills.stock == 3 and not drills.units.filter(is_retired=True).exists()
    # A past booking of unit 3 does not stand in the way.
    Booking.objects.all().delete()
    book(drills, member, timezone.now() - timedelta(days=5), units=(3,), status=BookingStatus.RETURNED)
    assert actions.set_stock(coordinator, drills, 2).stock == 2


def test_a_space_keeps_one_unit(coordinator):
    kitchen = AssetFactory(community=coordinator.community)
    refused("single_unit", actions.set_stock, coordinator, kitchen, 2)


def test_the_stock_cannot_fall_below_what_a_kit_needs(coordinator):
    gazebos = ItemsFactory(community=coordinator.community, name="Gazebo", stock=2)
    actions.create_kit(coordinator, "Party kit", [(gazebos, 2)])

    refused("kit_needs_stock", actions.set_stock, coordinator, gazebos, 1)


# --- opening hours -----------------------------------------------------------------------------------------------


def test_opening_hours_are_replaced(coordinator):
    kitchen = AssetFactory(community=coordinator.community)

    actions.set_opening_hours(coordinator, kitchen, [(0, 17 * 60, 22 * 60), (5, 9 * 60, 12 * 60), (5, 13 * 60, 1440)])

    rows = list(OpeningWindow.objects.filter(asset=kitchen).values_list("weekday", "start_minute", "end_minute"))
    assert rows == [(0, 1020, 1320), (5, 540, 720), (5, 780, 1440)]


@pytest.mark.parametrize(
    ("windows", "code"),
    [
        ([(0, 9 * 60, 13 * 60), (0, 12 * 60, 17 * 60)], "opening_hours_overlap"),
        ([(2, 17 * 60, 9 * 60)], "opening_hours_ends_before_start"),
        ([(7, 9 * 60, 17 * 60)], "invalid_opening_hours"),
        ([(1, 22 * 60, 26 * 60)], "opening_hours_cross_midnight"),
    ],
)
def test_bad_opening_hours_are_refused_and_the_old_ones_stay(coordinator, windows, code):
    kitchen = AssetFactory(community=coordinator.community)

    refused(code, actions.set_opening_hours, coordinator, kitchen, windows)

    assert OpeningWindow.objects.filter(asset=kitchen).count() == 7  # every day 08:00-22:00, as before
    assert not AuditEntry.objects.exists()


# --- maintenance -------------------------------------------------------------------------------------------------


def test_maintenance_overlapping_bookings_needs_confirming(coordinator, member):
    kitchen = AssetFactory(community=coordinator.community)
    start = (timezone.now() + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    book(kitchen, member, start)
    book(kitchen, member, start + timedelta(hours=4))

    error = refused(
        "maintenance_overlaps_bookings", actions.add_maintenance, coordinator, kitchen, start,
        start + timedelta(hours=8), "New oven",
    )  # fmt: skip
    assert error.message.startswith("2 bookings overlap")
    assert not MaintenancePeriod.objects.exists()

    actions.add_maintenance(coordinator, kitchen, start, start + timedelta(hours=8), "New oven", force=True)
    entry = AuditEntry.objects.get(action="commons.maintenance_added")
    assert entry.details["forced"] is True and entry.details["overlapping_bookings"] == 2
    # The bookings it closes are cancelled, saying why, and their member is told; their units are free again.
    cancelled = Booking.objects.filter(asset=kitchen, status=BookingStatus.CANCELLED)
    assert cancelled.count() == 2
    assert all("closed for maintenance: New oven" in b.cancel_reason for b in cancelled)
    assert not BookingUnit.objects.filter(asset=kitchen, is_live=True).exists()
    assert Message.objects.filter(kind="commons.booking_cancelled").count() == 2


def test_forced_maintenance_leaves_things_already_out_with_their_borrower(coordinator, member):
    drills = ItemsFactory(community=coordinator.community)
    start = timezone.now() + timedelta(hours=1)
    out = book(drills, member, start, hours=48, units=(1,), status=BookingStatus.OUT)

    actions.add_maintenance(coordinator, drills, start, start + timedelta(hours=8), "Safety check", force=True)

    out.refresh_from_db()
    assert out.status == BookingStatus.OUT


@pytest.mark.parametrize(
    ("offsets", "reason", "code"),
    [
        ((5, 2), "Repair", "ends_before_start"),
        ((-5, -2), "Repair", "in_the_past"),
        ((1, 400 * 24), "Repair", "maintenance_too_long"),
        ((1, 2), "  ", "reason_required"),
    ],
)
def test_bad_maintenance_is_refused(coordinator, offsets, reason, code):
    kitchen = AssetFactory(community=coordinator.community)
    now = timezone.now()

    refused(
        code, actions.add_maintenance, coordinator, kitchen, now + timedelta(hours=offsets[0]),
        now + timedelta(hours=offsets[1]), reason,
    )  # fmt: skip
    assert not MaintenancePeriod.objects.exists()


def test_removing_maintenance(coordinator):
    kitchen = AssetFactory(community=coordinator.community)
    now = timezone.now()
    period = actions.add_maintenance(coordinator, kitchen, now + timedelta(days=1), now + timedelta(days=2), "Paint")

    actions.remove_maintenance(coordinator, period)

    assert not MaintenancePeriod.objects.exists()


# --- permits, kits, memberships ----------------------------------------------------------------------------------


def test_permits_are_granted_once_and_revoked(coordinator, member, outsider):
    minibus = AssetFactory(community=coordinator.community, kind="equipment", who_may_book="trained_members")

    permit = actions.grant_permit(coordinator, minibus, member)
    refused("already_permitted", actions.grant_permit, coordinator, minibus, member)
    refused("member_unknown", actions.grant_permit, coordinator, minibus, outsider)
    actions.revoke_permit(coordinator, permit)

    assert not AssetPermit.objects.exists()
    assert AuditEntry.objects.filter(action="commons.permit_granted", member=member).count() == 1


def test_a_kit_never_needs_more_than_the_stock(coordinator, member):
    gazebos = ItemsFactory(community=coordinator.community, name="Gazebo", stock=2)
    urn = ItemsFactory(community=coordinator.community, name="Urn", stock=1)

    refused("kit_quantity_over_stock", actions.create_kit, coordinator, "Party kit", [(gazebos, 3)])
    refused("kit_empty", actions.create_kit, coordinator, "Party kit", [])
    refused("kit_item_twice", actions.create_kit, coordinator, "Party kit", [(urn, 1), (urn, 1)])
    refused("not_allowed", actions.create_kit, member, "Party kit", [(urn, 1)])
    assert not Kit.objects.exists()

    kit = actions.create_kit(coordinator, "Party kit", [(gazebos, 2), (urn, 1)])
    actions.update_kit(coordinator, kit, "Party kit", [(gazebos, 1)], "Just a gazebo now")

    assert list(KitItem.objects.filter(kit=kit).values_list("asset__name", "quantity")) == [("Gazebo", 1)]


def test_membership_plans_have_one_default(coordinator, member):
    standard = actions.create_plan(coordinator, "Standard", 3, is_default=True)
    family = actions.create_plan(coordinator, "Family", 6, is_default=True)

    standard.refresh_from_db()
    assert not standard.is_default and family.is_default
    refused("plan_name_taken", actions.create_plan, coordinator, "Family", 2)
    refused("invalid_number", actions.create_plan, coordinator, "Odd", -1)
    refused("not_allowed", actions.create_plan, member, "Mine", 100)
    assert MembershipPlan.objects.count() == 2


def test_a_member_is_put_on_a_plan_and_taken_off(coordinator, member, outsider):
    family = actions.create_plan(coordinator, "Family", 6)

    actions.set_membership(coordinator, member, family)
    assert Membership.objects.get(member=member).plan == family
    refused("member_unknown", actions.set_membership, coordinator, outsider, family)
    refused(
        "in_the_past", actions.set_membership, coordinator, member, family, timezone.localdate() - timedelta(days=2)
    )

    actions.set_membership(coordinator, member, None)
    assert not Membership.objects.exists()
