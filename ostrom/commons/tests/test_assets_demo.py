"""The assets' share of the demo: Millbrook's people and currencies, then the kitchen with six months behind it,
the hall, the minibus and Riverside's library of things. The kitchen's use rises, and some people were turned away."""

import random
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from ostrom.commons import usage
from ostrom.commons.demo import assets as assets_demo
from ostrom.commons.models import Asset, AssetPermit, Booking, Kit, MembershipPlan, UnmetRequest
from ostrom.commons.tests.factories import AssetFactory
from ostrom.communities import demo
from ostrom.communities.models import Community
from ostrom.ledger import demo as ledger_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def millbrook():
    demo._Town(demo.DEFAULT_SEED).build()
    ledger_demo.load(demo.DEFAULT_SEED)
    assets_demo.load(demo.DEFAULT_SEED)


def test_the_demo_has_a_fire_station_kitchen_with_rising_use(millbrook):
    northgate = Community.objects.get(slug="northgate")
    kitchen = Asset.objects.select_related("community", "owner").get(community=northgate, slug="fire-station-kitchen")
    start, end = usage.report_range(timezone.now(), ZoneInfo(northgate.time_zone))

    report = usage.usage_report(northgate, [kitchen], start, end)

    months = [m for m in report.assets[0].months if m.booked_minutes]
    assert len(months) >= 6
    assert months[-2].utilisation_permille > months[0].utilisation_permille
    assert sum(m.no_shows for m in months) > 0 and sum(m.unmet_requests for m in months) > 0
    assert kitchen.owner is not None and kitchen.buffer_minutes == 30
    assert not Booking.objects.filter(asset=kitchen, starts_at__gt=timezone.now()).exists()


def test_the_demo_has_a_library_of_things_a_minibus_and_plans(millbrook):
    riverside = Community.objects.get(slug="riverside-timebank")

    assert Asset.objects.get(community=riverside, slug="cordless-drill").stock == 3
    assert Kit.objects.get(community=riverside, slug="party-kit").items.count() == 2
    assert MembershipPlan.objects.filter(community=riverside, is_default=True).count() == 1
    minibus = Asset.objects.get(slug="minibus")
    assert minibus.who_may_book == "trained_members" and AssetPermit.objects.filter(asset=minibus).count() == 2


def test_the_history_is_the_same_from_the_same_seed(community, member, time_machine):
    time_machine.move_to("2026-03-15T12:00:00Z", tick=False)
    one, two = (AssetFactory(community=community, opening=assets_demo.WEEKDAY_EVENINGS) for _ in range(2))

    for asset in (one, two):
        assets_demo._history(asset, [member], random.Random(5), start_share=0.2, end_share=0.8, unmet_per_week=(0, 3))

    def history(asset):
        return list(Booking.objects.filter(asset=asset).order_by("starts_at").values_list("starts_at", "status"))

    assert history(one) == history(two) and len(history(one)) > 20
    assert UnmetRequest.objects.filter(asset=one).count() == UnmetRequest.objects.filter(asset=two).count()
