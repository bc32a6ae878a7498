"""Events through their actions: Mina hosts a litter pick with three places; neighbours answer, the fourth waits,
a place comes free and goes to the first waiting, who is told; the event may be cancelled; once it starts Mina
takes the register. Then the bad input, and RSVP by text message."""

import itertools
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ostrom.communities.domain import DomainError
from ostrom.communities.models import AuditEntry
from ostrom.communities.tests.factories import MemberFactory, OrganisationFactory, UserFactory
from ostrom.market.access import events as access
from ostrom.market.actions import events as actions
from ostrom.market.domain import events as domain
from ostrom.market.domain.events import EventFields
from ostrom.market.models import Attendance, Event, EventStatus, Rsvp, RsvpStatus
from ostrom.market.notices import events as notices
from ostrom.market.tests.factories_community_life import EventFactory, RsvpFactory, litter_pick
from ostrom.notify.actions.inbound import handle_inbound
from ostrom.notify.channels.webhooks import InboundSms as ReceivedSms
from ostrom.notify.models import Message

__all__ = ["litter_pick"]  # a fixture, imported for pytest to find

provider_ids = itertools.count(1)


def refusal(call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value


def neighbours(community, count):
    return [MemberFactory(community=community, display_name=f"Neighbour {n}") for n in range(count)]


def fresh(event) -> Event:
    return Event.objects.get(pk=event.pk)


def status_of(event, member) -> str:
    return Rsvp.objects.get(event=event, member=member).status


def fields(**changes) -> EventFields:
    start = timezone.now() + timedelta(days=3)
    values = {
        "title": "Repair café", "description": "Bring something broken.", "starts_at": start,
        "ends_at": start + timedelta(hours=3), "place": "Riverside Library", "capacity": 12,
    }  # fmt: skip
    return EventFields(**{**values, **changes})


# --- putting an event on -------------------------------------------------------------------------------------------


def test_a_member_puts_on_an_event_with_a_code_to_text(member):
    event = actions.create_event(member, fields(title="  Repair café "))

    assert (event.title, event.host, event.status, event.going_count) == ("Repair café", member, "scheduled", 0)
    assert len(event.rsvp_code) == domain.RSVP_CODE_CHARS
    assert set(event.rsvp_code) <= set(domain.RSVP_CODE_ALPHABET)


def test_a_code_already_taken_in_the_community_is_drawn_again(member, monkeypatch):
    EventFactory(community=member.community, host=member, rsvp_code="KQ7MX")
    codes = iter(["KQ7MX", "TR4VW"])
    monkeypatch.setattr(domain, "new_rsvp_code", lambda: next(codes))

    assert actions.create_event(member, fields()).rsvp_code == "TR4VW"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"starts_at": timezone.now() - timedelta(minutes=1)}, "date_in_past"),
        ({"ends_at": timezone.now() + timedelta(days=2)}, "ends_before_start"),
        ({"ends_at": timezone.now() + timedelta(days=30)}, "event_too_long"),
        ({"starts_at": timezone.now() + timedelta(days=800)}, "date_too_far"),
        ({"capacity": 0}, "invalid_capacity"),
        ({"capacity": -5}, "invalid_capacity"),
        ({"title": ""}, "title_required"),
        ({"place": " "}, "place_required"),
        ({"description": "x" * 4001}, "description_too_long"),
    ],
)
def test_an_event_with_bad_details_is_refused(changes, code, member):
    if "starts_at" in changes and "ends_at" not in changes:
        changes["ends_at"] = changes["starts_at"] + timedelta(hours=1)

    error = refusal(actions.create_event, member, fields(**changes))

    assert error.code == code
    assert not Event.objects.exists()


def test_only_an_organisations_staff_host_in_its_name(member, staff, organisation):
    assert refusal(actions.create_event, member, fields(), organisation).code == "not_allowed"

    event = actions.create_event(staff, fields(), organisation)
    assert event.organisation == organisation


# --- answers, capacity and the waiting list ------------------------------------------------------------------------


