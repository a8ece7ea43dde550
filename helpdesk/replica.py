"""Reads that may be served by a streaming replica of PostgreSQL, and when they may not.

With DATABASE_REPLICA_URL set, the heavy reads (reports, report snapshots, exports, searches,
the API's lists) run inside `replica_reads()` or a view decorated with `reads_from_replica`, and
`helpdesk.db_router.PrimaryReplicaRouter` sends their queries to the "replica" alias, unless

- the code is inside a transaction on the primary (it may read what it has just written),
- the user wrote something in the last REPLICA_PIN_SECONDS (read-your-writes: the pin is kept
  in a cache every web node shares, so it holds for API clients without cookies too),
- or the replica is unreachable or lags more than REPLICA_MAX_LAG_SECONDS behind the primary
  (checked at most every REPLICA_CHECK_SECONDS per process; a warning is logged once a minute).

A replica that fails in the middle of a read is marked down and the view runs again on the
primary: a reader sees a slower page, never an error.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, StreamingHttpResponse

REPLICA = "replica"
PIN_KEY = "replica-pin:{user_id}"

logger = logging.getLogger("helpdesk.replica")


@dataclass
class _Block:
    """Code that may read from the replica: where its reads go is decided at its first read and
    kept, so that one page does not mix what the replica and the primary say."""

    alias: str | None = None


_block: ContextVar[_Block | None] = ContextVar("replica_block", default=None)
# The request being served (set by ReplicaPinMiddleware), for the read-your-writes pin.
_request: ContextVar[HttpRequest | None] = ContextVar("replica_request", default=None)

# Whether the standby has replayed the primary's position read a moment before, and how long
# ago the last transaction it replayed was committed (its lag, when it has not caught up).
REPLAYED_SQL = """
    SELECT NOT pg_is_in_recovery() OR pg_last_wal_replay_lsn() >= %s::pg_lsn,
           COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
"""
# WAL in flight when the check ran (an idle primary's first write in a while) is replayed in
# milliseconds: the standby gets this long before it counts as behind.
CATCH_UP_SECONDS = 0.05


def configured() -> bool:
    return REPLICA in connections.settings


@dataclass
class _Health:
    checked_at: float = float("-inf")
    usable: bool = False
    lag: float | None = None
    reason: str = ""
    warned_at: float = float("-inf")


_health = _Health()
_health_lock = threading.Lock()


def _lag() -> float:
    """Seconds the replica is behind the primary; 0 when it has replayed where the primary was
    when asked (an idle primary's last commit may be old: that is no lag)."""
    primary, standby = connections[DEFAULT_DB_ALIAS], connections[REPLICA]
    if standby.vendor != "postgresql" or primary.vendor != "postgresql":
        return 0.0
    with primary.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        (position,) = cursor.fetchone()
    with standby.cursor() as cursor:
        for attempt in range(2):
            cursor.execute(REPLAYED_SQL, [position])
            caught_up, since_last_replayed = cursor.fetchone()
            if caught_up:
                return 0.0
            if attempt == 0:
                time.sleep(CATCH_UP_SECONDS)
    return max(float(since_last_replayed), CATCH_UP_SECONDS)


def _measure() -> tuple[bool, float | None, str]:
    try:
        lag = _lag()
    except DatabaseError as error:
        connections[REPLICA].close()
        return False, None, f"unreachable ({error.__class__.__name__}: {str(error).strip()[:200]})"
    if lag > settings.REPLICA_MAX_LAG_SECONDS:
        return False, lag, f"{lag:.1f} s behind the primary"
    return True, lag, ""


def _warn(now: float) -> None:
    if now - _health.warned_at >= 60:
        _health.warned_at = now
        logger.warning("Replica not used, reads go to the primary: %s", _health.reason)


def usable(*, now: float | None = None) -> bool:
    """Whether the replica answers and is close enough to the primary, as of the last check."""
    now = time.monotonic() if now is None else now
    with _health_lock:
        if now - _health.checked_at >= settings.REPLICA_CHECK_SECONDS:
            _health.usable, _health.lag, _health.reason = _measure()
            _health.checked_at = now
        if not _health.usable:
            _warn(now)
        return _health.usable


def mark_down(reason: str) -> None:
    now = time.monotonic()
    with _health_lock:
        _health.usable, _health.reason, _health.checked_at = False, reason, now
        _warn(now)


def reset() -> None:
    """Forget the last check (tests, and a process that changed its settings)."""
    global _health
    with _health_lock:
        _health = _Health()


def status() -> dict:
    """The replica as this process last saw it, for readiness checks."""
    return {"usable": _health.usable, "lag_seconds": _health.lag, "reason": _health.reason}


def _pin_cache():
    return caches[settings.REPLICA_PIN_CACHE]


def pin(*, user_id: int) -> None:
    """The user's reads go to the primary for REPLICA_PIN_SECONDS: they see what they wrote."""
    _pin_cache().set(PIN_KEY.format(user_id=user_id), 1, timeout=settings.REPLICA_PIN_SECONDS)


def _pinned() -> bool:
    request = _request.get()
    if request is None:
        return False
    cached = getattr(request, "_replica_pinned", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    pinned = bool(
        user is not None
        and user.is_authenticated
        and _pin_cache().get(PIN_KEY.format(user_id=user.pk))
    )
    request._replica_pinned = pinned
    return pinned


def alias_for_read() -> str:
    block = _block.get()
    if block is None or not configured() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    if block.alias is None:
        block.alias = DEFAULT_DB_ALIAS if _pinned() or not usable() else REPLICA
    return block.alias


def read_connection():
    """The connection a raw read runs on: raw SQL does not pass through the router."""
    return connections[alias_for_read()]


@contextmanager
def replica_reads(block: _Block | None = None) -> Iterator[_Block]:
    """Reads inside may go to the replica (see alias_for_read)."""
    block = block or _Block()
    token = _block.set(block)
    try:
        yield block
    finally:
        _block.reset(token)


def _streamed(chunks: Iterator, request: HttpRequest | None, block: _Block) -> Iterator:
    # A streamed export reads while it is sent, after the view (and the middleware) returned.
    iterator = iter(chunks)
    while True:
        token = _request.set(request)
        try:
            with replica_reads(block):
                try:
                    chunk = next(iterator)
                except StopIteration:
                    return
        finally:
            _request.reset(token)
        yield chunk


def call(func: Callable, *args, **kwargs):
    """func(*args, **kwargs) with replica reads; again on the primary if the replica failed."""
    with replica_reads() as block:
        try:
            result = func(*args, **kwargs)
        except DatabaseError as error:
            if block.alias != REPLICA:
                raise
            connections[REPLICA].close()
            mark_down(f"failed during a read ({error.__class__.__name__})")
            block.alias = DEFAULT_DB_ALIAS
            result = func(*args, **kwargs)
    if isinstance(result, StreamingHttpResponse):
        result.streaming_content = _streamed(result.streaming_content, _request.get(), block)
    return result


def reads_from_replica(view: Callable) -> Callable:
    """For a view (or an API view's method) that only reads."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        return call(view, *args, **kwargs)

    return wrapped


class ReplicaPinMiddleware:
    """Keeps the request for the router's pin check, and pins a user who wrote (any request
    but GET, HEAD, OPTIONS, TRACE) to the primary for a few seconds."""

    UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if not configured():
            return self.get_response(request)
        token = _request.set(request)
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        user = getattr(request, "user", None)  # an API view's authenticated user too
        if request.method in self.UNSAFE and user is not None and user.is_authenticated:
            pin(user_id=user.pk)
        return response
