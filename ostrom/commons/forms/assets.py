"""Forms for the assets pages: the shape of what people type; the rules are the actions' (see add_domain_error).
Times are typed in the community's own time zone, which the middleware makes current on its pages."""

from __future__ import annotations

from datetime import time
from typing import Any

from django import forms

from ostrom.communities.forms import PlainMessages

from ..actions import assets as actions
from ..domain.booking_rules import MAX_BOOKINGS_PER_MONTH, MAX_RULE_MINUTES, MAX_STOCK, WEEKDAY_NAMES, WhoMayBook
from ..models import AssetKind
from ..models.assets import NAME_MAX_CHARS, TEXT_MAX_CHARS

WHO_MAY_BOOK_CHOICES = [
    (WhoMayBook.ANY_MEMBER.value, "Any member"),
    (WhoMayBook.TRAINED_MEMBERS.value, "Only members trained to use it"),
    (WhoMayBook.COORDINATORS.value, "Only coordinators"),
]
WINDOWS_PER_DAY = 2


class NamedChoiceField(forms.ModelChoiceField):
    """Shows an object's ``name`` (organisations, currencies, plans) or ``display_name`` (members)."""

    def label_from_instance(self, obj) -> str:
        return getattr(obj, "display_name", None) or obj.name


def whole_field(label: str, high: int, help_text: str = "", required: bool = True, low: int = 0) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        required=required,
        min_value=low,
        max_value=high,
        error_messages={
            "invalid": "Enter a whole number, for example 30.",
            "min_value": f"Enter {low} or more.",
            "max_value": f"Enter {high:,} or less.",
        },
    )


def datetime_field(label: str, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        help_text=help_text,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": "Enter a date and time, for example 2026-03-02 18:30."},
    )


