"""Rotas through the actions: Mina's care circle for Edith gets a fair rota, keeps what has happened when it is
made again, converts local times to UTC across the clocks changing, swaps shifts by the rules, tells the team once
about a shift nobody could take, reminds people the day before, and logs hours to the timebank exactly once."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db.models import Count

from ostrom.commons.actions import rotas as actions
from ostrom.commons.domain import rota as domain
from ostrom.commons.models import (
    Shift,
    ShiftAssignment,
    ShiftPattern,
    SwapRequest,
    SwapStatus,
    Team,
    TeamAvailability,
    TeamKind,
    TeamMember,
)
from ostrom.commons.tests.test_rotas_cast import (
    ANY_TIME,
    DAY,
    FIRST_MONDAY,
    HOUR,
    NOW,
    balance,
    circle,
    daily,
    frozen,
    hours,
    minutes_of,
    neighbours,
)
from ostrom.communities.domain import DomainError
from ostrom.ledger.models import Transfer
from ostrom.notify.models import Message

__all__ = ["circle", "frozen", "hours", "neighbours"]  # fixtures, imported for pytest to find


def everything() -> dict:
    """Every row a refused step could have written, to show it wrote none."""
    models = (Team, TeamMember, ShiftPattern, TeamAvailability, Shift, ShiftAssignment, SwapRequest, Transfer)
    return {model.__name__: model.objects.count() for model in models}


# --- the rota ------------------------------------------------------------------------------------------------------


def test_everyone_gets_their_fair_share_within_one_shift(circle, member):
    daily(circle, member)  # 7 mornings of an hour
    daily(circle, member, "Evening visit", 18 * HOUR, 45, people=2)  # 7 evenings, two people each

    made = actions.generate_rota(member, circle, FIRST_MONDAY, 4)

    assert (len(made.shifts), made.unfilled_seats) == (56, 0)
    loads = minutes_of(circle)
    total = sum(loads.values())
    assert total == 4 * 7 * (60 + 2 * 45)
    fair = total / 4
    assert all(abs(minutes - fair) <= 60 for minutes in loads.values()), loads
    assert made.rota.within_fair_bound
    # Two people on each evening visit, never the same person twice.
    evenings = Shift.objects.filter(title="Evening visit").annotate(people=Count("assignments"))
    assert {shift.people for shift in evenings} == {2}


def test_people_are_only_put_on_shifts_they_can_do_and_within_their_maximum(circle, member, neighbours):
    ann, bob, _ = neighbours
    daily(circle, member)
    mornings_only_tuesday = [(1 * DAY + 8 * HOUR, 1 * DAY + 12 * HOUR)]
    actions.set_availability(ann, TeamMember.objects.get(member=ann), mornings_only_tuesday)
    actions.update_member(member, TeamMember.objects.get(member=bob), is_organiser=False, max_minutes=2 * HOUR)

    actions.generate_rota(member, circle, FIRST_MONDAY, 4)

    anns = ShiftAssignment.objects.filter(member=ann).select_related("shift")
    assert anns and all(a.shift.starts_at.astimezone(actions.ZoneInfo("Europe/London")).weekday() == 1 for a in anns)
    assert minutes_of(circle)[bob.pk] <= 2 * HOUR


def test_making_the_rota_again_keeps_shifts_that_have_started(circle, member, neighbours):
    daily(circle, member)
    actions.generate_rota(member, circle, FIRST_MONDAY, 2)
    wednesday_noon = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)
    started = {
        s.pk: list(s.assignments.values_list("member_id", flat=True))
        for s in Shift.objects.filter(starts_at__lt=wednesday_noon)
    }
    assert len(started) == 3  # Monday, Tuesday, Wednesday mornings

    with time_machine.travel(wednesday_noon, tick=False):
        made = actions.generate_rota(member, circle, FIRST_MONDAY, 2)

    assert made.kept == 3 and len(made.shifts) == 11
    for pk, people in started.items():
        assert list(Shift.objects.get(pk=pk).assignments.values_list("member_id", flat=True)) == people
    assert Shift.objects.count() == 14  # no day twice
    assert Shift.objects.values("starts_at").distinct().count() == 14


def test_a_rota_in_the_week_the_clocks_go_forward_keeps_local_times(circle, member):
    daily(circle, member)  # 09:00 every day
    night = actions.add_pattern(member, circle, "Night sit", 5, 22 * HOUR, 8 * HOUR, 1)  # Saturday 22:00 to 06:00

    actions.generate_rota(member, circle, date(2026, 3, 23), 1)  # British Summer Time starts Sunday 29 March

    mornings = Shift.objects.filter(title="Morning visit").order_by("starts_at")
    saturday, sunday = mornings[5], mornings[6]
    assert saturday.starts_at == datetime(2026, 3, 28, 9, 0, tzinfo=UTC)  # GMT
    assert sunday.starts_at == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)  # 09:00 BST
    sit = Shift.objects.get(pattern=night)
    assert (sit.starts_at, sit.ends_at) == (
        datetime(2026, 3, 28, 22, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 5, 0, tzinfo=UTC),  # 06:00 BST: the night is an hour shorter
    )
    assert actions.shift_minutes(sit) == 7 * HOUR


def test_a_time_the_clocks_skip_moves_an_hour_later():
    london = actions.ZoneInfo("Europe/London")
    starts, ends = actions.shift_times(date(2026, 3, 23), 6 * DAY + 60 + 30, 30, london)  # Sunday 01:30 to 02:00

    assert starts == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 02:30 BST
    assert ends > starts


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"duration_minutes": 0}, "shift_duration_invalid"),
        ({"duration_minutes": 24 * HOUR + 1}, "shift_duration_invalid"),
        ({"weekday": 8}, "weekday_invalid"),
        ({"weekday": -1}, "weekday_invalid"),
        ({"start_minute": 24 * HOUR}, "start_invalid"),
        ({"people_needed": 0}, "people_needed_invalid"),
        ({"title": "   "}, "text_required"),
    ],
)
def test_a_bad_shift_is_refused_and_nothing_is_written(circle, member, change, code):
    before = everything()
    fields = {"title": "Visit", "weekday": 0, "start_minute": 9 * HOUR, "duration_minutes": 60, "people_needed": 1}

    with pytest.raises(DomainError) as refused:
        actions.add_pattern(member, circle, **(fields | change))

    assert refused.value.code == code
    assert everything() == before


@pytest.mark.parametrize(
    "windows",
    [[(10 * HOUR, 9 * HOUR)], [(9 * HOUR, 9 * HOUR)], [(-5, 60)], [(7 * DAY, 7 * DAY + 60)], [(0, 8 * DAY)]],
)
def test_availability_ending_before_it_starts_is_refused_and_the_old_one_kept(circle, neighbours, windows):
    ann = neighbours[0]
    tm = TeamMember.objects.get(member=ann)
    before = everything()

    with pytest.raises(DomainError) as refused:
        actions.set_availability(ann, tm, windows)

    assert refused.value.code == "window_invalid"
    assert everything() == before
    assert actions.windows_of(tm) == ANY_TIME


def test_someone_from_another_community_cannot_be_added(circle, member, outsider):
    before = everything()
    with pytest.raises(DomainError) as refused:
        actions.add_member(member, circle, outsider)
    assert refused.value.code == "member_unknown"
    assert everything() == before


def test_only_organisers_run_the_team(circle, neighbours):
    ann = neighbours[0]
    before = everything()
    for attempt in (
        lambda: actions.add_pattern(ann, circle, "Visit", 0, 600, 60),
        lambda: actions.generate_rota(ann, circle, FIRST_MONDAY, 1),
        lambda: actions.add_member(ann, circle, neighbours[1]),
    ):
        with pytest.raises(DomainError) as refused:
            attempt()
        assert refused.value.code == "not_allowed"
    assert everything() == before


@pytest.mark.parametrize(
    ("first_monday", "weeks", "code"),
    [
        (date(2026, 3, 10), 1, "not_a_monday"),
        (FIRST_MONDAY, 0, "weeks_invalid"),
        (FIRST_MONDAY, 13, "weeks_invalid"),
        (date(2026, 2, 23), 1, "rota_in_past"),
        (date(2026, 6, 1), 1, "rota_too_far"),
    ],
)
def test_a_bad_rota_request_is_refused(circle, member, first_monday, weeks, code):
    daily(circle, member)
    before = everything()
    with pytest.raises(DomainError) as refused:
        actions.generate_rota(member, circle, first_monday, weeks)
    assert refused.value.code == code
    assert everything() == before


def test_a_team_with_no_shifts_cannot_make_a_rota(circle, member):
    with pytest.raises(DomainError) as refused:
        actions.generate_rota(member, circle, FIRST_MONDAY, 1)
    assert refused.value.code == "no_shifts"


def test_the_last_organiser_cannot_leave(circle, member):
    with pytest.raises(DomainError) as refused:
        actions.remove_member(member, TeamMember.objects.get(team=circle, member=member))
    assert refused.value.code == "last_organiser"


# --- swaps ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def rota(circle, member):
    daily(circle, member)
    actions.generate_rota(member, circle, FIRST_MONDAY, 2)
    return circle


def first_shift_of(person) -> ShiftAssignment:
    return (
        ShiftAssignment.objects.filter(member=person).select_related("shift__team").order_by("shift__starts_at").first()
    )


def test_someone_takes_an_offered_shift_and_it_moves_at_once(rota, member, neighbours):
    giver = first_shift_of(neighbours[0])
    taker = next(
        p for p in [member, *neighbours[1:]] if not ShiftAssignment.objects.filter(shift=giver.shift, member=p).exists()
    )
    swap = actions.offer_swap(neighbours[0], giver, "Dentist")

    done = actions.take_swap(taker, swap, accept_over_fair_share=True)

    giver.refresh_from_db()
    assert (done.status, done.taken_by, giver.member) == (SwapStatus.DONE, taker, taker)
    assert Message.objects.filter(member=neighbours[0], kind="commons.shift_swap_taken").count() == 1
    with pytest.raises(DomainError) as again:
        actions.take_swap(member, done)
    assert again.value.code == "swap_closed"


def test_taking_a_shift_beyond_the_fair_share_needs_agreement(rota, member, neighbours):
    giver = first_shift_of(neighbours[0])
    loads = minutes_of(rota)
    heaviest = max((p for p in [member, *neighbours[1:]]), key=lambda p: loads[p.pk])
    swap = actions.offer_swap(neighbours[0], giver)

    with pytest.raises(DomainError) as refused:
        actions.take_swap(heaviest, swap)

    assert refused.value.code == "swap_over_fair_share"
    giver.refresh_from_db()
    assert giver.member == neighbours[0]
    actions.take_swap(heaviest, swap, accept_over_fair_share=True)
    giver.refresh_from_db()
    assert giver.member == heaviest


def test_a_shift_that_overlaps_your_own_cannot_be_taken(circle, member, neighbours):
    actions.add_pattern(member, circle, "Morning visit", 0, 9 * HOUR, HOUR, 1)
    actions.add_pattern(member, circle, "Shopping", 0, 9 * HOUR + 30, HOUR, 1)
    actions.generate_rota(member, circle, FIRST_MONDAY, 1)
    visit = ShiftAssignment.objects.get(shift__title="Morning visit")
    shopping = ShiftAssignment.objects.get(shift__title="Shopping")
    swap = actions.offer_swap(visit.member, visit)

    with pytest.raises(DomainError) as refused:
        actions.take_swap(shopping.member, swap, accept_over_fair_share=True)

    assert refused.value.code == "swap_overlap"


def test_a_trade_swaps_the_two_people(rota, neighbours):
    ann, bob, _ = neighbours
    mine, theirs = first_shift_of(ann), first_shift_of(bob)
    swap = actions.offer_swap(ann, mine, in_exchange_for=theirs)

    with pytest.raises(DomainError) as not_theirs:
        actions.take_swap(neighbours[2], swap)
    actions.take_swap(bob, swap, accept_over_fair_share=True)

    assert not_theirs.value.code == "not_your_trade"
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.member, theirs.member) == (bob, ann)


def test_only_the_person_on_a_shift_can_offer_it_and_they_can_withdraw(rota, neighbours):
    ann, bob, _ = neighbours
    mine = first_shift_of(ann)
    with pytest.raises(DomainError) as refused:
        actions.offer_swap(bob, mine)
    assert refused.value.code == "not_your_shift"

    swap = actions.offer_swap(ann, mine)
    with pytest.raises(DomainError) as twice:
        actions.offer_swap(ann, mine)
    withdrawn = actions.withdraw_swap(ann, swap)

    assert twice.value.code == "swap_already_open"
    assert withdrawn.status == SwapStatus.WITHDRAWN
    with pytest.raises(DomainError) as closed:
        actions.take_swap(bob, withdrawn)
    assert closed.value.code == "swap_closed"


# --- unfilled shifts ------------------------------------------------------------------------------------------------


def test_a_shift_nobody_can_do_alerts_the_team_once_with_the_reason(circle, member, neighbours):
    actions.add_pattern(member, circle, "Night sit", 0, 2 * HOUR, 2 * HOUR, 1)
    for tm in circle.memberships.all():
        actions.set_availability(tm.member, tm, [(8 * HOUR, 20 * HOUR)])  # Mondays, daytime only

    made = actions.generate_rota(member, circle, FIRST_MONDAY, 1)
    assert made.unfilled_seats == 1
    shift = Shift.objects.get()
    assert shift.unfilled_reason == domain.NOBODY_AVAILABLE

    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        first = actions.alert_unfilled()
        second = actions.alert_unfilled()

    assert (first, second) == (1, 0)
    alerts = Message.objects.filter(kind="commons.shift_unfilled")
    assert alerts.count() == 4  # Mina, Ann, Bob and Cat, once each
    assert all("Nobody in the team has said they can do this shift." in m.body for m in alerts)


def test_someone_leaving_leaves_their_shifts_short_and_the_team_is_told(rota, member, neighbours):
    ann = neighbours[0]
    hers = list(ShiftAssignment.objects.filter(member=ann).values_list("shift_id", flat=True))

    freed = actions.remove_member(ann, TeamMember.objects.get(member=ann))

    assert sorted(s.pk for s in freed) == sorted(hers)
    assert not ShiftAssignment.objects.filter(member=ann).exists()
    assert set(Shift.objects.filter(pk__in=hers).values_list("unfilled_reason", flat=True)) == {actions.MEMBER_LEFT}
    with time_machine.travel(NOW + timedelta(days=5), tick=False):
        actions.alert_unfilled()
    assert Message.objects.filter(kind="commons.shift_unfilled", body__contains="has left the team").exists()


def test_someone_can_take_an_empty_place(circle, member, neighbours):
    actions.add_pattern(member, circle, "Night sit", 0, 2 * HOUR, 2 * HOUR, 1)
    for tm in circle.memberships.all():
        actions.set_availability(tm.member, tm, [(8 * HOUR, 20 * HOUR)])
    actions.generate_rota(member, circle, FIRST_MONDAY, 1)
    shift = Shift.objects.get()

    actions.volunteer_for_shift(neighbours[1], shift)

    shift.refresh_from_db()
    assert shift.assignments.get().member == neighbours[1] and shift.unfilled_reason == ""
    with pytest.raises(DomainError) as full:
        actions.volunteer_for_shift(neighbours[2], shift)
    assert full.value.code == "shift_full"


# --- reminders ------------------------------------------------------------------------------------------------------


def test_each_person_is_reminded_once_the_day_before(rota):
    monday = ShiftAssignment.objects.select_related("shift").order_by("shift__starts_at").first()

    with time_machine.travel(monday.shift.starts_at - timedelta(hours=20), tick=False):
        assert actions.send_reminders() == 1
        assert actions.send_reminders() == 0

    monday.refresh_from_db()
    assert monday.reminded_at is not None
    assert Message.objects.filter(kind="commons.shift_reminder", member=monday.member).count() == 1


# --- hours ---------------------------------------------------------------------------------------------------------


def test_hours_are_logged_once_with_the_shift_s_minutes_even_when_retried(rota, hours):
    monday = ShiftAssignment.objects.select_related("shift__team", "member").order_by("shift__starts_at").first()

    with time_machine.travel(monday.shift.ends_at + timedelta(minutes=5), tick=False):
        first = actions.log_hours(monday.member, monday)
        again = actions.log_hours(monday.member, monday)
        # A crash after the transfer but before the assignment kept it: the retry finds the same transfer.
        ShiftAssignment.objects.filter(pk=monday.pk).update(hours_transfer=None)
        monday.refresh_from_db()
        retried = actions.log_hours(monday.member, monday)

    assert (first.minutes, first.replayed, again.replayed) == (60, False, True)
    assert Transfer.objects.filter(reference=f"shift_assignment:{monday.pk}").count() == 1
    assert retried.assignment.hours_transfer_id == first.assignment.hours_transfer_id
    assert balance(monday.member, hours) == 60


def test_hours_cannot_be_logged_before_the_shift_ends_or_by_someone_else(rota, neighbours):
    monday = ShiftAssignment.objects.select_related("shift__team", "member").order_by("shift__starts_at").first()
    with pytest.raises(DomainError) as early:
        actions.log_hours(monday.member, monday)
    stranger = next(p for p in neighbours if p != monday.member)
    after = time_machine.travel(monday.shift.ends_at + timedelta(minutes=5), tick=False)
    with after, pytest.raises(DomainError) as someone_else:
        actions.log_hours(stranger, monday)
    assert (early.value.code, someone_else.value.code) == ("shift_not_over", "not_allowed")
    assert not Transfer.objects.exists()


def test_a_team_without_a_timebank_does_not_log_hours(frozen, member):
    team = actions.create_team(member, "Litter pickers", TeamKind.TEAM)
    actions.set_availability(member, team.memberships.get(), ANY_TIME)
    actions.add_pattern(member, team, "Pick", 0, 9 * HOUR, HOUR)
    actions.generate_rota(member, team, FIRST_MONDAY, 1)
    assignment = ShiftAssignment.objects.select_related("shift__team").get()
    after = time_machine.travel(assignment.shift.ends_at + timedelta(minutes=1), tick=False)
    with after, pytest.raises(DomainError) as refused:
        actions.log_hours(member, assignment)
    assert refused.value.code == "no_timebank"
