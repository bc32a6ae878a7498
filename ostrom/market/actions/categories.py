"""Changes to a community's category tree: install the defaults, and the coordinators' create, rename, move,
retire, restore and delete. Each runs in one transaction with the community's row locked, so two coordinators
editing at once cannot make a cycle or take the same slug; each leaves an audit row."""

from __future__ import annotations

from django.db import transaction

from ostrom.communities.actions import audit
from ostrom.communities.domain import DomainError
from ostrom.communities.models import Community, Member

from ..access import listings as access
from ..domain import categories as rules
from ..models import Category, Listing

# Ads refreshed per query when a category they sit under is renamed or moved.
REFRESH_BATCH = 500


def install_default_categories(community: Community) -> int:
    """Give a community with no categories the default tree; a community that has any keeps its own. Returns how
    many were made. Safe to call on every page that needs categories, and from two requests at once."""
    if Category.objects.filter(community=community).exists():
        return 0
    with transaction.atomic():
        Community.objects.select_for_update().filter(pk=community.pk).first()
        if Category.objects.filter(community=community).exists():  # another request installed them meanwhile
            return 0
        made = 0
        for position, node in enumerate(rules.DEFAULT_TREE):
            made += _install(community, node, None, position)
        return made


def _install(community: Community, node: rules.DefaultCategory, parent: Category | None, position: int) -> int:
    category = Category.objects.create(
        community=community, parent=parent, name=node.name, slug=node.slug, position=position
    )
    return 1 + sum(_install(community, child, category, index) for index, child in enumerate(node.children))


def fallback_category(community: Community) -> Category:
    """Where an ad with no chosen category goes (an SMS OFFER or WANT): the active "Other" category, made when the
    community has none; if coordinators retired it, the first active top-level category."""
    install_default_categories(community)
    found = Category.objects.filter(community=community, slug=rules.FALLBACK_SLUG, is_active=True).first()
    if found is not None:
        return found
    if not Category.objects.filter(community=community, slug=rules.FALLBACK_SLUG).exists():
        with transaction.atomic():
            Community.objects.select_for_update().filter(pk=community.pk).first()
            other, _ = Category.objects.get_or_create(
                community=community, slug=rules.FALLBACK_SLUG, defaults={"name": "Other", "position": 999}
            )
        if other.is_active:
            return other
    first = Category.objects.filter(community=community, is_active=True, parent=None).order_by("position", "pk").first()
    if first is None:
        raise DomainError("category_unknown", "This community has no open category yet. Ask a coordinator.")
    return first


def _require_coordinator(actor: Member) -> None:
    if not access.can_manage_categories(actor):
        raise DomainError("not_coordinator", "Only coordinators can change the categories.")


def _lock_tree(community_id: int) -> dict[int, int | None]:
    """Lock the community's row (every tree edit takes it, so edits run one at a time) and read the tree."""
    Community.objects.select_for_update().filter(pk=community_id).first()
    return dict(Category.objects.filter(community_id=community_id).values_list("pk", "parent_id"))


def _parent(actor: Member, parent: Category | int | None) -> Category | None:
    if parent is None or parent == "":
        return None
    parent_id = parent.pk if isinstance(parent, Category) else parent
    found = Category.objects.filter(community_id=actor.community_id, pk=parent_id).first()
    if found is None:
        raise DomainError("category_unknown", "There is no such category here.", "parent")
    if not found.is_active:
        raise DomainError("category_retired", f"“{found.name}” is retired; choose another parent.", "parent")
    return found


