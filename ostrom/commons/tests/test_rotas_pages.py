"""The rota pages through Django's test client, as a browser without JavaScript uses them: Mina starts a care
circle, adds Ann, a weekly shift and her own availability, makes the rota and sees who is on what, with each
person's hours against their fair share and a shift nobody can do said in words; Ann offers a shift and Mina takes
it; hours are logged. Who may open what, and bad input shown beside its field with nothing written."""

import html
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from ostrom.commons.actions import rotas as actions
from ostrom.commons.models import Shift, ShiftAssignment, ShiftPattern, SwapRequest, SwapStatus, Team, TeamMember
from ostrom.commons.tests.test_rotas_cast import FIRST_MONDAY, HOUR, circle, daily, frozen, hours, neighbours
from ostrom.communities.tests.test_pages import FormReader
from ostrom.ledger.models import Transfer

__all__ = ["circle", "frozen", "hours", "neighbours"]  # fixtures, imported for pytest to find


def as_(persona) -> Client:
    client = Client()
    if persona is not None:
        client.force_login(persona.user)
    return client


def url(name, *args) -> str:
    return reverse(name, args=["riverside", *args])


def submit(client: Client, address: str, values: dict, follow: bool = False):
    """Fill in the last form on the page and post it, as a browser without JavaScript would (checkboxes left
    unticked are not among the page's fields, so ticking them adds a name)."""
    page = client.get(address)
    assert page.status_code == 200, page.status_code
    reader = FormReader()
    reader.feed(page.content.decode())
    form = [f for f in reader.forms if f["method"].lower() == "post"][-1]
    return client.post(form["action"] or address, form["fields"] | values, follow=follow)


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def test_a_member_starts_a_care_circle_and_runs_it_without_javascript(frozen, member, neighbours, hours):
    mina = as_(member)
    done = submit(
        mina, url("commons-team-new"), {"name": "Care for Edith", "kind": "care_circle", "timebank": str(hours.pk)},
        follow=True,
    )  # fmt: skip
    team = Team.objects.get()
    assert (team.kind, team.timebank, team.slug) == ("care_circle", hours, "care-for-edith")
    assert "you are its organiser" in text_of(done)

    submit(mina, url("commons-team-members", team.slug), {"member": str(neighbours[0].pk), "max_hours": "10"})
    submit(
        mina, url("commons-team-patterns", team.slug),
        {"title": "Morning visit", "weekday": "0", "start": "09:00", "duration_minutes": "60", "people_needed": "1"},
    )  # fmt: skip
    submit(
        mina, url("commons-team-patterns", team.slug),
        {"title": "Night sit", "weekday": "2", "start": "02:00", "duration_minutes": "60", "people_needed": "1"},
    )  # fmt: skip
    submit(mina, url("commons-team-availability", team.slug), {"days": ["0", "1"], "start": "08:00", "end": "12:00"})
    ann_tm = TeamMember.objects.get(member=neighbours[0])
    actions.set_availability(neighbours[0], ann_tm, [(8 * HOUR, 12 * HOUR)])
    made = submit(
        mina, url("commons-team-generate", team.slug), {"first_monday": FIRST_MONDAY.isoformat(), "weeks": "2"},
        follow=True,
    )  # fmt: skip

    page = text_of(made)
    assert "The rota is made: 4 shifts. 2 places on shifts still need someone." in page
    assert "Week of Monday 9 March 2026" in page
    assert "Nobody in the team has said they can do this shift." in page
    assert "Within one shift of the fair share" in page
    assert (ann_tm.max_minutes_per_rota, Shift.objects.count()) == (10 * HOUR, 4)


def test_availability_is_shown_in_words_and_can_be_removed(circle, member):
    mina = as_(member)
    actions.set_availability(
        member, TeamMember.objects.get(member=member), [(0, 60), (DAY_TUESDAY + 9 * HOUR, DAY_TUESDAY + 17 * HOUR)]
    )
    page = text_of(mina.get(url("commons-team-availability", circle.slug)))
    assert "Tuesday 09:00 to 17:00" in page

    mina.post(url("commons-team-availability-remove", circle.slug, 1), follow=True)

    assert actions.windows_of(TeamMember.objects.get(member=member)) == [(0, 60)]


DAY_TUESDAY = 24 * HOUR


@pytest.mark.parametrize(
    ("page", "values", "message"),
    [
        (
            "commons-team-patterns",
            {"title": "Visit", "weekday": "0", "start": "09:00", "duration_minutes": "0", "people_needed": "1"},
            "A shift lasts at least 1 minute.",
        ),
        (
            "commons-team-patterns",
            {"title": "Visit", "weekday": "8", "start": "09:00", "duration_minutes": "60", "people_needed": "1"},
            "Select a valid choice",
        ),
        (
            "commons-team-availability",
            {"days": ["0"], "start": "12:00", "end": "09:00"},
            "must be after the time you start",
        ),
        ("commons-team-generate", {"first_monday": "2026-03-10", "weeks": "1"}, "A rota starts on a Monday."),
        ("commons-team-generate", {"first_monday": "2026-03-09", "weeks": "13"}, "at most 12 weeks"),
    ],
)
def test_bad_input_is_shown_beside_the_field_and_nothing_is_written(circle, member, page, values, message):
    daily(circle, member)
    before = (
        ShiftPattern.objects.count(),
        Shift.objects.count(),
        actions.windows_of(circle.memberships.get(member=member)),
    )

    response = submit(as_(member), url(page, circle.slug), values)

    assert response.status_code == 400
    assert "There is a problem" in text_of(response) and message in text_of(response)
    after = (
        ShiftPattern.objects.count(),
        Shift.objects.count(),
        actions.windows_of(circle.memberships.get(member=member)),
    )
    assert after == before


