"""Demo: bookings to come in the assets the assets part made. In Northgate, residents' sessions in the fire-station
kitchen over the next fortnight (one booked by a coordinator for someone who phoned) and a resident on its waiting
list for a taken evening; in Riverside, drills, a gazebo and the party kit booked from the library of things, and
one drill checked out last week and now overdue.

Bookings are made through the actions, so they obey every rule (lead time, opening hours, monthly limits, credits
for deposits); one that a rule refuses is simply left out. Only the overdue drill's past is written directly, as the
other demos do: the actions stamp "now", so its times are moved back afterwards. Deterministic from the seed."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from ostrom.communities.domain import DomainError, Role
from ostrom.communities.models import Community, Member

from ..actions import bookings as actions
from ..actions import lending, waiting_list
from ..models import Asset, Booking, BookingUnit, Kit

FORTNIGHT = 14


def load(seed: int) -> None:
    rng = random.Random(seed + 11)
    northgate = Community.objects.filter(slug="northgate").first()
    riverside = Community.objects.filter(slug="riverside-timebank").first()
    if northgate is not None:
        _northgate(northgate, rng)
    if riverside is not None:
        _riverside(riverside, rng)


def _residents(community: Community) -> list[Member]:
    return list(
        Member.objects.filter(community=community, status="active", role=Role.MEMBER)
        .select_related("community", "user")
        .order_by("pk")
    )


def _coordinator(community: Community) -> Member | None:
    return (
        Member.objects.filter(community=community, status="active", role__in=[Role.COORDINATOR, Role.ADMIN])
        .select_related("community", "user")
        .order_by("pk")
        .first()
    )


def _at(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def _try(call, *args, **kwargs) -> Booking | None:
    try:
        return call(*args, **kwargs)
    except DomainError:
        return None  # a rule said no (a limit, credits for the deposit): the demo leaves it out


def _northgate(community: Community, rng: random.Random) -> None:
    kitchen = Asset.objects.filter(community=community, slug="fire-station-kitchen").select_related("community").first()
    residents = _residents(community)
    if kitchen is None or len(residents) < 3:
        return
    zone = ZoneInfo(community.time_zone)
    today = timezone.now().astimezone(zone).date()
    people = rng.sample(residents, min(len(residents), 8))
    taken = None
    for offset, person in zip(range(2, 2 + FORTNIGHT, 2), people, strict=False):
        day = today + timedelta(days=offset)
        start = _at(day, 18, 0, zone) if day.weekday() < 5 else _at(day, 10, 0, zone)
        purpose = rng.choice(["Community supper", "Batch cooking for the food bank", "Cookery class", "Soup club"])
        booking = _try(actions.book, person, kitchen, start, start + timedelta(hours=3), purpose=purpose)
        taken = taken or booking
    coordinator = _coordinator(community)
    if coordinator is not None:
        day = today + timedelta(days=FORTNIGHT + 1)
        start = _at(day, 18, 0, zone) if day.weekday() < 5 else _at(day, 14, 0, zone)
        _try(
            actions.book, people[-1], kitchen, start, start + timedelta(hours=2), purpose="Birthday tea",
            booked_by=coordinator, reason="Phoned the community office",
        )  # fmt: skip
    if taken is not None:
        waiting = next(p for p in residents if p.pk != taken.member_id)
        _try(waiting_list.join, waiting, kitchen, taken.starts_at, taken.ends_at)


def _riverside(community: Community, rng: random.Random) -> None:
    residents = _residents(community)
    things = {a.slug: a for a in Asset.objects.filter(community=community).select_related("community")}
    coordinator = _coordinator(community)
    if len(residents) < 4 or "cordless-drill" not in things or coordinator is None:
        return
    zone = ZoneInfo(community.time_zone)
    today = timezone.now().astimezone(zone).date()
    people = rng.sample(residents, 4)
    drill = things["cordless-drill"]
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    _try(actions.book, people[0], drill, _at(saturday, 10, 0, zone), _at(saturday + timedelta(days=2), 13, 0, zone))
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7 or 7)
    _try(
        actions.book,
        people[1],
        drill,
        _at(tuesday, 10, 0, zone),
        _at(tuesday + timedelta(days=3), 19, 0, zone),
        units=2,
    )
    if "gazebo" in things:
        _try(actions.book, people[2], things["gazebo"], _at(saturday, 10, 0, zone), _at(saturday, 18, 0, zone))
    kit = Kit.objects.filter(community=community, slug="party-kit").first()
    if kit is not None:
        later = saturday + timedelta(days=7)
        _try(actions.book_kit, people[3], kit, _at(later, 10, 0, zone), _at(later, 20, 0, zone), purpose="Street party")
    _overdue_drill(people[3], drill, coordinator)


def _overdue_drill(member: Member, drill: Asset, coordinator: Member) -> None:
    """A drill taken out a week ago for three days and not back yet: booked and checked out now through the actions,
    then its times moved into the past (the actions stamp now)."""
    now = timezone.now()
    booking = _try(actions.book, member, drill, now + timedelta(minutes=5), now + timedelta(hours=1))
    if booking is None:
        return
    booking = lending.check_out(coordinator, booking)
    start, end = now - timedelta(days=7), now - timedelta(days=4)
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=start, ends_at=end, checked_out_at=start, created_at=start, updated_at=start
    )
    BookingUnit.objects.filter(booking=booking).update(starts_at=start, blocked_until=end)
