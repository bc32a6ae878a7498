"""The fields every money form shares: an amount typed the way people say it ("1:30", "1.5", "12.50") and
what a payment is for. One home, so the labels, hints and messages residents see stay the same everywhere."""

from __future__ import annotations

from collections.abc import Callable

from django import forms

from ostrom.communities.domain import DomainError

from ..domain import amounts
from ..models import Currency, CurrencyKind

# Long enough for "1,234,567.89" or "12 hours 30 minutes", short enough that nothing odd is parsed.
AMOUNT_MAX_LENGTH = 40
MEMO_MAX_LENGTH = 500
TIME_HINT = "In hours and minutes, for example 1:30, 1.5 or 90 min."
HOURS_HINT = "For hours, write 1:30 or 1.5 for an hour and a half."


def amount_field(label: str = "Amount", help_text: str = "") -> forms.CharField:
    """An amount as typed; ``amount_in_units`` turns it into the currency's smallest units."""
    return forms.CharField(
        label=label,
        max_length=AMOUNT_MAX_LENGTH,
        help_text=help_text,
        error_messages={"required": "Enter an amount."},
    )


def memo_field(
    label: str = "What is it for", help_text: str = "", widget: forms.Widget | None = None
) -> forms.CharField:
    """What a payment is for, shown on both sides' statements; a short text area unless told otherwise."""
    return forms.CharField(
        label=label,
        max_length=MEMO_MAX_LENGTH,
        help_text=help_text,
        widget=widget or forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what the payment is for."},
    )


def amount_in_units(
    form: forms.Form,
    name: str,
    currency: Currency | None,
    parse: Callable[[str, str, int], int] = amounts.parse_amount,
) -> int | None:
    """The amount typed in the field ``name`` in ``currency``'s smallest units. None when the field is blank
    or there is no currency yet; also None, with the reason shown by the field, when it is not an amount."""
    text = form.cleaned_data.get(name)
    if currency is None or not text:
        return None
    try:
        return parse(text, currency.kind, currency.scale)
    except DomainError as error:
        form.add_error(name, error.message)
        return None


def amount_hint(currency: Currency) -> str:
    """How to type an amount in this currency, with an example in its own units."""
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


class CurrencyChoiceField(forms.ModelChoiceField):
    """A currency, listed by its name."""

    def label_from_instance(self, obj: Currency) -> str:
        return obj.name
