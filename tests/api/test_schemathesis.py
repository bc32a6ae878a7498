"""Schemathesis over the whole API schema, against the live test server, signed in as an active coordinator.

Any server error, undocumented status code or response that breaks its own schema fails the test."""

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from config.api import api
from ostrom.communities import domain
from ostrom.communities.actions import TOKEN_PREFIX
from ostrom.communities.models import ApiToken
from ostrom.communities.tests.factories import (
    CommunityFactory,
    CoordinatorFactory,
    MemberFactory,
    OrganisationFactory,
    StaffFactory,
)

# Loaded at collection time from the API object itself: schemathesis's fixture-based loader does not work with
# pytest 9 (it writes the removed Node._nodeid). The test below checks the server serves this same schema.
OPENAPI = api.get_openapi_schema()
schema = schemathesis.openapi.from_dict(OPENAPI)
# A fixed secret, because schemathesis builds some cases while collecting, before any fixture has run.
SECRET = "ost_schemathesis_" + "x" * 26


@schema.auth(refresh_interval=None, retry_on=[])
class CoordinatorToken:
    """Signs generated requests in, except those schemathesis sends without credentials on purpose."""

    def get(self, case, context):
        return SECRET

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture
def coordinator_token(transactional_db, settings):
    """A coordinator's token in a small community, so the moderation endpoints do real work too."""
    settings.API_RATE_LIMIT_PER_MINUTE = 100_000  # the run sends far more than a person would
    community = CommunityFactory(slug="riverside", join_policy=domain.JoinPolicy.APPROVAL)
    CommunityFactory(slug="hillside")
    organisation = OrganisationFactory(community=community, slug="riverside-council")
    coordinator = CoordinatorFactory(community=community)
    StaffFactory(community=community, organisation=organisation)
    MemberFactory(community=community, status=domain.Status.PENDING)
    MemberFactory(community=community, status=domain.Status.SUSPENDED)
    MemberFactory.create_batch(3, community=community)
    ApiToken.objects.create(
        community=community,
        member=coordinator,
        name="schemathesis",
        prefix=SECRET[len(TOKEN_PREFIX) :][:8],
        token_hash=domain.hash_token(SECRET),
    )


def test_the_server_publishes_the_schema_under_test(live_server):
    response = requests.get(f"{live_server.url}/api/v1/openapi.json", timeout=10)
    assert response.status_code == 200
    assert response.json()["paths"].keys() == OPENAPI["paths"].keys()


@schema.parametrize()
@hypothesis_settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same cases every run, so `make test` is reproducible
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
def test_the_api_keeps_its_contract(case, coordinator_token, live_server):
    case.call_and_validate(base_url=live_server.url)
