"""Liveness and readiness for load balancers and orchestrators.

`/healthz` says the process answers and touches nothing: no database, session, cache or file.
`/readyz` runs each check below in turn and reports it with its time; 200 when all pass, 503
when one fails. Answers name only the check and the kind of error, never an address, a URL or
a message that might carry one.

Both are answered by ProbeMiddleware near the top of the stack, before the https redirect,
the host check and the session: an orchestrator probes a pod's own address over plain http.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse

from .celery import app as celery_app

# The read replica's alias in settings.DATABASES, when DATABASE_REPLICA_URL configures one.
REPLICA_ALIAS = "replica"
# Seconds one check may wait for Redis or the broker: a probe must answer before its timeout.
SERVICE_TIMEOUT = 1.0
MEDIA_PROBE_DIR = "health"


@dataclass(frozen=True)
class Result:
    name: str
    ok: bool
    ms: float
    error: str = ""

    def as_json(self) -> dict:
        answer: dict = {"ok": self.ok, "ms": round(self.ms, 1)}
        if self.error:
            answer["error"] = self.error
        return answer


def check_database(alias: str) -> None:
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        # A connection kept open (CONN_MAX_AGE) to a server that went away is broken for
        # good; the next probe must dial again to see the server back.
        connection.close()
        raise


class PendingMigrations(Exception):
    pass


_migrations_applied: set[str] = set()  # aliases seen fully migrated: they stay so


def check_migrations(alias: str = DEFAULT_DB_ALIAS) -> None:
    if alias in _migrations_applied:
        return
    executor = MigrationExecutor(connections[alias])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise PendingMigrations(f"{len(plan)} migrations not applied")
    _migrations_applied.add(alias)


def check_redis() -> None:
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=SERVICE_TIMEOUT, socket_connect_timeout=SERVICE_TIMEOUT
    )
    try:
        client.ping()
    finally:
        client.close()


def check_broker() -> None:
    with celery_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=0, timeout=SERVICE_TIMEOUT)


def check_media() -> None:
    name = default_storage.save(
        f"{MEDIA_PROBE_DIR}/probe-{uuid.uuid4().hex}", ContentFile(b"ready")
    )
    default_storage.delete(name)


def checks() -> list[tuple[str, Callable[[], None]]]:
    """What this process needs to serve requests, as configured."""
    found: list[tuple[str, Callable[[], None]]] = [
        ("database", lambda: check_database(DEFAULT_DB_ALIAS))
    ]
    if REPLICA_ALIAS in connections.settings:
        found.append(("replica", lambda: check_database(REPLICA_ALIAS)))
    found.append(("migrations", check_migrations))
    if settings.REDIS_URL:
        found.append(("redis", check_redis))
    if not (celery_app.conf.broker_url or "memory://").startswith("memory://"):
        found.append(("broker", check_broker))
    found.append(("media", check_media))
    return found


def run_checks() -> list[Result]:
    results = []
    for name, check in checks():
        started = time.perf_counter()
        try:
            check()
        except Exception as error:
            results.append(Result(name, False, _ms(started), type(error).__name__))
        else:
            results.append(Result(name, True, _ms(started)))
    return results


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    return _no_store(JsonResponse({"status": "ok"}))


def readyz(request: HttpRequest) -> HttpResponse:
    results = run_checks()
    ready = all(result.ok for result in results)
    body = {
        "status": "ok" if ready else "fail",
        "checks": {result.name: result.as_json() for result in results},
    }
    return _no_store(JsonResponse(body, status=200 if ready else 503))
