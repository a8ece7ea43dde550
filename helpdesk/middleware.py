"""Project-wide middleware: request ids and headers, session timeouts, no-store caching."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from . import health, metrics
from .http import is_api
from .security_log import log_event, request_id_var

Handler = Callable[[HttpRequest], HttpResponse]

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy's or client's request id may look like to be kept: short, no spaces or quotes.
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")

# Session keys written at sign-in (accounts.signals) and kept up to date here.
SESSION_LOGIN_AT = "hd_login_at"
SESSION_SEEN_AT = "hd_seen_at"
# Sent by a page's own polling (static/js/presence.js): not a person's activity, so a tab left
# open does not keep its session alive past the idle timeout.
BACKGROUND_HEADER = "X-Helpdesk-Poll"


class RequestIdMiddleware:
    """Gives each request an id (the caller's X-Request-ID when sane, else a new uuid4), echoes
    it on the response, and sends the Permissions-Policy and Cross-Origin-Resource-Policy
    headers on every response, static files included."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = given if SANE_REQUEST_ID.match(given) else uuid.uuid4().hex
        token = request_id_var.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[REQUEST_ID_HEADER] = request.request_id
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        # Nothing here is meant to be embedded by other sites (scripts included).
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


class SessionTimeoutMiddleware:
    """Signs a session out after SESSION_IDLE_TIMEOUT seconds without a request, and after
    SESSION_MAX_AGE seconds since sign-in however active it is.

    Sliding: each request counts as activity (a page's own polling, BACKGROUND_HEADER, does
    not), but the session is written at most once every
    SESSION_ACTIVITY_PRECISION seconds, so reading pages does not turn into a write each time.
    Works on the session alone (no user query); sits between the session and auth middleware.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if SESSION_KEY in session:
            now = int(time.time())
            seen = session.get(SESSION_SEEN_AT)
            started = session.get(SESSION_LOGIN_AT)
            expired = None
            if seen is not None and now - seen > settings.SESSION_IDLE_TIMEOUT:
                expired = "idle"
            elif started is not None and now - started > settings.SESSION_MAX_AGE:
                expired = "max_age"
            if expired:
                log_event(
                    "session_expired",
                    request=request,
                    reason=expired,
                    user_id=_int_or_none(session.get(SESSION_KEY)),
                )
                session.flush()
            else:
                by_person = BACKGROUND_HEADER not in request.headers
                if seen is None or (
                    by_person and now - seen >= settings.SESSION_ACTIVITY_PRECISION
                ):
                    session[SESSION_SEEN_AT] = now
                if started is None:
                    session[SESSION_LOGIN_AT] = now
        return self.get_response(request)


def _int_or_none(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


class NoStoreMiddleware:
    """`Cache-Control: no-store, private` on every API response and on every response to a
    browser with a session (signed in, or half-way through signing in): neither a shared
    cache nor the browser's back button may keep a copy of someone's tickets."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        has_session = session is not None and not session.is_empty()
        if has_session or is_api(request):
            # no-store replaces any max-age a view set; private drops any public.
            response.headers.pop("Expires", None)
            patch_cache_control(response, no_store=True, private=True)
            cache_control = response.get("Cache-Control", "")
            if "max-age" in cache_control or "public" in cache_control:
                response["Cache-Control"] = ", ".join(
                    part
                    for part in (p.strip() for p in cache_control.split(","))
                    if not part.startswith(("max-age", "public", "s-maxage"))
                )
        return response


PROBES = {"/healthz": health.healthz, "/readyz": health.readyz, "/metrics": metrics.metrics}


class ProbeMiddleware:
    """Answers /healthz, /readyz and /metrics (helpdesk.health, helpdesk.metrics) before the
    https redirect, the host check, the session and the user: orchestrators and Prometheus
    reach a node by its own address over plain http, and a liveness probe must touch nothing.
    The same views are in the URLconf, for reverse() and the access matrix."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = PROBES.get(request.path_info)
        if view is None:
            return self.get_response(request)
        return view(request)
