"""Who a request is, enforced on every request (the rules: accounts.authentication).

- An API request with an Authorization header the API does not accept (another scheme, an
  empty one, a malformed or dead token) is answered 401 here, whatever its session.
- An API request with a live Bearer token is its owner's: the session is not asked.
- Every other request is the session's, and a session of an agent or manager signs them in
  only in the two-factor state the policy asks for, pages and API alike:
  - someone with an authenticator app whose session never passed the code step (signed in
    before the app was set up, elsewhere) is signed out and asked to sign in again;
  - while the policy requires two-factor authentication, agents and managers without an app
    are sent to set one up (pages) or refused with 403 (the API); nothing else works until
    they have.

Customers are never concerned. The facts come from the session (accounts.two_factor), so an
ordinary page costs no query here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from helpdesk.http import is_api
from helpdesk.security_log import log_event

from .authentication import (
    Method,
    TwoFactorGap,
    authentication_of,
    refused_response,
    two_factor_gap,
    unauthenticated_response,
)

# Where someone who must set up an app may still go.
ENROLMENT_URL_NAMES = ("two_factor", "two_factor_setup", "logout")

TWO_FACTOR_REQUIRED = "two_factor_required"


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        method = authentication_of(request).method
        if method is Method.REFUSED:
            return refused_response(request)
        if method is Method.BEARER:
            return self.get_response(request)  # the token's owner, not the session
        gap = two_factor_gap(request)
        if gap is TwoFactorGap.UNVERIFIED:
            log_event("two_factor_unverified_session", request=request, level=logging.WARNING)
            logout(request)
            if is_api(request):
                return unauthenticated_response(
                    code="not_authenticated", detail=_("Sign in again.")
                )
            return redirect_to_login(request.get_full_path())
        if gap is TwoFactorGap.NOT_ENROLLED:
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
