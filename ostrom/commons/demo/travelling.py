"""Demo: a travelling service. In Northgate, the county's mobile library shares 36 visits over the next twelve
weeks between five villages, by weighted need (Sainte-Laguë, at least two visits each): residents have registered
their needs, a coordinator registered one for a resident who only uses the phone, and the timetable is published
and sent to them. Made through the actions; deterministic from the seed."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from ostrom.communities.domain import Role
from ostrom.communities.models import Community, Member

from ..actions import travelling as actions
from ..actions.travelling import ServiceFields
from ..models import VisitMethod

VILLAGES = (
    ("Ashby Parva", "the green, by the war memorial"),
    ("Brill End", "the Red Lion car park"),
    ("Crane Hollow", "outside the chapel"),
    ("Dunmere", "the school gates (after 3.30 the village hall)"),
    ("Elmstead", "the bus shelter on Church Lane"),
)
# The share of residents registering in each village: the big village has most needs, the far one the least.
VILLAGE_WEIGHTS = (5, 3, 2, 2, 1)
TIER_WEIGHTS = {"standard": 5, "no_car": 3, "housebound": 2}
REGISTRANTS = 18


def load(seed: int) -> None:
    rng = random.Random(seed + 53)
    northgate = Community.objects.get(slug="northgate")
    coordinator = (
        Member.objects.select_related("community", "user")
        .filter(community=northgate, status="active", role__in=[Role.COORDINATOR, Role.ADMIN])
        .order_by("pk")
        .first()
    )
    today = timezone.localdate()
    monday = today + timedelta(days=7 - today.weekday())
    fields = ServiceFields(
        name="Mobile library",
        description=(
            "The county's mobile library: books, large print and audiobooks, a printer and a librarian who can help "
            "with forms. It has 36 stops to make this quarter, shared between the villages by need."
        ),
        visits=36,
        method=VisitMethod.SAINTE_LAGUE,
        minimum_per_place=2,
        period_starts_on=monday,
        period_ends_on=monday + timedelta(weeks=12, days=-3),
        visit_start_minute=10 * 60,
        visit_minutes=90,
    )
    service = actions.create_service(coordinator, fields, VILLAGES)
    places = list(service.places.order_by("pk"))
    residents = list(
        Member.objects.select_related("community", "user")
        .filter(community=northgate, status="active")
        .exclude(pk=coordinator.pk)
        .order_by("pk")[:REGISTRANTS]
    )
    phone_only = [person for person in residents if not person.user.email]
    for person in residents:
        place = rng.choices(places, weights=VILLAGE_WEIGHTS)[0]
        tier = rng.choices(list(TIER_WEIGHTS), weights=list(TIER_WEIGHTS.values()))[0]
        if person in phone_only:
            actions.register_need(coordinator, place, tier, "Rang the community office", member=person)
        else:
            actions.register_need(person, place, tier)
    actions.publish(coordinator, service)
