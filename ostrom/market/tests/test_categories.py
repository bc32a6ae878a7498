"""The category tree: the defaults a community starts with, and Cora (coordinator) adding, renaming, moving,
retiring, restoring and deleting categories, without cycles, duplicate slugs or ads losing their place."""

import pytest
from django.test import Client
from django.urls import reverse

from ostrom.communities.models import AuditEntry
from ostrom.market.actions import categories as actions
from ostrom.market.actions.listings import create_listing
from ostrom.market.domain import categories as rules
from ostrom.market.models import Category, Listing
from ostrom.market.tests.factories import CategoryFactory, ListingFactory
from ostrom.market.tests.test_listings_actions import offer, refused, snapshot


def slugs(community) -> set[str]:
    return set(Category.objects.filter(community=community).values_list("slug", flat=True))


def as_(persona) -> Client:
    client = Client()
    client.force_login(persona.user)
    return client


# --- The default tree -----------------------------------------------------------------------------------------------


def walk(nodes, depth=1):
    for node in nodes:
        yield node, depth
        yield from walk(node.children, depth + 1)


def test_the_default_tree_has_unique_slugs_and_fits_the_depth_limit():
    nodes = list(walk(rules.DEFAULT_TREE))
    assert len({node.slug for node, _ in nodes}) == len(nodes)
    assert max(depth for _, depth in nodes) <= rules.MAX_DEPTH
    names = {node.name for node, _ in nodes}
    assert {"Gardening", "DIY and repairs", "Befriending", "Shopping and errands", "Lifts", "Languages"} <= names
    assert {"IT help", "Things to lend", "Food", "Health and wellbeing", "Admin and paperwork", "Other"} <= names


def test_a_new_community_gets_the_defaults_once(community):
    made = actions.install_default_categories(community)

    assert made == len(list(walk(rules.DEFAULT_TREE)))
    gardening = Category.objects.get(community=community, slug="gardening")
    assert gardening.parent.name == "Home and garden"
    assert actions.install_default_categories(community) == 0
    assert Category.objects.filter(community=community).count() == made


def test_a_community_with_its_own_categories_keeps_them(community, gardening):
    assert actions.install_default_categories(community) == 0
    assert slugs(community) == {"gardening"}


def test_each_community_has_its_own_tree(community, other_community):
    actions.install_default_categories(community)
    actions.install_default_categories(other_community)
    assert slugs(community) == slugs(other_community)
    assert not Category.objects.filter(community=community, pk__in=Category.objects.filter(community=other_community))


def test_the_fallback_is_other_or_the_first_open_category(community, coordinator):
    assert actions.fallback_category(community).slug == "other"
    other = Category.objects.get(community=community, slug="other")
    actions.retire_category(coordinator, other)
    assert actions.fallback_category(community).slug == "home-and-garden"


def test_a_community_whose_coordinators_deleted_other_gets_it_back_as_fallback(community, coordinator):
    actions.install_default_categories(community)
    actions.delete_category(coordinator, Category.objects.get(community=community, slug="other"))
    assert actions.fallback_category(community).name == "Other"


# --- Tree rules -----------------------------------------------------------------------------------------------------


def test_slugs_are_unique_in_the_community():
    assert rules.unique_slug("Gardening", {"gardening", "gardening-2"}) == "gardening-3"
    assert rules.unique_slug("!!!", set()) == "category"
    long = rules.unique_slug("x" * 80, {"x" * 60})
    assert len(long) <= 60 and long.endswith("-2")


def test_a_category_cannot_go_inside_itself_or_its_descendants():
    tree = {1: None, 2: 1, 3: 2}
    assert refused(rules.check_parent, 1, 3, tree).code == "category_cycle"
    assert refused(rules.check_parent, 1, 1, tree).code == "category_cycle"
    assert refused(rules.check_parent, 4, 3, {**tree, 4: None}).code == "category_too_deep"
    rules.check_parent(3, None, tree)
    rules.check_parent(None, 2, tree)


def test_a_subtree_moved_under_another_must_still_fit_three_levels():
    tree = {1: None, 2: 1, 10: None, 11: 10}
    assert refused(rules.check_parent, 1, 11, tree).code == "category_too_deep"
    rules.check_parent(1, 10, tree)
    rules.check_parent(2, 11, tree)


# --- Coordinators edit the tree -------------------------------------------------------------------------------------


def test_cora_adds_a_category_inside_another(coordinator, gardening):
    allotments = actions.create_category(coordinator, " Allotments ", gardening)

    assert (allotments.name, allotments.slug, allotments.parent) == ("Allotments", "allotments", gardening)
    assert AuditEntry.objects.filter(action="market.category_created", actor=coordinator.user).exists()


def test_two_categories_of_the_same_name_in_different_places_get_different_slugs(coordinator, gardening):
    first = actions.create_category(coordinator, "Tools")
    second = actions.create_category(coordinator, "Tools", gardening)
    assert (first.slug, second.slug) == ("tools", "tools-2")