def test_the_fourth_to_answer_a_three_place_event_waits(litter_pick, community):
    people = neighbours(community, 4)

    outcomes = [actions.rsvp(person, litter_pick).rsvp.status for person in people]

    assert outcomes == ["going", "going", "going", "waitlisted"]
    assert fresh(litter_pick).going_count == 3


def test_answering_twice_changes_nothing(litter_pick, community):
    person = neighbours(community, 1)[0]
    actions.rsvp(person, litter_pick)

    again = actions.rsvp(person, litter_pick)

    assert not again.changed
    assert fresh(litter_pick).going_count == 1 and Rsvp.objects.count() == 1


def test_when_someone_going_cancels_the_first_waiting_gets_the_place_and_is_told(litter_pick, community):
    first, second, third, waiting_1, waiting_2 = neighbours(community, 5)
    for person in (first, second, third, waiting_1, waiting_2):
        actions.rsvp(person, litter_pick)

    answered = actions.rsvp(second, litter_pick, going=False)

    assert [rsvp.member for rsvp in answered.promoted] == [waiting_1]
    assert (status_of(litter_pick, second), status_of(litter_pick, waiting_1)) == ("cancelled", "going")
    assert status_of(litter_pick, waiting_2) == "waitlisted"
    assert fresh(litter_pick).going_count == 3
    told = Message.objects.get(kind="market.event_waitlist_promoted")
    assert told.member == waiting_1 and "Litter pick" in told.subject


def test_leaving_the_waiting_list_frees_no_place(litter_pick, community):
    people = neighbours(community, 5)
    for person in people:
        actions.rsvp(person, litter_pick)

    answered = actions.rsvp(people[3], litter_pick, going=False)

    assert answered.promoted == []
    assert status_of(litter_pick, people[4]) == "waitlisted"
    assert not Message.objects.filter(kind="market.event_waitlist_promoted").exists()


def test_someone_who_cancelled_can_answer_again_and_queues_behind_those_waiting(litter_pick, community):
    people = neighbours(community, 4)
    for person in people:
        actions.rsvp(person, litter_pick)
    actions.rsvp(people[0], litter_pick, going=False)  # people[3] gets the place

    back = actions.rsvp(people[0], litter_pick)

    assert back.rsvp.status == "waitlisted"
    assert fresh(litter_pick).going_count == 3


def test_more_places_go_to_those_waiting_first(litter_pick, member, community):
    people = neighbours(community, 5)
    for person in people:
        actions.rsvp(person, litter_pick)

    actions.change_capacity(member, litter_pick, 4)

    assert [status_of(litter_pick, person) for person in people[3:]] == ["going", "waitlisted"]
    actions.change_capacity(member, litter_pick, None)
    assert status_of(litter_pick, people[4]) == "going" and fresh(litter_pick).going_count == 5


def test_places_never_drop_below_those_going(litter_pick, member, community):
    for person in neighbours(community, 3):
        actions.rsvp(person, litter_pick)

    error = refusal(actions.change_capacity, member, litter_pick, 2)

    assert error.code == "capacity_below_going" and error.field == "capacity"
    assert fresh(litter_pick).capacity == 3


def test_the_database_refuses_more_going_than_places(litter_pick):
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.filter(pk=litter_pick.pk).update(going_count=4)


def test_answers_close_when_the_event_starts(litter_pick, community, time_machine):
    time_machine.move_to(litter_pick.starts_at + timedelta(minutes=1), tick=False)

    error = refusal(actions.rsvp, neighbours(community, 1)[0], litter_pick)

    assert error.code == "event_started"


def test_a_member_of_another_community_cannot_answer(litter_pick, outsider):
    assert refusal(actions.rsvp, outsider, litter_pick).code == "not_allowed"
    with pytest.raises(Http404):
        access.get_event_or_404(outsider, litter_pick.pk)


# --- cancelling ----------------------------------------------------------------------------------------------------


