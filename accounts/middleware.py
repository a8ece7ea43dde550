"""Two-factor rules on every request of a signed-in agent or manager.

- Someone with an authenticator app whose session never passed the code step (signed in before
  the app was set up, elsewhere) is signed out and asked to sign in again.
- While the policy requires two-factor authentication, agents and managers without an app
  are sent to set one up (pages) or refused with 403 (the API by session); nothing else works
  until they have. Requests with an API token (Authorization header) are not concerned.

Customers are never concerned. The facts come from the session (accounts.two_factor), so an
ordinary page costs no query here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from helpdesk.http import is_api
from helpdesk.security_log import log_event

from . import two_factor

# Where someone who must set up an app may still go.
ENROLMENT_URL_NAMES = ("two_factor", "two_factor_setup", "logout")

TWO_FACTOR_REQUIRED = "two_factor_required"


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if SESSION_KEY not in request.session:
            return self.get_response(request)
        if is_api(request) and request.META.get("HTTP_AUTHORIZATION"):
            return self.get_response(request)  # a token, not the session, signs this one in
        state = two_factor.session_state(request)
        if not state["staff"]:
            return self.get_response(request)
        if state["enrolled"] and not two_factor.session_is_verified(request):
            log_event("two_factor_unverified_session", request=request, level=logging.WARNING)
            logout(request)
            if is_api(request):
                return JsonResponse(
                    {"code": "not_authenticated", "detail": _("Sign in again.")}, status=401
                )
            return redirect_to_login(request.get_full_path())
        if state["required"] and not state["enrolled"]:
            allowed = {reverse(name) for name in ENROLMENT_URL_NAMES}
            if request.path not in allowed:
                log_event("two_factor_enrolment_required", request=request, level=logging.WARNING)
                message = _(
                    "Set up two-factor authentication first: the help desk requires it of "
                    "agents and managers."
                )
                if is_api(request):
                    return JsonResponse(
                        {"code": TWO_FACTOR_REQUIRED, "detail": message}, status=403
                    )
                messages.warning(request, message)
                return redirect("two_factor_setup")
        return self.get_response(request)
