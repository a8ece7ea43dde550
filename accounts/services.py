import logging
from typing import Literal

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext, gettext_noop

from helpdesk.security_log import log_event
from tickets import notifications
from tickets.models import Notification

from .identity import normalize_email, skeleton
from .models import Role, User
from .tokens import api_tokens_revoke_all

log = logging.getLogger(__name__)

# Marked for translation here, translated where it is raised: the constant stays a plain string.
EMAIL_TAKEN = gettext_noop("A user with this e-mail address already exists.")
EMAIL_LOOKS_TAKEN = gettext_noop(
    "This address looks like the address of an existing account (letters that look alike, "
    "or accents): use another, or change the other account."
)
EMAIL_CHANGE_NEEDS_PASSWORD = gettext_noop(
    "Enter your current password to change your e-mail address."
)

PROFILE_FIELDS = ("display_name", "email", "notify_by_email", "time_zone")

# How a user came to have a new password; also the reason logged. "first_password": a new
# account's first one, chosen through the link of its welcome e-mail.
PasswordSetBy = Literal[
    "password_changed", "password_reset", "password_set_by_manager", "first_password"
]
Event = Notification.Event


def _canonical_email(email: str) -> tuple[str, list[ValidationError]]:
    """The address as stored and looked up (accounts.identity.normalize_email), or, when it
    cannot be made canonical, the address as typed and the reason it is refused."""
    try:
        return normalize_email(email), []
    except ValidationError as error:
        return email.strip(), error.error_list


def _email_taken() -> ValidationError:
    return ValidationError({"email": ValidationError(gettext(EMAIL_TAKEN), code="email_taken")})


def accounts_like(email: str, *, exclude: User | None = None) -> list[User]:
    """The accounts whose address is `email` (canonical) or looks like it (same skeleton), in
    one query: a second account under a look-alike address would let someone pass for the
    first one's owner."""
    rows = User.objects.filter(Q(email=email) | Q(email_skeleton=skeleton(email)))
    if exclude is not None:
        rows = rows.exclude(pk=exclude.pk)
    return list(rows.order_by("pk"))


def email_check_free(email: str, *, exclude: User | None = None) -> None:
    """ValidationError keyed "email" (codes "email_taken", "email_look_alike") if the
    canonical `email` or a look-alike of it belongs to an account other than `exclude`. For
    those who may know (managers, a signed-in owner); sign-up never says it (signup_request)."""
    others = accounts_like(email, exclude=exclude)
    if any(other.email == email for other in others):
        raise _email_taken()
    if others:
        raise ValidationError(
            {"email": ValidationError(gettext(EMAIL_LOOKS_TAKEN), code="email_look_alike")}
        )


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
    email_check_free(email)
    return _user_insert(
        email=email, display_name=display_name, role=role, password=password, validate=validate
    )


def _user_insert(
    *, email: str, display_name: str, role: Role | str, password: str | None, validate: bool
) -> User:
    """Write a new user whose canonical address the caller has found free."""
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
    time_zone: str | None = None,
) -> User:
    """Change what a user may change about themselves; the role is not among it.
    `time_zone`: None leaves it as it is; "" is the help desk's.

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
        "time_zone": user.time_zone if time_zone is None else time_zone.strip(),
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
    if "email" in changed:
        email_check_free(values["email"], exclude=user)
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
    """What follows once a user has a new password, however it was set (`how`: changed while
    signed in, reset through the e-mailed link, set by a manager in the admin or a command, or
    a new account's first one): every API token of theirs is revoked, as a token is a
    credential that would otherwise outlive the password, and they are told by e-mail (not of
    a first password: there was nothing before it).

    Their other sessions end without help: each carries a hash of the password it signed in
    with. Call it in the transaction that saved the password; the e-mail goes through the
    outbox once it commits. Returns how many tokens were revoked.
    """
    revoked = api_tokens_revoke_all(user=user, reason=how)
    if how != "first_password":
        notifications.account_event(
            Event.PASSWORD_CHANGED,
            recipient=user,
            detail={"how": how, "tokens_revoked": revoked},
        )
    return revoked


@transaction.atomic
def user_password_change(*, user: User, password: str, how: PasswordSetBy) -> int:
    """Give `user` a new password (checked by the validators) and all that follows it
    (user_password_set). For the paths that have no form of Django's own to set it (the
    changepassword command). Returns how many API tokens were revoked."""
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    return user_password_set(user=user, how=how)


@transaction.atomic
def password_reset_request(*, email: str) -> None:
    """Someone asked for a link to choose a new password for `email`: the active account with
    that canonical address, if any, gets one by e-mail.

    The request does the same whether or not there is such an account (one lookup; the e-mail
    is written when a worker sends it), so its answer and its time tell nobody whether the
    address has an account. Accounts without a usable password are included: one made for
    someone (create_user, a sign-up) gets its first password this way.
    """
    try:
        email = normalize_email(email)
    except ValidationError:
        return
    for user in User.objects.filter(email=email, is_active=True):
        notifications.account_event(Event.PASSWORD_RESET, recipient=user)


@transaction.atomic
def signup_request(*, email: str, display_name: str) -> User | None:
    """A visitor asks for a customer account for `email`. Whatever follows, the visitor is
    told the same: a message is on its way to that address.

    - A new address: the account is made, without a password, and e-mailed a link to choose
      one; whoever reads that mailbox owns the account, and nobody can set a password for an
      address they do not read.
    - An address in use, or one that looks like an address in use (accounts_like): nothing is
      made, and the owner of that account is told that someone tried.

    Returns the new account, or None when none was made; the caller must not show which.
    Raises ValidationError only for an address that cannot be made canonical (a fact about
    the text typed, not about any account).
    """
    email, refused = _canonical_email(email)
    if refused:
        raise ValidationError({"email": refused})
    owners = accounts_like(email)
    if not owners:
        try:
            with transaction.atomic():
                user = _user_insert(
                    email=email,
                    display_name=display_name,
                    role=Role.CUSTOMER,
                    password=None,
                    validate=False,
                )
        except IntegrityError:
            owners = accounts_like(email)  # the same address, signed up twice at once
        else:
            notifications.account_event(Event.ACCOUNT_CREATED, recipient=user)
            log_event("signup", user=user)
            return user
    for owner in owners:
        look_alike = {} if owner.email == email else {"look_alike": email}
        notifications.account_event(Event.SIGNUP_ATTEMPT, recipient=owner, detail=look_alike)
    log_event("signup_address_in_use", user=owners[0] if owners else None)
    return None