def test_cancelling_tells_everyone_going_or_waiting(litter_pick, member, community):
    people = neighbours(community, 4)
    for person in people:
        actions.rsvp(person, litter_pick)
    actions.rsvp(people[0], litter_pick, going=False)  # not going: not told

    actions.cancel_event(member, litter_pick, "The park is flooded.")

    told = Message.objects.filter(kind="market.event_cancelled")
    assert {message.member for message in told} == set(people[1:])
    assert "The park is flooded." in told.first().body
    assert refusal(actions.rsvp, people[0], litter_pick).code == "event_cancelled"


def test_only_the_host_or_a_coordinator_cancels(litter_pick, staff, coordinator):
    assert refusal(actions.cancel_event, staff, litter_pick).code == "not_allowed"
    assert fresh(litter_pick).status == EventStatus.SCHEDULED

    actions.cancel_event(coordinator, litter_pick, "Storm warning")
    assert fresh(litter_pick).status == EventStatus.CANCELLED
    assert AuditEntry.objects.filter(action="market.event_cancelled").exists()


# --- the register --------------------------------------------------------------------------------------------------


def test_the_host_takes_the_register_after_the_start(litter_pick, member, community, time_machine):
    came = neighbours(community, 1)[0]
    time_machine.move_to(litter_pick.starts_at + timedelta(minutes=10), tick=False)

    actions.mark_present(member, litter_pick, came)
    actions.mark_present(member, litter_pick, walk_in_name="Pat from number 12")

    assert [str(row) for row in access.event_attendance(litter_pick)] == [came.display_name, "Pat from number 12"]
    assert refusal(actions.mark_present, member, litter_pick, came).code == "already_marked"
    assert Attendance.objects.count() == 2


def test_the_register_opens_when_the_event_starts(litter_pick, member):
    error = refusal(actions.mark_present, member, litter_pick, member)

    assert error.code == "event_not_started"
    assert not Attendance.objects.exists()


def test_only_the_host_or_a_coordinator_takes_the_register(litter_pick, staff, community, time_machine):
    time_machine.move_to(litter_pick.starts_at + timedelta(minutes=10), tick=False)

    assert refusal(actions.mark_present, staff, litter_pick, staff).code == "not_allowed"


def test_the_register_needs_a_member_or_a_name(litter_pick, member, time_machine):
    time_machine.move_to(litter_pick.starts_at + timedelta(minutes=10), tick=False)

    assert refusal(actions.mark_present, member, litter_pick).code == "who_came"
    assert refusal(actions.mark_present, member, litter_pick, member, "Pat").code == "who_came"


def test_the_register_takes_no_one_from_another_community(litter_pick, member, outsider, time_machine):
    time_machine.move_to(litter_pick.starts_at + timedelta(minutes=10), tick=False)

    assert refusal(actions.mark_present, member, litter_pick, outsider).code == "member_unknown"


# --- the digest ----------------------------------------------------------------------------------------------------


def test_the_digest_lists_events_coming_up_with_how_to_answer(litter_pick, member, community):
    RsvpFactory(event=litter_pick, member=member)
    full = EventFactory(community=community, title="Quiz night", capacity=1, going_count=1)
    EventFactory(community=community, title="Far off", starts_at=timezone.now() + timedelta(days=40))
    EventFactory(community=community, title="Called off", status=EventStatus.CANCELLED)
    now = timezone.now()

    lines = notices.coming_up_lines(member, now - timedelta(days=1), now)

    assert len(lines) == 2
    assert "Litter pick" in lines[0] and lines[0].endswith("You are going.")
    assert "Quiz night" in lines[1] and f"Full: text RSVP {full.rsvp_code} to join the waiting list." in lines[1]


# --- by text message -----------------------------------------------------------------------------------------------

NEIL = "+447700900111"


@pytest.fixture
def neil(community):
    cache.clear()  # each number's rate limit counts in the cache
    yield MemberFactory(community=community, display_name="Neil", user=UserFactory(full_name="Neil N", phone=NEIL))
    cache.clear()


def text(body):
    return handle_inbound(ReceivedSms(provider_id=f"ev-{next(provider_ids)}", phone=NEIL, text=body)).body


