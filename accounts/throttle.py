"""Rate limits for the account forms django-axes does not cover: password reset requests and
sign-ups. Counters live in the shared security cache (Redis in production), one fixed window
per rate, e.g. "5/hour"."""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ValidationError

from .identity import fold, normalize_email
from .models import EMAIL_MAX_LENGTH

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "5/hour" → (5, 3600)."""
    count, _slash, period = rate.partition("/")
    return int(count), PERIODS[period.strip().rstrip("s")]


def hit(scope: str, key: str, rate: str) -> int | None:
    """Count one request of `scope` by `key`. None while within `rate`; otherwise how many
    seconds until the window ends and requests are accepted again."""
    limit, period = parse_rate(rate)
    now = time.time()
    window = int(now // period)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    cache_key = f"rl:{scope}:{digest}:{window}"
    cache = caches[settings.SECURITY_CACHE]
    cache.add(cache_key, 0, timeout=period + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=period + 1)
        count = 1
    if count > limit:
        return max(1, int((window + 1) * period - now))
    return None


def normalized_login(value: str | None) -> str | None:
    """The sign-in name as django-axes and the throttles count it: the canonical address, as
    the sign-in looks the account up, so every spelling of one account shares one count.
    Something that cannot be an address (and so matches no account) counts as its folded text."""
    if not value:
        return None
    try:
        key = normalize_email(value)
    except ValidationError:
        key = fold(value).strip()
    return key[:EMAIL_MAX_LENGTH] or None


def axes_username(request, credentials: dict | None) -> str | None:
    """AXES_USERNAME_CALLABLE: "Alex@Example.com", "alex@example.com " and the same in
    full-width letters are one account."""
    value = None
    if credentials:
        value = credentials.get(settings.AXES_USERNAME_FORM_FIELD)
    if value is None and request is not None:
        value = request.POST.get(settings.AXES_USERNAME_FORM_FIELD)
    return normalized_login(value)


def lock_key(username: str | None, ip: str | None) -> str:
    digest = hashlib.sha256(f"{username or ''}\0{ip or ''}".encode()).hexdigest()[:32]
    return f"lockout:{digest}"


def lockout_record(username: str | None, ip: str | None) -> bool:
    """Remember when a lockout of (account, address) ends, for the 429 page to tell. False if
    it was already recorded (the lockout had begun)."""
    cooloff = settings.AXES_COOLOFF_TIME.total_seconds()
    return caches[settings.SECURITY_CACHE].add(
        lock_key(username, ip), time.time() + cooloff, timeout=int(cooloff) + 1
    )


def lockout_ends(username: str | None, ip: str | None) -> float:
    """When the lockout ends (a timestamp); the full cool-off from now if it was not recorded."""
    ends = caches[settings.SECURITY_CACHE].get(lock_key(username, ip))
    return ends or time.time() + settings.AXES_COOLOFF_TIME.total_seconds()


def _mail_request_wait(scope: str, *, address: str, email: str | None, rates: tuple) -> int | None:
    """A form that sends an e-mail to the address typed: limited per (client address,
    canonical e-mail), so nobody floods one person, and per client address. Counted alike
    whether or not the e-mail has an account, so the limit itself tells nothing."""
    per_email, per_address = rates
    return hit(scope, f"{address}|{email}", per_email) or hit(
        f"{scope}_address", address, per_address
    )


def password_reset_wait(*, address: str, email: str | None) -> int | None:
    """Seconds to wait before another reset request, or None."""
    return _mail_request_wait(
        "password_reset",
        address=address,
        email=email,
        rates=(settings.PASSWORD_RESET_RATE, settings.PASSWORD_RESET_RATE_PER_ADDRESS),
    )


def signup_wait(*, address: str, email: str | None) -> int | None:
    """Seconds to wait before another sign-up from this client address, or None."""
    return _mail_request_wait(
        "signup",
        address=address,
        email=email,
        rates=(settings.SIGNUP_RATE_PER_EMAIL, settings.SIGNUP_RATE),
    )
