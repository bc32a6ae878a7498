"""Demo: contested allocation. In Riverside, the allotment society's draw for twelve plots: about twenty-five
members asked, a coordinator weighted some needs by tier with recorded reasons, and the lottery by need has run,
with its certificate, so anyone can open the result and check it. In Northgate, an open request window for the
fire-station kitchen's Saturday sessions, shared by fair assignment, with members' rankings coming in.

Made through the actions, as a coordinator would; only the past is written directly (the draw's window is moved
back so that it closed last week, as the assets part writes the kitchen's history). Deterministic from the seed:
the draw uses a seed derived from it rather than one drawn at run time."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from ostrom.communities.domain import Role
from ostrom.communities.models import Community, Member

from ..actions import allocation as actions
from ..actions.allocation import SlotSpec, WindowFields
from ..models import AllocationMethod, Asset, RequestWindow

PLOTS = 12
DRAW_REQUESTS = 25
# (tiers, the coordinator's reason): a few residents' needs, as a coordinator would record them.
NEEDS = (
    (["disability"], "Uses a wheelchair: a raised bed near the gate makes gardening possible at all."),
    (["no_car"], "No car, and the next nearest allotments are two bus rides away."),
    (["carer"], "Cares for her husband full time; the plot is her few hours out."),
    (["no_car", "carer"], "No car, and looks after two grandchildren after school."),
    (["disability"], "Recovering from a stroke; the physiotherapist recommends outdoor work."),
)
KITCHEN_SATURDAYS = 4
KITCHEN_SESSIONS = ((10 * 60, 13 * 60, "morning"), (14 * 60, 17 * 60 + 30, "afternoon"))
KITCHEN_REQUESTS = 8


def load(seed: int) -> None:
    rng = random.Random(seed + 41)
    riverside = Community.objects.get(slug="riverside-timebank")
    northgate = Community.objects.get(slug="northgate")
    _allotment_draw(riverside, rng)
    _kitchen_saturdays(northgate, rng)


def _coordinator(community: Community) -> Member:
    return (
        Member.objects.select_related("community", "user")
        .filter(community=community, status="active", role__in=[Role.COORDINATOR, Role.ADMIN])
        .order_by("pk")
        .first()
    )


def _residents(community: Community, count: int) -> list[Member]:
    members = Member.objects.select_related("community", "user").filter(community=community, status="active")
    return list(members.order_by("pk")[:count])


def _allotment_draw(community: Community, rng: random.Random) -> RequestWindow:
    coordinator = _coordinator(community)
    fields = WindowFields(
        title="Allotment plots 2027",
        description=(
            "Twelve plots at the Mill Lane allotments come free this year, and far more people want one. Ask here; "
            "the plots are drawn by lot, weighted by need, and the certificate lets anyone check the draw."
        ),
        method=AllocationMethod.LOTTERY,
        closes_at=timezone.now() + timedelta(days=1),
        slots=[SlotSpec(f"Plot {number}") for number in range(1, PLOTS + 1)],
    )
    window = actions.open_window(coordinator, fields)
    applicants = _residents(community, DRAW_REQUESTS)
    requests = [actions.request_slots(person, window) for person in applicants]
    for request, (tiers, reason) in zip(rng.sample(requests, min(len(NEEDS), len(requests))), NEEDS, strict=False):
        actions.set_need(coordinator, request, reason, tiers=tiers)
    # The past: the window opened a month ago and closed a week ago.
    now = timezone.now()
    RequestWindow.objects.filter(pk=window.pk).update(
        opens_at=now - timedelta(days=35), closes_at=now - timedelta(days=7)
    )
    window.refresh_from_db()
    return actions.allocate(window, coordinator, demo_seed=rng.randrange(2**63))


def _kitchen_saturdays(community: Community, rng: random.Random) -> RequestWindow:
    coordinator = _coordinator(community)
    kitchen = Asset.objects.filter(community=community, slug="fire-station-kitchen").first()
    zone = ZoneInfo(community.time_zone)
    today = timezone.localdate(timezone.now(), zone)
    first_saturday = today + timedelta(days=(5 - today.weekday()) % 7 + 7)
    slots = []
    for week in range(KITCHEN_SATURDAYS):
        day = first_saturday + timedelta(weeks=week)
        for start, end, part in KITCHEN_SESSIONS:
            slots.append(
                SlotSpec(
                    f"Saturday {day.day} {day:%B}, {part}",
                    datetime.combine(day, time(start // 60, start % 60), tzinfo=zone),
                    datetime.combine(day, time(end // 60, end % 60), tzinfo=zone),
                )
            )
    fields = WindowFields(
        title="Fire station kitchen: Saturday sessions",
        description=(
            "The crew is off on Saturdays, so the kitchen is free for community cooking. Rank the sessions you "
            "would like; they are shared fairly when requests close, and each becomes a booking."
        ),
        method=AllocationMethod.FAIR_ASSIGNMENT,
        closes_at=timezone.now() + timedelta(days=5),
        slots=slots,
        asset=kitchen,
    )
    window = actions.open_window(coordinator, fields)
    slot_ids = list(window.slots.order_by("position").values_list("pk", flat=True))
    for person in _residents(community, KITCHEN_REQUESTS):
        ranking = rng.sample(slot_ids, rng.randint(2, 5))
        actions.request_slots(person, window, slots_wanted=rng.choice((1, 1, 2)), ranking=ranking)
    return window
