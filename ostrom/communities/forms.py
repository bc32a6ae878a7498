"""Forms check the shape of what people type; the rules themselves live in domain and actions,
whose errors ``add_domain_error`` shows beside the right field."""

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm

from . import auth, domain
from .domain import DomainError
from .models import Organisation


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show a rule's message beside its field, or at the top of the form when it concerns no one field."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


class PlainMessages:
    """Say what to do when a required field is empty ("Enter your full name"), as GOV.UK forms do,
    instead of Django's "This field is required."."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if field.error_messages.get("required") != forms.Field.default_error_messages["required"]:
                continue  # a field that already says something specific
            label = str(field.label or "this")
            verb = "Choose" if isinstance(field, forms.ChoiceField | forms.ModelChoiceField) else "Enter"
            field.error_messages["required"] = f"{verb} {label[0].lower()}{label[1:]}."


class LoginForm(PlainMessages, AuthenticationForm):
    username = forms.CharField(
        label="Email address or phone number",
        max_length=254,
        error_messages={"required": "Enter your email address or phone number."},
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        error_messages={"required": "Enter your password."},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": "The email address or phone number and password do not match an account. Check them and try again.",
        "inactive": "This account is closed.",
        "locked": "Too many failed attempts. Wait 15 minutes, then try again, or reset your password.",
    }

    def clean(self):
        identifier = self.cleaned_data.get("username") or ""
        address = auth.client_address(self.request) if self.request else ""
        if identifier and auth.login_locked(identifier, address):
            raise forms.ValidationError(self.error_messages["locked"], code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if identifier:
                auth.record_login_failure(identifier, address)
            raise
        auth.clear_login_failures(identifier, address)
        return cleaned


class SignUpForm(PlainMessages, forms.Form):
    full_name = forms.CharField(
        label="Your full name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    display_name = forms.CharField(
        label="Name other members see",
        max_length=80,
        required=False,
        help_text="For example your first name. Leave blank to use your full name.",
    )
    email = forms.EmailField(
        label="Email address", required=False, max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    phone = forms.CharField(
        label="Mobile phone number",
        required=False,
        max_length=32,
        help_text="Give an email address, a phone number, or both.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    password = forms.CharField(
        label="Choose a password",
        error_messages={"required": "Enter a password."},
        strip=False,
        help_text="At least 10 characters. A few unusual words work well.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_phone(self):
        phone = self.cleaned_data["phone"]
        if phone.strip():
            try:
                return domain.normalise_phone(phone, settings.PHONE_DEFAULT_REGION)
            except DomainError as error:
                raise forms.ValidationError(error.message) from None
        return ""

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("email") and not cleaned.get("phone"):
            self.add_error("email", "Enter an email address or a phone number.")
        password = cleaned.get("password")
        if password:
            try:
                password_validation.validate_password(password)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class JoinForm(PlainMessages, forms.Form):
    display_name = forms.CharField(
        label="Name other members see", max_length=80, required=False, help_text="Leave blank to use your full name."
    )


def tags_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=1000, help_text=help_text)


class ProfileForm(PlainMessages, forms.Form):
    display_name = forms.CharField(
        label="Name other members see",
        max_length=80,
        error_messages={"required": "Enter the name other members will see."},
    )
    bio = forms.CharField(label="About you", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    skills = tags_field(
        "Skills you can offer", "Separate them with commas, for example: gardening, lifts to hospital, Polish."
    )
    interests = tags_field("Interests", "Separate them with commas.")
    languages = tags_field("Languages you speak", "Separate them with commas.")
    availability = forms.MultipleChoiceField(
        label="When you are usually free",
        required=False,
        choices=domain.Availability.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    contact_preferences = forms.MultipleChoiceField(
        label="How you prefer to be contacted",
        required=False,
        choices=domain.ContactChannel.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    postcode_district = forms.CharField(
        label="Postcode district",
        required=False,
        max_length=8,
        help_text="Only the first part of your postcode, for example LS6.",
    )
    latitude = forms.DecimalField(
        label="Latitude",
        required=False,
        max_digits=12,
        decimal_places=8,
        help_text="Optional. Rounded to about 100 metres.",
    )
    longitude = forms.DecimalField(
        label="Longitude",
        required=False,
        max_digits=12,
        decimal_places=8,
        help_text="Optional. Rounded to about 100 metres.",
    )
    listed_in_directory = forms.BooleanField(label="List me in the member directory", required=False)
    share_email = forms.BooleanField(label="Show my email address to other members", required=False)
    share_phone = forms.BooleanField(label="Show my phone number to other members", required=False)
    share_location = forms.BooleanField(
        label="Show my postcode district and rough location to other members", required=False
    )

    @classmethod
    def initial_for(cls, member) -> dict:
        initial = {name: getattr(member, name) for name in cls.base_fields}
        for name in ("skills", "interests", "languages"):
            initial[name] = ", ".join(initial[name])
        return initial


class OnBehalfProfileForm(ProfileForm):
    reason = forms.CharField(
        label="Why are you changing this profile?",
        max_length=500,
        help_text="Recorded in the audit log.",
        error_messages={"required": "Say why you are changing this profile."},
    )


class InvitationForm(PlainMessages, forms.Form):
    email = forms.EmailField(
        label="Email address",
        required=False,
        max_length=254,
        help_text="If you give one, only that person can use the link.",
    )
    role = forms.ChoiceField(label="Role", choices=(), error_messages={"required": "Choose a role."})
    organisation = forms.ModelChoiceField(
        label="Organisation",
        required=False,
        queryset=Organisation.objects.none(),
        help_text="Needed for organisation staff.",
    )
    note = forms.CharField(label="Note for your records", required=False, max_length=200)
    valid_days = forms.IntegerField(
        label="Days the link stays valid",
        min_value=1,
        max_value=90,
        initial=14,
        error_messages={"required": "Enter how many days the link stays valid."},
    )
    max_uses = forms.IntegerField(
        label="How many people can use it",
        min_value=1,
        max_value=500,
        initial=1,
        error_messages={"required": "Enter how many people can use the link."},
    )

    def __init__(self, *args, coordinator, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(role.value, role.label) for role in domain.assignable_roles(coordinator.role)]
        self.fields["organisation"].queryset = Organisation.objects.filter(
            community=coordinator.community, is_active=True
        )


class AssistedSignUpForm(PlainMessages, forms.Form):
    full_name = forms.CharField(
        label="Full name", max_length=150, error_messages={"required": "Enter their full name."}
    )
    display_name = forms.CharField(label="Name other members see", max_length=80, required=False)
    phone = forms.CharField(
        label="Phone number",
        max_length=32,
        widget=forms.TextInput(attrs={"type": "tel"}),
        error_messages={"required": "Enter their phone number."},
    )
    email = forms.EmailField(label="Email address", required=False, max_length=254)
    skills = tags_field("Skills they can offer", "Separate them with commas.")
    interests = tags_field("Interests", "Separate them with commas.")
    postcode_district = forms.CharField(
        label="Postcode district", required=False, max_length=8, help_text="For example LS6."
    )
    consent_given = forms.BooleanField(
        label="They have agreed to join and for us to keep these details",
        error_messages={"required": "Confirm that the person agreed to be registered."},
    )
    consent_note = forms.CharField(
        label="How they agreed",
        max_length=500,
        help_text="For example: in person at the Tuesday drop-in, consent form signed.",
    )


class StatusForm(PlainMessages, forms.Form):
    ACTIONS = [("approve", "Approve"), ("decline", "Decline"), ("suspend", "Suspend"), ("reinstate", "Reinstate")]
    action = forms.ChoiceField(choices=ACTIONS, widget=forms.HiddenInput)
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=500,
        help_text="Needed to decline or suspend. Recorded in the audit log.",
    )


class RoleForm(PlainMessages, forms.Form):
    role = forms.ChoiceField(label="Role", choices=(), error_messages={"required": "Choose a role."})
    organisation = forms.ModelChoiceField(
        label="Organisation",
        required=False,
        queryset=Organisation.objects.none(),
        help_text="Needed for organisation staff.",
    )
    reason = forms.CharField(label="Reason", required=False, max_length=500)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(role.value, role.label) for role in domain.assignable_roles(actor.role)]
        self.fields["organisation"].queryset = Organisation.objects.filter(community=actor.community, is_active=True)


class ReasonForm(PlainMessages, forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        help_text="Recorded in the audit log.",
        error_messages={"required": "Enter a reason."},
    )


class OrganisationForm(PlainMessages, forms.Form):
    name = forms.CharField(label="Name", max_length=120, error_messages={"required": "Enter the organisation’s name."})
    kind = forms.ChoiceField(
        label="Kind of organisation",
        choices=domain.OrganisationKind.choices,
        error_messages={"required": "Choose what kind of organisation this is."},
    )
    description = forms.CharField(
        label="What you do", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )
    # The same limits as the columns, so a long value is refused here rather than failing in PostgreSQL.
    website = forms.URLField(label="Website", required=False, max_length=200, assume_scheme="https")
    email = forms.EmailField(label="Contact email", required=False, max_length=254)
    phone = forms.CharField(
        label="Contact phone", required=False, max_length=32, widget=forms.TextInput(attrs={"type": "tel"})
    )


class TokenForm(PlainMessages, forms.Form):
    community = forms.ChoiceField(label="Community", choices=(), error_messages={"required": "Choose a community."})
    name = forms.CharField(
        label="Name",
        max_length=60,
        error_messages={"required": "Enter a name for the token."},
        help_text="So you can recognise it later, for example “Spreadsheet sync”.",
    )
    valid_days = forms.IntegerField(
        label="Days until it expires",
        required=False,
        min_value=1,
        max_value=366,
        help_text="Leave blank for no expiry.",
    )

    def __init__(self, *args, memberships, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = [(str(m.pk), m.community.name) for m in memberships]


class EraseForm(PlainMessages, forms.Form):
    confirm = forms.CharField(
        label="Type ERASE to confirm", max_length=10, error_messages={"required": "Type ERASE to confirm."}
    )

    def clean_confirm(self):
        if self.cleaned_data["confirm"].strip().upper() != "ERASE":
            raise forms.ValidationError("Type ERASE in capital letters to confirm.")
        return "ERASE"


class DirectorySearchForm(PlainMessages, forms.Form):
    q = forms.CharField(label="Search by name, skill, interest or area", required=False, max_length=100)
