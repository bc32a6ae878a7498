"""Forms for volunteering's pages. They check the shape of what people type and turn times ("1:30", "2 h") into
minutes; the rules themselves are the actions', whose errors ``add_domain_error`` shows beside the field."""

from __future__ import annotations

import uuid

from django import forms

from ostrom.communities.domain import DomainError
from ostrom.communities.forms import PlainMessages
from ostrom.ledger.domain import amounts

from ..domain import volunteering as domain
from ..domain.volunteering import RoleFields

TIME_MAX_CHARS = 40
TIME_HINT = "In hours and minutes, for example 1:30, 1.5 or 90 min."
STALE_FORM = "This form is out of date. Check the details and send again."


def minutes_in(form: forms.Form, name: str) -> int | None:
    """The time typed in field ``name`` as whole minutes; None, with the reason by the field, if it is not one."""
    text = form.cleaned_data.get(name)
    if not text:
        return None
    try:
        return amounts.parse_amount(text, "time", 60)
    except DomainError as error:
        form.add_error(name, error.message)
        return None


def time_field(label: str, help_text: str = TIME_HINT) -> forms.CharField:
    return forms.CharField(label=label, max_length=TIME_MAX_CHARS, help_text=help_text)


def date_field(label: str, required: bool = True, help_text: str = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a real date, for example 2026-03-02."},
    )


class OrganisationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class RoleForm(PlainMessages, forms.Form):
    organisation = OrganisationChoiceField(
        label="Organisation",
        queryset=None,
        empty_label="Choose the organisation",
        error_messages={"invalid_choice": "Choose an organisation from the list."},
    )
    title = forms.CharField(
        label="Role",
        max_length=domain.ROLE_TITLE_MAX_CHARS,
        help_text="For example: befriender, school governor, community-garden shift.",
        error_messages={"required": "Enter the name of the role."},
    )
    description = forms.CharField(
        label="What the volunteer will do",
        max_length=domain.ROLE_DESCRIPTION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    time_per_week = time_field(
        "Time a volunteer gives each week", "For a one-off shift, the shift's length. " + TIME_HINT
    )
    volunteers_needed = forms.IntegerField(
        label="How many volunteers you need",
        min_value=1,
        max_value=domain.MAX_VOLUNTEERS_NEEDED,
        initial=1,
        error_messages={
            "invalid": "Enter a whole number, for example 2.",
            "min_value": "You need at least 1 volunteer.",
            "max_value": f"Ask for at most {domain.MAX_VOLUNTEERS_NEEDED:,} volunteers in one role.",
        },
    )
    place = forms.CharField(
        label="Where",
        max_length=domain.PLACE_MAX_CHARS,
        required=False,
        help_text="A rough place, for example Riverside Library.",
    )
    starts_on = date_field("First day")
    ends_on = date_field("Last day", required=False, help_text="Leave blank for an ongoing role.")

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        if len(organisations) == 1:
            self.fields["organisation"].initial = organisations[0].pk

    def clean(self):
        cleaned = super().clean()
        cleaned["minutes_per_week"] = minutes_in(self, "time_per_week")
        return cleaned

    def role_fields(self) -> RoleFields:
        data = self.cleaned_data
        return RoleFields(
            data["title"],
            data["description"],
            data["minutes_per_week"],
            data["volunteers_needed"],
            data["place"],
            data["starts_on"],
            data["ends_on"],
        )


class ApplyForm(forms.Form):
    note = forms.CharField(
        label="Anything the organisation should know",
        required=False,
        max_length=domain.NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For example: when you are free, or why you want to help.",
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label="Message to the applicant",
        required=False,
        max_length=domain.ANSWER_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.display_name


class LogHoursForm(PlainMessages, forms.Form):
    member = MemberChoiceField(
        label="Volunteer",
        queryset=None,
        empty_label="Choose the volunteer",
        error_messages={"invalid_choice": "Choose a volunteer from the list."},
    )
    time = time_field("Time worked")
    worked_on = date_field("Day worked", help_text="Today or a day that has passed.")
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=domain.LOG_NOTE_MAX_CHARS,
        help_text="For example: weeding the raised beds.",
    )
    key = forms.UUIDField(widget=forms.HiddenInput, error_messages={"required": STALE_FORM, "invalid": STALE_FORM})

    def __init__(self, *args, volunteers, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("key", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = volunteers

    def clean(self):
        cleaned = super().clean()
        cleaned["minutes"] = minutes_in(self, "time")
        return cleaned


class PledgeForm(PlainMessages, forms.Form):
    year = forms.IntegerField(
        label="Year",
        min_value=domain.FIRST_PLEDGE_YEAR,
        max_value=domain.LAST_PLEDGE_YEAR,
        error_messages={
            "invalid": "Enter a year like 2026.",
            "min_value": "Enter a year like 2026.",
            "max_value": "Enter a year like 2026.",
        },
    )
    time = time_field("Hours your staff pledge to volunteer that year", "For example 500 or 500:00.")

    def clean(self):
        cleaned = super().clean()
        cleaned["minutes"] = minutes_in(self, "time")
        return cleaned
