"""Account pages: sign-up, sign-in, password reset and change, profile.

Thin views: a form parses, a service writes, a template renders.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST
from django.views.generic import FormView

from .forms import (
    ApiTokenForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    ProfileForm,
    SetPasswordForm,
    SignUpForm,
)
from .models import Role
from .services import user_create, user_update_profile
from .tokens import api_token_create, api_token_revoke, api_tokens_of

# The backend a new account is signed in through (login() needs one named once there are
# several, e.g. with django-axes).
SIGN_IN_BACKEND = "django.contrib.auth.backends.ModelBackend"


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(signup_enabled=settings.SIGNUP_ENABLED, **kwargs)


@method_decorator([sensitive_post_parameters("password1", "password2"), never_cache], "dispatch")
class SignUpView(FormView):
    """A visitor makes a customer account and is signed in at once."""

    template_name = "accounts/signup.html"
    form_class = SignUpForm

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.SIGNUP_ENABLED:
            raise Http404
        if request.user.is_authenticated:
            return redirect(settings.LOGIN_REDIRECT_URL)
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: SignUpForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            user = user_create(
                email=data["email"],
                display_name=data["display_name"],
                password=data["password1"],
                role=Role.CUSTOMER,
            )
        except ValidationError as error:
            form.add_service_error(error)
            return self.form_invalid(form)
        login(self.request, user, backend=SIGN_IN_BACKEND)
        messages.success(
            self.request, _("Welcome, %(name)s. Your account is ready.") % {"name": user}
        )
        return redirect(settings.LOGIN_REDIRECT_URL)


class ProfileView(LoginRequiredMixin, FormView):
    template_name = "accounts/profile.html"
    form_class = ProfileForm

    def get_initial(self) -> dict:
        return ProfileForm.initial_for(self.request.user)

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(**_api_token_context(self.request.user), **kwargs)

    def form_valid(self, form: ProfileForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            user_update_profile(
                user=self.request.user,
                display_name=data["display_name"],
                email=data["email"],
                notify_by_email=data["notify_by_email"],
            )
        except ValidationError as error:
            form.add_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, _("Your profile has been saved."))
        return redirect("profile")


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        # Links in e-mails point at the configured public address, as notifications do,
        # not at whatever Host the request came in on.
        self.extra_email_context = {"site_url": settings.SITE_URL.rstrip("/")}
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = SetPasswordForm


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PasswordChangeForm


# Personal API tokens, on the profile page


def _api_token_context(user, token_form: ApiTokenForm | None = None) -> dict:
    return {"api_tokens": api_tokens_of(user), "token_form": token_form or ApiTokenForm()}


@never_cache
@sensitive_variables("secret")
@login_required
@require_POST
def api_token_new(request: HttpRequest) -> HttpResponse:
    """Make a token and show it, this once: only its digest is kept."""
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, secret = api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                expires_in_days=form.cleaned_data["expires_in_days"],
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            return render(
                request, "accounts/api_token_created.html", {"token": token, "secret": secret}
            )
    context = {
        "form": ProfileForm(initial=ProfileForm.initial_for(request.user)),
        **_api_token_context(request.user, form),
    }
    return render(request, "accounts/profile.html", context, status=400)


@login_required
@require_POST
def api_token_delete(request: HttpRequest, pk: int) -> HttpResponse:
    token = api_token_revoke(user=request.user, token_id=pk)
    if token is None:
        raise Http404
    messages.success(
        request, _("The token “%(name)s” is revoked: it no longer works.") % {"name": token.name}
    )
    return redirect("profile")
