"""Forms for the account pages. They parse and check what was typed; services do the writing."""

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from helpdesk.fields import OneLineFormField
from helpdesk.forms import add_service_errors

from . import time_zones
from .models import DISPLAY_NAME_MAX_LENGTH, EMAIL_MAX_LENGTH, TOKEN_NAME_MAX_LENGTH, User


def _password_help() -> str:
    return " ".join(str(text) for text in password_validators_help_texts())


# The validators' rules as one plain sentence per rule, read from settings when shown.
PASSWORD_HELP = lazy(_password_help, str)()


class ServiceErrorsMixin:
    """Shows a service's ValidationError on the form: messages keyed by a field of this form go
    on that field; other messages go on `unkeyed_errors_field` (None: the form as a whole)."""

    unkeyed_errors_field: str | None = None

    def add_service_error(self, error: ValidationError) -> None:
        add_service_errors(self, error, unkeyed_field=self.unkeyed_errors_field)


class SignUpForm(ServiceErrorsMixin, forms.Form):
    """A new customer's account: the address and a name. The password is chosen through the
    link e-mailed to the address, so only whoever reads that mailbox can set it. There is no
    role here: sign-up makes customers only."""

    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=EMAIL_MAX_LENGTH,
        help_text=_("We e-mail you a link to choose your password."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    display_name = OneLineFormField(
        label=_("Your name"),
        max_length=DISPLAY_NAME_MAX_LENGTH,
        help_text=_("Shown to the people who work on your tickets."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )


class ProfileForm(ServiceErrorsMixin, forms.Form):
    display_name = OneLineFormField(
        label=_("Your name"),
        max_length=DISPLAY_NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=EMAIL_MAX_LENGTH,
        help_text=_("You sign in with this address, and we write to it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    notify_by_email = forms.BooleanField(
        label=_("E-mail me about my tickets"),
        required=False,
        help_text=_(
            "Replies and status changes. Essential messages, such as the resolution of a "
            "ticket or a question we need answered, are sent even when this is off."
        ),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        help_text=_("Times on pages (on hover, beside “3 hours ago”) are shown in it."),
    )
    current_password = forms.CharField(
        label=_("Current password"),
        required=False,
        strip=False,
        help_text=_("Needed only to change your e-mail address."),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        default = _("The help desk's (%(zone)s)") % {"zone": settings.HELPDESK_TIME_ZONE}
        self.fields["time_zone"].choices = [("", default)] + [
            (name, name.replace("_", " ")) for name in time_zones.names()
        ]

    @classmethod
    def initial_for(cls, user: User) -> dict:
        return {name: getattr(user, name) for name in cls.base_fields if name != "current_password"}


class LoginForm(auth_forms.AuthenticationForm):
    username = auth_forms.UsernameField(
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )


class PasswordResetForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class SetPasswordForm(auth_forms.SetPasswordForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = PASSWORD_HELP


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = PASSWORD_HELP


class ApiTokenForm(ServiceErrorsMixin, forms.Form):
    """A new personal API token: what it is for, and how long it may live."""

    EXPIRY_CHOICES = [
        ("30", _("30 days")),
        ("90", _("90 days")),
        ("365", _("One year")),
        ("", _("Never")),
    ]

    name = forms.CharField(
        label=_("Token name"),
        max_length=TOKEN_NAME_MAX_LENGTH,
        help_text=_("What will use it, e.g. “monitoring script” or “Alex's laptop”."),
    )
    expires_in_days = forms.TypedChoiceField(
        label=_("Expires after"),
        choices=EXPIRY_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        initial="90",
    )


class OtpCodeForm(forms.Form):
    """A code from the authenticator app, or one of the backup codes."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The 6 digits your authenticator app shows, or one of your backup codes."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autofocus": True,
                "autocapitalize": "off",
                "spellcheck": "false",
            }
        ),
    )


class OtpSetupForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=16,
        help_text=_("Enter the 6 digits the app shows for the help desk."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class SecurityPolicyForm(forms.Form):
    require_staff_two_factor = forms.BooleanField(
        label=_("Require two-factor authentication for agents and managers"),
        required=False,
        help_text=_(
            "Agents and managers without an authenticator app are sent to set one up before "
            "they can use anything else. API tokens keep working."
        ),
    )
