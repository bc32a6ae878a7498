"""The category tree's rules and the tree a new community starts with, as plain functions and data.

A community's coordinators edit the tree; these rules keep it a tree (no cycles), shallow enough to read on a
noticeboard, and its slugs unique in the community."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from django.utils.text import slugify

from ostrom.communities.domain import DomainError

NAME_MAX_CHARS = 60
SLUG_MAX_CHARS = 60
# "Home and garden" > "Gardening" > "Allotments" is as deep as a printed directory stays readable.
MAX_DEPTH = 3
# A bound on any walk up the tree, so a corrupted parent chain can never loop for ever.
MAX_WALK = 100
# Where an ad goes when nobody chose a category (an SMS OFFER or WANT).
FALLBACK_SLUG = "other"


@dataclass(frozen=True)
class DefaultCategory:
    name: str
    slug: str
    children: tuple[DefaultCategory, ...] = ()


def _leaf(name: str, slug: str = "") -> DefaultCategory:
    return DefaultCategory(name, slug or slugify(name))


def _branch(name: str, *children: DefaultCategory) -> DefaultCategory:
    return DefaultCategory(name, slugify(name), children)


# What a timebank or neighbourhood network usually trades, from UK timebanks' category lists.
DEFAULT_TREE: tuple[DefaultCategory, ...] = (
    _branch(
        "Home and garden",
        _leaf("Gardening"),
        _leaf("DIY and repairs"),
        _leaf("Cleaning and tidying"),
        _leaf("Pet care"),
    ),
    _branch(
        "Care and company",
        _leaf("Befriending"),
        _leaf("Shopping and errands"),
        _leaf("Phone and video calls", "calls"),
        _leaf("Meals and cooking for others", "meals"),
    ),
    _branch("Transport", _leaf("Lifts"), _leaf("Deliveries and collections", "deliveries")),
    _branch(
        "Learning",
        _leaf("Languages"),
        _leaf("IT help"),
        _leaf("Music and arts"),
        _leaf("Tutoring and homework", "tutoring"),
    ),
    _branch(
        "Things to lend",
        _leaf("Tools", "lend-tools"),
        _leaf("Household items", "lend-household"),
        _leaf("Books and games", "lend-books-games"),
    ),
    _branch("Food", _leaf("Cooking and baking"), _leaf("Growing and sharing food", "food-sharing")),
    _branch(
        "Health and wellbeing",
        _leaf("Walking and exercise", "exercise"),
        _leaf("Listening and support", "listening"),
    ),
    _branch("Admin and paperwork", _leaf("Forms and letters"), _leaf("Money and budgeting", "budgeting")),
    _branch("Community and events", _leaf("Event help"), _leaf("Local groups")),
    _leaf("Other", FALLBACK_SLUG),
)


def clean_name(raw: str) -> str:
    """A category name on one line, 1 to 60 characters."""
    name = " ".join(str(raw or "").split())
    if "\x00" in name:
        raise DomainError("invalid_characters", "Remove the characters that are not ordinary text.", "name")
    if not name:
        raise DomainError("category_name_required", "Enter a name for the category.", "name")
    if len(name) > NAME_MAX_CHARS:
        raise DomainError("category_name_too_long", f"Keep the name to {NAME_MAX_CHARS} characters.", "name")
    return name


def unique_slug(name: str, taken: Collection[str]) -> str:
    """A slug for ``name`` that no other category of the community has: "gardening", else "gardening-2"..."""
    base = slugify(name)[:SLUG_MAX_CHARS].strip("-") or "category"
    if base not in taken:
        return base
    for number in range(2, len(taken) + 3):
        suffix = f"-{number}"
        candidate = base[: SLUG_MAX_CHARS - len(suffix)].rstrip("-") + suffix
        if candidate not in taken:
            return candidate
    raise AssertionError("unreachable: len(taken) + 1 candidates cannot all be taken")


def ancestors(node_id: int | None, parent_of: Mapping[int, int | None]) -> list[int]:
    """``node_id`` and the ids above it, nearest first."""
    chain: list[int] = []
    while node_id is not None and len(chain) < MAX_WALK:
        chain.append(node_id)
        node_id = parent_of.get(node_id)
    return chain


def subtree_height(node_id: int, parent_of: Mapping[int, int | None]) -> int:
    """How many levels ``node_id`` and its descendants fill: 1 for a category without children."""
    children: dict[int, list[int]] = {}
    for child, parent in parent_of.items():
        if parent is not None:
            children.setdefault(parent, []).append(child)
    height, level, seen = 0, [node_id], {node_id}
    while level and height < MAX_WALK:
        height += 1
        level = [child for node in level for child in children.get(node, []) if child not in seen]
        seen.update(level)
    return height


def check_parent(node_id: int | None, new_parent_id: int | None, parent_of: Mapping[int, int | None]) -> None:
    """Putting ``node_id`` (None: a new category) under ``new_parent_id`` keeps a tree of at most three levels.
    ``parent_of`` maps every category of the community to its parent."""
    if new_parent_id is None:
        height = 1 if node_id is None else subtree_height(node_id, parent_of)
        if height > MAX_DEPTH:
            raise _too_deep()
        return
    above = ancestors(new_parent_id, parent_of)
    if node_id is not None and node_id in above:
        raise DomainError(
            "category_cycle", "A category cannot go inside itself or one of its own subcategories.", "parent"
        )
    height = 1 if node_id is None else subtree_height(node_id, parent_of)
    if len(above) + height > MAX_DEPTH:
        raise _too_deep()


def _too_deep() -> DomainError:
    return DomainError("category_too_deep", f"Categories go at most {MAX_DEPTH} levels deep.", "parent")


def path_label(names: list[str]) -> str:
    """ "Home and garden › Gardening" from the names top first."""
    return " › ".join(names)
