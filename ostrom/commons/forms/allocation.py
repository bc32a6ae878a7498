"""Forms for request windows: the shape of what people type; the rules are the actions' (see add_domain_error).
Times are typed in the community's own time zone, which the middleware makes current on its pages."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from ostrom.communities.forms import PlainMessages

from ..actions import allocation as actions
from ..actions.allocation import SlotSpec, WindowFields
from ..domain import lottery
from ..models import AllocationMethod

SLOT_LINES_MAX_CHARS = 20_000


def parse_slot_lines(text: str, zone: ZoneInfo) -> list[SlotSpec]:
    """One slot a line: "Plot 7", or "Saturday morning, 2027-03-06 10:00, 2027-03-06 13:00" (local time)."""
    slots = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split(",")]
        if len(parts) == 1:
            slots.append(SlotSpec(parts[0]))
            continue
        if len(parts) != 3:
            raise forms.ValidationError(
                f"Line {number}: write a name, or a name, a start and an end separated by commas."
            )
        label, start, end = parts
        slots.append(SlotSpec(label, _local(start, zone, number), _local(end, zone, number)))
    return slots


def _local(text: str, zone: ZoneInfo, number: int) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        raise forms.ValidationError(f"Line {number}: write times like 2027-03-06 10:00.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment


class WindowForm(PlainMessages, forms.Form):
    title = forms.CharField(
        label="Title", max_length=actions.TITLE_MAX_CHARS, help_text="For example: Allotment plots 2027."
    )
    description = forms.CharField(
        label="What is being shared, and for how long",
        required=False,
        max_length=actions.DESCRIPTION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    method = forms.ChoiceField(
        label="How the slots are shared",
        choices=AllocationMethod.choices,
        widget=forms.RadioSelect,
        initial=AllocationMethod.LOTTERY,
    )
    closes_at = forms.DateTimeField(
        label="Requests close",
        help_text="In the community's local time. The allocation runs as soon as requests close.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        error_messages={"invalid": "Enter a date and time, for example 2027-03-02 18:30."},
    )
    slots = forms.CharField(
        label="Slots",
        max_length=SLOT_LINES_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=(
            "One a line: a name (Plot 7), or a name, a start and an end separated by commas "
            "(Saturday morning, 2027-03-06 10:00, 2027-03-06 13:00). For a rotation, list the sites in order along "
            "the way (east to west)."
        ),
    )
    asset = forms.ModelChoiceField(
        label="Asset",
        queryset=None,
        required=False,
        empty_label="None",
        help_text="Slots with times become bookings of this asset for whoever gets them.",
    )
    periods = forms.IntegerField(
        label="Rotation: number of periods", min_value=1, max_value=actions.MAX_PERIODS, initial=1, required=False
    )
    period_minutes = forms.IntegerField(
        label="Rotation: length of a period in minutes",
        min_value=1,
        max_value=actions.MAX_PERIOD_MINUTES,
        required=False,
        help_text="1440 for a day, 10080 for a week. Needed to book later periods of timed slots.",
    )
    turning_period = forms.IntegerField(
        label="Rotation: turn back after period",
        min_value=1,
        max_value=actions.MAX_PERIODS,
        required=False,
        help_text="As the Alanya fishers turn west in January. Leave blank to keep one direction.",
    )
    follows = forms.ModelChoiceField(
        label="Lottery: follows the earlier draw",
        queryset=None,
        required=False,
        empty_label="None",
        help_text="Those who lost that draw get more weight in this one.",
    )

    def __init__(self, *args, assets, earlier, zone: ZoneInfo, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.fields["asset"].queryset = assets
        self.fields["follows"].queryset = earlier

    def clean_slots(self) -> list[SlotSpec]:
        return parse_slot_lines(self.cleaned_data["slots"], self.zone)

    def window_fields(self) -> WindowFields:
        data = self.cleaned_data
        closes_at = data["closes_at"]
        if timezone.is_naive(closes_at):
            closes_at = closes_at.replace(tzinfo=self.zone)
        return WindowFields(
            title=data["title"], description=data["description"], method=data["method"], closes_at=closes_at,
            slots=data["slots"], asset=data["asset"], periods=data["periods"] or 1,
            period_minutes=data["period_minutes"], turning_period=data["turning_period"], follows=data["follows"],
        )  # fmt: skip


class RequestForm(forms.Form):
    """For fair assignment: how many slots, and a place in your ranking for each slot you want."""

    def __init__(self, *args, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.slot_list = list(slots)
        self.fields["slots_wanted"] = forms.IntegerField(
            label="How many slots would you like?", min_value=1, max_value=max(len(self.slot_list), 1), initial=1
        )
        choices = [("", "Not wanted")] + [(str(n), lottery.ordinal(n)) for n in range(1, len(self.slot_list) + 1)]
        for slot in self.slot_list:
            self.fields[f"rank_{slot.pk}"] = forms.ChoiceField(label=slot.label, choices=choices, required=False)

    def clean(self):
        data = super().clean()
        ranked = [(int(data[f"rank_{slot.pk}"]), slot.pk) for slot in self.slot_list if data.get(f"rank_{slot.pk}")]
        places = [place for place, _ in ranked]
        if len(set(places)) != len(places):
            raise forms.ValidationError("Give each slot you want a different place in your ranking.")
        if not ranked:
            raise forms.ValidationError("Rank at least one slot you would like.")
        data["ranking"] = [slot for _, slot in sorted(ranked)]
        return data


class NeedForm(PlainMessages, forms.Form):
    tiers = forms.MultipleChoiceField(
        label="Needs that apply",
        required=False,
        choices=[
            (key, f"{words.capitalize()} (+{points} points)") for key, (words, points) in lottery.NEED_TIERS.items()
        ],
        widget=forms.CheckboxSelectMultiple,
        help_text=f"Everyone starts at {lottery.DEFAULT_POINTS} points. Members see the needs ticked, not the reason.",
    )
    points = forms.IntegerField(
        label="Or a number of points",
        required=False,
        min_value=1,
        max_value=lottery.MAX_POINTS,
        help_text="Leave blank to use the needs ticked above.",
    )
    reason = forms.CharField(
        label="Why",
        max_length=actions.REASON_MAX_CHARS,
        help_text="Recorded for coordinators only. A weight cannot be set without a reason.",
        error_messages={"required": "Enter why this person's need counts for more."},
    )
