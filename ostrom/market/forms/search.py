"""The marketplace's search form: words, what kind, which category, how far, when, remote, and the order.

It only narrows what is shown. Distance choices appear only to a member whose profile has a rough location; the
form turns what was chosen into search.Filters (a category into itself and everything below it)."""

from __future__ import annotations

from typing import Any

from django import forms

from ostrom.communities.domain import Availability
from ostrom.communities.models import Member

from ..models import Category, ListingKind
from ..search import MAX_QUERY_CHARS, Filters, Sort, categories_below

DISTANCES_KM = (1, 2, 5, 10, 25)
KINDS = [("", "Offers and requests"), (ListingKind.OFFER, "Offers"), (ListingKind.REQUEST, "Requests")]


def search_category_choices(categories: list[Category]) -> list[Any]:
    """Every category of the community, grouped under its top level ("… in general" takes the whole group)."""
    children: dict[int | None, list[Category]] = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category)
    choices: list[Any] = [("", "Any category")]
    for top in children.get(None, []):
        below = children.get(top.pk, [])
        if not below:
            choices.append((str(top.pk), top.name))
            continue
        options = [(str(top.pk), f"{top.name}, all of it")]
        for child in below:
            options.append((str(child.pk), child.name))
            options += [(str(grandchild.pk), f"– {grandchild.name}") for grandchild in children.get(child.pk, [])]
        choices.append((top.name, options))
    return choices


class SearchForm(forms.Form):
    q = forms.CharField(
        label="What are you looking for?",
        required=False,
        max_length=MAX_QUERY_CHARS,
        help_text="For example: gardening, lift to the hospital, “dog walking”. Put - before a word to leave it out.",
        widget=forms.TextInput(attrs={"type": "search", "maxlength": MAX_QUERY_CHARS}),
        error_messages={"max_length": f"Keep the search to {MAX_QUERY_CHARS} characters."},
    )
    kind = forms.ChoiceField(label="Show", required=False, choices=KINDS, widget=forms.RadioSelect)
    category = forms.ChoiceField(
        label="Category", required=False, error_messages={"invalid_choice": "Choose a category from the list."}
    )
    within_km = forms.TypedChoiceField(
        label="Distance from you",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Any distance"), *((str(km), f"Within {km} km") for km in DISTANCES_KM)],
        help_text="Measured from the rough location on your profile.",
        error_messages={"invalid_choice": "Choose a distance from the list."},
    )
    availability = forms.MultipleChoiceField(
        label="When",
        required=False,
        choices=Availability.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only ads that give at least one of these times.",
        error_messages={"invalid_choice": "Choose times from the list."},
    )
    remote = forms.BooleanField(label="Only help that can be given by phone or online", required=False)
    sort = forms.ChoiceField(
        label="Order",
        required=False,
        choices=[(Sort.RELEVANCE, "Best match first"), (Sort.DISTANCE, "Nearest first"), (Sort.NEWEST, "Newest first")],
        error_messages={"invalid_choice": "Choose an order from the list."},
    )

    def __init__(self, *args: Any, viewer: Member, categories: list[Category], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        self.fields["category"].choices = search_category_choices(categories)
        if viewer.latitude is None or viewer.longitude is None:
            # Without a place on the profile there is nothing to measure from.
            del self.fields["within_km"]
            self.fields["sort"].choices = [c for c in self.fields["sort"].choices if c[0] != Sort.DISTANCE]

    def filters(self) -> Filters:
        """What was chosen, as search.Filters; call after is_valid()."""
        data = self.cleaned_data
        category_ids = categories_below(self.viewer, int(data["category"])) if data.get("category") else None
        within_km = data.get("within_km")
        return Filters(
            text=data.get("q") or "",
            kind=data.get("kind") or None,
            category_ids=category_ids,
            within_metres=within_km * 1000 if within_km else None,
            availability=frozenset(data.get("availability") or ()),
            remote_only=bool(data.get("remote")),
            sort=Sort(data.get("sort") or Sort.RELEVANCE),
        )
