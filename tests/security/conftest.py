"""Every security test starts with empty files, rate limits and sign-in counters."""

import uuid

import pytest
from axes.handlers.proxy import AxesProxyHandler


@pytest.fixture(autouse=True)
def axes_follows_settings():
    """Axes keeps its cache from when it started: after the settings are restored (this is
    torn down after them, being set up before them), start it again on the real ones."""
    yield
    AxesProxyHandler.get_implementation(force=True)


@pytest.fixture(autouse=True)
def media(axes_follows_settings, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def fresh_throttles(axes_follows_settings, settings):
    settings.CACHES = {
        **settings.CACHES,
        settings.API_THROTTLE_CACHE: {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"security-{uuid.uuid4().hex}",
        },
    }


@pytest.fixture(autouse=True)
def fresh_counters(axes_follows_settings, settings):
    """Sign-in failures and rate limits in a cache of the test's own. In production they live
    in Redis (shared by every web process), whose expiry runs on Redis's clock: a test that
    moves the clock past a cool-off needs a cache that reads the clock it moves."""
    settings.CACHES = {
        **settings.CACHES,
        settings.SECURITY_CACHE: {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"security-counters-{uuid.uuid4().hex}",
        },
    }
    AxesProxyHandler.get_implementation(force=True)  # it holds on to its cache
