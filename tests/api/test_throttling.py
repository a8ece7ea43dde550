"""Too many requests get 429 with Retry-After: per signed-in user, and per anonymous client.

The rates come from settings (API_THROTTLE_USER / API_THROTTLE_ANON in the environment);
here they are lowered on purpose, everywhere else they are generous (see conftest)."""

import uuid

import pytest
import redis
from django.core.cache import caches
from redis.exceptions import ConnectionError as RedisConnectionError

from accounts.tokens import api_token_create
from tests.conftest import require_service

from .conftest import api_url, client_for


@pytest.fixture
def tight(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": "3/minute"},
    }


def test_a_user_over_the_rate_gets_429_with_retry_after(tight, customer, neighbour):
    client = client_for(customer)
    answers = [client.get(api_url("me")).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = client.get(api_url("me"))
    assert refused.json()["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 60
    # Counted per user: the neighbour is not held back by Carla's requests.
    assert client_for(neighbour).get(api_url("me")).status_code == 200


def test_a_users_session_and_tokens_share_one_allowance(tight, customer):
    _token, secret = api_token_create(user=customer, name="cli")
    by_token = client_for()
    by_session = client_for(customer)
    by_session.get(api_url("me"))
    by_session.get(api_url("me"))
    assert by_token.get(api_url("me"), HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    refused = by_token.get(api_url("me"), HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert refused.status_code == 429 and "Retry-After" in refused


def test_anonymous_clients_are_counted_by_address(tight, db):
    here, there = client_for(), client_for()
    assert [here.get(api_url("schema")).status_code for _ in range(3)] == [200, 200, 429]
    # A forged X-Forwarded-For does not buy a new allowance (no proxy is trusted by default).
    forged = here.get(api_url("schema"), HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert forged.status_code == 429
    assert there.get(api_url("schema"), REMOTE_ADDR="198.51.100.7").status_code == 200


def test_a_broken_counter_store_lets_requests_through(tight, customer, monkeypatch):
    def down(*args, **kwargs):
        raise RedisConnectionError("redis is down")

    monkeypatch.setattr(caches["api-throttle"], "get", down)
    client = client_for(customer)
    assert [client.get(api_url("me")).status_code for _ in range(5)] == [200] * 5


@pytest.mark.redis
def test_counters_are_shared_through_redis_when_it_is_configured(tight, settings, customer):
    if not settings.REDIS_URL:
        require_service("Redis", "REDIS_URL is not set")
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        require_service("Redis", f"{settings.REDIS_URL}: {error}")
    settings.CACHES = {
        **settings.CACHES,
        settings.API_THROTTLE_CACHE: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": f"test-throttle-{uuid.uuid4().hex}",
        },
    }
    try:
        # Two clients stand for two web processes: only the shared store makes them agree.
        first, second = client_for(customer), client_for(customer)
        assert first.get(api_url("me")).status_code == 200
        assert second.get(api_url("me")).status_code == 200
        assert first.get(api_url("me")).status_code == 200
        assert second.get(api_url("me")).status_code == 429
    finally:
        caches[settings.API_THROTTLE_CACHE].delete(f"throttle_user_{customer.pk}")
