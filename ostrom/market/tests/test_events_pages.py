"""The events pages through Django's test client, as a browser without JavaScript uses them: Mina puts on a
litter pick, neighbours say they are going, the last place goes and the next one waits, a place comes free; Mina
changes the places, cancels, or takes the register once it has started. Who may open what, and bad input."""

import html
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ostrom.communities.tests.factories import MemberFactory
from ostrom.communities.tests.test_pages import FormReader
from ostrom.market.actions import events as actions
from ostrom.market.models import Attendance, Event, EventStatus, Rsvp, RsvpStatus
from ostrom.market.tests.factories_community_life import EventFactory, litter_pick

__all__ = ["litter_pick"]  # a fixture, imported for pytest to find

PROBLEM = "There is a problem"


def as_(persona) -> Client:
    client = Client()
    if persona is not None:
        client.force_login(persona.user)
    return client


def url(name, *args) -> str:
    return reverse(name, args=["riverside", *args])


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def local(moment) -> str:
    """A time as typed in a datetime-local field, in Riverside's zone."""
    return timezone.localtime(moment, timezone.get_default_timezone()).strftime("%Y-%m-%dT%H:%M")


def new_event_fields(client) -> dict:
    reader = FormReader()
    reader.feed(client.get(url("market_event_new")).content.decode())
    return next(form for form in reader.forms if form["method"] == "post" and form["action"] == "")["fields"]


def test_a_member_puts_on_an_event(member):
    mina = as_(member)
    start = timezone.now() + timedelta(days=5)
    sent = new_event_fields(mina) | {
        "title": "Repair café", "description": "Bring something broken.", "starts_at": local(start),
        "ends_at": local(start + timedelta(hours=3)), "place": "Riverside Library", "capacity": "12",
    }  # fmt: skip

    done = mina.post(url("market_event_new"), sent, follow=True)

    event = Event.objects.get()
    assert (event.title, event.capacity, event.host) == ("Repair café", 12, member)
    assert f"People can text RSVP {event.rsvp_code} to come." in text_of(done)
    assert f"RSVP {event.rsvp_code}" in text_of(done)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"starts_at": local(timezone.now() - timedelta(days=1))}, "The start has already passed."),
        ({"ends_at": local(timezone.now() + timedelta(days=1))}, "The end must be after the start."),
        ({"capacity": "0"}, "There must be at least 1 place."),
        ({"starts_at": "tomorrow"}, "Enter a date and time"),
        ({"place": ""}, "Enter where."),
    ],
)
def test_bad_event_details_are_shown_beside_the_field(changes, message, member):
    mina = as_(member)
    start = timezone.now() + timedelta(days=5)
    sent = new_event_fields(mina) | {
        "title": "Repair café", "description": "Bring something broken.", "starts_at": local(start),
        "ends_at": local(start + timedelta(hours=3)), "place": "Riverside Library", "capacity": "",
    }  # fmt: skip
    if "starts_at" in changes and changes["starts_at"] != "tomorrow":
        sent["ends_at"] = local(timezone.now() - timedelta(hours=20))

    response = mina.post(url("market_event_new"), sent | changes)

    assert response.status_code == 400
    assert PROBLEM in text_of(response) and message in text_of(response)
    assert not Event.objects.exists()


def test_neighbours_answer_and_the_fourth_joins_the_waiting_list(litter_pick, community):
    people = [MemberFactory(community=community) for _ in range(4)]
    for person in people[:3]:
        as_(person).post(url("market_event_rsvp", litter_pick.pk), {"going": "yes"})
    fourth = as_(people[3])

    page = text_of(fourth.get(url("market_event", litter_pick.pk)))
    assert "3 of 3 taken" in page and "Join the waiting list" in page
    done = fourth.post(url("market_event_rsvp", litter_pick.pk), {"going": "yes"}, follow=True)

    assert "Litter pick is full, so you are on the waiting list." in text_of(done)
    assert Rsvp.objects.get(member=people[3]).status == RsvpStatus.WAITLISTED


