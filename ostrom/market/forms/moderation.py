"""Forms for moderation's pages: reporting, and a coordinator's decision. They check the shape of what people
type; the rules are the actions' (whose errors ``add_domain_error`` shows beside the field)."""

from __future__ import annotations

from django import forms

from ostrom.communities.forms import PlainMessages

from ..domain.moderation import NOTE_MAX_CHARS, REASON_MAX_CHARS
from ..models import ReportReason


class ReportForm(PlainMessages, forms.Form):
    reason = forms.ChoiceField(
        label="What is wrong with it",
        choices=ReportReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what is wrong with it.", "invalid_choice": "Choose one of the reasons."},
    )
    note = forms.CharField(
        label="Tell the coordinators more",
        required=False,
        max_length=NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Only the community's coordinators see your report. The person you report is not told who you are.",
    )


class HideForm(PlainMessages, forms.Form):
    reason = forms.CharField(
        label="Why hide it",
        max_length=REASON_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The person who posted it is told this.",
        error_messages={"required": "Say why you are hiding it. The person who posted it will be told."},
    )


class DismissForm(forms.Form):
    outcome = forms.CharField(
        label="Why leave it as it is",
        required=False,
        max_length=NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For the record; the reporter and the poster are not told.",
    )


class UnhideForm(forms.Form):
    reason = forms.CharField(
        label="Why show it again",
        required=False,
        max_length=REASON_MAX_CHARS,
        widget=forms.TextInput(),
        help_text="For the record.",
    )
