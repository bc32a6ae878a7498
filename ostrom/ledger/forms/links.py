"""Forms for links between communities: proposing a link (the rate and the trust), accepting one, and paying
a member of a linked community. Amounts are typed the way people say them ("1:30", "10") and turned into the
integer rate and limits the actions take."""

from __future__ import annotations

import math

from django import forms

from ostrom.communities.domain import DomainError, Status
from ostrom.communities.forms import PlainMessages
from ostrom.communities.models import Community, Member

from .. import access
from ..domain.amounts import parse_amount
from ..models import CommunityLink, Currency
from .fields import HOURS_HINT, CurrencyChoiceField, amount_field, amount_in_units, memo_field

# How many members of a partner community the payment form offers, per link.
MAX_PAYEES = 500


def parse_trust(text: str, kind: str, scale: int) -> int:
    """A trust limit may be zero ("trust them with nothing until our members have been paid")."""
    if text.strip() in {"0", "0:00", "0.0", "0.00"}:
        return 0
    try:
        return parse_amount(text, kind, scale)
    except DomainError as error:
        if error.code != "amount_not_positive":
            raise
        raise DomainError("invalid_trust", "The trust can be zero or more, never below zero.", "trust") from None


def partner_community(link: CommunityLink, viewer: Member) -> Community:
    """The community on the other side of the link from the viewer's."""
    return link.partner if link.community_id == viewer.community_id else link.community


class PartnerCurrencyField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Currency) -> str:
        return f"{obj.community.name}: {obj.name}"


class ProposeLinkForm(PlainMessages, forms.Form):
    currency = CurrencyChoiceField(label="Your currency", queryset=Currency.objects.none(), empty_label=None)
    partner_currency = PartnerCurrencyField(
        label="The other community and its currency",
        queryset=Currency.objects.none(),
        empty_label="Choose a community",
        error_messages={"required": "Choose the other community and its currency."},
    )
    our_amount = forms.CharField(
        label="This much of your currency",
        max_length=40,
        help_text="For example 1:00 for one hour.",
        error_messages={"required": "Enter how much of your currency."},
    )
    their_amount = forms.CharField(
        label="is worth this much of theirs",
        max_length=40,
        help_text="For example 10 for ten of their credits.",
        error_messages={"required": "Enter how much of their currency it is worth."},
    )
    trust = forms.CharField(
        label="How much your community trusts them",
        max_length=40,
        help_text="In your currency: how much more your members may be paid by theirs than your members have paid "
        "them. 0 means they must be paid before they can pay.",
        error_messages={"required": "Enter how much your community trusts them (0 for nothing)."},
    )

    def __init__(self, *args, viewer: Member, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].queryset = access.currencies(viewer)
        self.fields["partner_currency"].queryset = (
            Currency.objects.filter(is_active=True)
            .exclude(community_id=viewer.community_id)
            .select_related("community")
            .order_by("community__name", "name")
        )

    def clean(self):
        data = super().clean()
        currency, theirs = data.get("currency"), data.get("partner_currency")
        for name, in_currency, parse in (
            ("our_amount", currency, parse_amount),
            ("their_amount", theirs, parse_amount),
            ("trust", currency, parse_trust),
        ):
            units = amount_in_units(self, name, in_currency, parse)
            if units is not None:
                data[name] = units
        if not self.errors:
            # One smallest unit of ours is worth their_amount / our_amount smallest units of theirs.
            divisor = math.gcd(data["their_amount"], data["our_amount"])
            data["rate_numerator"], data["rate_denominator"] = (
                data["their_amount"] // divisor,
                data["our_amount"] // divisor,
            )
        return data


class AcceptLinkForm(forms.Form):
    trust = forms.CharField(
        label="How much your community trusts them",
        max_length=40,
        error_messages={"required": "Enter how much your community trusts them (0 for nothing)."},
    )

    def __init__(self, *args, currency: Currency, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.fields["trust"].help_text = (
            f"In {currency.name}: how much more your members may be paid by theirs than your members have paid "
            "them. 0 means they must be paid before they can pay."
        )

    def clean_trust(self):
        try:
            return parse_trust(self.cleaned_data["trust"], self.currency.kind, self.currency.scale)
        except DomainError as error:
            raise forms.ValidationError(error.message) from None


class PayAcrossForm(PlainMessages, forms.Form):
    payee = forms.ChoiceField(label="Who to pay", error_messages={"required": "Choose who to pay."})
    amount = amount_field(
        label="Amount, in your own currency", help_text=f"{HOURS_HINT} It is converted at the agreed rate."
    )
    memo = memo_field()
    key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, viewer: Member, links: list[CommunityLink], **kwargs):
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        self.links = {link.pk: link for link in links}
        choices: list = [("", "Choose a member")]
        for link in links:
            members = partner_community(link, viewer).members.filter(status=Status.ACTIVE, listed_in_directory=True)
            choices.append(
                (
                    f"{link.other_name} ({link.rate_text})",
                    [(f"{link.pk}:{m.pk}", m.display_name) for m in members.order_by("display_name")[:MAX_PAYEES]],
                )
            )
        self.fields["payee"].choices = choices

    def clean(self):
        data = super().clean()
        choice = data.get("payee")
        if not choice:
            return data
        link_id, member_id = (int(part) for part in choice.split(":"))
        link = self.links[link_id]
        data["link"] = link
        data["payee"] = partner_community(link, self.viewer).members.get(pk=member_id)
        currency = link.currency if link.community_id == self.viewer.community_id else link.partner_currency
        data["amount_units"] = amount_in_units(self, "amount", currency)
        return data
