from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from .models import User
from .services import normalize_email


class NormalizedEmail:
    """The admin stores e-mail addresses as the services do (lower-cased), so that the
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
