"""Forms for the booking pages: the shape of what people type (a day, a start and an end time, how many); the
rules are the actions'. Times are typed as the community's clock reads them and turned into instants here."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django import forms

from ostrom.communities.forms import PlainMessages

from ..actions.bookings import MAX_UNITS, PURPOSE_MAX_CHARS, REASON_MAX_CHARS


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.display_name


def local_instant(day, time, zone: ZoneInfo) -> datetime:
    """A wall-clock day and time in the community's zone, as an aware instant."""
    return datetime.combine(day, time).replace(tzinfo=zone)


class BookingForm(PlainMessages, forms.Form):
    start_date = forms.DateField(
        label="Day",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date, for example 2027-03-02."},
    )
    start_time = forms.TimeField(
        label="From",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Enter a time, for example 10:00."},
    )
    end_date = forms.DateField(
        label="Until which day",
        required=False,
        help_text="Leave blank if it is the same day.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date, for example 2027-03-03."},
    )
    end_time = forms.TimeField(
        label="Until",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Enter a time, for example 12:00."},
    )
    units = forms.IntegerField(
        label="How many",
        min_value=1,
        max_value=MAX_UNITS,
        initial=1,
        error_messages={
            "invalid": "Enter a whole number, for example 1.",
            "min_value": "Ask for at least 1.",
            "max_value": f"Ask for at most {MAX_UNITS}.",
        },
    )
    purpose = forms.CharField(
        label="What it is for",
        required=False,
        max_length=PURPOSE_MAX_CHARS,
        help_text="For example: soup for the food bank.",
    )
    member = MemberChoiceField(
        label="Book for",
        queryset=None,
        required=False,
        empty_label="Myself",
        help_text="Coordinators can book for a member, for example someone who phoned.",
        error_messages={"invalid_choice": "Choose a member from the list."},
    )
    reason = forms.CharField(
        label="Why you are booking for them",
        required=False,
        max_length=REASON_MAX_CHARS,
        help_text="Kept in the audit log.",
    )

    def __init__(self, *args, zone: ZoneInfo, items: bool, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone
        if not items:
            del self.fields["units"]
        if members is not None and members.exists():
            self.fields["member"].queryset = members
        else:
            del self.fields["member"]
            del self.fields["reason"]

    def clean(self):
        data = super().clean()
        if {"start_date", "start_time", "end_time"} <= data.keys():
            end_day = data.get("end_date") or data["start_date"]
            data["starts_at"] = local_instant(data["start_date"], data["start_time"], self.zone)
            data["ends_at"] = local_instant(end_day, data["end_time"], self.zone)
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Why it is cancelled",
        required=False,
        max_length=REASON_MAX_CHARS,
        help_text="Needed when you cancel someone else's booking; they will be told.",
    )


class CheckInForm(forms.Form):
    deposit_kept_units = forms.IntegerField(
        label="Part of the deposit kept",
        min_value=0,
        max_value=10**9,
        initial=0,
        required=False,
        help_text="0 unless something is damaged or missing.",
        error_messages={"invalid": "Enter a whole number, for example 0.", "min_value": "It cannot be below 0."},
    )
    reason = forms.CharField(label="Why part of the deposit is kept", required=False, max_length=REASON_MAX_CHARS)


def default_times(now: datetime, zone: ZoneInfo) -> dict:
    """Tomorrow from 10:00 to 12:00: a reasonable first guess for the form."""
    day = (now.astimezone(zone) + timedelta(days=1)).date()
    return {"start_date": day, "start_time": "10:00", "end_time": "12:00", "units": 1}
