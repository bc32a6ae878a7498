"""Forms for the coordinators' bulk tools (levy, issuing credits, transfers for members) and importing history.
Each carries the currency and, once previewed, the batch key, so the "Post" step re-validates the same inputs."""

from __future__ import annotations

from django import forms

from ostrom.communities.domain import DomainError
from ostrom.communities.forms import PlainMessages
from ostrom.communities.models import Member

from .. import access
from ..actions import imports
from ..domain import csv_formats
from ..domain.csv_formats import FORMAT_LABELS
from .fields import amount_in_units

AMOUNT_HINT = "For hours, 1:30 or 1.5; for credits, 2.50."


class CoordinatorForm(PlainMessages, forms.Form):
    """A bulk tool's form: the currency, and the preview's batch key once there is one."""

    key = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, coordinator: Member, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {"currency": _currency_field(coordinator), **self.fields}


def _currency_field(coordinator: Member) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=access.currencies(coordinator),
        label="Currency",
        empty_label=None,
        to_field_name="code",
    )


class LevyForm(CoordinatorForm):
    amount = forms.CharField(label="Amount from each account", max_length=40, help_text=AMOUNT_HINT)
    memo = forms.CharField(
        label="Description", max_length=200, help_text="Shown on every statement, for example “Levy for March 2025”."
    )
    who = forms.ChoiceField(
        label="Who pays",
        choices=[("everyone", "Every active member"), ("list", "Only the people listed below")],
        widget=forms.RadioSelect,
        initial="everyone",
    )
    people = forms.CharField(
        label="People to charge",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Only if you chose the people listed: one per line, by email, phone number or account number (#42).",
    )
    leave_out = forms.BooleanField(
        label="Leave out anyone the levy would take past their limit",
        required=False,
        help_text="Not ticked, one such account stops the whole levy, and the preview lists who it is.",
    )

    def clean(self):
        cleaned = super().clean()
        cleaned["amount_units"] = amount_in_units(self, "amount", cleaned.get("currency"))
        if cleaned.get("who") == "list" and not cleaned.get("people", "").strip():
            self.add_error("people", "List the people to charge, or choose every active member.")
        return cleaned


class IssueForm(CoordinatorForm):
    volunteers = forms.CharField(
        label="Volunteers",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="One per line: who (email, phone or account number), the amount, and a note if you like. "
        "For example: mina@example.org, 3, litter pick",
    )
    amount = forms.CharField(label="Amount for lines without one", max_length=40, required=False, help_text=AMOUNT_HINT)
    memo = forms.CharField(label="Description", max_length=200, help_text="For example “Volunteering in March”.")

    def clean(self):
        cleaned = super().clean()
        cleaned["amount_units"] = amount_in_units(self, "amount", cleaned.get("currency"))
        return cleaned


class OnBehalfBulkForm(CoordinatorForm):
    rows = forms.CharField(
        label="Transfers to make",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="One per line: payer, payee, amount, and a description if you like. Payer and payee by email, "
        "phone or account number. For example: mina@example.org, cora@example.org, 1:30, gardening",
    )
    upload = forms.FileField(label="Or upload the list as a CSV file", required=False, allow_empty_file=True)
    reason = forms.CharField(
        label="Why you are making these transfers for them",
        max_length=500,
        help_text="Kept in the audit log and on each member's record.",
    )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("upload")
        if upload:
            try:
                cleaned["rows"] = _upload_text(upload)
            except DomainError as error:
                self.add_error("upload", error.message)
        elif not cleaned.get("rows", "").strip():
            self.add_error("rows", "Enter the transfers, or upload a file.")
        return cleaned


class ImportForm(CoordinatorForm):
    file_format = forms.ChoiceField(
        label="Format",
        choices=[("", "Work it out from the file"), *((f.value, label) for f, label in FORMAT_LABELS.items())],
        widget=forms.RadioSelect,
        required=False,
        initial="",
    )
    upload = forms.FileField(
        label="CSV file", required=False, allow_empty_file=True, help_text="Up to 50,000 rows and 5 MB, in UTF-8."
    )
    text = forms.CharField(
        label="Or paste the file's contents", required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    names = forms.CharField(
        label="Who is who",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For names in the file that are not email addresses, phone numbers or account numbers here: "
        "one per line, the name in the file, a comma, then who they are here. For example: 12, mina@example.org",
    )
    raise_limits = forms.BooleanField(
        label="Raise limits where the history needs it",
        required=False,
        help_text="Old records may take accounts past today's limits. Ticked, those limits are raised just far "
        "enough, each change in the audit log. Not ticked, those rows are listed as problems.",
    )
    reason = forms.CharField(
        label="Why you are importing", max_length=500, help_text="For example “Moving from TimeOverflow”."
    )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("upload")
        if upload:
            try:
                cleaned["text"] = _upload_text(upload)
            except DomainError as error:
                self.add_error("upload", error.message)
        return cleaned


def _upload_text(upload) -> str:
    if upload.size > csv_formats.MAX_FILE_BYTES:
        raise DomainError("file_too_large", "The most one file can hold is 5 MB. Split it into smaller files.")
    return imports.read_upload(upload.read(csv_formats.MAX_FILE_BYTES + 1))
