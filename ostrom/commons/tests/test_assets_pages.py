"""The assets pages through Django's test client, as a browser without JavaScript uses them: Mina browses the
Commons and reads the kitchen's page; Cora adds an asset, sets its hours, blocks maintenance, grants a permit, makes
a kit and sets up lending memberships; everyone sees what sits idle. Who may open what, and bad input."""

import csv
import html
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ostrom.commons.access import assets as access
from ostrom.commons.models import (
    Asset,
    AssetPermit,
    Kit,
    MaintenancePeriod,
    Membership,
    MembershipPlan,
    OpeningWindow,
)
from ostrom.commons.tests.factories import AssetFactory, ItemsFactory
from ostrom.commons.tests.test_assets_actions import book
from ostrom.communities.tests.test_pages import submit

pytestmark = pytest.mark.django_db
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


@pytest.fixture
def kitchen(community, organisation):
    return AssetFactory(
        community=community, name="Fire station kitchen", slug="kitchen", owner=organisation, buffer_minutes=30,
        lead_time_minutes=24 * 60, max_bookings_per_month=4, instructions="Key from the watch manager.",
    )  # fmt: skip


# --- what members see --------------------------------------------------------------------------------------------


def test_the_commons_home_groups_assets_by_kind(member, kitchen, community):
    ItemsFactory(community=community, name="Cordless drill", slug="drill")
    AssetFactory(community=community, name="Old hut", slug="hut", is_active=False)

    page = text_of(as_(member).get(url("commons-assets")))

    assert page.count("<h1>") == 1
    assert "Spaces" in page and "Things to borrow" in page
    assert "Fire station kitchen" in page and "3 in stock" in page
    assert "Old hut" not in page  # withdrawn: only coordinators see it
    assert url("commons-my-bookings") in page and url("commons-windows") in page
    assert url("commons-services") in page and url("commons-teams") in page


def test_the_home_filters_by_kind_and_owner(member, kitchen, community, organisation):
    ItemsFactory(community=community, name="Cordless drill", slug="drill")

    items = text_of(as_(member).get(url("commons-assets") + "?kind=items"))
    councils = text_of(as_(member).get(url("commons-assets") + f"?owner={organisation.slug}"))
    communitys = text_of(as_(member).get(url("commons-assets") + "?owner=community"))

    assert "Cordless drill" in items and "Fire station kitchen" not in items
    assert "Fire station kitchen" in councils and "Cordless drill" not in councils
    assert "Cordless drill" in communitys and "Fire station kitchen" not in communitys


