"""The marketplace's cast, on top of the root conftest's personas (Mina the member, Cora the coordinator...)."""

import pytest

from ostrom.market.tests.factories import CategoryFactory, ListingFactory


@pytest.fixture
def gardening(community):
    return CategoryFactory(community=community, name="Gardening", slug="gardening")


@pytest.fixture
def minas_offer(member, gardening):
    """Mina offers gardening help in Riverside."""
    return ListingFactory(
        community=member.community, member=member, category=gardening, title="Gardening help",
        description="Weeding and planting on weekend mornings.", tags=["gardening", "weeding"],
    )  # fmt: skip