def test_bad_category_changes_are_refused_and_write_nothing(coordinator, member, gardening, other_community):
    hillside = CategoryFactory(community=other_community, name="Elsewhere", slug="elsewhere")
    child = actions.create_category(coordinator, "Allotments", gardening)
    before = snapshot()

    assert refused(actions.create_category, member, "Mine").code == "not_coordinator"
    assert refused(actions.create_category, coordinator, "   ").code == "category_name_required"
    assert refused(actions.create_category, coordinator, "x" * 61).code == "category_name_too_long"
    assert refused(actions.create_category, coordinator, "Allotments", gardening).code == "category_name_taken"
    assert refused(actions.create_category, coordinator, "New", hillside.pk).code == "category_unknown"
    assert refused(actions.move_category, coordinator, gardening, child).code == "category_cycle"
    assert refused(actions.rename_category, coordinator, hillside, "Mine").code == "category_unknown"
    assert snapshot() == before


def test_renaming_or_moving_a_category_refreshes_what_search_reads(coordinator, member, community, gardening):
    home = actions.create_category(coordinator, "Home and garden")
    listing = create_listing(member, **offer(category=gardening))

    actions.rename_category(coordinator, gardening, "Gardens and allotments")
    listing.refresh_from_db()
    assert listing.search_text.endswith("Gardens and allotments")

    actions.move_category(coordinator, gardening, home)
    listing.refresh_from_db()
    assert listing.search_text.endswith("Gardens and allotments Home and garden")
    assert Category.objects.get(pk=gardening.pk).slug == "gardening"


def test_retiring_a_category_retires_what_is_inside_and_keeps_the_ads(coordinator, member, gardening):
    allotments = actions.create_category(coordinator, "Allotments", gardening)
    listing = ListingFactory(community=member.community, member=member, category=allotments)

    assert actions.retire_category(coordinator, gardening) == 2

    assert not Category.objects.filter(pk__in=[gardening.pk, allotments.pk], is_active=True).exists()
    assert Listing.objects.get(pk=listing.pk).category == allotments
    assert refused(actions.restore_category, coordinator, allotments).code == "category_retired"
    actions.restore_category(coordinator, gardening)
    assert Category.objects.get(pk=gardening.pk).is_active


def test_a_category_with_ads_or_subcategories_cannot_be_deleted(coordinator, minas_offer, gardening):
    empty = actions.create_category(coordinator, "Empty")
    parent = actions.create_category(coordinator, "Parent")
    actions.create_category(coordinator, "Child", parent)

    assert refused(actions.delete_category, coordinator, gardening).code == "category_in_use"
    assert refused(actions.delete_category, coordinator, parent).code == "category_has_children"
    actions.delete_category(coordinator, empty)
    assert not Category.objects.filter(pk=empty.pk).exists()


# --- The editor page ------------------------------------------------------------------------------------------------


def test_the_editor_installs_the_defaults_and_lists_the_tree(coordinator, community):
    response = as_(coordinator).get(reverse("market_categories", args=[community.slug]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Home and garden" in page and "Gardening" in page


@pytest.mark.parametrize("persona", ["member", "staff", "outsider"])
def test_only_coordinators_open_the_category_editor(request, community, persona):
    who = request.getfixturevalue(persona)
    assert as_(who).get(reverse("market_categories", args=[community.slug])).status_code == 403


def test_cora_adds_renames_moves_and_retires_without_javascript(coordinator, community, gardening):
    client = as_(coordinator)
    url = reverse("market_categories", args=[community.slug])

    response = client.post(url, {"name": "Allotments", "parent": gardening.pk})
    assert response.status_code == 302
    allotments = Category.objects.get(slug="allotments")

    edit = reverse("market_category_edit", args=[community.slug, allotments.pk])
    response = client.post(edit, {"name": "Allotment help", "parent": "", "position": 3})
    assert response.status_code == 302
    allotments.refresh_from_db()
    assert (allotments.name, allotments.parent, allotments.position) == ("Allotment help", None, 3)

    client.post(reverse("market_category_action", args=[community.slug, allotments.pk, "retire"]))
    assert not Category.objects.get(pk=allotments.pk).is_active
    client.post(reverse("market_category_action", args=[community.slug, allotments.pk, "delete"]))
    assert not Category.objects.filter(pk=allotments.pk).exists()


def test_the_editor_shows_refusals_beside_the_field(coordinator, community, gardening):
    client = as_(coordinator)
    child = actions.create_category(coordinator, "Allotments", gardening)
    edit = reverse("market_category_edit", args=[community.slug, gardening.pk])

    response = client.post(edit, {"name": "Gardening", "parent": child.pk, "position": 0})

    assert response.status_code == 400
    assert "A category cannot go inside itself or one of its own subcategories." in response.content.decode()
    assert Category.objects.get(pk=gardening.pk).parent is None
    response = client.post(reverse("market_categories", args=[community.slug]), {"name": "", "parent": ""})
    assert response.status_code == 400 and "There is a problem" in response.content.decode()


def test_deleting_a_used_category_says_to_retire_it(coordinator, community, minas_offer, gardening):
    client = as_(coordinator)
    response = client.post(
        reverse("market_category_action", args=[community.slug, gardening.pk, "delete"]), follow=True
    )
    assert "Retire it instead" in response.content.decode()
    assert Category.objects.filter(pk=gardening.pk).exists()


def test_another_communitys_category_is_not_found(coordinator, other_community):
    hillside = CategoryFactory(community=other_community, name="Elsewhere", slug="elsewhere")
    url = reverse("market_category_edit", args=[coordinator.community.slug, hillside.pk])
    assert as_(coordinator).get(url).status_code == 404