def test_giving_up_a_place_passes_it_to_the_first_waiting(litter_pick, community):
    people = [MemberFactory(community=community) for _ in range(4)]
    for person in people:
        actions.rsvp(person, litter_pick)

    done = as_(people[0]).post(url("market_event_rsvp", litter_pick.pk), {"going": "no"}, follow=True)

    assert "Your place has gone to someone waiting." in text_of(done)
    assert Rsvp.objects.get(member=people[3]).status == RsvpStatus.GOING


def test_the_list_shows_what_is_coming_and_the_members_answer(litter_pick, community, member):
    EventFactory(community=community, title="Long ago", starts_at=timezone.now() - timedelta(days=3))
    actions.rsvp(member, litter_pick)

    page = text_of(as_(member).get(url("market_events")))

    assert "Litter pick" in page and "You are going" in page
    assert "Long ago" not in page


def test_the_host_sees_who_answered_and_changes_the_places(litter_pick, member, community):
    people = [MemberFactory(community=community, display_name=f"Guest {n}") for n in range(4)]
    for person in people:
        actions.rsvp(person, litter_pick)
    mina = as_(member)

    page = text_of(mina.get(url("market_event", litter_pick.pk)))
    assert "Guest 3" in page and "On the waiting list" in page
    mina.post(url("market_event_capacity", litter_pick.pk), {"capacity": "4"})

    assert Event.objects.get(pk=litter_pick.pk).capacity == 4
    assert Rsvp.objects.get(member=people[3]).status == RsvpStatus.GOING
    refused = mina.post(url("market_event_capacity", litter_pick.pk), {"capacity": "2"}, follow=True)
    assert "4 people are going already" in text_of(refused)


def test_the_host_cancels_with_a_reason(litter_pick, member):
    mina = as_(member)
    assert mina.get(url("market_event_cancel", litter_pick.pk)).status_code == 200

    done = mina.post(url("market_event_cancel", litter_pick.pk), {"reason": "Flooded park"}, follow=True)

    assert "Litter pick is cancelled." in text_of(done)
    assert "This event has been cancelled." in text_of(done) and "Flooded park" in text_of(done)
    assert Event.objects.get(pk=litter_pick.pk).status == EventStatus.CANCELLED


def test_someone_else_cannot_manage_the_event(litter_pick, staff):
    sam = as_(staff)

    assert sam.get(url("market_event_cancel", litter_pick.pk)).status_code == 404
    assert sam.post(url("market_event_cancel", litter_pick.pk), {"reason": "x"}).status_code == 404
    assert sam.get(url("market_event_register", litter_pick.pk)).status_code == 404
    assert sam.post(url("market_event_capacity", litter_pick.pk), {"capacity": "1"}).status_code == 404
    assert Event.objects.get(pk=litter_pick.pk).status == EventStatus.SCHEDULED


def test_the_host_takes_the_register_once_it_has_started(litter_pick, member, community, time_machine):
    guest = MemberFactory(community=community, display_name="Gwen")
    actions.rsvp(guest, litter_pick)
    mina = as_(member)
    assert "The register opens when the event starts." in text_of(
        mina.get(url("market_event_register", litter_pick.pk))
    )
    time_machine.move_to(litter_pick.starts_at + timedelta(minutes=15), tick=False)

    mina.post(url("market_event_mark", litter_pick.pk, guest.pk))
    mina.post(url("market_event_register", litter_pick.pk), {"member": "", "walk_in_name": "Pat"})
    page = text_of(mina.get(url("market_event_register", litter_pick.pk)))

    assert "On the register (2)" in page and "Gwen" in page and "Pat (walk-in)" in page
    refused = mina.post(url("market_event_register", litter_pick.pk), {"member": guest.pk, "walk_in_name": ""})
    assert refused.status_code == 400 and "Gwen is already on the register." in text_of(refused)
    assert Attendance.objects.count() == 2


def test_another_communitys_event_is_not_found(litter_pick, other_community, outsider):
    elsewhere = EventFactory(community=other_community, host=outsider)
    otto = as_(outsider)

    assert otto.get(reverse("market_event", args=["hillside", litter_pick.pk])).status_code == 404
    assert otto.post(reverse("market_event_rsvp", args=["hillside", litter_pick.pk])).status_code == 404
    assert otto.get(reverse("market_event", args=["hillside", elsewhere.pk])).status_code == 200
    assert not Rsvp.objects.exists()
