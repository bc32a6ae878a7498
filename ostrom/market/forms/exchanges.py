"""Forms for the exchange pages: contacting a poster, writing in the thread, proposing terms, and the reasons
asked for when cancelling, disputing, confirming for someone or resolving a dispute.

They check the shape of what people type and turn an amount into whole smallest units (hours and minutes into
minutes, credits into their smallest unit); the rules are the actions', whose errors ``show_error`` puts beside
the field they are about."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django import forms
from django.core.validators import MaxLengthValidator

from ostrom.communities.domain import DomainError
from ostrom.communities.forms import PlainMessages, add_domain_error
from ostrom.communities.models import Community
from ostrom.ledger.domain import amounts
from ostrom.ledger.forms.fields import CurrencyChoiceField
from ostrom.ledger.models import Currency, CurrencyKind
from ostrom.ledger.sms import main_currency

from ..domain import exchanges as domain
from ..models import Exchange, Listing

# Nobody agrees a thousand hours in one exchange; the bound keeps the arithmetic far from any limit.
MAX_HOURS = 999
AMOUNT_TEXT_CHARS = 40


class MessageForm(PlainMessages, forms.Form):
    body = forms.CharField(
        label="Your message",
        max_length=domain.MESSAGE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Write a message first."},
        help_text=f"Up to {domain.MESSAGE_MAX_CHARS:,} characters.",
    )

    def show_error(self, error: DomainError) -> None:
        add_domain_error(self, error)


class ContactForm(MessageForm):
    """The first message about a listing, on its page."""

    def __init__(self, *args, poster_name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if poster_name:
            self.fields["body"].label = f"Your message to {poster_name}"
        self.fields["body"].help_text = "Say what you would like and when suits you. Your contact details stay private."


class AmountFields(forms.Form):
    """How much, as people say it: hours and minutes for time, a number for credits. ``amount_units`` is the
    amount in the currency's smallest unit (None when none was given)."""

    hours = forms.IntegerField(label="Hours", min_value=0, max_value=MAX_HOURS, required=False)
    minutes = forms.IntegerField(label="Minutes", min_value=0, max_value=59, required=False)
    credits = forms.CharField(
        label="Credits",
        max_length=AMOUNT_TEXT_CHARS,
        required=False,
        help_text="For a credit currency, e.g. 1 or 2.50.",
    )

    def use_kinds(self, kinds: set[str]) -> None:
        """Show only the fields the currencies on offer need."""
        if CurrencyKind.TIME not in kinds:
            del self.fields["hours"], self.fields["minutes"]
        if CurrencyKind.CREDIT not in kinds:
            del self.fields["credits"]

    def amount_units(self, currency: Currency | None) -> int | None:
        """The amount in ``currency``'s smallest units; None (with the error shown) when it can't be read."""
        data = self.cleaned_data
        if currency is None:
            return None
        if currency.kind == CurrencyKind.TIME:
            hours, minutes = data.get("hours"), data.get("minutes")
            if hours is None and minutes is None:
                return None
            return (hours or 0) * 60 + (minutes or 0)
        text = (data.get("credits") or "").strip()
        if not text:
            return None
        try:
            return amounts.parse_amount(text, currency.kind, currency.scale)
        except DomainError as error:
            self.add_error("credits" if "credits" in self.fields else None, error.message)
            return None

    def amount_field_for(self, currency: Currency | None) -> str | None:
        if currency is not None and currency.kind == CurrencyKind.TIME and "hours" in self.fields:
            return "hours"
        return "credits" if "credits" in self.fields else None

    def initial_amount(self, units: int | None, currency: Currency | None) -> dict[str, object]:
        if units is None or currency is None:
            return {}
        if currency.kind == CurrencyKind.TIME:
            return {"hours": units // 60, "minutes": units % 60}
        return {"credits": amounts.format_amount(units, currency.kind, currency.scale).replace(",", "")}


class TermsForm(PlainMessages, AmountFields):
    """What, when and how much. The time is read in the community's time zone."""

    what = forms.CharField(
        label="What", max_length=domain.WHAT_MAX_CHARS, help_text="For example: weeding the front garden."
    )
    day = forms.DateField(
        label="Date", widget=forms.DateInput(attrs={"type": "date"}), error_messages={"invalid": "Enter a real date."}
    )
    at = forms.TimeField(
        label="Time",
        widget=forms.TimeInput(attrs={"type": "time"}),
        error_messages={"invalid": "Enter a time like 14:30."},
    )
    currency = CurrencyChoiceField(label="Paid in", queryset=Currency.objects.none(), empty_label=None)
    field_order = ["what", "day", "at", "currency", "hours", "minutes", "credits"]

    def __init__(self, *args, community: Community, currencies, exchange: Exchange | None = None, **kwargs):
        currencies = list(currencies)
        kwargs.setdefault("initial", {}).update(self.initial_for(exchange, currencies, community))
        super().__init__(*args, **kwargs)
        self.community = community
        self.fields["currency"].queryset = Currency.objects.filter(pk__in=[c.pk for c in currencies]).order_by("name")
        self.use_kinds({c.kind for c in currencies})

    def initial_for(self, exchange: Exchange | None, currencies: list[Currency], community: Community) -> dict:
        """The exchange's terms so far, else what its listing suggests (a partner's price, the time it takes)."""
        if exchange is None:
            return {}
        currency = exchange.currency or _listing_currency(exchange.listing, currencies)
        units = exchange.amount if exchange.amount is not None else _listing_amount(exchange.listing, currency)
        initial: dict[str, object] = {"what": exchange.what, **self.initial_amount(units, currency)}
        if currency is not None:
            initial["currency"] = currency.pk
        if exchange.scheduled_for is not None:
            local = exchange.scheduled_for.astimezone(ZoneInfo(community.time_zone))
            initial.update(day=local.date(), at=local.time().replace(second=0, microsecond=0))
        return initial

    def clean(self):
        data = super().clean()
        day, at = data.get("day"), data.get("at")
        data["scheduled_for"] = _aware(day, at, self.community) if day and at else None
        data["amount_units"] = self.amount_units(data.get("currency"))
        if data["amount_units"] is None and not self.errors:
            field = self.amount_field_for(data.get("currency"))
            self.add_error(field, "Enter how much: hours and minutes, or credits.")
        return data

    def show_error(self, error: DomainError) -> None:
        fields = {"scheduled_for": "day", "amount": self.amount_field_for(self.cleaned_data.get("currency"))}
        field = fields.get(error.field or "", error.field)
        self.add_error(field if field in self.fields else None, error.message)


class ReasonForm(PlainMessages, forms.Form):
    reason = forms.CharField(label="Why", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(
        self, *args, label: str = "Why", max_chars: int = domain.CANCEL_REASON_MAX_CHARS, hint: str = "", **kwargs
    ):
        super().__init__(*args, **kwargs)
        field = self.fields["reason"]
        field.label, field.max_length, field.help_text = label, max_chars, hint
        field.validators.append(MaxLengthValidator(max_chars))
        field.widget.attrs["maxlength"] = str(max_chars)
        field.error_messages["required"] = "Say why."

    def show_error(self, error: DomainError) -> None:
        add_domain_error(self, error)


class ResolveForm(PlainMessages, AmountFields):
    """A coordinator's decision on a dispute: confirm (the agreed amount unless another is given) or cancel."""

    outcome = forms.ChoiceField(
        label="Decision",
        widget=forms.RadioSelect,
        choices=[("confirm", "Confirm it: the transfer is made"), ("cancel", "Cancel it: nothing is transferred")],
        error_messages={"required": "Choose whether to confirm or cancel."},
    )
    note = forms.CharField(
        label="What you decided and why",
        max_length=domain.RESOLUTION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Both people see this.",
        error_messages={"required": "Say what you decided and why."},
    )
    field_order = ["outcome", "hours", "minutes", "credits", "note"]

    def __init__(self, *args, exchange: Exchange, **kwargs):
        super().__init__(*args, **kwargs)
        self.exchange = exchange
        self.use_kinds({exchange.currency.kind} if exchange.currency else set())
        for name in ("hours", "minutes", "credits"):
            if name in self.fields:
                self.fields[name].help_text = "Only to confirm a different amount from the one agreed."

    def clean(self):
        data = super().clean()
        data["amount_units"] = self.amount_units(self.exchange.currency)
        return data

    def show_error(self, error: DomainError) -> None:
        field = self.amount_field_for(self.exchange.currency) if error.field == "amount" else error.field
        self.add_error(field if field in self.fields else None, error.message)


class ThanksForm(PlainMessages, forms.Form):
    note = forms.CharField(
        label="Your thank-you note",
        max_length=domain.THANKS_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write your thank-you note first."},
    )

    def show_error(self, error: DomainError) -> None:
        add_domain_error(self, error)


class ShareForm(forms.Form):
    share = forms.BooleanField(label="Share my email address and phone number with the other person", required=False)


def _aware(day, at: time, community: Community) -> datetime:
    return datetime.combine(day, at).replace(tzinfo=ZoneInfo(community.time_zone))


def _listing_currency(listing: Listing | None, currencies: list[Currency]) -> Currency | None:
    """A partner's priced offer is paid in its price's currency; otherwise the community's main currency: its
    timebank hours (the one texts pay in, too)."""
    if listing is not None and listing.price_currency_id:
        return next((c for c in currencies if c.pk == listing.price_currency_id), None)
    if not currencies:
        return None
    return main_currency(currencies[0].community_id)


def _listing_amount(listing: Listing | None, currency: Currency | None) -> int | None:
    if listing is None or currency is None:
        return None
    if listing.price_amount and listing.price_currency_id == currency.pk:
        return listing.price_amount
    if listing.estimated_minutes and currency.kind == CurrencyKind.TIME:
        return listing.estimated_minutes
    return None
