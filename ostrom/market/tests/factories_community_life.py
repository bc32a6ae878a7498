"""factory_boy factories for community life: volunteering (roles, applications, logs, pledges) and events (events,
RSVPs, attendance); and the fixtures the volunteering and events tests share, imported by name in each module.

The cast: Riverside Council (``organisation``) posts roles and Sam (``staff``) works there; Mina (``member``)
volunteers; Cora (``coordinator``) coordinates; Otto (``outsider``) lives in Hillside. Riverside trades in
timebank hours whose issuance account may issue up to 1,000 hours."""

from __future__ import annotations

from datetime import timedelta

import factory
import pytest
from django.utils import timezone

from ostrom.communities.tests.factories import CommunityFactory, MemberFactory, OrganisationFactory
from ostrom.ledger import actions as ledger
from ostrom.ledger.models import Account, CurrencyKind
from ostrom.market.domain.events import new_rsvp_code
from ostrom.market.models import (
    ApplicationStatus,
    Attendance,
    Event,
    Rsvp,
    RsvpStatus,
    VolunteerApplication,
    VolunteerPledge,
    VolunteerRole,
)

HOUR = 60
ISSUANCE_LIMIT = 1000 * HOUR


class VolunteerRoleFactory(factory.django.DjangoModelFactory):
    """An open role of an organisation, started today, asking two hours a week of one volunteer."""

    class Meta:
        model = VolunteerRole

    community = factory.SubFactory(CommunityFactory)
    organisation = factory.SubFactory(OrganisationFactory, community=factory.SelfAttribute("..community"))
    title = factory.Sequence(lambda n: f"Community garden shift {n}")
    description = "Weeding, watering and a cup of tea with the other volunteers."
    minutes_per_week = 2 * HOUR
    volunteers_needed = 1
    place = "Riverside allotments"
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    created_by = factory.SubFactory(MemberFactory, community=factory.SelfAttribute("..community"))


class VolunteerApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VolunteerApplication

    role = factory.SubFactory(VolunteerRoleFactory)
    community = factory.SelfAttribute("role.community")
    member = factory.SubFactory(MemberFactory, community=factory.SelfAttribute("..community"))
    note = "I am free on Saturday mornings."
    status = ApplicationStatus.APPLIED
    decided_at = factory.LazyAttribute(lambda o: None if o.status == ApplicationStatus.APPLIED else timezone.now())


class VolunteerPledgeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VolunteerPledge

    community = factory.SubFactory(CommunityFactory)
    employer = factory.SubFactory(OrganisationFactory, community=factory.SelfAttribute("..community"))
    year = factory.LazyFunction(lambda: timezone.localdate().year)
    minutes_pledged = 100 * HOUR
    created_by = factory.SubFactory(MemberFactory, community=factory.SelfAttribute("..community"))


class EventFactory(factory.django.DjangoModelFactory):
    """A scheduled event a week from now, two hours long, with 20 places."""

    class Meta:
        model = Event

    community = factory.SubFactory(CommunityFactory)
    host = factory.SubFactory(MemberFactory, community=factory.SelfAttribute("..community"))
    title = factory.Sequence(lambda n: f"Litter pick {n}")
    description = "Gloves and bags provided. Meet by the bandstand."
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=2))
    place = "Riverside Park"
    capacity = 20
    rsvp_code = factory.LazyFunction(new_rsvp_code)


class RsvpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rsvp

    event = factory.SubFactory(EventFactory)
    community = factory.SelfAttribute("event.community")
    member = factory.SubFactory(MemberFactory, community=factory.SelfAttribute("..community"))
    status = RsvpStatus.GOING


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    event = factory.SubFactory(EventFactory)
    community = factory.SelfAttribute("event.community")
    member = factory.SubFactory(MemberFactory, community=factory.SelfAttribute("..community"))
    marked_by = factory.SelfAttribute("event.host")


# --- fixtures (import them by name into a test module) -----------------------------------------------------------


@pytest.fixture
def hours(community):
    """Riverside's timebank hours; its issuance account may issue up to 1,000 hours."""
    return ledger.create_currency(
        community, code="hours", name="Timebank hours", kind=CurrencyKind.TIME, symbol="h",
        issuance_limit=ISSUANCE_LIMIT,
    )  # fmt: skip


@pytest.fixture
def garden_role(community, organisation, staff):
    """Riverside Council's community-garden role, posted by Sam, needing two volunteers."""
    return VolunteerRoleFactory(
        community=community, organisation=organisation, created_by=staff, title="Community garden shift",
        volunteers_needed=2,
    )  # fmt: skip


@pytest.fixture
def minas_place(garden_role, member):
    """Mina applied for the garden role and Sam accepted her."""
    return VolunteerApplicationFactory(role=garden_role, member=member, status=ApplicationStatus.ACCEPTED)


@pytest.fixture
def litter_pick(community, member):
    """Mina hosts a litter pick a week from now with three places."""
    return EventFactory(community=community, host=member, title="Litter pick", capacity=3)


def balance(member, currency) -> int:
    """A member's posted balance in a currency (0 without an account)."""
    account = Account.objects.filter(member=member, currency=currency).first()
    return account.balance if account else 0