def test_a_member_answers_by_text_and_gives_the_place_up_again(litter_pick, neil):
    going = text(f"rsvp {litter_pick.rsvp_code.lower()}")
    not_going = text(f"RSVP {litter_pick.rsvp_code} no")

    assert going.startswith("You're going to 'Litter pick'")
    assert f"Text RSVP {litter_pick.rsvp_code} NO" in going
    assert not_going == "OK, you are not going to 'Litter pick'. Thanks for letting us know."
    assert status_of(litter_pick, neil) == RsvpStatus.CANCELLED
    assert fresh(litter_pick).going_count == 0


def test_a_text_to_a_full_event_joins_the_waiting_list(litter_pick, neil, community):
    for person in neighbours(community, 3):
        actions.rsvp(person, litter_pick)

    reply = text(f"RSVP {litter_pick.rsvp_code}")

    assert "is full, so you are on the waiting list" in reply
    assert status_of(litter_pick, neil) == RsvpStatus.WAITLISTED


def test_a_text_with_an_unknown_code_says_so(litter_pick, neil, other_community):
    elsewhere = EventFactory(community=other_community, host=MemberFactory(community=other_community))

    assert text("RSVP ZZZZZ") == "No event here has the code ZZZZZ. Check the code on the event's page."
    assert "No event here" in text(f"RSVP {elsewhere.rsvp_code}")
    assert not Rsvp.objects.exists()


def test_a_text_with_an_answer_we_cannot_read_explains(litter_pick, neil):
    reply = text(f"RSVP {litter_pick.rsvp_code} maybe")

    assert "NO" in reply and not Rsvp.objects.exists()


def test_a_text_after_the_start_is_refused_in_words(litter_pick, neil, time_machine):
    time_machine.move_to(litter_pick.starts_at + timedelta(minutes=1), tick=False)

    assert text(f"RSVP {litter_pick.rsvp_code}") == "This event has already started, so answers are closed."


# --- the rules on their own ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("capacity", "going", "waiting", "promoted"),
    [(3, 2, 5, 1), (3, 3, 5, 0), (None, 10, 4, 4), (10, 2, 3, 3), (2, 5, 1, 0)],
)
def test_promotions_fill_free_places_from_the_waiting_list(capacity, going, waiting, promoted):
    assert domain.promotions(capacity, going, waiting) == promoted


@pytest.mark.parametrize(("word", "going"), [(None, True), ("yes", True), ("No", False), (" n ", False)])
def test_rsvp_answers_read_yes_and_no(word, going):
    assert domain.rsvp_answer(word) is going


def test_codes_are_drawn_from_the_readable_alphabet():
    codes = {domain.new_rsvp_code() for _ in range(200)}
    assert all(len(code) == 5 and set(code) <= set(domain.RSVP_CODE_ALPHABET) for code in codes)
    assert len(codes) > 190


def test_organisations_listed_for_hosting_are_the_hosts_own(staff, coordinator, member, community, organisation):
    other = OrganisationFactory(community=community)
    assert list(access.organisations_to_host_for(staff)) == [organisation]
    assert set(access.organisations_to_host_for(coordinator)) == {organisation, other}
    assert not access.organisations_to_host_for(member).exists()


# --- the invariant, whatever people do ------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    capacity=st.one_of(st.none(), st.integers(min_value=1, max_value=4)),
    answers=st.lists(st.tuples(st.integers(min_value=0, max_value=6), st.booleans()), max_size=25),
)
def test_places_are_never_over_taken_and_never_left_empty_while_someone_waits(member, capacity, answers):
    """Any sequence of people saying yes or no: the count kept matches the answers, never exceeds the places, and
    nobody waits while a place is free."""
    event = EventFactory(community=member.community, host=member, capacity=capacity)
    people = [MemberFactory(community=member.community) for _ in range(7)]
    for index, going in answers:
        actions.rsvp(people[index], event, going=going)
        event.refresh_from_db()
        going_now = Rsvp.objects.filter(event=event, status=RsvpStatus.GOING).count()
        waiting = Rsvp.objects.filter(event=event, status=RsvpStatus.WAITLISTED).count()
        assert event.going_count == going_now
        assert capacity is None or going_now <= capacity
        assert not waiting or going_now == capacity
