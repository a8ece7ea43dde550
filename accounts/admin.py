from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    AdminUserCreationForm,
    UserChangeForm,
)
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import User
from .services import email_check_free, normalize_email, user_password_set
from .tokens import api_tokens_revoke_for


class NormalizedEmail:
    """The admin stores e-mail addresses as the services do (canonical), and refuses one that
    is, or looks like, another account's address, as the services do."""

    def clean_email(self) -> str:
        email = normalize_email(self.cleaned_data["email"])
        try:
            email_check_free(email, exclude=self.instance if self.instance.pk else None)
        except ValidationError as error:
            raise ValidationError(error.message_dict["email"]) from error
        return email


class UserCreationForm(NormalizedEmail, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "display_name", "role")


class UserEditForm(NormalizedEmail, UserChangeForm):
    class Meta:
        model = User
        fields = ("email", "display_name", "role", "is_active", "notify_by_email")


class PasswordSetForm(AdminPasswordChangeForm):
    """A manager sets someone's password: what follows any new password follows this one too
    (their API tokens are revoked, and they are told), in the same transaction."""

    @transaction.atomic
    def save(self, commit: bool = True) -> User:
        user = super().save(commit=commit)
        if commit:
            user_password_set(user=user, how="password_set_by_manager")
        return user


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    change_password_form = PasswordSetForm
    ordering = ("email",)
    list_display = ("email", "display_name", "role", "is_active", "date_joined")
    list_filter = ("role", "is_active")
    search_fields = ("email", "display_name")
    readonly_fields = ("date_joined", "last_login")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("display_name", "role", "notify_by_email")}),
        ("Status", {"fields": ("is_active", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "display_name", "role", "password1", "password2"),
            },
        ),
    )
    filter_horizontal = ()
    actions = ("revoke_api_tokens",)

    @admin.action(description=_("Revoke all API tokens"), permissions=("change",))
    def revoke_api_tokens(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        revoked = api_tokens_revoke_for(
            users=queryset, reason="revoked_by_manager", actor=request.user
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d API token revoked: it no longer works.",
                "%(count)d API tokens revoked: they no longer work.",
                revoked,
            )
            % {"count": revoked},
        )