def test_the_asset_page_says_the_rules_in_words_and_shows_busy_times_without_names(member, coordinator, kitchen):
    start = (timezone.now() + timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
    book(kitchen, coordinator, start)

    page = text_of(as_(member).get(url("commons-asset", "kitchen")))

    assert page.count("<h1>") == 1
    assert "Book at least 1 day ahead." in page
    assert "Each member may book it at most 4 times a month." in page
    assert "30 minutes is kept free between bookings." in page
    assert "Monday" in page and "08:00 to 22:00" in page
    assert "Riverside Council" in page and "Key from the watch manager." in page
    assert "Free to use" in page
    assert "Cora" not in page  # who booked is never shown
    assert "11:30 to 14:30" in page  # booked 12:00-14:00, with the buffer either side
    assert url("commons-book-asset", "kitchen") in page
    assert kitchen.feed_token in page
    assert url("commons-asset-edit", "kitchen") not in page  # not hers to manage


def test_the_week_can_be_moved_and_a_bad_week_is_ignored(member, kitchen):
    assert as_(member).get(url("commons-asset", "kitchen") + "?week=2026-13-40").status_code == 200
    assert as_(member).get(url("commons-asset", "kitchen") + "?week=9999-01-01").status_code == 200


def test_another_communitys_asset_is_not_found(outsider, member, kitchen, other_community):
    AssetFactory(community=other_community, name="Hillside hall", slug="hall")

    assert as_(member).get(url("commons-asset", "hall")).status_code == 404
    assert as_(outsider).get(url("commons-asset", "kitchen")).status_code == 403  # not a member here
    assert as_(None).get(url("commons-asset", "kitchen")).status_code == 302  # log in first


def test_the_utilisation_page_and_its_csv(member, kitchen, coordinator):
    three_days_ago = timezone.localtime(timezone.now() - timedelta(days=3)).replace(hour=12, minute=0, second=0)
    book(kitchen, coordinator, three_days_ago, status="returned")

    page = text_of(as_(member).get(url("commons-utilisation")))
    chosen = text_of(as_(member).get(url("commons-utilisation") + "?asset=kitchen"))
    download = as_(member).get(url("commons-utilisation-csv"))

    assert page.count("<h1>") == 1 and "<svg" in page and "Riverside Council" in page
    assert "Fire station kitchen: hours open and booked, month by month" in chosen
    assert "Cora" not in page
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert rows[0][:4] == ["row", "name", "month", "open_minutes"]
    assert {row[0] for row in rows[1:]} == {"community", "owner", "asset"}
    assert sum(int(row[4]) for row in rows[1:] if row[0] == "asset") == 120


# --- managing ----------------------------------------------------------------------------------------------------


def test_a_coordinator_adds_an_asset_then_its_hours(coordinator):
    cora = as_(coordinator)
    done = submit(cora, url("commons-asset-new"), {"name": "Community hall", "kind": "space", "stock": "1"})
    assert done.status_code == 302 and done.url == url("commons-asset-hours", "community-hall")

    hours = submit(cora, done.url, {"d0_opens_1": "09:00", "d0_closes_1": "12:00", "d0_opens_2": "18:00",
                                    "d0_closes_2": "00:00", "d5_opens_1": "10:00", "d5_closes_1": "16:00"})  # fmt: skip

    assert hours.status_code == 302
    windows = OpeningWindow.objects.filter(asset__slug="community-hall").values_list(
        "weekday", "start_minute", "end_minute"
    )
    assert list(windows) == [(0, 540, 720), (0, 1080, 1440), (5, 600, 960)]


def test_overlapping_hours_are_shown_as_an_error_and_nothing_is_saved(coordinator, kitchen):
    answer = submit(as_(coordinator), url("commons-asset-hours", "kitchen"),
                    {"d1_opens_1": "09:00", "d1_closes_1": "13:00", "d1_opens_2": "12:00", "d1_closes_2": "17:00"})  # fmt: skip

    assert answer.status_code == 400
    page = text_of(answer)
    assert PROBLEM in page and "overlap" in page
    assert OpeningWindow.objects.filter(asset=kitchen).count() == 7


def test_half_a_window_is_refused(coordinator, kitchen):
    answer = submit(as_(coordinator), url("commons-asset-hours", "kitchen"), {"d2_opens_1": "09:00", "d2_closes_1": ""})
    assert answer.status_code == 400 and "Give both an opening and a closing time for Wednesday" in text_of(answer)


def test_negative_stock_is_refused_in_words(coordinator, community):
    ItemsFactory(community=community, name="Drill", slug="drill")

    answer = as_(coordinator).post(url("commons-asset-stock", "drill"), {"stock": "-1"}, follow=True)

    assert "Enter 0 or more." in text_of(answer)
    assert Asset.objects.get(slug="drill").stock == 3


def test_editing_an_asset(coordinator, kitchen):
    answer = submit(as_(coordinator), url("commons-asset-edit", "kitchen"), {"buffer_minutes": "45"})

    assert answer.status_code == 302
    kitchen.refresh_from_db()
    assert kitchen.buffer_minutes == 45 and kitchen.max_bookings_per_month == 4


def test_maintenance_over_bookings_asks_for_confirmation(coordinator, member, kitchen):
    start = (timezone.now() + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    book(kitchen, member, start)
    local = timezone.localtime(start)
    fields = {
        "starts_at": local.strftime("%Y-%m-%dT09:00"), "ends_at": local.strftime("%Y-%m-%dT18:00"),
        "reason": "New oven",
    }  # fmt: skip

    first = submit(as_(coordinator), url("commons-asset-maintenance", "kitchen"), fields)
    assert first.status_code == 400 and "1 booking overlaps that time" in text_of(first)
    assert not MaintenancePeriod.objects.exists()

    # The confirmation box is unticked on the page, so it is posted as a browser does once it is ticked.
    second = as_(coordinator).post(url("commons-asset-maintenance", "kitchen"), fields | {"force": "on"})
    assert second.status_code == 302 and MaintenancePeriod.objects.count() == 1


def test_permits_are_granted_and_revoked_on_the_page(coordinator, member, kitchen):
    cora = as_(coordinator)
    submit(cora, url("commons-asset-permits", "kitchen"), {"member": str(member.pk)})
    permit = AssetPermit.objects.get()

    cora.post(url("commons-asset-permit-revoke", "kitchen", permit.pk))

    assert not AssetPermit.objects.exists()


def test_a_kit_is_made_and_shown(coordinator, member, community):
    gazebo = ItemsFactory(community=community, name="Gazebo", slug="gazebo", stock=2)
    urn = ItemsFactory(community=community, name="Urn", slug="urn", stock=1)
    cora = as_(coordinator)

    too_many = submit(cora, url("commons-kit-new"), {"name": "Party kit", f"asset_{gazebo.pk}": "3"})
    assert too_many.status_code == 400 and "There are only 2 of Gazebo" in text_of(too_many)
    made = submit(
        cora, url("commons-kit-new"), {"name": "Party kit", f"asset_{gazebo.pk}": "2", f"asset_{urn.pk}": "1"}
    )

    assert made.status_code == 302
    page = text_of(as_(member).get(url("commons-kit", "party-kit")))
    assert "2 × " in page and "Gazebo" in page and url("commons-book-kit", "party-kit") in page
    assert Kit.objects.get().items.count() == 2


def test_membership_plans_and_memberships(coordinator, member):
    cora = as_(coordinator)
    page = url("commons-plans")

    cora.post(page, {"form": "plan", "plan-name": "Standard", "plan-max_items_out": "3", "plan-is_default": "on"})
    plan = MembershipPlan.objects.get()
    submit(cora, page, {"membership-member": str(member.pk), "membership-plan": str(plan.pk)}, form_index=-1)

    assert plan.is_default and Membership.objects.get(member=member).plan == plan
    assert "Mina" in text_of(cora.get(page))


@pytest.mark.parametrize(
    "name",
    [
        "commons-asset-edit",
        "commons-asset-hours",
        "commons-asset-maintenance",
        "commons-asset-permits",
    ],
)
def test_members_cannot_open_the_management_pages(member, kitchen, name):
    assert as_(member).get(url(name, "kitchen")).status_code == 404


def test_members_cannot_post_to_management_pages(member, kitchen):
    mina = as_(member)
    assert mina.post(url("commons-asset-stock", "kitchen"), {"stock": "1"}).status_code == 404
    assert mina.post(url("commons-asset-active", "kitchen"), {"active": "no"}).status_code == 404
    assert mina.get(url("commons-asset-new")).status_code == 404
    assert mina.get(url("commons-kit-new")).status_code == 404
    assert mina.get(url("commons-plans")).status_code == 404
    assert Asset.objects.get(pk=kitchen.pk).is_active


def test_staff_manage_their_organisations_asset(staff, kitchen, community):
    AssetFactory(community=community, name="Hall", slug="hall")
    sam = as_(staff)

    assert sam.get(url("commons-asset-edit", "kitchen")).status_code == 200
    assert sam.get(url("commons-asset-edit", "hall")).status_code == 404
    assert access.can_manage_asset(staff, kitchen)


def test_withdrawing_an_asset(coordinator, member, kitchen):
    as_(coordinator).post(url("commons-asset-active", "kitchen"), {"active": "no"})

    assert as_(member).get(url("commons-asset", "kitchen")).status_code == 404
    assert as_(coordinator).get(url("commons-asset", "kitchen")).status_code == 200
