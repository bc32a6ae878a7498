"""Forms for travelling services: the shape of what people type; the rules are the actions' (add_domain_error)."""

from __future__ import annotations

from django import forms

from ostrom.communities.forms import PlainMessages

from ..actions import travelling as actions
from ..actions.travelling import ServiceFields
from ..domain import apportionment
from ..models import VisitMethod

TIER_CHOICES = [(tier, apportionment.NEED_TIER_REASONS[tier]) for tier in apportionment.NEED_TIERS]
PLACE_LINES_MAX_CHARS = 20_000


def parse_place_lines(text: str) -> list[tuple[str, str]]:
    """One place a line: "Ashby", or "Ashby, the green" (the village, then where the service stops)."""
    places = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        name, _, stop = line.partition(",")
        places.append((name.strip(), stop.strip()))
    return places


def _minute_of(value) -> int:
    return value.hour * 60 + value.minute


class ServiceForm(PlainMessages, forms.Form):
    name = forms.CharField(label="Name", max_length=actions.NAME_MAX_CHARS, help_text="For example: Mobile library.")
    description = forms.CharField(
        label="What it offers", required=False, max_length=actions.DESCRIPTION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip
    visits = forms.IntegerField(
        label="Visits to share", min_value=1, max_value=actions.MAX_VISITS, help_text="Over the whole period."
    )
    method = forms.ChoiceField(
        label="How visits are shared", choices=VisitMethod.choices, initial=VisitMethod.SAINTE_LAGUE,
        widget=forms.RadioSelect,
    )  # fmt: skip
    minimum_per_place = forms.IntegerField(
        label="Fewest visits for any place", min_value=0, max_value=actions.MAX_VISITS, initial=0,
        help_text="Even a place where nobody has registered a need gets this many.",
    )  # fmt: skip
    period_starts_on = forms.DateField(
        label="First day", widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date, for example 2027-01-04."},
    )  # fmt: skip
    period_ends_on = forms.DateField(
        label="Last day", widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date, for example 2027-03-26."},
    )  # fmt: skip
    visit_start = forms.TimeField(
        label="First visit of the day starts at", initial="10:00", widget=forms.TimeInput(attrs={"type": "time"}),
        error_messages={"invalid": "Enter a time, for example 10:00."},
    )  # fmt: skip
    visit_minutes = forms.IntegerField(
        label="Length of a visit in minutes", min_value=actions.MIN_VISIT_MINUTES,
        max_value=actions.MAX_VISIT_MINUTES, initial=120,
    )  # fmt: skip
    places = forms.CharField(
        label="Places", required=False, max_length=PLACE_LINES_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 6}),
        help_text="One a line: the village, then a comma and where the service stops (Ashby, the green).",
    )  # fmt: skip

    def clean_places(self) -> list[tuple[str, str]]:
        return parse_place_lines(self.cleaned_data["places"])

    def service_fields(self) -> ServiceFields:
        data = self.cleaned_data
        return ServiceFields(
            name=data["name"], description=data["description"], visits=data["visits"], method=data["method"],
            minimum_per_place=data["minimum_per_place"], period_starts_on=data["period_starts_on"],
            period_ends_on=data["period_ends_on"], visit_start_minute=_minute_of(data["visit_start"]),
            visit_minutes=data["visit_minutes"],
        )  # fmt: skip


class NeedForm(PlainMessages, forms.Form):
    place = forms.ModelChoiceField(label="Your village", queryset=None, empty_label="Choose a place")
    tier = forms.ChoiceField(label="Your need", choices=TIER_CHOICES, widget=forms.RadioSelect, initial="standard")
    reason = forms.CharField(
        label="Anything the coordinator should know", required=False, max_length=actions.REASON_MAX_CHARS
    )

    def __init__(self, *args, places, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = places


class NeedForResidentForm(NeedForm):
    member = forms.ModelChoiceField(
        label="Resident", queryset=None, empty_label="Choose a member",
        help_text="For someone who only uses the phone. This is recorded in the audit log.",
    )  # fmt: skip

    field_order = ["member", "place", "tier", "reason"]

    def __init__(self, *args, residents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = residents
        self.fields["member"].label_from_instance = lambda member: member.display_name
        self.fields["place"].label = "Their village"
        self.fields["tier"].label = "Their need"


class PlaceForm(PlainMessages, forms.Form):
    name = forms.CharField(label="Village", max_length=actions.NAME_MAX_CHARS)
    stop = forms.CharField(label="Where it stops", required=False, max_length=actions.STOP_MAX_CHARS)
