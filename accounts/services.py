from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from .models import Role, User

EMAIL_TAKEN = "A user with this e-mail address already exists."


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
    email = User.objects.normalize_email(email).strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": EMAIL_TAKEN})
    user = User(email=email, display_name=display_name.strip(), role=Role(role))
    if password is not None:
        if validate:
            validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user
