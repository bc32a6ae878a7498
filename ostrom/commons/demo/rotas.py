"""Demo: rotas. In Riverside, a care circle of family and neighbours visits Edith, an older resident of Mill Lane,
every morning and evening, with a four-week rota made by the fair-load scheduler; one of them has offered a shift
to swap, and one Saturday walk is left with nobody (the only walker has reached the hours she asked for). Beside
it, a small self-managed team runs the repair café's Saturday rota. Built through the real actions, so the demo
obeys the same rules as the product; dates are relative to the moment of loading."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from ostrom.communities.models import Community, Member
from ostrom.ledger.models import Currency, CurrencyKind

from ..actions import rotas as actions
from ..models import ShiftAssignment, TeamKind

HOUR = 60
DAY = 24 * HOUR


def load(seed: int) -> None:
    """A care circle with a generated rota, an open swap and an unfilled shift; and the repair café's team."""
    riverside = Community.objects.filter(slug="riverside-timebank").first()
    if riverside is None:
        return
    rng = random.Random(seed)
    people = list(Member.objects.filter(community=riverside, status="active").order_by("pk"))
    if len(people) < 9:
        return
    chosen = rng.sample(people, 9)
    hours = Currency.objects.filter(community=riverside, kind=CurrencyKind.TIME, is_active=True).order_by("pk").first()
    today = timezone.localdate(timezone.now(), timezone.get_default_timezone())
    next_monday = today + timedelta(days=7 - today.weekday())
    _care_circle(chosen[:5], hours, next_monday)
    _repair_cafe(chosen[5:], hours, next_monday)


def _care_circle(people: list[Member], hours: Currency | None, first_monday) -> None:
    organiser, *others = people
    team = actions.create_team(
        organiser,
        "Care circle for Edith",
        TeamKind.CARE_CIRCLE,
        "Family and neighbours visiting Edith on Mill Lane: a morning visit to help her up and make breakfast, an "
        "evening visit for supper and her tablets, and a Saturday afternoon walk when the weather allows.",
        hours,
    )
    for index, person in enumerate(others):
        # The walker asked for at most 7 hours a rota: three Saturday walks' worth and a few visits, not four walks.
        cap = 7 * HOUR if index == 3 else None
        actions.add_member(organiser, team, person, max_minutes=cap)
    actions.add_pattern(organiser, team, "Morning visit", 0, 8 * HOUR, HOUR, 1)
    for weekday in range(1, 7):
        actions.add_pattern(organiser, team, "Morning visit", weekday, 8 * HOUR, HOUR, 1)
    for weekday in range(7):
        actions.add_pattern(organiser, team, "Evening visit", weekday, 18 * HOUR, 45, 1)
    walk = actions.add_pattern(organiser, team, "Saturday walk", 5, 14 * HOUR, 2 * HOUR, 1)
    memberships = {tm.member_id: tm for tm in team.memberships.all()}
    mornings = (0, 7 * HOUR + 30, 9 * HOUR + 30)
    evenings = (17 * HOUR + 30, 19 * HOUR + 30)
    for position, person in enumerate(people):
        if position == 4:  # the walker: Saturday afternoons and weekday evenings only
            windows = [actions.window_of(walk)] + [(d * DAY + evenings[0], d * DAY + evenings[1]) for d in range(5)]
        else:
            days = [d for d in range(7) if (d + position) % 5 != 0]  # everyone has two days a week off
            windows = [(d * DAY + mornings[1], d * DAY + mornings[2]) for d in days]
            windows += [(d * DAY + evenings[0], d * DAY + evenings[1]) for d in days]
        actions.set_availability(person, memberships[person.pk], windows)
    actions.generate_rota(organiser, team, first_monday, 4)
    # One of the circle offers a morning in the second week: a hospital appointment.
    offered = (
        ShiftAssignment.objects.filter(shift__team=team, member=others[0], shift__title="Morning visit")
        .order_by("shift__starts_at")
        .select_related("shift")[3:4]
    )
    for assignment in offered:
        actions.offer_swap(others[0], assignment, "I have a hospital appointment that morning. Can anyone swap?")


def _repair_cafe(people: list[Member], hours: Currency | None, first_monday) -> None:
    organiser, *others = people
    team = actions.create_team(
        organiser,
        "Repair café rota",
        TeamKind.TEAM,
        "Fixers and welcomers for the repair café at Riverside Library, every Saturday morning.",
        hours,
    )
    for person in others:
        actions.add_member(organiser, team, person)
    actions.add_pattern(organiser, team, "Repair café fixers", 5, 10 * HOUR, 3 * HOUR, 2)
    for tm in team.memberships.all():
        actions.set_availability(tm.member, tm, [(5 * DAY + 9 * HOUR, 5 * DAY + 14 * HOUR)])
    actions.generate_rota(organiser, team, first_monday, 4)
