"""Forms for the events pages: the shape of what people type; the rules are the actions' (see add_domain_error).
Times are typed in the community's own time zone, which the middleware makes current on its pages."""

from __future__ import annotations

from django import forms

from ostrom.communities.forms import PlainMessages

from ..domain import events as domain
from ..domain.events import EventFields
from .volunteering import MemberChoiceField, OrganisationChoiceField


def datetime_field(label: str, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        help_text=help_text,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        error_messages={"invalid": "Enter a date and time, for example 2026-03-02 18:30."},
    )


def capacity_field() -> forms.IntegerField:
    return forms.IntegerField(
        label="Number of places",
        required=False,
        min_value=1,
        max_value=domain.MAX_CAPACITY,
        help_text="Leave blank if any number can come. When it is full, people join a waiting list.",
        error_messages={
            "invalid": "Enter a whole number, for example 20.",
            "min_value": "There must be at least 1 place. Leave it blank for no limit.",
            "max_value": f"There can be at most {domain.MAX_CAPACITY:,} places. Leave it blank for no limit.",
        },
    )


class EventForm(PlainMessages, forms.Form):
    title = forms.CharField(
        label="Title", max_length=domain.EVENT_TITLE_MAX_CHARS, help_text="For example: Litter pick in Riverside Park."
    )
    description = forms.CharField(
        label="What will happen",
        max_length=domain.EVENT_DESCRIPTION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    starts_at = datetime_field("Starts", "In the community's local time.")
    ends_at = datetime_field("Ends")
    place = forms.CharField(label="Where", max_length=domain.PLACE_MAX_CHARS)
    capacity = capacity_field()
    organisation = OrganisationChoiceField(
        label="Hosted for an organisation",
        queryset=None,
        required=False,
        empty_label="No, I host it myself",
        error_messages={"invalid_choice": "Choose an organisation from the list."},
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        if organisations.exists():
            self.fields["organisation"].queryset = organisations
        else:
            del self.fields["organisation"]

    def event_fields(self) -> EventFields:
        data = self.cleaned_data
        return EventFields(
            data["title"], data["description"], data["starts_at"], data["ends_at"], data["place"], data["capacity"]
        )


class CancelEventForm(forms.Form):
    reason = forms.CharField(
        label="Why it is cancelled",
        required=False,
        max_length=domain.CANCEL_REASON_MAX_CHARS,
        help_text="Everyone going or waiting will be told.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CapacityForm(forms.Form):
    capacity = capacity_field()


class AttendanceForm(forms.Form):
    member = MemberChoiceField(label="A member who came", queryset=None, required=False, empty_label="Choose a member")
    walk_in_name = forms.CharField(
        label="Or the name of someone who came without being a member",
        required=False,
        max_length=domain.WALK_IN_NAME_MAX_CHARS,
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
