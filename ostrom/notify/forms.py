"""Forms check the shape of what people type; the rules live in ``actions.preferences``, whose errors
``add_domain_error`` shows beside the right field."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from django import forms
from django.conf import settings

from ostrom.communities.domain import DomainError, normalise_phone
from ostrom.communities.forms import PlainMessages

from .actions.preferences import CODE_DIGITS, KindChoice
from .models import Channel, ChannelChoice, DigestFrequency, MessageStatus

# Accepted as typed, so "21:00", "21.00", "9pm" and "9:30 pm" all work; the hint shows the first form.
TIME_FORMATS = ["%H:%M", "%H.%M", "%I%p", "%I:%M%p", "%I.%M%p", "%I %p", "%I:%M %p"]
TIME_INVALID = "Enter a time like 21:00 or 9pm."
MAX_NAME_SEARCH_CHARS = 100
KIND_FIELD_PREFIX = "kind_"


class FieldGroup:
    """Some of a form's fields, shaped for the shared include ``web/includes/form.html`` so each group can sit
    under its own heading. ``summary`` carries the whole form's errors and no fields: a page shows it once, at the
    top, and the groups show none (two summaries would repeat an id and say everything twice)."""

    def __init__(self, form: forms.Form, fields: Sequence[forms.BoundField] = (), *, summary: bool = False):
        self._form = form
        self._fields = list(fields)
        self.errors = form.errors if summary else None
        self._summary = summary

    def non_field_errors(self):
        return self._form.non_field_errors()

    def __iter__(self) -> Iterator[forms.BoundField]:
        return iter(self._form) if self._summary else iter(self._fields)

    def hidden_fields(self) -> list[forms.BoundField]:
        return self._form.hidden_fields() if self._summary else []

    def visible_fields(self) -> list[forms.BoundField]:
        return [] if self._summary else self._fields


def kind_field_name(key: str) -> str:
    """A form field name for a message kind's key ("ledger.payment_received" → "kind_ledger_payment_received")."""
    return KIND_FIELD_PREFIX + re.sub(r"[^a-z0-9]+", "_", key.lower())


class NotificationSettingsForm(PlainMessages, forms.Form):
    """Every setting on one form, saved together, so a mistake in one part loses nothing typed in another."""

    quiet_from = forms.TimeField(
        label="Quiet hours start",
        required=False,
        input_formats=TIME_FORMATS,
        error_messages={"invalid": TIME_INVALID},
        widget=forms.TimeInput(format="%H:%M", attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    quiet_until = forms.TimeField(
        label="Quiet hours end",
        required=False,
        input_formats=TIME_FORMATS,
        error_messages={"invalid": TIME_INVALID},
        widget=forms.TimeInput(format="%H:%M", attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    digest_frequency = forms.ChoiceField(
        label="How often should we send you a digest?",
        choices=DigestFrequency.choices,
        widget=forms.RadioSelect,
        help_text="One message that sums up what happened, instead of a message for each thing.",
        error_messages={"required": "Choose how often you want a digest."},
    )
    digest_channel = forms.ChoiceField(
        label="How should the digest reach you?",
        choices=Channel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how the digest should reach you."},
    )

    def __init__(self, *args, kinds: Sequence[KindChoice], sms_allowed: bool, digest_channel: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds = list(kinds)
        kind_fields = {kind_field_name(kind.key): self._kind_field(kind, sms_allowed) for kind in self.kinds}
        self.fields = kind_fields | self.fields
        if not sms_allowed and digest_channel != Channel.SMS:
            self.fields["digest_channel"].choices = [(Channel.EMAIL.value, Channel.EMAIL.label)]
        self._kind_names = list(kind_fields)

    @staticmethod
    def _kind_field(kind: KindChoice, sms_allowed: bool) -> forms.ChoiceField:
        # A choice of texts already made stays on offer, so saving something else does not fail on it.
        offered = [
            (value, label)
            for value, label in ChannelChoice.choices
            if value != ChannelChoice.SMS or sms_allowed or kind.channel == ChannelChoice.SMS
        ]
        return forms.ChoiceField(
            label=kind.label,
            choices=offered,
            initial=kind.channel,
            widget=forms.RadioSelect,
            error_messages={
                "required": f"Choose how to tell you about “{kind.label}”.",
                "invalid_choice": "Choose one of the ways shown.",
            },
        )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("quiet_from"), cleaned.get("quiet_until")
        typed = {name: self.data.get(self.add_prefix(name), "").strip() for name in ("quiet_from", "quiet_until")}
        if start and end is None and not typed["quiet_until"]:
            self.add_error("quiet_until", "Enter when your quiet hours end, or clear both times for none.")
        if end and start is None and not typed["quiet_from"]:
            self.add_error("quiet_from", "Enter when your quiet hours start, or clear both times for none.")
        return cleaned

    def chosen_channels(self) -> list[tuple[str, str]]:
        """(kind key, channel) for every kind on the form, once it is valid."""
        return [(kind.key, self.cleaned_data[kind_field_name(kind.key)]) for kind in self.kinds]

    def summary(self) -> FieldGroup:
        return FieldGroup(self, summary=True)

    def kind_group(self) -> FieldGroup:
        return FieldGroup(self, [self[name] for name in self._kind_names])

    def quiet_group(self) -> FieldGroup:
        return FieldGroup(self, [self["quiet_from"], self["quiet_until"]])

    def digest_group(self) -> FieldGroup:
        return FieldGroup(self, [self["digest_frequency"], self["digest_channel"]])


class PhoneForm(PlainMessages, forms.Form):
    phone = forms.CharField(
        label="Mobile phone number",
        max_length=32,
        help_text="For example 07700 900123 or +44 7700 900123. We will text a code to it.",
        error_messages={"required": "Enter your mobile phone number."},
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )

    def clean_phone(self):
        try:
            return normalise_phone(self.cleaned_data["phone"], settings.PHONE_DEFAULT_REGION)
        except DomainError as error:
            raise forms.ValidationError(error.message) from None


class CodeForm(PlainMessages, forms.Form):
    code = forms.CharField(
        label="Code from the text message",
        max_length=20,
        help_text=f"{CODE_DIGITS} digits, for example 123456.",
        error_messages={"required": f"Enter the {CODE_DIGITS}-digit code from the text message."},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "spellcheck": "false"}),
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not code.isdigit() or len(code) != CODE_DIGITS:
            raise forms.ValidationError(f"Enter the {CODE_DIGITS}-digit code from the text message, digits only.")
        return code


class MessageFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *MessageStatus.choices],
        error_messages={"invalid_choice": "Choose a status from the list."},
    )
    channel = forms.ChoiceField(
        label="Sent by",
        required=False,
        choices=[("", "Email or text"), *Channel.choices],
        error_messages={"invalid_choice": "Choose email or text from the list."},
    )
    q = forms.CharField(label="Member’s name", required=False, max_length=MAX_NAME_SEARCH_CHARS)

    def filters(self) -> dict[str, str]:
        """The filters that are valid, the others dropped, so one bad value does not hide the whole log."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}
