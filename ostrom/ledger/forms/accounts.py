"""Forms for the coordinators' account and currency pages: an account's limits and status, and a new
currency. Limits are typed like amounts, except that blank means no limit and zero means zero."""

from __future__ import annotations

from django import forms

from ostrom.communities.domain import DomainError
from ostrom.communities.forms import PlainMessages

from ..domain import amounts
from ..models import AccountStatus, Currency, CurrencyKind
from .fields import amount_hint

LIMIT_HINT = "Leave blank for no limit."


def parse_limit(text: str, kind: str, scale: int) -> int | None:
    """A limit as typed: blank means none, "0" means zero, anything else is an amount."""
    raw = (text or "").strip()
    if not raw:
        return None
    try:
        return amounts.parse_amount(raw, kind, scale)
    except DomainError as error:
        if error.code == "amount_not_positive" and "-" not in raw:
            return 0
        if error.code == "amount_not_positive":
            raise forms.ValidationError("A limit can't be below zero.") from None
        raise forms.ValidationError(error.message) from None


class LimitsForm(PlainMessages, forms.Form):
    debit_limit = forms.CharField(label="How far below zero the account may go", max_length=40, required=False)
    credit_limit = forms.CharField(label="How far above zero the account may go", max_length=40, required=False)
    reason = forms.CharField(
        label="Why are the limits changing?",
        max_length=500,
        help_text="Recorded in the audit log.",
        error_messages={"required": "Say why the limits are changing."},
    )

    def __init__(self, *args, currency: Currency, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency
        hint = f"{amount_hint(currency)} {LIMIT_HINT}"
        self.fields["debit_limit"].help_text = hint
        self.fields["credit_limit"].help_text = hint

    def clean_debit_limit(self):
        return parse_limit(self.cleaned_data["debit_limit"], self.currency.kind, self.currency.scale)

    def clean_credit_limit(self):
        return parse_limit(self.cleaned_data["credit_limit"], self.currency.kind, self.currency.scale)


STATUS_CHOICES = {
    AccountStatus.ACTIVE: [
        (AccountStatus.FROZEN, "Freeze: no payments in or out until it is unfrozen"),
        (AccountStatus.CLOSED, "Close for good (only an account at zero with no holds)"),
    ],
    AccountStatus.FROZEN: [
        (AccountStatus.ACTIVE, "Unfreeze: payments can go in and out again"),
        (AccountStatus.CLOSED, "Close for good (only an account at zero with no holds)"),
    ],
    AccountStatus.CLOSED: [],
}


class AccountStatusForm(PlainMessages, forms.Form):
    status = forms.ChoiceField(
        label="What should happen to the account?",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what should happen to the account."},
    )
    reason = forms.CharField(
        label="Why?",
        max_length=500,
        help_text="Recorded in the audit log.",
        error_messages={"required": "Say why."},
    )

    def __init__(self, *args, current: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = STATUS_CHOICES.get(current, [])


SCALE_CHOICES = [
    ("1", "Whole credits only"),
    ("10", "Tenths (0.1)"),
    ("100", "Hundredths (0.01), like pence"),
    ("1000", "Thousandths (0.001)"),
]


class CurrencyForm(PlainMessages, forms.Form):
    kind = forms.ChoiceField(
        label="What is counted?",
        widget=forms.RadioSelect,
        choices=[
            (CurrencyKind.TIME, "Time: an hour of help earns an hour (timebank)"),
            (CurrencyKind.CREDIT, "Credits: mutual credit, or community credits earned by volunteering"),
        ],
        error_messages={"required": "Choose time or credits."},
    )
    name = forms.CharField(label="Name", max_length=80, help_text="For example: Timebank hours, Green credits.")
    code = forms.SlugField(
        label="Short code",
        max_length=20,
        help_text="Lower-case letters, numbers and hyphens, used in addresses and files. For example: hours.",
        error_messages={"invalid": "Use only lower-case letters, numbers and hyphens in the short code."},
    )
    symbol = forms.CharField(label="Symbol", max_length=8, required=False, help_text="For example: ₲ or cr.")
    scale = forms.ChoiceField(
        label="Smallest amount (credits only)", choices=SCALE_CHOICES, initial="1", help_text="Time counts minutes."
    )
    default_debit_limit = forms.CharField(
        label="How far below zero a new account may go",
        max_length=40,
        required=False,
        help_text="An amount, for example 10:00 for ten hours or 50 for credits. Blank means zero.",
    )
    default_credit_limit = forms.CharField(
        label="How far above zero a new account may go", max_length=40, required=False, help_text=LIMIT_HINT
    )
    limit_growth_permille = forms.IntegerField(
        label="Limit growth per 1,000 received",
        min_value=0,
        max_value=1000,
        initial=0,
        help_text="For every 1,000 units an account receives, it may go this many more units below zero. "
        "For example 500: each 2 hours received lets a member go 1 hour further. 0 turns growth off.",
    )
    limit_growth_cap = forms.CharField(
        label="The furthest a limit can grow to",
        max_length=40,
        required=False,
        help_text="An amount. Leave blank for no cap.",
    )
    issuance_limit = forms.CharField(
        label="How much may be issued in total",
        max_length=40,
        required=False,
        help_text="For community credits earned by volunteering. Leave blank if nothing is issued.",
    )
    field_order = [
        "kind",
        "name",
        "code",
        "symbol",
        "scale",
        "default_debit_limit",
        "default_credit_limit",
        "limit_growth_permille",
        "limit_growth_cap",
        "issuance_limit",
    ]

    AMOUNT_FIELDS = ("default_debit_limit", "default_credit_limit", "limit_growth_cap", "issuance_limit")

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind is None:
            return cleaned
        scale = 60 if kind == CurrencyKind.TIME else int(cleaned.get("scale") or 1)
        cleaned["scale"] = scale
        for name in self.AMOUNT_FIELDS:
            if name in self.errors:
                continue
            try:
                cleaned[name] = parse_limit(cleaned.get(name, ""), kind, scale)
            except forms.ValidationError as error:
                self.add_error(name, error)
        if "default_debit_limit" in cleaned and cleaned["default_debit_limit"] is None:
            cleaned["default_debit_limit"] = 0
        if "issuance_limit" in cleaned and cleaned["issuance_limit"] is None:
            cleaned["issuance_limit"] = 0
        return cleaned
