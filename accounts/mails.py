"""The e-mails about an account: a password reset link, a new account's first password, a
sign-up with an address already in use, a password that changed.

They travel through the notification outbox like the ticket mails (tickets.notifications:
queued in the request's transaction, sent by a worker after commit), so a request takes as
long whether or not an account was found. tickets.notifications.render hands each account
event here. A link that sets a password carries a token made now, when the message is sent:
the outbox row holds no secret.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from helpdesk.http import absolute_url

if TYPE_CHECKING:
    from tickets.models import Notification

    from .models import User

SUBJECTS = {
    "password_reset": _("Reset your help desk password"),
    "account_created": _("Choose a password for your help desk account"),
    "signup_attempt": _("Someone tried to create a help desk account with your address"),
    "password_changed": _("Your help desk password was changed"),
}
# The events whose message carries a link that sets the password.
SETS_PASSWORD = frozenset({"password_reset", "account_created"})


def set_password_link(user: User) -> str:
    """A link to choose a new password, valid for PASSWORD_RESET_TIMEOUT from now and until
    the password (or the last sign-in) changes."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return absolute_url(path)


def render(notification: Notification) -> EmailMultiAlternatives:
    """The e-mail for one account event of the outbox (plain text)."""
    user = notification.recipient
    event = str(notification.event)
    context = {
        "user": user,
        "email": user.email,
        "at": notification.created_at,
        "detail": notification.detail,
        "login_link": absolute_url(reverse("login")),
        "profile_link": absolute_url(reverse("profile")),
        "reset_link": absolute_url(reverse("password_reset")),
    }
    if event in SETS_PASSWORD:
        context["link"] = set_password_link(user)
    # Times in mails read in the help desk's own zone, as in the ticket notifications.
    with timezone.override(settings.HELPDESK_TIME_ZONE):
        body = render_to_string(f"emails/account/{event}.txt", context)
    return EmailMultiAlternatives(
        subject=str(SUBJECTS[event]),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )  # tickets.delivery.compose adds the headers every message of ours carries
