"""Request rates per signed-in user and per anonymous client, from settings.

Counters live in the `API_THROTTLE_CACHE` cache (Redis when configured), so every web process
counts the same requests. Rates are read on each request, not at import, so settings and
tests can change them. If the cache cannot be reached the request is let through: a broken
counter must not take the API down.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import BaseCache, caches
from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.settings import api_settings

if TYPE_CHECKING:  # rest_framework.views imports this module through the settings
    from rest_framework.request import Request
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)


class _SettingsThrottle(throttling.SimpleRateThrottle):
    @property
    def cache(self) -> BaseCache:  # type: ignore[override]
        return caches[settings.API_THROTTLE_CACHE]

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request: Request, view: APIView) -> bool:
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError) as error:
            logger.warning("API throttling skipped, its cache failed: %s", error)
            return True


class AnonThrottle(_SettingsThrottle, throttling.AnonRateThrottle):
    """Requests without a user, counted per client address."""

    scope = "anon"


class UserThrottle(_SettingsThrottle, throttling.UserRateThrottle):
    """Requests of one signed-in user, whether by session or by token."""

    scope = "user"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None  # AnonThrottle counts these
        return super().get_cache_key(request, view)
