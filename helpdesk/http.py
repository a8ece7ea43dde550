"""Answers shared by the site's pages and its API: which a request is, and "too many"."""

from __future__ import annotations

import math
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

API_PREFIX = "/api/"


def absolute_url(path: str) -> str:
    """`path` on this site, as a link in an e-mail (SITE_URL)."""
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def is_api(request: HttpRequest) -> bool:
    """Whether the request is for the API (answered in JSON), not for a page."""
    return request.path.startswith(API_PREFIX)


def too_many_requests(
    request: HttpRequest, *, template: str, retry_after: int, context: dict | None = None
) -> HttpResponse:
    """A 429 page saying when to try again (in minutes and as a time), with Retry-After."""
    response = render(
        request,
        template,
        {
            **(context or {}),
            "minutes": max(1, math.ceil(retry_after / 60)),
            "retry_at": timezone.now() + timedelta(seconds=retry_after),
        },
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response
