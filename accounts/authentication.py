"""How a request is authenticated, decided once per request, for the middleware and the API.

- Pages belong to the session: they never read the Authorization header.
- The API takes exactly one method:
  - `Authorization: Bearer hdt_…` with a live token signs in the token's owner, whatever the
    session says;
  - no Authorization header at all leaves it to the session (anonymous without one);
  - any other Authorization header (another scheme, an empty one, a malformed or dead token)
    is refused with 401 and a Bearer challenge. The session is never a fallback.
- A session signs a staff member in, page or API, only in the two-factor state the policy asks
  for (`two_factor_gap`). A token skips it: only a session that passed the code makes one.

accounts.middleware.TwoFactorMiddleware enforces both on every request; the API's token
authentication (accounts.tokens.ApiTokenAuthentication) reads the same decision, so a request
with an Authorization header never reaches DRF's session authentication signed in.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions

from helpdesk.http import is_api
from helpdesk.security_log import log_event

from . import two_factor
from .tokens import CHALLENGE, INVALID_TOKEN, MALFORMED_HEADER, api_token_authenticate

if TYPE_CHECKING:
    from .models import ApiToken

SCHEME = "Bearer"
AUTHENTICATION_FAILED = exceptions.AuthenticationFailed.default_code
UNSUPPORTED_SCHEME = _(
    "Send a token as “Authorization: Bearer <token>”, or no Authorization header to use "
    "your session."
)
# Where the decision is kept on Django's request (DRF's Request wraps it).
_REQUEST_ATTRIBUTE = "_helpdesk_authentication"


class Method(StrEnum):
    SESSION = "session"  # no Authorization header (pages: always)
    BEARER = "bearer"  # a live Bearer token
    REFUSED = "refused"  # any other Authorization header on the API


@dataclass(frozen=True)
class Authentication:
    method: Method
    token: ApiToken | None = None
    detail: str = ""  # when refused: what is wrong, for the client


def authentication_of(request: Any) -> Authentication:
    """How `request` (Django's or DRF's) is authenticated; decided on first use, then kept."""
    http: HttpRequest = getattr(request, "_request", request)
    decided = getattr(http, _REQUEST_ATTRIBUTE, None)
    if decided is None:
        decided = _decide(http)
        setattr(http, _REQUEST_ATTRIBUTE, decided)
    return decided


def _decide(request: HttpRequest) -> Authentication:
    header = request.META.get("HTTP_AUTHORIZATION")
    if header is None or not is_api(request):
        return Authentication(Method.SESSION)
    parts = header.split()
    if not parts or parts[0].casefold() != SCHEME.casefold():
        return _refused(UNSUPPORTED_SCHEME)
    if len(parts) != 2 or not parts[1].isascii():
        return _refused(MALFORMED_HEADER)
    token = api_token_authenticate(parts[1])
    if token is None:
        return _refused(INVALID_TOKEN)
    return Authentication(Method.BEARER, token=token)


def _refused(detail: str) -> Authentication:
    return Authentication(Method.REFUSED, detail=str(detail))


def refused_response(request: HttpRequest) -> JsonResponse:
    """The API's 401 for an Authorization header it does not accept (the exception handler's
    shape: tickets.api.exceptions)."""
    log_event(
        "permission_denied",
        request=request,
        level=logging.WARNING,
        reason=AUTHENTICATION_FAILED,
        method=request.method,
    )
    return unauthenticated_response(
        code=AUTHENTICATION_FAILED, detail=authentication_of(request).detail
    )


def unauthenticated_response(*, code: str, detail: str) -> JsonResponse:
    """A 401 from the API, with its challenge."""
    response = JsonResponse({"code": code, "detail": str(detail)}, status=401)
    response["WWW-Authenticate"] = CHALLENGE
    return response


# --- The session's two-factor state -----------------------------------------------------------


class TwoFactorGap(StrEnum):
    UNVERIFIED = "unverified"  # has an app, but this session never passed its code
    NOT_ENROLLED = "not_enrolled"  # the policy requires an app and there is none


def two_factor_gap(request: HttpRequest) -> TwoFactorGap | None:
    """What the signed-in session of `request` lacks to sign its user in; None when nothing
    (no session, a customer, staff in order). Costs no query while the session's cached state
    is fresh (accounts.two_factor.session_state)."""
    if SESSION_KEY not in request.session:
        return None
    state = two_factor.session_state(request)
    if not state["staff"]:
        return None
    if state["enrolled"] and not two_factor.session_is_verified(request):
        return TwoFactorGap.UNVERIFIED
    if state["required"] and not state["enrolled"]:
        return TwoFactorGap.NOT_ENROLLED
    return None
