"""The cast every test can call on: two communities and five personas, as in Healthchecks' tests.

- ``member``: an ordinary member of the Riverside Timebank
- ``coordinator``: a coordinator of the same community
- ``staff``: staff of a partner organisation (the council) in the same community
- ``outsider``: a member of another community (Hillside Network) only
- anonymous: no login at all (use ``client`` as it is)
"""

import os

import pytest

from ostrom.communities import domain
from ostrom.communities.tests.factories import (
    CommunityFactory,
    CoordinatorFactory,
    MemberFactory,
    OrganisationFactory,
    StaffFactory,
    UserFactory,
)

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from the same
# thread are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Argon2 is deliberately slow (~170 ms a hash); tests build many people, so they hash with MD5.
    test_passwords_are_stored_with_argon2 checks the real setting."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def community(db):
    return CommunityFactory(name="Riverside Timebank", slug="riverside")


@pytest.fixture
def other_community(db):
    return CommunityFactory(name="Hillside Network", slug="hillside")


@pytest.fixture
def member(community):
    return MemberFactory(
        community=community,
        user=UserFactory(full_name="Mina Member", email="mina@example.org"),
        display_name="Mina",
        skills=["gardening", "dog walking"],
        search_text=domain.search_text("Mina", ["gardening", "dog walking"], [], ""),
    )


@pytest.fixture
def coordinator(community):
    return CoordinatorFactory(
        community=community,
        user=UserFactory(full_name="Cora Coordinator", email="cora@example.org"),
        display_name="Cora",
    )


@pytest.fixture
def admin_member(community):
    return MemberFactory(
        community=community,
        user=UserFactory(full_name="Ada Administrator", email="ada@example.org"),
        display_name="Ada",
        role=domain.Role.ADMIN,
    )


@pytest.fixture
def organisation(community):
    return OrganisationFactory(community=community, name="Riverside Council", slug="riverside-council")


@pytest.fixture
def staff(community, organisation):
    return StaffFactory(
        community=community,
        organisation=organisation,
        user=UserFactory(full_name="Sam Staff", email="sam@example.org"),
        display_name="Sam",
    )


@pytest.fixture
def outsider(other_community):
    return MemberFactory(
        community=other_community,
        user=UserFactory(full_name="Otto Outsider", email="otto@example.org"),
        display_name="Otto",
    )


@pytest.fixture
def personas(member, coordinator, staff, outsider):
    """All four logged-in personas by name; anonymous is ``None``."""
    return {"member": member, "coordinator": coordinator, "staff": staff, "outsider": outsider, "anonymous": None}