def _next_position(community_id: int, parent_id: int | None) -> int:
    last = (
        Category.objects.filter(community_id=community_id, parent_id=parent_id)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    return 0 if last is None else last + 1


def create_category(actor: Member, name: str, parent: Category | int | None = None) -> Category:
    """A new category, last among its siblings, with a slug no other category of the community has."""
    _require_coordinator(actor)
    name = rules.clean_name(name)
    with transaction.atomic():
        tree = _lock_tree(actor.community_id)
        parent_category = _parent(actor, parent)
        parent_id = parent_category.pk if parent_category else None
        rules.check_parent(None, parent_id, tree)
        _check_sibling_name(actor.community_id, parent_id, name)
        taken = set(Category.objects.filter(community_id=actor.community_id).values_list("slug", flat=True))
        category = Category.objects.create(
            community_id=actor.community_id, parent=parent_category, name=name,
            slug=rules.unique_slug(name, taken), position=_next_position(actor.community_id, parent_id),
        )  # fmt: skip
        audit(actor.community, actor.user, "market.category_created", None, "", category=category.pk, name=name)
    return category


def _check_sibling_name(community_id: int, parent_id: int | None, name: str, exclude: int | None = None) -> None:
    siblings = Category.objects.filter(community_id=community_id, parent_id=parent_id, name__iexact=name)
    if exclude is not None:
        siblings = siblings.exclude(pk=exclude)
    if siblings.exists():
        raise DomainError("category_name_taken", f"There is already a category called “{name}” here.", "name")


def rename_category(actor: Member, category: Category, name: str) -> Category:
    """A new name; the slug stays, so links and filters that use it keep working."""
    _require_coordinator(actor)
    name = rules.clean_name(name)
    with transaction.atomic():
        _lock_tree(actor.community_id)
        current = _fresh(actor, category)
        _check_sibling_name(actor.community_id, current.parent_id, name, exclude=current.pk)
        old = current.name
        current.name = name
        current.save(update_fields=["name"])
        audit(actor.community, actor.user, "market.category_renamed", None, "", category=current.pk, old=old, new=name)
        _refresh_listings_under(current)
    return current


def move_category(
    actor: Member, category: Category, parent: Category | int | None, position: int | None = None
) -> Category:
    """Put a category (with its subcategories) under another parent, or at the top; never inside itself."""
    _require_coordinator(actor)
    if position is not None and not 0 <= position <= 10_000:
        raise DomainError("position_invalid", "Give a position from 0 to 10,000.", "position")
    with transaction.atomic():
        tree = _lock_tree(actor.community_id)
        current = _fresh(actor, category)
        parent_category = _parent(actor, parent)
        parent_id = parent_category.pk if parent_category else None
        rules.check_parent(current.pk, parent_id, tree)
        _check_sibling_name(actor.community_id, parent_id, current.name, exclude=current.pk)
        moved = parent_id != current.parent_id
        current.parent = parent_category
        if position is not None:
            current.position = position
        elif moved:
            current.position = _next_position(actor.community_id, parent_id)
        current.save(update_fields=["parent", "position"])
        audit(
            actor.community, actor.user, "market.category_moved", None, "",
            category=current.pk, parent=parent_id, position=current.position,
        )  # fmt: skip
        if moved:
            _refresh_listings_under(current)
    return current


def _subtree_ids(category: Category) -> list[int]:
    tree = dict(Category.objects.filter(community_id=category.community_id).values_list("pk", "parent_id"))
    return [node for node in tree if category.pk in rules.ancestors(node, tree)]


def retire_category(actor: Member, category: Category) -> int:
    """Take a category and its subcategories out of use: their ads stay where they are, new ones cannot go there.
    Returns how many categories were retired."""
    _require_coordinator(actor)
    with transaction.atomic():
        _lock_tree(actor.community_id)
        current = _fresh(actor, category)
        ids = _subtree_ids(current)
        retired = Category.objects.filter(pk__in=ids, is_active=True).update(is_active=False)
        audit(actor.community, actor.user, "market.category_retired", None, "", category=current.pk, count=retired)
    return retired


def restore_category(actor: Member, category: Category) -> Category:
    """Put a retired category back into use (its subcategories stay retired until restored one by one)."""
    _require_coordinator(actor)
    with transaction.atomic():
        _lock_tree(actor.community_id)
        current = _fresh(actor, category)
        if current.parent_id is not None and not current.parent.is_active:
            raise DomainError(
                "category_retired", f"Restore “{current.parent.name}” first: this category is inside it.", "parent"
            )
        if not current.is_active:
            current.is_active = True
            current.save(update_fields=["is_active"])
            audit(actor.community, actor.user, "market.category_restored", None, "", category=current.pk)
    return current


def delete_category(actor: Member, category: Category) -> None:
    """Delete a category nobody used: one with ads or subcategories is retired instead, so no ad loses its place."""
    _require_coordinator(actor)
    with transaction.atomic():
        _lock_tree(actor.community_id)
        current = _fresh(actor, category)
        if Category.objects.filter(parent=current).exists():
            raise DomainError(
                "category_has_children", "This category has subcategories: move or delete them first, or retire it."
            )
        if Listing.objects.filter(category=current).exists():
            raise DomainError(
                "category_in_use", "Offers or requests use this category, so it cannot be deleted. Retire it instead."
            )
        audit(actor.community, actor.user, "market.category_deleted", None, "", category=current.pk, name=current.name)
        current.delete()


def _fresh(actor: Member, category: Category) -> Category:
    """The category as it is now, under the tree lock, and only if it is the actor's community's."""
    current = Category.objects.select_related("parent").filter(pk=category.pk, community_id=actor.community_id).first()
    if current is None:
        raise DomainError("category_unknown", "There is no such category here.")
    return current


def _refresh_listings_under(category: Category) -> None:
    """Search reads category names (and the parent's), so ads under a renamed or moved category are refreshed,
    a batch at a time so a category with many ads does not hold them all in memory."""
    from .listings import refresh_search_text  # listings import categories for the fallback; import late

    ids = _subtree_ids(category)
    batch: list[Listing] = []
    for listing in (
        Listing.objects.filter(category_id__in=ids).select_related("category__parent").iterator(REFRESH_BATCH)
    ):
        refresh_search_text(listing)
        batch.append(listing)
        if len(batch) >= REFRESH_BATCH:
            Listing.objects.bulk_update(batch, ["search_text"])
            batch = []
    if batch:
        Listing.objects.bulk_update(batch, ["search_text"])
