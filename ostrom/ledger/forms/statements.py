"""Forms for reading the ledger: a period, a statement's filters, finding an account and choosing what the
ZIP of everything holds. They only narrow what is shown; nothing here changes state."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms

from ostrom.communities.forms import PlainMessages

from ..models import Currency


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class PeriodForm(PlainMessages, forms.Form):
    date_from = forms.DateField(
        label="From", required=False, widget=DateInput(), help_text="The first day, for example 2025-01-31."
    )
    date_to = forms.DateField(
        label="To", required=False, widget=DateInput(), help_text="The last day, included, for example 2025-03-31."
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The last day must be on or after the first day.")
        return data


class StatementFilterForm(PeriodForm):
    category = forms.CharField(
        label="Category", required=False, max_length=40, help_text="Only payments in exactly this category."
    )

    def filters(self) -> dict:
        data = self.cleaned_data
        return {
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "category": data.get("category") or None,
        }

    def query(self) -> str:
        """The filters as a query string, for links that keep them (pages, downloads)."""
        values = {name: self.data.get(name, "").strip() for name in ("date_from", "date_to", "category")}
        return urlencode({name: value for name, value in values.items() if value})


class AccountSearchForm(forms.Form):
    q = forms.CharField(label="Find an account by name", required=False, max_length=80)
    currency = forms.ChoiceField(label="Currency", required=False)

    def __init__(self, *args, currencies: list[Currency], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [("", "Every currency")] + [(c.code, c.name) for c in currencies]


class ZipForm(forms.Form):
    currency = forms.ChoiceField(label="Which ledger", required=False)

    def __init__(self, *args, currencies: list[Currency], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [("", "Every currency")] + [(c.code, c.name) for c in currencies]
