"""The rotas' part of the Millbrook demo: Edith's care circle in Riverside with a four-week rota made by the
fair-load scheduler, one swap offered and one Saturday walk nobody could take; and the repair café's team. Loaded
after the town, the ledger and the marketplace (the other commons parts are left out: this part needs none)."""

import pytest
from django.db.models import Count, F

from ostrom.commons.actions import rotas as actions
from ostrom.commons.demo import rotas as demo_rotas
from ostrom.commons.models import Shift, SwapRequest, SwapStatus, Team, TeamKind
from ostrom.communities import demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def millbrook(monkeypatch):
    monkeypatch.setattr(demo, "PARTS", [part for part in demo.PARTS if part.name != "commons"])
    demo.load(demo.DEFAULT_SEED)
    demo_rotas.load(demo.DEFAULT_SEED)


def test_edith_s_care_circle_has_a_fair_four_week_rota_a_swap_and_a_gap(millbrook):
    circle = Team.objects.get(kind=TeamKind.CARE_CIRCLE)
    assert circle.memberships.count() == 5 and circle.timebank is not None
    assert circle.shifts.count() == 4 * 15  # two visits a day and a Saturday walk, for four weeks
    short = circle.shifts.annotate(people=Count("assignments")).filter(people__lt=F("people_needed"))
    assert [(s.title, s.unfilled_reason) for s in short] == [("Saturday walk", "everyone_at_maximum")]
    assert SwapRequest.objects.filter(assignment__shift__team=circle, status=SwapStatus.OPEN).count() == 1
    loads = actions.team_rota(
        circle,
        Shift.objects.order_by("starts_at").first().starts_at,
        Shift.objects.order_by("-starts_at").first().ends_at,
    )
    assert loads.rota.loads_minutes and all(row.minutes > 0 for row in loads.load_rows())


def test_the_repair_cafe_team_is_self_managed_and_full(millbrook):
    team = Team.objects.get(kind=TeamKind.TEAM)
    assert team.name == "Repair café rota" and team.memberships.filter(is_organiser=True).count() == 1
    assert team.shifts.count() == 4
    assert all(shift.assignments.count() == 2 for shift in team.shifts.all())
