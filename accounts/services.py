import logging
from smtplib import SMTPException
from typing import Literal

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from helpdesk.http import absolute_url
from helpdesk.security_log import log_event

from .identity import normalize_email
from .models import Role, User
from .tokens import api_tokens_revoke_all

log = logging.getLogger(__name__)

# Marked for translation here, translated where it is raised: the constant stays a plain string.
EMAIL_TAKEN = gettext_noop("A user with this e-mail address already exists.")
EMAIL_CHANGE_NEEDS_PASSWORD = gettext_noop(
    "Enter your current password to change your e-mail address."
)

PASSWORD_CHANGED_SUBJECT = gettext_noop("Your help desk password was changed")

PROFILE_FIELDS = ("display_name", "email", "notify_by_email")

# How a user came to have a new password of their own choosing; also the reason logged.
PasswordSetBy = Literal["password_changed", "password_reset"]


def _canonical_email(email: str) -> tuple[str, list[ValidationError]]:
    """The address as stored and looked up (accounts.identity.normalize_email), or, when it
    cannot be made canonical, the address as typed and the reason it is refused."""
    try:
        return normalize_email(email), []
    except ValidationError as error:
        return email.strip(), error.error_list


def _email_taken() -> ValidationError:
    return ValidationError({"email": ValidationError(gettext(EMAIL_TAKEN), code="email_taken")})


@transaction.atomic
def user_create(
    *,
    email: str,
    display_name: str,
    role: Role | str = Role.CUSTOMER,
    password: str | None = None,
    validate: bool = True,
) -> User:
    """Create a user of any role. Without a password the account cannot sign in until reset."""
    email, refused = _canonical_email(email)
    if refused:
        raise ValidationError({"email": refused})
    if User.objects.filter(email=email).exists():
        raise _email_taken()
    user = User(email=email, display_name=display_name.strip(), role=Role(role))
    if password is not None:
        if validate:
            validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    # Uniqueness was checked above (and the database enforces it); skip the repeat queries.
    user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    user.save()
    return user


def user_update_profile(
    *,
    user: User,
    display_name: str,
    email: str,
    notify_by_email: bool,
    current_password: str | None = None,
) -> User:
    """Change what a user may change about themselves; the role is not among it.

    A new e-mail address (the login, and where password resets go) needs the current password,
    so that someone at an unattended session cannot take the account over.

    Raises ValidationError keyed by field, leaving `user` untouched. Saves only the fields that
    changed, and nothing at all when nothing did.
    """
    email, email_refused = _canonical_email(email)
    values = {
        "display_name": display_name.strip(),
        "email": email,
        "notify_by_email": bool(notify_by_email),
    }
    changed = [name for name in PROFILE_FIELDS if getattr(user, name) != values[name]]
    if not changed:
        return user

    errors: dict[str, list[ValidationError]] = {"email": email_refused} if email_refused else {}
    for name in changed:
        if name in errors:
            continue
        try:
            values[name] = User._meta.get_field(name).clean(values[name], user)
        except ValidationError as error:
            errors[name] = error.error_list
    if errors:
        raise ValidationError(errors)
    if (
        "email" in changed
        and User.objects.filter(email=values["email"]).exclude(pk=user.pk).exists()
    ):
        raise _email_taken()
    if "email" in changed and not (current_password and user.check_password(current_password)):
        log_event("email_change_refused", user=user, level=logging.WARNING)
        raise ValidationError(
            {
                "current_password": ValidationError(
                    gettext(EMAIL_CHANGE_NEEDS_PASSWORD), code="password_required"
                )
            }
        )

    previous = {name: getattr(user, name) for name in changed}
    for name in changed:
        setattr(user, name, values[name])
    try:
        with transaction.atomic():
            user.save(update_fields=changed)
    except IntegrityError as error:
        for name, value in previous.items():
            setattr(user, name, value)
        if "email" in changed:
            # The address was taken between the check and the write; the database said no.
            raise _email_taken() from error
        raise
    if "email" in changed:
        log_event("email_changed", user=user, old_email=previous["email"])
    return user


def user_password_set(*, user: User, how: PasswordSetBy) -> int:
    """What follows once a user has set a new password (`how`: changed while signed in, or
    reset through the e-mailed link): every API token of theirs is revoked, as a token is a
    credential that would otherwise outlive the password, and they are told by e-mail.

    Their other sessions end without help: each carries a hash of the password it signed in
    with. Call it in the transaction that saved the password; the e-mail goes once it commits.
    Returns how many tokens were revoked.
    """
    revoked = api_tokens_revoke_all(user=user, reason=how)
    transaction.on_commit(
        lambda: _mail_password_set(user=user, how=how, tokens_revoked=revoked, at=timezone.now())
    )
    return revoked


def _mail_password_set(*, user: User, how: PasswordSetBy, tokens_revoked: int, at) -> None:
    context = {
        "user": user,
        "how": how,
        "at": at,
        "tokens_revoked": tokens_revoked,
        "profile_link": absolute_url(reverse("profile")),
        "reset_link": absolute_url(reverse("password_reset")),
    }
    # Times in mails read in the help desk's own zone, as in the ticket notifications.
    with timezone.override(settings.HELPDESK_TIME_ZONE):
        body = render_to_string("emails/password_changed.txt", context)
    try:
        send_mail(
            subject=gettext(PASSWORD_CHANGED_SUBJECT),
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
        )
    except (SMTPException, OSError):
        # The password is set and the tokens are gone; a lost notice must not turn into an error.
        log.exception("The password-changed e-mail to user %s was not sent", user.pk)