def test_someone_outside_the_community_cannot_be_added(circle, member, outsider):
    response = as_(member).post(url("commons-team-members", circle.slug), {"member": str(outsider.pk)})
    assert response.status_code == 400
    assert not TeamMember.objects.filter(member=outsider).exists()


def test_a_care_circle_is_private_to_its_people(circle, staff, coordinator, outsider):
    assert as_(staff).get(url("commons-team", circle.slug)).status_code == 404
    assert "Care for Edith" not in text_of(as_(staff).get(url("commons-teams")))
    assert as_(coordinator).get(url("commons-team", circle.slug)).status_code == 200
    assert as_(outsider).get(url("commons-team", circle.slug)).status_code == 403
    assert as_(None).get(url("commons-team", circle.slug)).status_code == 302


def test_only_organisers_open_the_organisers_pages(circle, neighbours):
    ann = as_(neighbours[0])
    for name in ("commons-team-members", "commons-team-patterns", "commons-team-generate", "commons-team-settings"):
        assert ann.get(url(name, circle.slug)).status_code == 404
    assert ann.get(url("commons-team-availability", circle.slug)).status_code == 200


def test_a_shift_is_offered_taken_and_its_hours_logged_through_the_pages(circle, member, neighbours, hours):
    daily(circle, member)
    actions.generate_rota(member, circle, FIRST_MONDAY, 1)
    ann = neighbours[0]
    hers = ShiftAssignment.objects.filter(member=ann).select_related("shift").order_by("shift__starts_at").first()
    taker = next(p for p in (member, *neighbours[1:]) if not hers.shift.assignments.filter(member=p).exists())

    submit(as_(ann), url("commons-shift-offer", hers.pk), {"note": "Dentist"})
    swap = SwapRequest.objects.get()
    team_page = text_of(as_(taker).get(url("commons-team", circle.slug)))
    assert "Dentist" in team_page and "Take this shift" in team_page
    as_(taker).post(url("commons-swap-take", swap.pk), {"accept_over_fair_share": "on"})

    swap.refresh_from_db()
    hers.refresh_from_db()
    assert (swap.status, hers.member) == (SwapStatus.DONE, taker)
    with time_machine.travel(hers.shift.ends_at + timedelta(hours=1), tick=False):
        page = text_of(as_(taker).get(url("commons-team", circle.slug)))
        assert "Your hours to log" in page
        logged = as_(taker).post(url("commons-shift-hours", hers.pk), follow=True)
        as_(taker).post(url("commons-shift-hours", hers.pk))
    assert "1h logged to Timebank hours." in text_of(logged)
    assert Transfer.objects.filter(reference=f"shift_assignment:{hers.pk}").count() == 1


def test_the_teams_page_lists_teams(circle, member):
    page = text_of(as_(member).get(url("commons-teams")))
    assert "Care for Edith" in page and "You are in it" in page


def test_ticking_the_shifts_i_can_do_sets_my_availability(circle, member, neighbours):
    ann = neighbours[0]
    tm = TeamMember.objects.get(member=ann)
    actions.set_availability(ann, tm, [])
    monday, tuesday = daily(circle, member)[:2]
    night = actions.add_pattern(member, circle, "Night sit", 6, 22 * HOUR, 8 * HOUR)  # Sunday night into Monday

    page = as_(ann).get(url("commons-team-availability", circle.slug))
    assert "Night sit: Sunday 22:00, 8h" in text_of(page)
    as_(ann).post(
        url("commons-team-availability", circle.slug), {"form": "patterns", "patterns": [str(monday.pk), str(night.pk)]}
    )

    assert actions.windows_of(tm) == sorted([actions.window_of(monday), actions.window_of(night)])
    assert "Sunday 22:00 to Monday 06:00" in text_of(as_(ann).get(url("commons-team-availability", circle.slug)))
    actions.generate_rota(member, circle, FIRST_MONDAY, 1)
    assert set(ShiftAssignment.objects.filter(member=ann).values_list("shift__pattern", flat=True)) <= {
        monday.pk,
        night.pk,
    }
    assert tuesday.pk not in set(ShiftAssignment.objects.filter(member=ann).values_list("shift__pattern", flat=True))


def test_an_organiser_chooses_the_timebank_in_the_settings(frozen, member, hours):
    team = actions.create_team(member, "Litter pickers")
    done = submit(as_(member), url("commons-team-settings", team.slug), {"timebank": str(hours.pk)}, follow=True)
    team.refresh_from_db()
    assert team.timebank == hours
    assert "hours are logged to Timebank hours" in text_of(done)


def test_my_offered_shift_says_so_on_the_team_page(circle, member, neighbours):
    daily(circle, member)
    actions.generate_rota(member, circle, FIRST_MONDAY, 1)
    ann = neighbours[0]
    hers = ShiftAssignment.objects.filter(member=ann).order_by("shift__starts_at").first()
    actions.offer_swap(ann, hers)
    assert "You have offered it" in text_of(as_(ann).get(url("commons-team", circle.slug)))
