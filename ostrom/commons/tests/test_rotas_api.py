"""Rotas through the JSON API: Mina starts a care circle, adds Ann, a weekly shift and availability, makes the rota
and lists the shifts; Ann offers a shift, someone takes it, hours are logged once. Every refusal answers
{code, message, fields} and writes nothing; another community's teams are 404s."""

from datetime import timedelta

import pytest
import time_machine

from ostrom.commons.actions import rotas as actions
from ostrom.commons.models import Shift, ShiftAssignment, ShiftPattern, Team, TeamAvailability
from ostrom.commons.tests.test_rotas_cast import FIRST_MONDAY, HOUR, circle, daily, frozen, hours, neighbours
from ostrom.communities.tests.test_api import assert_error, call
from ostrom.ledger.models import Transfer

__all__ = ["circle", "frozen", "hours", "neighbours"]  # fixtures, imported for pytest to find


def test_a_member_sets_up_a_team_and_makes_its_rota(client, frozen, member, neighbours, hours):
    created = call(
        client, "post", "/commons/teams", member, {"name": "Care for Edith", "kind": "care_circle", "timebank": "hours"}
    )
    assert created.status_code == 201, created.content
    slug = created.json()["slug"]
    added = call(
        client, "post", f"/commons/teams/{slug}/members", member, {"member": neighbours[0].pk, "max_minutes": 600}
    )
    assert added.status_code == 201, added.content
    pattern = call(
        client, "post", f"/commons/teams/{slug}/patterns", member,
        {"title": "Morning visit", "weekday": 0, "start_minute": 540, "duration_minutes": 60, "people_needed": 2},
    )  # fmt: skip
    assert pattern.status_code == 201, pattern.content
    for person in (member, neighbours[0]):
        put = call(client, "put", f"/commons/teams/{slug}/availability", person,
                   {"windows": [{"start_minute_of_week": 480, "duration_minutes": 240}]})  # fmt: skip
        assert put.status_code == 200, put.content

    made = call(
        client, "post", f"/commons/teams/{slug}/rota", member, {"week_of": FIRST_MONDAY.isoformat(), "weeks": 3}
    )

    assert made.status_code == 201, made.content
    assert made.json() == {"shifts": 3, "unfilled_places": 0, "kept": 0}
    shifts = call(client, "get", f"/commons/teams/{slug}/shifts", neighbours[0]).json()
    assert shifts["count"] == 3
    assert {p["name"] for p in shifts["items"][0]["people"]} == {"Mina", "Ann"}
    team = call(client, "get", f"/commons/teams/{slug}", neighbours[0]).json()
    assert {row["minutes"] for row in team["loads"]} == {180}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"title": "Visit", "weekday": 8, "start_minute": 540, "duration_minutes": 60}, 422),
        ({"title": "Visit", "weekday": 0, "start_minute": 540, "duration_minutes": 0}, 422),
        ({"title": "Visit", "weekday": 0, "start_minute": 1440, "duration_minutes": 60}, 422),
        ({"title": " ", "weekday": 0, "start_minute": 540, "duration_minutes": 60}, 422),
    ],
)
def test_a_bad_shift_is_refused(client, circle, member, body, status):
    assert_error(call(client, "post", f"/commons/teams/{circle.slug}/patterns", member, body), status)
    assert not ShiftPattern.objects.exists()


def test_availability_of_no_time_at_all_is_refused(client, circle, neighbours):
    before = TeamAvailability.objects.count()
    body = {"windows": [{"start_minute_of_week": 600, "duration_minutes": 0}]}
    assert_error(call(client, "put", f"/commons/teams/{circle.slug}/availability", neighbours[0], body), 422)
    assert TeamAvailability.objects.count() == before


def test_a_rota_starts_on_the_monday_of_the_week_given_and_not_in_the_past(client, circle, member):
    daily(circle, member)
    past = call(client, "post", f"/commons/teams/{circle.slug}/rota", member, {"week_of": "2026-02-04", "weeks": 1})
    assert_error(past, 409, "rota_in_past")
    far = call(client, "post", f"/commons/teams/{circle.slug}/rota", member, {"week_of": "9999-12-31", "weeks": 12})
    assert_error(far, 409, "rota_too_far")
    assert not Shift.objects.exists()

    made = call(client, "post", f"/commons/teams/{circle.slug}/rota", member, {"week_of": "2026-03-11", "weeks": 1})

    assert made.status_code == 201, made.content
    first = Shift.objects.order_by("starts_at").first()
    assert first.starts_at.date().isoformat() == "2026-03-09"


def test_only_organisers_add_people_and_outsiders_are_unknown(client, circle, member, neighbours, outsider, staff):
    refused = call(client, "post", f"/commons/teams/{circle.slug}/members", neighbours[0], {"member": staff.pk})
    assert_error(refused, 403, "not_allowed")
    unknown = call(client, "post", f"/commons/teams/{circle.slug}/members", member, {"member": outsider.pk})
    assert_error(unknown, 404, "member_unknown")
    assert_error(call(client, "get", f"/commons/teams/{circle.slug}", outsider), 404)
    assert_error(call(client, "get", f"/commons/teams/{circle.slug}", staff), 404)  # a care circle is private
    assert Team.objects.get().memberships.count() == 4


def test_a_shift_is_swapped_and_its_hours_logged_once(client, circle, member, neighbours, hours):
    daily(circle, member)
    actions.generate_rota(member, circle, FIRST_MONDAY, 1)
    ann = neighbours[0]
    hers = ShiftAssignment.objects.filter(member=ann).select_related("shift").order_by("shift__starts_at").first()
    taker = next(p for p in (member, *neighbours[1:]) if not hers.shift.assignments.filter(member=p).exists())

    offered = call(client, "post", f"/commons/rota/assignments/{hers.pk}/swap", ann, {"note": "Dentist"})
    assert offered.status_code == 201, offered.content
    swap_id = offered.json()["id"]
    assert_error(call(client, "post", f"/commons/rota/swaps/{swap_id}/take", ann, {}), 409, "own_offer")
    taken = call(client, "post", f"/commons/rota/swaps/{swap_id}/take", taker, {"accept_over_fair_share": True})
    assert taken.status_code == 200, taken.content
    assert (taken.json()["status"], taken.json()["taken_by"]) == ("done", taker.pk)

    early = call(client, "post", f"/commons/rota/assignments/{hers.pk}/hours", taker)
    assert_error(early, 409, "shift_not_over")
    with time_machine.travel(hers.shift.ends_at + timedelta(hours=1), tick=False):
        first = call(client, "post", f"/commons/rota/assignments/{hers.pk}/hours", taker).json()
        again = call(client, "post", f"/commons/rota/assignments/{hers.pk}/hours", taker).json()
    assert (first["minutes"], first["replayed"], again["replayed"]) == (HOUR, False, True)
    assert first["transfer"] == again["transfer"]
    assert Transfer.objects.filter(reference=f"shift_assignment:{hers.pk}").count() == 1


def test_the_list_shows_self_managed_teams_and_my_care_circles(client, circle, member, staff):
    actions.create_team(staff, "Repair café rota")
    mine = call(client, "get", "/commons/teams", member).json()
    theirs = call(client, "get", "/commons/teams", staff).json()
    assert {t["name"] for t in mine["items"]} == {"Care for Edith", "Repair café rota"}
    assert {t["name"] for t in theirs["items"]} == {"Repair café rota"}
