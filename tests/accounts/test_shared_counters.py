"""Sign-in failures and rate limits must be counted once for all web processes: in Redis."""

import uuid

import pytest
from django.core.cache import caches

from tests.conftest import require_service


@pytest.mark.redis
def test_sign_in_counters_live_in_redis_when_there_is_one(settings):
    if not settings.REDIS_URL:
        require_service("Redis", "REDIS_URL is not set")
    assert settings.AXES_CACHE == settings.SECURITY_CACHE
    assert settings.CACHES[settings.SECURITY_CACHE]["BACKEND"].endswith(".RedisCache")
    counters = caches[settings.SECURITY_CACHE]
    key = f"probe-{uuid.uuid4().hex}"
    counters.set(key, 1, timeout=5)
    assert counters.incr(key) == 2
    counters.delete(key)
