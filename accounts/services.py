import logging

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext, gettext_noop

from helpdesk.security_log import log_event

from .models import Role, User

# Marked for translation here, translated where it is raised: the constant stays a plain string.
EMAIL_TAKEN = gettext_noop("A user with this e-mail address already exists.")
EMAIL_CHANGE_NEEDS_PASSWORD = gettext_noop(
    "Enter your current password to change your e-mail address."
)

PROFILE_FIELDS = ("display_name", "email", "notify_by_email")


def normalize_email(email: str) -> str:
    """E-mail addresses are stored lower-cased: the login is the same whatever the case."""
    return User.objects.normalize_email(email).strip().lower()


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
    email = normalize_email(email)
    if User.objects.filter(email__iexact=email).exists():
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
    values = {
        "display_name": display_name.strip(),
        "email": normalize_email(email),
        "notify_by_email": bool(notify_by_email),
    }
    changed = [name for name in PROFILE_FIELDS if getattr(user, name) != values[name]]
    if not changed:
        return user

    errors: dict[str, list[ValidationError]] = {}
    for name in changed:
        try:
            values[name] = User._meta.get_field(name).clean(values[name], user)
        except ValidationError as error:
            errors[name] = error.error_list
    if errors:
        raise ValidationError(errors)
    if (
        "email" in changed
        and User.objects.filter(email__iexact=values["email"]).exclude(pk=user.pk).exists()
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
