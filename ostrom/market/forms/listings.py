"""Forms for posting and changing offers and requests, posting on a resident's behalf, and editing categories.

They check the shape of what people type and turn it into the actions' values ("1:30" into 90 minutes, a date
into the end of that day in the community's time zone, "2.50" credits into 250 units); the rules themselves are
the actions', whose errors ``add_domain_error`` shows beside the field they name."""

from __future__ import annotations

from typing import Any

from django import forms

from ostrom.communities.domain import Availability, DomainError
from ostrom.communities.forms import PlainMessages
from ostrom.communities.models import Member
from ostrom.ledger.domain import amounts
from ostrom.ledger.forms.fields import CurrencyChoiceField, amount_in_units

from ..access import listings as access
from ..domain import listings as rules
from ..domain.categories import MAX_DEPTH, NAME_MAX_CHARS
from ..models import Category, Listing, ListingKind

SELF = ""
PHOTO_TYPES = "image/jpeg,image/png,image/webp"


def category_choices(categories: list[Category], include: int | None = None) -> list[Any]:
    """Grouped choices: each top-level category is a group holding itself ("… in general") and what is inside it,
    so a long tree stays scannable in a plain <select>. ``include`` keeps a retired category an ad already uses."""
    children: dict[int | None, list[Category]] = {}
    for category in categories:
        if category.is_active or category.pk == include:
            children.setdefault(category.parent_id, []).append(category)
    choices: list[Any] = [("", "Choose a category")]
    for top in children.get(None, []):
        below = children.get(top.pk, [])
        if not below:
            choices.append((top.pk, top.name))
            continue
        options = [(top.pk, f"{top.name} in general")]
        for child in below:
            options.append((child.pk, child.name))
            options += [(grandchild.pk, f"– {grandchild.name}") for grandchild in children.get(child.pk, [])]
        choices.append((top.name, options))
    return choices


