"""Account pages: sign-up, sign-in (with the code step), password reset and change, profile,
two-factor set-up and policy, and the lockout page.

Thin views: a form parses, a service writes, a template renders.
"""

import logging
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST
from django.views.generic import FormView
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login

from helpdesk.http import too_many_requests
from helpdesk.security_log import client_ip, log_event

from . import throttle, two_factor
from .forms import (
    ApiTokenForm,
    LoginForm,
    OtpCodeForm,
    OtpSetupForm,
    PasswordChangeForm,
    PasswordConfirmForm,
    PasswordResetForm,
    ProfileForm,
    SecurityPolicyForm,
    SetPasswordForm,
    SignUpForm,
)
from .roles import agent_required, manager_required
from .services import (
    password_reset_request,
    signup_request,
    user_password_set,
    user_update_profile,
)
from .tokens import api_token_create, api_token_revoke, api_tokens_of


def _too_many(request: HttpRequest, retry_after: int, what: str) -> HttpResponse:
    """The 429 page: what was refused and when to try again, with Retry-After."""
    return too_many_requests(
        request,
        template="registration/throttled.html",
        retry_after=retry_after,
        context={"what": what},
    )


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer (AXES_LOCKOUT_CALLABLE) to a locked-out (account, address) pair."""
    username = throttle.axes_username(request, credentials)
    retry_after = max(1, int(throttle.lockout_ends(username, client_ip(request)) - time.time()))
    return too_many_requests(
        request,
        template="registration/lockout.html",
        retry_after=retry_after,
        context={"failure_limit": settings.AXES_FAILURE_LIMIT},
    )


@method_decorator(sensitive_post_parameters("password"), "dispatch")
class LoginView(auth_views.LoginView):
    """The password step. Someone with an authenticator app is not signed in yet: the session
    remembers who passed the password, and LoginVerifyView asks for the code."""

    authentication_form = LoginForm

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(signup_enabled=settings.SIGNUP_ENABLED, **kwargs)

    def form_valid(self, form: LoginForm) -> HttpResponse:
        user = form.get_user()
        if not two_factor.is_enrolled(user):
            return super().form_valid(form)
        two_factor.pending_start(self.request, user=user, next_url=self.get_success_url())
        return redirect("login_verify")


@method_decorator([sensitive_post_parameters("code"), never_cache], "dispatch")
class LoginVerifyView(FormView):
    """The code step: an app code or a backup code completes the sign-in."""

    template_name = "registration/login_verify.html"
    form_class = OtpCodeForm

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        self.user = two_factor.pending_user(request)
        if self.user is None:
            messages.info(request, _("Sign in with your password first."))
            return redirect("login")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: OtpCodeForm) -> HttpResponse:
        try:
            device, next_url = two_factor.pending_complete(
                self.request, user=self.user, code=form.cleaned_data["code"]
            )
        except two_factor.TooManyCodes:
            messages.error(self.request, _("Too many wrong codes. Sign in again."))
            return redirect("login")
        except ValidationError as error:
            form.add_error("code", error)
            return self.form_invalid(form)
        if two_factor.is_backup_code(device):
            left = two_factor.backup_codes_left(self.user)
            messages.warning(
                self.request,
                ngettext(
                    "You signed in with a backup code. %(count)d backup code is left.",
                    "You signed in with a backup code. %(count)d backup codes are left.",
                    left,
                )
                % {"count": left},
            )
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)


@method_decorator(never_cache, "dispatch")
class SignUpView(FormView):
    """A visitor asks for a customer account. Whatever the address, the answer is the same
    page (signup_done): whether the address already has an account is told only to the owner
    of that address, by e-mail (accounts.services.signup_request)."""

    template_name = "accounts/signup.html"
    form_class = SignUpForm

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.SIGNUP_ENABLED:
            raise Http404
        if request.user.is_authenticated:
            return redirect(settings.LOGIN_REDIRECT_URL)
        if request.method == "POST":
            retry_after = throttle.signup_wait(
                address=client_ip(request),
                email=throttle.normalized_login(request.POST.get("email")),
            )
            if retry_after:
                log_event("signup_throttled", request=request, level=logging.WARNING)
                return _too_many(request, retry_after, _("Creating accounts"))
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: SignUpForm) -> HttpResponse:
        try:
            signup_request(
                email=form.cleaned_data["email"], display_name=form.cleaned_data["display_name"]
            )
        except ValidationError as error:
            form.add_service_error(error)
            return self.form_invalid(form)
        return redirect("signup_done")


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
                current_password=data["current_password"],
                time_zone=data["time_zone"],
            )
        except ValidationError as error:
            form.add_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, _("Your profile has been saved."))
        return redirect("profile")


class PasswordResetView(auth_views.PasswordResetView):
    """The same answer, in the same time, whether or not the address has an account: the
    link goes out through the outbox (accounts.services.password_reset_request)."""

    form_class = PasswordResetForm

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        email = throttle.normalized_login(form.cleaned_data["email"])
        retry_after = throttle.password_reset_wait(address=client_ip(self.request), email=email)
        if retry_after:
            log_event(
                "password_reset_throttled",
                request=self.request,
                email=email,
                level=logging.WARNING,
            )
            return _too_many(self.request, retry_after, _("Password reset requests"))
        log_event("password_reset_requested", request=self.request, email=email)
        password_reset_request(email=form.cleaned_data["email"])
        return HttpResponseRedirect(self.get_success_url())


def _tell_tokens_revoked(request: HttpRequest, count: int) -> None:
    """Shown on the page that confirms the new password."""
    if count:
        messages.warning(
            request,
            ngettext(
                "Your API token was revoked with the old password; "
                "create a new one on your profile page.",
                "Your %(count)d API tokens were revoked with the old password; "
                "create new ones on your profile page.",
                count,
            )
            % {"count": count},
        )


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = SetPasswordForm

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        # A new account (signup_request) chooses its first password through this link too.
        how = "password_reset" if form.user.has_usable_password() else "first_password"
        with transaction.atomic():
            response = super().form_valid(form)
            revoked = user_password_set(user=form.user, how=how)
        log_event("password_reset_completed", request=self.request, user=form.user)
        _tell_tokens_revoked(self.request, revoked)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PasswordChangeForm

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            revoked = user_password_set(user=form.user, how="password_changed")
        log_event("password_changed", request=self.request, user=form.user)
        _tell_tokens_revoked(self.request, revoked)
        return response


# Personal API tokens, on the profile page


def _api_token_context(user, token_form: ApiTokenForm | None = None) -> dict:
    return {"api_tokens": api_tokens_of(user), "token_form": token_form or ApiTokenForm()}


@never_cache
@sensitive_variables("secret")
@login_required
@require_POST
def api_token_new(request: HttpRequest) -> HttpResponse:
    """Make a token and show it, this once: only its digest is kept.

    A token outlives the session and skips the code step, so staff who have (or must have)
    two-factor authentication make one only from a session that passed it."""
    user = request.user
    if (
        user.is_agent
        and not two_factor.session_is_verified(request)
        and (two_factor.is_enrolled(user) or two_factor.is_required(user))
    ):
        log_event("permission_denied", request=request, reason="token_needs_two_factor")
        messages.error(request, _("Sign in with your second factor to create a token."))
        return redirect("profile")
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


# Two-factor authentication (agents and managers)


@never_cache
@agent_required
def two_factor_status(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "accounts/two_factor.html",
        {
            "enrolled": two_factor.is_enrolled(user),
            "required": two_factor.is_required(user),
            "backup_codes_left": two_factor.backup_codes_left(user),
            "remove_form": PasswordConfirmForm(),
        },
    )


@never_cache
@agent_required
@sensitive_variables("codes")
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Show the QR code and the secret; a code from the app confirms it (backup codes next)."""
    user = request.user
    if two_factor.is_enrolled(user) and request.method == "GET" and "again" not in request.GET:
        return redirect("two_factor")
    device = two_factor.totp_start(user=user)
    form = OtpSetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.totp_confirm(user=user, token=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            device.refresh_from_db()
            otp_login(request, device)
            two_factor.remember_state(request, user)
            return render(
                request,
                "accounts/two_factor_backup_codes.html",
                {"codes": codes, "first_time": True},
            )
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr_code": two_factor.qr_code_data_uri(device),
            "secret": two_factor.secret_text(device),
        },
        status=400 if form.errors else 200,
    )


