from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.fields import OneLineCharField

from . import time_zones
from .identity import normalize_email, skeleton


class Role(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    MANAGER = "manager", _("Manager")


class Availability(models.TextChoices):
    """Whether automatic assignment (tickets.routing) may give an agent new tickets."""

    AVAILABLE = "available", _("Available")
    AWAY = "away", _("Away")
    OFF = "off", _("Off")


# Staff: the roles that work tickets (see User.is_agent). The only list of them.
STAFF_ROLES = (Role.AGENT, Role.MANAGER)

# How long the account texts may be, for the columns and every form that fills them.
EMAIL_MAX_LENGTH = 254
DISPLAY_NAME_MAX_LENGTH = 150
TOKEN_NAME_MAX_LENGTH = 100


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    # Django's own rule lower-cases the domain only; here the one rule of accounts.identity.
    normalize_email = staticmethod(normalize_email)

    def _create(self, email: str, password: str | None, **fields) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        fields.setdefault("role", Role.CUSTOMER)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(role=Role.MANAGER, is_superuser=True)
        return self._create(email, password, **fields)

    def get_by_natural_key(self, username: str) -> "User":
        """The sign-in's lookup: the canonical address, matched exactly. A name that cannot
        be an address is no account (the model backend then fails the sign-in, not a 500)."""
        try:
            email = self.normalize_email(username)
        except ValidationError as error:
            raise self.model.DoesNotExist from error
        return self.get(email=email)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: a customer with a problem, an agent, or a manager.

    The e-mail address is the login, stored in its canonical form (accounts.identity) and
    looked up by exact match. Two unique rules guard it: the column's own, which is the one
    that matters for canonical values, and one on Lower(email) kept for rows written around
    the services (raw SQL, a fixture) in another case.
    """

    email = models.EmailField(_("e-mail address"), max_length=EMAIL_MAX_LENGTH, unique=True)
    # What the address looks like (accounts.identity.skeleton), kept with it by save(): a new
    # account's address may not look like an existing one's.
    email_skeleton = models.CharField(
        max_length=2 * EMAIL_MAX_LENGTH, db_index=True, editable=False
    )
    display_name = OneLineCharField(_("display name"), max_length=DISPLAY_NAME_MAX_LENGTH)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    is_active = models.BooleanField(_("active"), default=True)
    notify_by_email = models.BooleanField(
        _("e-mail me about my tickets"),
        default=True,
        help_text=_("Essential messages (such as a resolution) are sent regardless."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Blank: the help desk's own (HELPDESK_TIME_ZONE). Pages only; the API speaks UTC.
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, validators=[time_zones.validate]
    )
    # Routing (tickets.routing): staff set their own availability from the header; managers
    # set a capacity (how many tickets being worked at once; empty: the team's default).
    availability = models.CharField(
        _("availability"),
        max_length=16,
        choices=Availability.choices,
        default=Availability.AVAILABLE,
        db_default=Availability.AVAILABLE,
    )
    capacity = models.PositiveSmallIntegerField(
        _("capacity"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1000)],
        help_text=_(
            "Tickets worked at once before automatic assignment skips them; "
            "empty: the team's default."
        ),
    )

    objects = UserManager()
    AVAILABILITY_CHOICES = Availability.choices  # for templates (the header's switch)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="user_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(availability__in=Availability.values),
                name="user_availability_valid",
            ),
        ]
        indexes = [models.Index(fields=["role", "is_active"], name="user_role_active_idx")]

    def __str__(self) -> str:
        return self.display_name or self.email

    def save(self, *args, **kwargs) -> None:
        self.email_skeleton = skeleton(self.email)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "email" in update_fields:
            kwargs["update_fields"] = {*update_fields, "email_skeleton"}
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name

    @property
    def is_customer(self) -> bool:
        return self.role == Role.CUSTOMER

    @property
    def is_agent(self) -> bool:
        """Agents and managers: everyone who works tickets."""
        return self.role in STAFF_ROLES

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def is_staff(self) -> bool:
        """The Django admin is for managers only."""
        return self.is_active and self.role == Role.MANAGER

    def has_perm(self, perm: str, obj: object = None) -> bool:
        # Managers run the help desk; what the admin may do is limited by the ModelAdmins.
        return self.is_staff or super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_staff or super().has_module_perms(app_label)


class ApiToken(models.Model):
    """A personal API token: named by its owner, shown once, stored only as a SHA-256 digest.

    The secret is 256 random bits, so a fast unsalted hash is enough: a leaked table gives
    nothing to replay, and the lookup is one indexed equality on the digest. `prefix` (the
    first characters of the secret) lets people tell their tokens apart on the profile page.
    Created and revoked through accounts.tokens.
    """

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=TOKEN_NAME_MAX_LENGTH)
    prefix = models.CharField(_("starts with"), max_length=16)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                "user", Lower("name"), name="api_token_name_unique_per_user_ci"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


class SecurityPolicy(models.Model):
    """The help desk's security choices that managers make in the app: one row (pk 1).

    Read through accounts.two_factor.policy(); a missing row means the defaults.
    """

    SINGLETON_PK = 1

    require_staff_two_factor = models.BooleanField(
        _("require two-factor authentication for agents and managers"),
        default=False,
        help_text=_(
            "Agents and managers without an authenticator app are sent to set one up before "
            "they can use anything else."
        ),
    )
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    updated_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )

    class Meta:
        verbose_name = _("security policy")
        verbose_name_plural = _("security policy")
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="security_policy_singleton"),
        ]

    def __str__(self) -> str:
        return str(_("Security policy"))
