"""Two web nodes behind HAProxy, two Celery workers and beat, one of each killed with SIGKILL in
the middle of mixed load (bench/cluster.py, shorter): only requests in flight on the dead node
may fail, nobody is signed out, and every notification goes out exactly once."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from bench import cluster
from tests.conftest import require_service

pytestmark = [pytest.mark.slow, pytest.mark.cluster]


def test_a_node_and_a_worker_die_and_nothing_is_lost(db):
    if connection.vendor != "postgresql":
        require_service("PostgreSQL", "DATABASE_URL does not point to PostgreSQL")
    if cluster.haproxy_binary() is None:
        require_service("HAProxy", "haproxy is not installed (.ci/install-haproxy)")
    result = cluster.run(
        server_url=os.environ["DATABASE_URL"], duration=16, users=6, phase=3, log=lambda _: None
    )
    assert result.errors_other == 0, result.error_samples
    assert result.sessions_lost == 0
    assert result.notifications_lost == 0 and result.notifications_doubled == 0
    assert sum(result.notifications.values()) > 0  # tickets were resolved: there was mail
    # Both nodes served before the kill; only the survivor after it.
    assert result.served_by["node1"] > 0 and result.served_by["node2"] > 0
    assert result.served_by_after_kill["node1"] == 0
    assert result.served_by_after_kill["node2"] > 0
    assert result.answered >= 0.9 * result.requests
