"""Forms for the rota pages: the shape of what people type; the rules are the actions' (see add_domain_error).
Times of day are typed as HH:MM in the community's local time; hours as whole hours and minutes."""

from __future__ import annotations

from datetime import time

from django import forms
from django.utils import timezone

from ostrom.communities.forms import PlainMessages

from ..actions import rotas as actions
from ..models import TeamKind

WEEKDAY_CHOICES = [(str(number), name) for number, name in enumerate(actions.WEEKDAYS)]


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.display_name


class CurrencyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


def time_field(label: str, help_text: str = "") -> forms.TimeField:
    return forms.TimeField(
        label=label,
        help_text=help_text,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Enter a time of day, for example 09:30."},
    )


def minutes_of(moment: time) -> int:
    return moment.hour * 60 + moment.minute


class TeamForm(PlainMessages, forms.Form):
    name = forms.CharField(label="Name", max_length=actions.NAME_MAX_CHARS, help_text="For example: Care for Edith.")
    kind = forms.ChoiceField(
        label="What kind of team",
        choices=TeamKind.choices,
        widget=forms.RadioSelect,
        initial=TeamKind.TEAM,
        help_text="A care circle is seen only by the people in it.",
    )
    description = forms.CharField(
        label="What the team does",
        required=False,
        max_length=actions.DESCRIPTION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    timebank = CurrencyChoiceField(
        label="Log hours to",
        queryset=None,
        required=False,
        empty_label="Don't log hours",
        help_text="After a shift, its hours can be paid into the person's timebank account.",
        error_messages={"invalid_choice": "Choose a timebank from the list."},
    )

    def __init__(self, *args, currencies, with_name: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timebank"].queryset = currencies
        if not with_name:
            del self.fields["name"]
            del self.fields["kind"]


class AddMemberForm(PlainMessages, forms.Form):
    member = MemberChoiceField(label="Who", queryset=None, empty_label="Choose a member")
    max_hours = forms.IntegerField(
        label="Most hours on one rota",
        required=False,
        min_value=0,
        max_value=actions.MAX_MINUTES_PER_ROTA // 60,
        help_text="Leave blank for no limit.",
        error_messages={"invalid": "Enter a whole number of hours, for example 10."},
    )
    is_organiser = forms.BooleanField(label="Can organise the team", required=False)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members

    def max_minutes(self) -> int | None:
        hours = self.cleaned_data.get("max_hours")
        return None if hours is None else hours * 60


class MemberSettingsForm(forms.Form):
    max_hours = AddMemberForm.base_fields["max_hours"]
    is_organiser = forms.BooleanField(label="Can organise the team", required=False)

    def max_minutes(self) -> int | None:
        hours = self.cleaned_data.get("max_hours")
        return None if hours is None else hours * 60


class PatternForm(PlainMessages, forms.Form):
    title = forms.CharField(
        label="Name of the shift", max_length=actions.TITLE_MAX_CHARS, help_text="E.g. Morning visit."
    )
    weekday = forms.TypedChoiceField(label="Day", choices=WEEKDAY_CHOICES, coerce=int)
    start = time_field("Starts at", "Local time, for example 09:00.")
    duration_minutes = forms.IntegerField(
        label="Length in minutes",
        min_value=1,
        max_value=24 * 60,
        help_text="For example 60 for an hour.",
        error_messages={
            "invalid": "Enter a whole number of minutes, for example 60.",
            "min_value": "A shift lasts at least 1 minute.",
            "max_value": "A shift lasts at most 24 hours (1440 minutes).",
        },
    )
    people_needed = forms.IntegerField(
        label="People needed",
        min_value=1,
        max_value=actions.MAX_PEOPLE_PER_SHIFT,
        initial=1,
        error_messages={
            "invalid": "Enter a whole number, for example 1.",
            "min_value": "A shift needs at least 1 person.",
            "max_value": f"A shift needs at most {actions.MAX_PEOPLE_PER_SHIFT} people.",
        },
    )


class WindowForm(PlainMessages, forms.Form):
    days = forms.TypedMultipleChoiceField(
        label="Days", choices=WEEKDAY_CHOICES, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    start = time_field("From", "Local time, for example 09:00.")
    end = time_field("Until", "For example 17:00. For the whole day, 00:00 to 23:59.")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start is not None and end is not None and end <= start:
            self.add_error("end", "The time you can work until must be after the time you start.")
        return data

    def windows(self) -> list[tuple[int, int]]:
        start, end = minutes_of(self.cleaned_data["start"]), minutes_of(self.cleaned_data["end"])
        return [(day * 24 * 60 + start, day * 24 * 60 + end) for day in self.cleaned_data["days"]]


class PatternAvailabilityForm(forms.Form):
    patterns = forms.TypedMultipleChoiceField(
        label="Shifts I can do", choices=(), coerce=int, widget=forms.CheckboxSelectMultiple, required=False
    )

    def __init__(self, *args, patterns, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patterns"].choices = [(p.pk, pattern_label(p)) for p in patterns]


def pattern_label(pattern) -> str:
    start = f"{pattern.start_minute // 60:02d}:{pattern.start_minute % 60:02d}"
    return f"{pattern.title}: {actions.weekday_name(pattern.weekday)} {start}, {actions.describe_minutes(pattern.duration_minutes)}"


class GenerateForm(PlainMessages, forms.Form):
    first_monday = forms.DateField(
        label="First Monday",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date, for example 2026-03-02."},
    )
    weeks = forms.IntegerField(
        label="Number of weeks",
        min_value=1,
        max_value=actions.MAX_WEEKS,
        initial=4,
        error_messages={
            "invalid": "Enter a whole number of weeks, for example 4.",
            "min_value": "Make the rota for at least 1 week.",
            "max_value": f"Make the rota for at most {actions.MAX_WEEKS} weeks.",
        },
    )


class OfferSwapForm(forms.Form):
    in_exchange_for = forms.TypedChoiceField(
        label="In exchange for", choices=(), coerce=int, required=False, empty_value=None
    )
    note = forms.CharField(label="A note for the team", required=False, max_length=actions.NOTE_MAX_CHARS)

    def __init__(self, *args, others, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["in_exchange_for"].choices = [("", "Nothing: anyone can take it")] + [
            (a.pk, f"{a.member.display_name}'s {a.shift.title}, {timezone.localtime(a.shift.starts_at):%a %d %b %H:%M}")
            for a in others
        ]


class TakeSwapForm(forms.Form):
    accept_over_fair_share = forms.BooleanField(label="I accept doing more than my fair share", required=False)
