"""Forms for payment requests: asking a member to pay you, declining, how you want requests handled, and
whom you pay without being asked."""

from __future__ import annotations

from django import forms

from ostrom.communities.forms import PlainMessages
from ostrom.communities.models import Member

from .. import access
from ..models import Currency, RequestHandling
from .fields import HOURS_HINT, CurrencyChoiceField, amount_field, amount_in_units, memo_field


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Member) -> str:
        return obj.display_name


class RequestForm(PlainMessages, forms.Form):
    payer = MemberChoiceField(label="Who should pay you", queryset=Member.objects.none(), empty_label="Choose a member")
    currency = CurrencyChoiceField(
        label="Currency",
        queryset=Currency.objects.none(),
        empty_label=None,
        error_messages={"required": "Choose a currency."},
    )
    amount = amount_field(help_text=HOURS_HINT)
    memo = memo_field()
    key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, viewer: Member, **kwargs):
        super().__init__(*args, **kwargs)
        # Every active member, not only those listed in the directory: whoever helped can ask to be paid.
        self.fields["payer"].queryset = access.payee_members(viewer)
        currencies = access.currencies(viewer)
        self.fields["currency"].queryset = currencies
        if len(currencies) > 1:
            # Several currencies: make the person choose, so hours are never asked for in credits by accident.
            self.fields["currency"].empty_label = "Choose a currency"

    def clean(self):
        data = super().clean()
        data["amount_units"] = amount_in_units(self, "amount", data.get("currency"))
        return data


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why are you declining",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="They will see this.",
    )


class HandlingForm(forms.Form):
    handling = forms.ChoiceField(
        label="When someone asks you for payment",
        choices=RequestHandling.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how you want payment requests handled."},
    )


class TrustForm(forms.Form):
    payee = MemberChoiceField(
        label="Pay this person automatically",
        queryset=Member.objects.none(),
        empty_label="Choose a member",
        error_messages={"required": "Choose a member."},
    )

    def __init__(self, *args, viewer: Member, **kwargs):
        super().__init__(*args, **kwargs)
        trusted = viewer.trusted_payees.values_list("payee_id", flat=True)
        self.fields["payee"].queryset = access.payee_members(viewer).exclude(pk__in=trusted)