class AssetForm(PlainMessages, forms.Form):
    """An asset's details and booking rules; ``creating`` adds the kind and the stock."""

    name = forms.CharField(label="Name", max_length=NAME_MAX_CHARS, help_text="For example: Fire station kitchen.")
    kind = forms.ChoiceField(label="What is it?", choices=AssetKind.choices, widget=forms.RadioSelect)
    stock = whole_field(
        "How many are there?", actions.MAX_ASSET_STOCK, "Only for items, such as 3 drills; 1 for anything else."
    )
    owner = NamedChoiceField(
        label="Who owns it",
        queryset=None,
        required=False,
        empty_label="The community itself",
        error_messages={"invalid_choice": "Choose an owner from the list."},
    )
    description = forms.CharField(
        label="Description", required=False, max_length=TEXT_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 4})
    )
    instructions = forms.CharField(
        label="Instructions for whoever books it",
        required=False,
        max_length=TEXT_MAX_CHARS,
        help_text="Keys, the alarm, cleaning up afterwards.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    location = forms.CharField(label="Where it is", required=False, max_length=actions.LOCATION_MAX_CHARS)
    capacity_people = whole_field(
        "How many people fit", actions.MAX_CAPACITY_PEOPLE, "For a space. Leave blank otherwise.", False, low=1
    )
    who_may_book = forms.ChoiceField(label="Who may book it", choices=WHO_MAY_BOOK_CHOICES, widget=forms.RadioSelect)
    lead_time_minutes = whole_field(
        "Notice needed, in minutes",
        MAX_RULE_MINUTES,
        "How long before the start a booking must be made: 0 for none, 1440 for a day.",
    )
    max_duration_minutes = whole_field(
        "Longest booking, in minutes", MAX_RULE_MINUTES, "For example 240 for four hours, 10080 for a week.", low=1
    )
    max_bookings_per_month = whole_field(
        "Most bookings per member each month", MAX_BOOKINGS_PER_MONTH, "Leave blank for no limit.", False, low=1
    )
    buffer_minutes = whole_field(
        "Time kept free between bookings, in minutes", MAX_RULE_MINUTES, "For cleaning or handing over: 0 for none."
    )
    hold_minutes = whole_field(
        "Hold bookings awaiting pickup, in minutes",
        MAX_RULE_MINUTES,
        "0: bookings are confirmed at once. Otherwise a booking is held this long until it is confirmed or picked up.",
    )
    currency = NamedChoiceField(
        label="Currency for fees",
        queryset=None,
        required=False,
        empty_label="No fees",
        error_messages={"invalid_choice": "Choose a currency from the list."},
    )
    fee_units = whole_field("Fee per booking", actions.MAX_MONEY_UNITS, "In the currency's smallest unit; 0 for none.")
    deposit_units = whole_field(
        "Deposit", actions.MAX_MONEY_UNITS, "Held while it is booked and given back after; 0 for none."
    )
    daily_overdue_fee_units = whole_field(
        "Fee for each day it is returned late", actions.MAX_MONEY_UNITS, "In the currency's smallest unit; 0 for none."
    )
    block_when_overdue = forms.BooleanField(
        label="Members with anything overdue cannot make new bookings", required=False
    )

    def __init__(self, *args, owners, currencies, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["currency"].queryset = currencies
        if not creating:
            del self.fields["kind"]
            del self.fields["stock"]
            del self.fields["owner"]

    def asset_fields(self) -> dict[str, Any]:
        """The fields for actions.create_asset / update_asset (the kind and stock apart)."""
        data = dict(self.cleaned_data)
        data.pop("kind", None)
        data.pop("stock", None)
        return data

    @staticmethod
    def initial_for(asset) -> dict[str, Any]:
        names = actions.ASSET_FIELDS - {"owner"}
        return {name: getattr(asset, name) for name in names}


class StockForm(PlainMessages, forms.Form):
    stock = whole_field("How many are there now?", actions.MAX_ASSET_STOCK)


def _minutes(value: time | None, *, closing: bool) -> int | None:
    if value is None:
        return None
    minutes = value.hour * 60 + value.minute
    # A closing time of 00:00 means midnight at the end of the day.
    return 24 * 60 if closing and minutes == 0 else minutes


def _time_of(minutes: int) -> time:
    return time(0, 0) if minutes >= 24 * 60 else time(minutes // 60, minutes % 60)


class OpeningHoursForm(PlainMessages, forms.Form):
    """Seven days with up to two windows each, typed as opening and closing times; a closing time of 00:00 is
    midnight at the end of the day. Empty days are closed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for day, day_name in enumerate(WEEKDAY_NAMES):
            for n in range(1, WINDOWS_PER_DAY + 1):
                for end, word in (("opens", "opens"), ("closes", "closes")):
                    label = f"{day_name}: {'' if n == 1 else 'second time '}{word}"
                    self.fields[f"d{day}_{end}_{n}"] = forms.TimeField(
                        label=label,
                        required=False,
                        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                        error_messages={"invalid": "Enter a time, for example 18:30."},
                    )

    def days(self):
        """For the template: (day name, [[opens field, closes field], …]) for each day."""
        return [
            (
                day_name,
                [(self[f"d{day}_opens_{n}"], self[f"d{day}_closes_{n}"]) for n in range(1, WINDOWS_PER_DAY + 1)],
            )
            for day, day_name in enumerate(WEEKDAY_NAMES)
        ]

    def clean(self):
        data = super().clean()
        for day, day_name in enumerate(WEEKDAY_NAMES):
            for n in range(1, WINDOWS_PER_DAY + 1):
                opens, closes = data.get(f"d{day}_opens_{n}"), data.get(f"d{day}_closes_{n}")
                if (opens is None) != (closes is None) and not self.errors.get(f"d{day}_opens_{n}"):
                    missing = f"d{day}_closes_{n}" if closes is None else f"d{day}_opens_{n}"
                    self.add_error(missing, f"Give both an opening and a closing time for {day_name}, or neither.")
        return data

    def windows(self) -> list[tuple[int, int, int]]:
        result = []
        for day in range(7):
            for n in range(1, WINDOWS_PER_DAY + 1):
                opens = _minutes(self.cleaned_data.get(f"d{day}_opens_{n}"), closing=False)
                closes = _minutes(self.cleaned_data.get(f"d{day}_closes_{n}"), closing=True)
                if opens is not None and closes is not None:
                    result.append((day, opens, closes))
        return result

    @staticmethod
    def initial_for(windows) -> dict[str, time]:
        initial: dict[str, time] = {}
        count: dict[int, int] = {}
        for window in windows:
            n = count[window.weekday] = count.get(window.weekday, 0) + 1
            if n > WINDOWS_PER_DAY:
                continue
            initial[f"d{window.weekday}_opens_{n}"] = _time_of(window.start_minute)
            initial[f"d{window.weekday}_closes_{n}"] = _time_of(window.end_minute)
        return initial


class MaintenanceForm(PlainMessages, forms.Form):
    starts_at = datetime_field("Starts", "In the community's local time.")
    ends_at = datetime_field("Ends")
    reason = forms.CharField(
        label="Why", max_length=actions.REASON_MAX_CHARS, help_text="For example: new cooker being fitted."
    )
    force = forms.BooleanField(
        label="Add it even if bookings overlap (I will tell the people who booked)", required=False
    )


class PermitForm(PlainMessages, forms.Form):
    member = NamedChoiceField(
        label="Member who has been trained",
        queryset=None,
        empty_label="Choose a member",
        error_messages={"invalid_choice": "Choose a member from the list."},
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members


class KitForm(PlainMessages, forms.Form):
    """A kit's name and description, and how many of each item it takes (blank or 0: none)."""

    name = forms.CharField(label="Name", max_length=NAME_MAX_CHARS, help_text="For example: Party kit.")
    description = forms.CharField(
        label="Description", required=False, max_length=TEXT_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_active = forms.BooleanField(label="Can be booked", required=False, initial=True)

    def __init__(self, *args, assets, **kwargs):
        super().__init__(*args, **kwargs)
        self.assets = list(assets)
        for asset in self.assets:
            self.fields[f"asset_{asset.pk}"] = whole_field(
                f"How many of {asset.name}", MAX_STOCK, f"{asset.stock} in stock.", required=False
            )

    def items(self) -> list[tuple[Any, int]]:
        return [
            (asset, self.cleaned_data[f"asset_{asset.pk}"])
            for asset in self.assets
            if self.cleaned_data.get(f"asset_{asset.pk}")
        ]

    @staticmethod
    def initial_for(kit) -> dict[str, Any]:
        initial: dict[str, Any] = {"name": kit.name, "description": kit.description, "is_active": kit.is_active}
        for item in kit.items.all():
            initial[f"asset_{item.asset_id}"] = item.quantity
        return initial


class PlanForm(PlainMessages, forms.Form):
    name = forms.CharField(label="Name", max_length=actions.PLAN_NAME_MAX_CHARS, help_text="For example: Standard.")
    max_items_out = whole_field(
        "Most items out at once", actions.MAX_ITEMS_OUT, "Leave blank for no limit.", required=False
    )
    is_default = forms.BooleanField(label="Applies to members who have no plan of their own", required=False)


class MembershipForm(PlainMessages, forms.Form):
    member = NamedChoiceField(
        label="Member",
        queryset=None,
        empty_label="Choose a member",
        error_messages={"invalid_choice": "Choose a member from the list."},
    )
    plan = NamedChoiceField(
        label="Plan",
        queryset=None,
        required=False,
        empty_label="No plan of their own (the default applies)",
        error_messages={"invalid_choice": "Choose a plan from the list."},
    )
    expires_on = forms.DateField(
        label="Until",
        required=False,
        help_text="Leave blank if it does not end.",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date, for example 2026-03-02."},
    )

    def __init__(self, *args, members, plans, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["plan"].queryset = plans


class ReasonForm(PlainMessages, forms.Form):
    reason = forms.CharField(label="Why", required=False, max_length=actions.REASON_MAX_CHARS)
