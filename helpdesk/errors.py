"""The answer to a request the server failed: the site's error page, or for the API the same
JSON shape as its other errors, with the request id to quote when reporting it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from .http import is_api

SERVER_ERROR_DETAIL = (
    "The server failed to answer this request. Quote the request id when reporting it."
)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: Django calls it for any exception no view or middleware handled."""
    if is_api(request):
        return JsonResponse(
            {
                "code": "server_error",
                "detail": SERVER_ERROR_DETAIL,
                "request_id": getattr(request, "request_id", None),
            },
            status=500,
        )
    return defaults.server_error(request)