class ListingForm(PlainMessages, forms.Form):
    kind = forms.ChoiceField(
        label="Are you offering help or asking for it?",
        choices=[(ListingKind.OFFER, "I am offering"), (ListingKind.REQUEST, "I am asking")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether you are offering or asking."},
    )
    title = forms.CharField(
        label="Title",
        help_text="A few words, for example “Help with gardening” or “Lift to the hospital”.",
        widget=forms.TextInput(attrs={"maxlength": rules.TITLE_MAX_CHARS}),
        # Lengths are the rules' (the actions say what is wrong in the same words everywhere).
        error_messages={"required": "Enter a title, for example “Help with gardening”."},
    )
    description = forms.CharField(
        label="Description",
        help_text="What, when and anything people should know. Do not write your address or phone number here.",
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": rules.DESCRIPTION_MAX_CHARS}),
        strip=False,
        error_messages={"required": "Say a little about what you offer or need."},
    )
    category = forms.TypedChoiceField(
        label="Category",
        coerce=int,
        error_messages={"required": "Choose a category.", "invalid_choice": "Choose a category from the list."},
    )
    tags = forms.CharField(
        label="Tags",
        required=False,
        max_length=1000,
        help_text="Words that help people find it, separated by commas, for example: weeding, hedges.",
    )
    place_name = forms.CharField(
        label="Rough place",
        required=False,
        max_length=200,
        help_text="A street or an area, for example “Mill Lane” or “near the library”. Never your full address.",
    )
    use_my_area = forms.BooleanField(
        label="Show it near my rough location (from my profile, about 100 metres)", required=False
    )
    availability = forms.MultipleChoiceField(
        label="When", required=False, choices=Availability.choices, widget=forms.CheckboxSelectMultiple
    )
    remote_ok = forms.BooleanField(label="It can be done by phone or online", required=False)
    estimated_minutes = forms.CharField(
        label="Roughly how long", required=False, max_length=40, help_text="For example 1:30, 2 hours or 45 min."
    )
    expires_at = forms.DateField(
        label="Show it until",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=f"Up to {rules.MAX_LIFETIME.days} days ahead. Leave it empty for {rules.DEFAULT_LIFETIME.days} days.",
        error_messages={"invalid": "Enter a date like 2026-06-30."},
    )
    photo = forms.FileField(
        label="Photo",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": PHOTO_TYPES}),
        help_text=f"A JPEG, PNG or WebP picture of at most {rules.PHOTO_MAX_BYTES // 1024 // 1024} MB.",
    )
    remove_photo = forms.BooleanField(label="Remove the photo", required=False)
    organisation = forms.TypedChoiceField(
        label="Post as",
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose yourself or your organisation."},
    )
    price_amount = forms.CharField(
        label="Price in credits",
        required=False,
        max_length=40,
        help_text="Only for your organisation's offers, for example 1 for one swimming session.",
    )
    price_currency = CurrencyChoiceField(label="Credit", queryset=None, required=False, empty_label="No price")

    def __init__(self, *args: Any, viewer: Member, listing: Listing | None = None, **kwargs: Any) -> None:
        if listing is not None:
            kwargs.setdefault("initial", self.initial_for(listing))
        super().__init__(*args, **kwargs)
        self.viewer, self.listing = viewer, listing
        categories = list(access.community_categories(viewer).order_by("position", "name", "pk"))
        self.fields["category"].choices = category_choices(categories, listing.category_id if listing else None)
        self.fields["price_currency"].queryset = access.price_currencies(viewer)
        organisations = list(access.posting_organisations(viewer))
        if listing is not None and listing.organisation is not None and listing.organisation not in organisations:
            organisations.append(listing.organisation)  # a colleague's or a coordinator's view of it
        person = "Myself" if listing is None or listing.member_id == viewer.pk else listing.member.display_name
        self.fields["organisation"].choices = [(SELF, person), *((o.pk, o.name) for o in organisations)]
        self.fields["organisation"].initial = listing.organisation_id if listing else SELF
        if not organisations:
            del self.fields["organisation"]
        if not organisations or not self.fields["price_currency"].queryset.exists():
            del self.fields["price_amount"], self.fields["price_currency"]
        if not self.has_area():
            del self.fields["use_my_area"]
        if listing is None or not listing.photo:
            del self.fields["remove_photo"]
        if listing is not None:
            # Renewing sets a new end date; editing keeps the one it has unless a new one is typed.
            self.fields["expires_at"].help_text = "Leave it as it is, or choose a new date up to 180 days ahead."

    def owner(self) -> Member:
        return self.listing.member if self.listing is not None else self.viewer

    def has_area(self) -> bool:
        owner = self.owner()
        return owner.latitude is not None and owner.longitude is not None

    @staticmethod
    def initial_for(listing: Listing) -> dict[str, Any]:
        currency = listing.price_currency
        local_end = None
        if listing.expires_at is not None:
            from django.utils import timezone

            local_end = timezone.localtime(listing.expires_at).date()
        return {
            "kind": listing.kind,
            "title": listing.title,
            "description": listing.description,
            "category": listing.category_id,
            "tags": ", ".join(listing.tags),
            "place_name": listing.place_name,
            "use_my_area": listing.latitude is not None,
            "availability": listing.availability,
            "remote_ok": listing.remote_ok,
            "estimated_minutes": amounts.format_hours_minutes(listing.estimated_minutes)
            if listing.estimated_minutes
            else "",
            "expires_at": local_end,
            "price_amount": _typed_price(listing.price_amount, currency.scale) if currency else "",
            "price_currency": currency.pk if currency else None,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["estimated_minutes_value"] = self._minutes(data.get("estimated_minutes") or "")
        currency = data.get("price_currency")
        data["price_units"] = amount_in_units(self, "price_amount", currency) if "price_amount" in self.fields else None
        if "price_amount" in self.fields and data.get("price_amount") and currency is None:
            self.add_error("price_currency", "Choose the credit the price is in.")
        return data

    def _minutes(self, text: str) -> int | None:
        if not text.strip():
            return None
        try:
            return amounts.parse_amount(text, amounts.TIME, 60)
        except DomainError:
            self.add_error("estimated_minutes", "Write how long like 1:30, 2 hours or 45 min.")
            return None

    def listing_fields(self, time_zone: str) -> dict[str, Any]:
        """The cleaned values as the actions take them."""
        data = self.cleaned_data
        fields: dict[str, Any] = {
            "kind": data["kind"],
            "title": data.get("title", ""),
            "description": data.get("description", ""),
            "category": data.get("category"),
            "tags": data.get("tags", ""),
            "place_name": data.get("place_name", ""),
            "availability": data.get("availability", []),
            "remote_ok": data.get("remote_ok", False),
            "estimated_minutes": data.get("estimated_minutes_value"),
        }
        day = data.get("expires_at")
        # An edit that leaves the date as shown keeps the end date as it is (even one already past).
        if day is not None and (self.listing is None or day != self.initial.get("expires_at")):
            fields["expires_at"] = rules.end_of_day(day, time_zone)
        elif self.listing is None:
            fields["expires_at"] = None
        owner = self.owner()
        if "use_my_area" in self.fields and data.get("use_my_area"):
            fields["latitude"], fields["longitude"] = owner.latitude, owner.longitude
        else:
            fields["latitude"] = fields["longitude"] = None
        if "organisation" in self.fields:
            fields["organisation"] = data.get("organisation")
        if "price_amount" in self.fields:
            fields["price_amount"] = data.get("price_units")
            fields["price_currency"] = data.get("price_currency")
        return fields


def _typed_price(units: int | None, scale: int) -> str:
    if units is None:
        return ""
    if scale == 1:
        return str(units)
    whole, part = divmod(units, scale)
    return f"{whole}.{part:0{len(str(scale - 1))}d}"


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Member) -> str:
        return obj.display_name


class OnBehalfListingForm(ListingForm):
    """A coordinator types in a resident's paper form or phone call."""

    member = MemberChoiceField(
        label="Who is it for?",
        queryset=Member.objects.none(),
        empty_label="Choose a member",
        error_messages={"required": "Choose the member it is for.", "invalid_choice": "Choose a member from the list."},
    )
    reason = forms.CharField(
        label="How did they ask?",
        max_length=500,
        help_text="For example “paper form at the library” or “phone call on Monday”. Recorded in the audit log.",
        error_messages={"required": "Say how they asked."},
    )
    field_order = ["member", "reason"]

    def __init__(self, *args: Any, viewer: Member, **kwargs: Any) -> None:
        super().__init__(*args, viewer=viewer, **kwargs)
        self.fields["member"].queryset = access.on_behalf_members(viewer).exclude(pk=viewer.pk)
        for name in ("organisation", "price_amount", "price_currency", "use_my_area"):
            self.fields.pop(name, None)

    def owner(self) -> Member:
        return self.viewer  # the location checkbox is not offered: it would be the coordinator's area


class StatusForm(forms.Form):
    """Publish, pause, resume, renew or close; renewing and publishing may choose the end date."""

    action = forms.ChoiceField(choices=[(a, a) for a in ("publish", "pause", "resume", "renew", "close")])
    expires_at = forms.DateField(required=False, error_messages={"invalid": "Enter a date like 2026-06-30."})


class CategoryForm(PlainMessages, forms.Form):
    name = forms.CharField(label="Name", max_length=NAME_MAX_CHARS)
    parent = forms.TypedChoiceField(
        label="Inside", coerce=int, empty_value=None, required=False,
        help_text=f"Leave it at the top, or put it inside another category (at most {MAX_DEPTH} levels).",
        error_messages={"invalid_choice": "Choose a category from the list."},
    )  # fmt: skip

    def __init__(self, *args: Any, categories: list[Category], exclude: Category | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        paths = {category.pk: category for category in categories}
        choices: list[tuple[Any, str]] = [("", "At the top")]
        for category in categories:
            if not category.is_active or (exclude is not None and category.pk == exclude.pk):
                continue
            names, node, steps = [], category, 0
            while node is not None and steps < MAX_DEPTH + 1:
                names.append(node.name)
                node, steps = paths.get(node.parent_id) if node.parent_id else None, steps + 1
            choices.append((category.pk, " › ".join(reversed(names))))
        self.fields["parent"].choices = choices


class CategoryEditForm(CategoryForm):
    position = forms.IntegerField(
        label="Position among its neighbours", min_value=0, max_value=10_000,
        help_text="Smaller numbers come first.",
    )  # fmt: skip


class DirectoryForm(forms.Form):
    """What a printed directory covers and how its readers reach a coordinator (it prints nobody's own details)."""

    category = forms.TypedChoiceField(
        label="Category", coerce=int, empty_value=None, required=False,
        error_messages={"invalid_choice": "Choose a category from the list."},
    )  # fmt: skip
    contact = forms.CharField(
        label="How readers reach a coordinator",
        required=False,
        max_length=200,
        help_text="Printed on every page, for example “Ask at the library desk, Tuesdays 10 to 12”.",
    )

    def __init__(self, *args: Any, viewer: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        top = access.open_categories(viewer).filter(parent=None).order_by("position", "name", "pk")
        self.fields["category"].choices = [("", "Every category"), *((c.pk, c.name) for c in top)]