@never_cache
@agent_required
@require_POST
@sensitive_variables("codes")
def two_factor_backup_codes(request: HttpRequest) -> HttpResponse:
    if not two_factor.is_enrolled(request.user):
        return redirect("two_factor")
    codes = two_factor.backup_codes_regenerate(user=request.user)
    return render(
        request, "accounts/two_factor_backup_codes.html", {"codes": codes, "first_time": False}
    )


@never_cache
@agent_required
@require_POST
@sensitive_post_parameters("password")
def two_factor_remove(request: HttpRequest) -> HttpResponse:
    form = PasswordConfirmForm(request.POST)
    if form.is_valid():
        try:
            two_factor.two_factor_remove(user=request.user, password=form.cleaned_data["password"])
        except ValidationError as error:
            form.add_error("password", error.error_dict["password"])
        else:
            request.session.pop(DEVICE_ID_SESSION_KEY, None)
            two_factor.remember_state(request, request.user)
            messages.success(request, _("Two-factor authentication is off for your account."))
            return redirect("two_factor")
    context = {
        "enrolled": True,
        "required": two_factor.is_required(request.user),
        "backup_codes_left": two_factor.backup_codes_left(request.user),
        "remove_form": form,
    }
    return render(request, "accounts/two_factor.html", context, status=400)


@never_cache
@manager_required
def security_policy(request: HttpRequest) -> HttpResponse:
    current = two_factor.policy()
    form = SecurityPolicyForm(
        request.POST or None,
        initial={"require_staff_two_factor": current.require_staff_two_factor},
    )
    if request.method == "POST" and form.is_valid():
        two_factor.policy_set(
            require_staff_two_factor=form.cleaned_data["require_staff_two_factor"],
            actor=request.user,
        )
        two_factor.remember_state(request, request.user)
        messages.success(request, _("The security policy has been saved."))
        return redirect("security_policy")
    return render(request, "accounts/security_policy.html", {"form": form, "policy": current})
