"""Who sees and manages assets: every active member sees their community's active assets, coordinators also the
withdrawn ones; coordinators manage every asset, the council's staff only the council's; nobody reaches another
community's asset; a suspended member sees nothing."""

import pytest
from django.http import Http404

from ostrom.commons.access import assets as access
from ostrom.commons.tests.factories import AssetFactory
from ostrom.communities.domain import Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def assets(community, other_community, organisation):
    return {
        "council": AssetFactory(community=community, slug="kitchen", owner=organisation),
        "ours": AssetFactory(community=community, slug="hall"),
        "withdrawn": AssetFactory(community=community, slug="hut", is_active=False),
        "theirs": AssetFactory(community=other_community, slug="barn"),
    }


def slugs(queryset):
    return sorted(queryset.values_list("slug", flat=True))


def test_members_see_active_assets_and_coordinators_all(member, coordinator, outsider, assets):
    assert slugs(access.visible_assets(member)) == ["hall", "kitchen"]
    assert slugs(access.visible_assets(coordinator)) == ["hall", "hut", "kitchen"]
    assert slugs(access.visible_assets(outsider)) == ["barn"]


def test_another_communitys_asset_is_a_404(member, assets):
    with pytest.raises(Http404):
        access.get_asset_or_404(member, "barn")
    with pytest.raises(Http404):
        access.get_asset_or_404(member, "hut")


def test_who_manages_what(member, coordinator, staff, outsider, assets):
    assert access.can_manage_asset(coordinator, assets["ours"]) and access.can_manage_asset(
        coordinator, assets["council"]
    )
    assert access.can_manage_asset(staff, assets["council"]) and not access.can_manage_asset(staff, assets["ours"])
    assert not access.can_manage_asset(member, assets["council"])
    assert not access.can_manage_asset(outsider, assets["council"])
    assert not access.can_manage_asset(None, assets["council"])
    assert [o.slug for o in access.owners_for(staff)] == ["riverside-council"]
    assert not access.owners_for(member).exists()


def test_a_suspended_member_sees_nothing_and_manages_nothing(coordinator, assets):
    coordinator.status = Status.SUSPENDED
    coordinator.save(update_fields=["status"])

    assert not access.visible_assets(coordinator).exists()
    assert not access.can_manage_asset(coordinator, assets["ours"])
