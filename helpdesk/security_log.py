"""Security events as structured records: one JSON object a line on the "helpdesk.security" logger.

    {"time": "…", "level": "WARNING", "event": "login_failed", "user_id": null,
     "email": "alex@example.com", "ip": "203.0.113.9", "request_id": "…",
     "path": "/accounts/login/"}

Every record carries the event name, who (user id and e-mail, when known), from where (the
client address, as django-axes and the throttles see it) and the request id that the response
carries in X-Request-ID, so a line can be matched with a user's report and the access log.

Other apps call `log_event` (or the two helpers at the bottom) instead of logging by hand.
"""

from __future__ import annotations

import contextvars
import ipaddress
import json
import logging
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest

logger = logging.getLogger("helpdesk.security")

# The current request's id, for records written without the request at hand.
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "helpdesk_request_id", default=None
)

# Fields every record has, in this order; anything else passed to log_event follows.
FIELDS = ("event", "user_id", "email", "ip", "request_id", "path")


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, unless API_NUM_PROXIES proxies stand in front.

    With N trusted proxies, each appends the address it saw to X-Forwarded-For, so the client
    is the Nth entry from the right; anything further left was written by the client and is
    not trusted. The same rule as the API throttles (REST_FRAMEWORK NUM_PROXIES).
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    if proxies:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if forwarded:
            candidate = forwarded[-min(proxies, len(forwarded))]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return remote


def _user_fields(user: Any) -> dict[str, Any]:
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    return {"user_id": user.pk, "email": user.email}


def log_event(
    event: str,
    *,
    request: HttpRequest | None = None,
    user: Any = None,
    email: str | None = None,
    level: int = logging.INFO,
    **details: Any,
) -> None:
    """Record one security event. `user` defaults to the request's signed-in user; `email`
    names an account that is not signed in (a failed sign-in, a reset request)."""
    fields: dict[str, Any] = {"event": event, "user_id": None, "email": email}
    if user is None and request is not None:
        # Only a user the request already loaded: logging must not cost a query.
        cached = getattr(request, "_cached_user", None)
        user = cached if cached is not None else None
    fields.update(_user_fields(user))
    if email and not fields.get("email"):
        fields["email"] = email
    fields["ip"] = client_ip(request) if request is not None else None
    fields["request_id"] = (
        getattr(request, "request_id", None) if request is not None else None
    ) or request_id_var.get()
    fields["path"] = request.path if request is not None else None
    fields.update(details)
    logger.log(level, event, extra={"security": fields})


def log_permission_denied(request: HttpRequest, *, reason: str = "", **details: Any) -> None:
    """A signed-in person was refused something (a 404 from a role check, an API 403).

    For tickets/api/exceptions.py: call it for PermissionDenied/NotAuthenticated responses.
    """
    log_event(
        "permission_denied",
        request=request,
        user=getattr(request, "user", None),
        level=logging.WARNING,
        reason=reason,
        method=request.method,
        **details,
    )


def log_transition_refused(
    *, actor: Any, ticket_id: int, from_status: str, to_status: str, reason: str = ""
) -> None:
    """The workflow refused a status change (tickets.workflow / tickets.services)."""
    log_event(
        "transition_refused",
        user=actor,
        level=logging.WARNING,
        ticket_id=ticket_id,
        from_status=str(from_status),
        to_status=str(to_status),
        reason=reason,
    )


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, then the event's fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
        }
        fields = getattr(record, "security", None)
        if isinstance(fields, dict):
            data.update(fields)
        else:
            data["event"] = record.getMessage()
            data["request_id"] = request_id_var.get()
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str, ensure_ascii=False)
