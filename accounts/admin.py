from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import User
from .services import normalize_email
from .tokens import api_tokens_revoke_all


class NormalizedEmail:
    """The admin stores e-mail addresses as the services do (canonical), so that the
    uniqueness check and the sign-in see the same address."""

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])


class UserCreationForm(NormalizedEmail, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "display_name", "role")


class UserEditForm(NormalizedEmail, UserChangeForm):
    class Meta:
        model = User
        fields = ("email", "display_name", "role", "is_active", "notify_by_email")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
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
        revoked = sum(
            api_tokens_revoke_all(user=user, reason="revoked_by_manager", actor=request.user)
            for user in queryset
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
