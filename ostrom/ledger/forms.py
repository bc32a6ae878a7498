"""Forms for the ledger's pages. They check the shape of what people type and turn amounts into whole
smallest units; the rules themselves live in actions, whose errors ``add_domain_error`` shows by the field."""

from __future__ import annotations

import uuid

from django import forms

from ostrom.communities.domain import DomainError, Role
from ostrom.communities.forms import PlainMessages, add_domain_error
from ostrom.communities.models import Member, Organisation

from .domain import amounts
from .models import AccountStatus, Currency, CurrencyKind

__all__ = [
    "AccountStatusForm",
    "CurrencyForm",
    "LimitsForm",
    "OnBehalfForm",
    "ReasonForm",
    "SendForm",
    "add_domain_error",
]

TIME_HINT = "In hours and minutes, for example 1:30, 1.5 or 90 min."
LIMIT_HINT = "Leave blank for no limit."


def amount_hint(currency: Currency) -> str:
    if currency.kind == CurrencyKind.TIME:
        return TIME_HINT
    example = amounts.format_amount(12 * currency.scale + currency.scale // 2, currency.kind, currency.scale)
    return f"In {currency.name.lower()}, for example {example}."


def amount_for_input(units: int | None, currency: Currency) -> str:
    """An amount as a person would type it back in: "10:00" for hours, "12.50" for credits, "" for none."""
    if units is None:
        return ""
    if currency.kind == CurrencyKind.TIME:
        return amounts.format_hours_minutes(units)
    return amounts.format_amount(units, currency.kind, currency.scale).replace(",", "")


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


def holder_value(holder: Member | Organisation) -> str:
    return f"{'member' if isinstance(holder, Member) else 'organisation'}:{holder.pk}"


class PaymentFields(PlainMessages, forms.Form):
    """Who to pay, how much and what for, with the key that makes confirming twice harmless."""

    payee = forms.ChoiceField(
        label="Who are you paying?", error_messages={"invalid_choice": "Choose someone from the list."}
    )
    amount = forms.CharField(label="Amount", max_length=40, error_messages={"required": "Enter an amount."})
    memo = forms.CharField(
        label="What is it for?",
        max_length=500,
        help_text="For example: two hours of gardening on Saturday.",
        error_messages={"required": "Say what the payment is for."},
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
        currency = self.currency()
        if currency is not None and cleaned.get("amount"):
            try:
                cleaned["amount_units"] = amounts.parse_amount(cleaned["amount"], currency.kind, currency.scale)
            except DomainError as error:
                self.add_error("amount", error.message)
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
        hint = f"{TIME_HINT if currency.kind == CurrencyKind.TIME else amount_hint(currency)} {LIMIT_HINT}"
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
