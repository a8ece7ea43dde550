"""A real streaming standby of the test cluster as the "replica" alias (.ci/start-standby).

The standby copies the whole cluster, so the test database the suite creates on the primary is
on it too, a moment later. Tests that read from it commit their data (transaction=True) and wait
until the standby has replayed it.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.test.utils import CaptureQueriesContext

from helpdesk import replica
from tests.conftest import require_service
from tests.redis_process import free_port

STANDBY_ENV = "HELPDESK_TEST_STANDBY"


def _replica_settings(host: str, port: str) -> dict:
    settings = copy.deepcopy(connections[DEFAULT_DB_ALIAS].settings_dict)
    settings.update(HOST=host, PORT=port, CONN_MAX_AGE=0)
    settings.setdefault("OPTIONS", {})["connect_timeout"] = 2
    # A mirror: the test framework neither creates nor flushes it.
    settings["TEST"] = {**settings.get("TEST", {}), "MIRROR": DEFAULT_DB_ALIAS}
    return settings


def _install(settings: dict) -> None:
    connections[replica.REPLICA].close() if replica.REPLICA in connections.settings else None
    connections.settings[replica.REPLICA] = settings
    if hasattr(connections._connections, replica.REPLICA):
        delattr(connections._connections, replica.REPLICA)
    replica.reset()


@pytest.fixture(scope="module")
def standby_address(django_db_setup) -> Iterator[tuple[str, str]]:
    where = os.environ.get(STANDBY_ENV, "")
    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        require_service("PostgreSQL", "DATABASE_URL does not point to PostgreSQL")
    if not where:
        require_service("PostgreSQL standby", f"{STANDBY_ENV} is not set (run .ci/start-standby)")
    host, _, port = where.rpartition(":")
    _install(_replica_settings(host, port))
    yield host, port
    connections[replica.REPLICA].close()
    del connections.settings[replica.REPLICA]
    if hasattr(connections._connections, replica.REPLICA):
        delattr(connections._connections, replica.REPLICA)
    replica.reset()


@pytest.fixture
def standby(standby_address, settings):
    """The replica alias on the real standby, checked on every read (no cached health), and
    no user pinned to the primary."""
    settings.REPLICA_CHECK_SECONDS = 0
    settings.REPLICA_MAX_LAG_SECONDS = 5
    _install(_replica_settings(*standby_address))
    try:
        with connections[replica.REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            in_recovery = cursor.fetchone()[0]
    except DatabaseError as error:
        require_service("PostgreSQL standby", f"{standby_address}: {error}")
    if not in_recovery:
        require_service("PostgreSQL standby", f"{standby_address} is not a standby")
    caches[settings.REPLICA_PIN_CACHE].clear()
    yield connections[replica.REPLICA]
    _install(_replica_settings(*standby_address))


@pytest.fixture
def dead_replica(standby_address):
    """The replica alias pointing at a port nobody listens on."""
    _install(_replica_settings("127.0.0.1", str(free_port())))
    yield
    _install(_replica_settings(*standby_address))


def replayed(timeout: float = 20.0) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        target = cursor.fetchone()[0]
    deadline = time.monotonic() + timeout
    while True:
        with connections[replica.REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
        if time.monotonic() > deadline:
            pytest.fail(f"the standby did not replay up to {target} in {timeout} s")
        time.sleep(0.05)


READS = ("SELECT", "WITH", "DECLARE")  # DECLARE: a server-side cursor (a streamed export)


class Served:
    """The queries each connection ran inside the block."""

    def __init__(self, primary: CaptureQueriesContext, standby: CaptureQueriesContext | None):
        self.primary, self.standby = primary, standby

    @staticmethod
    def _reads(capture: CaptureQueriesContext, table: str) -> list[str]:
        return [
            q["sql"]
            for q in capture.captured_queries
            if q["sql"].lstrip().upper().startswith(READS) and table in q["sql"]
        ]

    def primary_reads(self, table: str = '"tickets_') -> list[str]:
        return self._reads(self.primary, table)

    def standby_reads(self, table: str = '"tickets_') -> list[str]:
        return self._reads(self.standby, table)


@contextmanager
def served(*, standby: bool = True) -> Iterator[Served]:
    """standby=False when the replica is down (capturing its queries would connect to it)."""
    with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary:
        if not standby:
            yield Served(primary, None)
            return
        with CaptureQueriesContext(connections[replica.REPLICA]) as on_standby:
            yield Served(primary, on_standby)
