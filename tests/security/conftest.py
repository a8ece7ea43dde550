"""Every security test starts with empty files, rate limits and sign-in counters."""

import uuid

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def fresh_throttles(settings):
    settings.CACHES = {
        **settings.CACHES,
        settings.API_THROTTLE_CACHE: {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"security-{uuid.uuid4().hex}",
        },
    }


@pytest.fixture(autouse=True)
def fresh_counters():
    caches[django_settings.SECURITY_CACHE].clear()
    yield
    caches[django_settings.SECURITY_CACHE].clear()
