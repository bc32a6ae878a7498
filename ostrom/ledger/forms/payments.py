"""Forms for paying: a member sending hours or credits, staff paying for their organisation, a coordinator
paying on a member's behalf, and the reason asked for before an action that goes in the audit log."""

from __future__ import annotations

import uuid

from django import forms

from ostrom.communities.domain import Role
from ostrom.communities.forms import PlainMessages
from ostrom.communities.models import Member, Organisation

from ..models import Currency
from .fields import amount_field, amount_hint, amount_in_units, memo_field


def holder_value(holder: Member | Organisation) -> str:
    return f"{'member' if isinstance(holder, Member) else 'organisation'}:{holder.pk}"


class PaymentFields(PlainMessages, forms.Form):
    """Who to pay, how much and what for, with the key that makes confirming twice harmless."""

    payee = forms.ChoiceField(
        label="Who are you paying?", error_messages={"invalid_choice": "Choose someone from the list."}
    )
    amount = amount_field()
    memo = memo_field(
        label="What is it for?",
        help_text="For example: two hours of gardening on Saturday.",
        widget=forms.TextInput,
    )
    category = forms.CharField(label="Category", max_length=40, required=False, help_text="For example: gardening.")
    key = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "This form is out of date. Check the details and send again.",
            "invalid": "This form is out of date. Check the details and send again.",
        },
    )

    def __init__(self, *args, members, organisations, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("key", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.holders: dict[str, Member | Organisation] = {}
        member_choices, organisation_choices = [], []
        for person in members:
            self.holders[holder_value(person)] = person
            member_choices.append((holder_value(person), person.display_name))
        for organisation in organisations:
            self.holders[holder_value(organisation)] = organisation
            organisation_choices.append((holder_value(organisation), organisation.name))
        choices: list = [("", "Choose who to pay")]
        if member_choices:
            choices.append(("Members", member_choices))
        if organisation_choices:
            choices.append(("Organisations", organisation_choices))
        self.fields["payee"].choices = choices

    def currency(self) -> Currency | None:
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("payee"):
            cleaned["payee_holder"] = self.holders[cleaned["payee"]]
        cleaned["amount_units"] = amount_in_units(self, "amount", self.currency())
        return cleaned

    def hidden_copy(self) -> list[tuple[str, str]]:
        """The submitted values, to carry through the confirmation step in hidden fields."""
        return [(name, self.data.get(self.add_prefix(name), "")) for name in self.fields]


class SendForm(PaymentFields):
    currency_code = forms.ChoiceField(label="Currency", error_messages={"invalid_choice": "Choose a currency."})
    pay_from = forms.ChoiceField(
        label="Pay from", widget=forms.RadioSelect, required=False, initial="own", choices=[("own", "Your account")]
    )
    field_order = ["currency_code", "pay_from", "payee", "amount", "memo", "category", "key"]

    def __init__(self, *args, viewer: Member, currencies: list[Currency], **kwargs):
        super().__init__(*args, **kwargs)
        self.currencies = {c.code: c for c in currencies}
        field = self.fields["currency_code"]
        field.choices = [(c.code, c.name) for c in currencies]
        if len(currencies) == 1:
            field.widget = forms.HiddenInput()
            field.initial = currencies[0].code
            self.fields["amount"].help_text = amount_hint(currencies[0])
        else:
            self.fields["amount"].help_text = "Hours: 1:30, 1.5 or 90 min. Credits: for example 12.50."
        organisation = viewer.organisation if viewer.role == Role.STAFF else None
        if organisation is None or not organisation.is_active:
            del self.fields["pay_from"]
        else:
            self.fields["pay_from"].choices = [("own", "Your own account"), ("organisation", f"{organisation.name}")]

    def currency(self) -> Currency | None:
        return self.currencies.get(self.cleaned_data.get("currency_code", ""))

    @property
    def for_organisation(self) -> bool:
        return self.cleaned_data.get("pay_from") == "organisation"


class OnBehalfForm(PaymentFields):
    reason = forms.CharField(
        label="Why are you paying on their behalf?",
        max_length=500,
        help_text="Recorded in the audit log.",
        error_messages={"required": "Say why you are paying on their behalf."},
    )
    field_order = ["payee", "amount", "memo", "category", "reason", "key"]

    def __init__(self, *args, currency: Currency, **kwargs):
        self._currency = currency
        super().__init__(*args, **kwargs)
        self.fields["amount"].help_text = amount_hint(currency)

    def currency(self) -> Currency | None:
        return self._currency


class ReasonForm(PlainMessages, forms.Form):
    reason = forms.CharField(
        label="Why?",
        max_length=500,
        help_text="Recorded in the audit log.",
        error_messages={"required": "Say why."},
    )

    def __init__(self, *args, label: str = "Why?", required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = label
        self.fields["reason"].required = required
