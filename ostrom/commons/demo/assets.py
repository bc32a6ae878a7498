"""Demo: the commons' assets. In Northgate, the fire station's kitchen (owned by the fire service if Northgate has
one among its partners, otherwise the council), the community hall and the council's minibus (trained drivers
only); in Riverside, a library of things (three drills, a ladder, a pressure washer, two gazebos and an urn, with a
"party kit") and its lending memberships.

Everything is made through the actions, as a coordinator would, except the past: about six months of the kitchen's
(and, more thinly, the hall's) bookings, no-shows and turned-away requests are written directly as rows, so the
utilisation page shows a real picture of use rising. Deterministic from the seed; times are relative to now. Future
bookings are the bookings part's."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone

from ostrom.communities.domain import OrganisationKind, Role
from ostrom.communities.models import Community, Member, Organisation
from ostrom.ledger.models import Currency

from ..actions import assets as actions
from ..models import (
    Asset,
    AssetKind,
    AssetUnit,
    Booking,
    BookingStatus,
    BookingUnit,
    UnmetRequest,
)

HISTORY_DAYS = 182
WEEKDAY_EVENINGS = [(day, 17 * 60, 22 * 60) for day in range(5)]
WEEKENDS = [(day, 9 * 60, 21 * 60) for day in (5, 6)]
HALL_HOURS = [(day, 9 * 60, 22 * 60) for day in range(7)]
# Borrowed things stay out over days and nights, and a booking must fall wholly in opening hours, so the library's
# things are "open" all week; the instructions say when the volunteers are in to hand them over.
ALL_WEEK = [(day, 0, 24 * 60) for day in range(7)]
MINIBUS_HOURS = [(day, 7 * 60, 20 * 60) for day in range(7)]
# Sessions people book, as (start minute, end minute): weekday evenings, and weekend mornings and afternoons.
EVENING_SESSIONS = [(18 * 60, 21 * 60), (17 * 60, 19 * 60 + 30)]
WEEKEND_SESSIONS = [(10 * 60, 13 * 60), (14 * 60, 17 * 60 + 30)]


def load(seed: int) -> None:
    rng = random.Random(seed + 7)
    northgate = Community.objects.get(slug="northgate")
    riverside = Community.objects.get(slug="riverside-timebank")
    _northgate(northgate, rng)
    _riverside(riverside)


def _residents(community: Community) -> list[Member]:
    return list(Member.objects.filter(community=community, status="active", role=Role.MEMBER).order_by("pk"))


def _northgate(community: Community, rng: random.Random) -> None:
    dev = Member.objects.select_related("community", "user").get(community=community, user__email="dev@example.org")
    partners = Organisation.objects.filter(community=community, is_active=True)
    council = partners.filter(kind=OrganisationKind.COUNCIL).order_by("pk").first()
    fire_service = partners.filter(Q(name__icontains="fire")).order_by("pk").first()
    kitchen = actions.create_asset(
        dev,
        kind=AssetKind.SPACE,
        name="Fire station kitchen",
        slug="fire-station-kitchen",
        owner=fire_service or council,
        description="The crew's kitchen at Northgate fire station: two domestic ovens, a six-ring hob, a big "
        "table for twelve and everything to cook for a crowd. Free when the crew is out or off duty.",
        instructions="Sign in at the station's side door on Mill Lane; the watch manager has the key. Leave the "
        "fire exit clear, wipe down, and take your rubbish with you. No open flames left unattended.",
        location="Northgate Fire Station, Mill Lane",
        capacity_people=16,
        buffer_minutes=30,
        lead_time_minutes=24 * 60,
        max_duration_minutes=6 * 60,
        max_bookings_per_month=4,
    )
    actions.set_opening_hours(dev, kitchen, WEEKDAY_EVENINGS + WEEKENDS)
    hall = actions.create_asset(
        dev,
        kind=AssetKind.SPACE,
        name="Community hall",
        slug="community-hall",
        description="The hall behind St Anne's church: a stage, sixty chairs, folding tables and a servery.",
        instructions="Keys from the key safe (the code comes with your booking). Stack the chairs after.",
        location="Chapel Road, behind St Anne's",
        capacity_people=80,
        buffer_minutes=15,
        max_duration_minutes=8 * 60,
    )
    actions.set_opening_hours(dev, hall, HALL_HOURS)
    credits = Currency.objects.filter(community=community, code="credits").first()
    minibus = actions.create_asset(
        dev,
        kind=AssetKind.EQUIPMENT,
        name="Community minibus",
        slug="minibus",
        owner=council,
        description="A 16-seat minibus with a wheelchair lift, for outings and lifts to appointments.",
        instructions="Collect the keys from the council depot. Fill up before you bring it back; log the miles.",
        location="Council depot, Northgate Road",
        who_may_book="trained_members",
        lead_time_minutes=2 * 24 * 60,
        max_duration_minutes=12 * 60,
        currency=credits,
        deposit_units=20 if credits else 0,
    )
    actions.set_opening_hours(dev, minibus, MINIBUS_HOURS)
    bookers = _residents(community)
    for driver in bookers[:2]:
        actions.grant_permit(dev, minibus, driver)
    _history(kitchen, bookers, rng, start_share=0.25, end_share=0.8, unmet_per_week=(0, 4))
    _history(hall, bookers, rng, start_share=0.2, end_share=0.3, unmet_per_week=(0, 0))


def _riverside(community: Community) -> None:
    colin = Member.objects.select_related("community", "user").get(community=community, user__email="colin@example.org")
    hours = Currency.objects.filter(community=community, code="hours").first()
    things = {}
    for slug, name, stock, description in (
        ("cordless-drill", "Cordless drill", 3, "18 V drill-drivers with two batteries, a charger and a bit set."),
        ("ladder", "Ladder", 1, "A 3.5 m triple-section ladder; needs two people to carry."),
        ("pressure-washer", "Pressure washer", 1, "For patios, paths and bikes; 8 m hose."),
        ("gazebo", "Gazebo", 2, "3 × 3 m pop-up gazebos with side walls and weights."),
        ("tea-urn", "Tea urn", 1, "A 20-litre urn: tea for sixty."),
    ):
        late_fee = 30 if slug == "pressure-washer" and hours else 0
        things[slug] = actions.create_asset(
            colin,
            kind=AssetKind.ITEMS,
            name=name,
            slug=slug,
            stock=stock,
            description=description,
            instructions="Collect and return it at the library of things (Riverside Library, back room) on "
            "Tuesdays 10:00-13:00, Thursdays 16:00-19:00 or Saturdays 10:00-13:00. Clean it before you bring it back.",
            location="Riverside Library, back room",
            max_duration_minutes=7 * 24 * 60,
            currency=hours if late_fee else None,
            daily_overdue_fee_units=late_fee,
            block_when_overdue=True,
        )
        actions.set_opening_hours(colin, things[slug], ALL_WEEK)
    actions.create_kit(
        colin,
        "Party kit",
        [(things["gazebo"], 2), (things["tea-urn"], 1)],
        description="Two gazebos and the tea urn, for a street party or a fête.",
        slug="party-kit",
    )
    actions.create_plan(colin, "Standard", 3, is_default=True)
    family = actions.create_plan(colin, "Family", 6)
    residents = _residents(community)
    if residents:
        actions.set_membership(colin, residents[0], family)
    next_week = timezone.now() + timedelta(days=8)
    washer = things["pressure-washer"]
    actions.add_maintenance(
        colin, washer, next_week.replace(minute=0, second=0, microsecond=0),
        next_week.replace(minute=0, second=0, microsecond=0) + timedelta(days=2),
        "Annual service: new seals and a pump check",
    )  # fmt: skip


def _history(
    asset: Asset,
    bookers: list[Member],
    rng: random.Random,
    *,
    start_share: float,
    end_share: float,
    unmet_per_week: tuple[int, int],
) -> None:
    """Past bookings written as rows: on each open day a session is booked with a chance rising from
    ``start_share`` to ``end_share`` over the months; one in fifteen is a no-show; and near the end, busy weeks
    turn people away (UnmetRequest)."""
    if not bookers:
        return
    zone = ZoneInfo(asset.community.time_zone)
    unit = AssetUnit.objects.get(asset=asset, number=1)
    today = timezone.now().astimezone(zone).date()
    bookings: list[Booking] = []
    for back in range(HISTORY_DAYS, 0, -1):
        day = today - timedelta(days=back)
        progress = 1 - back / HISTORY_DAYS
        share = start_share + (end_share - start_share) * progress
        sessions = WEEKEND_SESSIONS if day.weekday() >= 5 else EVENING_SESSIONS[:1]
        for start_minute, end_minute in sessions:
            if rng.random() >= share:
                continue
            starts_at, ends_at = _at(day, start_minute, zone), _at(day, end_minute, zone)
            no_show = rng.random() < 1 / 15
            bookings.append(
                Booking(
                    community_id=asset.community_id,
                    member=rng.choice(bookers),
                    asset=asset,
                    units=1,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    status=BookingStatus.NO_SHOW if no_show else BookingStatus.RETURNED,
                    checked_out_at=None if no_show else starts_at,
                    checked_in_at=None if no_show else ends_at,
                    created_at=starts_at - timedelta(days=rng.randint(2, 20)),
                    updated_at=ends_at,
                )
            )
    created = Booking.objects.bulk_create(bookings)
    BookingUnit.objects.bulk_create(
        BookingUnit(
            community_id=asset.community_id,
            booking=booking,
            asset=asset,
            unit=unit,
            starts_at=booking.starts_at,
            blocked_until=booking.ends_at + timedelta(minutes=asset.buffer_minutes),
            is_live=False,
        )
        for booking in created
    )
    _unmet(asset, bookers, rng, today, zone, unmet_per_week)


def _unmet(
    asset: Asset,
    bookers: list[Member],
    rng: random.Random,
    today: date,
    zone: ZoneInfo,
    per_week: tuple[int, int],
) -> None:
    """Requests turned away because the time was taken: more of them as the months go on."""
    rows = []
    weeks = HISTORY_DAYS // 7
    for week in range(weeks):
        low, high = per_week
        count = round(low + (high - low) * week / max(weeks - 1, 1) * rng.random())
        for _ in range(count):
            day = today - timedelta(days=HISTORY_DAYS - week * 7 - rng.randint(0, 6))
            if day >= today:
                continue
            start_minute, end_minute = rng.choice(WEEKEND_SESSIONS if day.weekday() >= 5 else EVENING_SESSIONS)
            asked = _at(day, start_minute, zone) - timedelta(days=rng.randint(1, 10))
            rows.append(
                UnmetRequest(
                    community_id=asset.community_id,
                    asset=asset,
                    member=rng.choice(bookers),
                    starts_at=_at(day, start_minute, zone),
                    ends_at=_at(day, end_minute, zone),
                    code="overlaps_booking",
                    requested_at=asked,
                )
            )
    UnmetRequest.objects.bulk_create(rows)


def _at(day: date, minute: int, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=zone)
