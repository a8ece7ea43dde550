"""The API's one exception handler: every refusal becomes the same JSON shape.

    {"code": "ticket_changed", "detail": "This ticket changed since …"}
    {"code": "invalid", "detail": "Some fields are not valid: subject.",
     "errors": {"subject": ["This field is required."]}}

`code` is stable (tests and clients branch on it), `detail` is for people, `errors` names the
fields. Service errors (tickets.errors.TicketError, Django's ValidationError) keep their own
status and message; nothing a client sends can make a 500 out of them.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import (
    NON_FIELD_ERRORS,
    ObjectDoesNotExist,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from helpdesk.security_log import log_permission_denied
from tickets.errors import ReasonRequired, TicketError

NON_FIELD = "non_field_errors"
INVALID_CODE = "invalid"


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field" or "field.0.sub": [messages]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = NON_FIELD if key in (NON_FIELD_ERRORS, NON_FIELD) else str(key)
            flat.update(_flatten(value, f"{prefix}.{name}" if prefix else name))
        return flat
    if isinstance(detail, list | tuple):
        if all(not isinstance(item, dict | list | tuple) for item in detail):
            return {prefix or NON_FIELD: [str(item) for item in detail]} if detail else {}
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or NON_FIELD: [str(detail)]}


def _django_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return _flatten(error.message_dict)
    return {NON_FIELD: list(error.messages)}


def _summary(errors: dict[str, list[str]]) -> str:
    fields = [name for name in errors if name != NON_FIELD]
    if not fields:
        return next(iter(errors.values()), ["The request is not valid."])[0]
    return "Some fields are not valid: {}.".format(", ".join(fields))


def error_response(
    status_code: int, code: str, detail: str, errors: dict[str, list[str]] | None = None
) -> Response:
    body: dict[str, Any] = {"code": code, "detail": str(detail)}
    if errors:
        body["errors"] = errors
    return Response(body, status=status_code)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, TicketError):
        set_rollback()
        # A missing reason is a field error too, so forms can show it by the note.
        errors = {"note": [str(exc.message)]} if isinstance(exc, ReasonRequired) else None
        return error_response(exc.status_code, exc.code, exc.message, errors)
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        errors = _django_errors(exc)
        return error_response(status.HTTP_400_BAD_REQUEST, INVALID_CODE, _summary(errors), errors)
    if isinstance(exc, RequestDataTooBig):
        return error_response(
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            "payload_too_large",
            "The request body is too large.",
        )
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return error_response(status.HTTP_400_BAD_REQUEST, "too_many_fields", str(exc))
    if isinstance(exc, ObjectDoesNotExist):
        exc = exceptions.NotFound()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: Django's 500, logged
    refused = exceptions.PermissionDenied | exceptions.NotAuthenticated
    if isinstance(exc, refused | exceptions.AuthenticationFailed):
        log_permission_denied(context["request"], reason=exc.default_code)
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        response.data = {"code": INVALID_CODE, "detail": _summary(errors), "errors": errors}
        return response
    detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
    code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    response.data = {"code": code, "detail": str(detail or exc)}
    return response
