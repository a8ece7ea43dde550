"""A real web process on a PostgreSQL and a Redis of the test's own: /readyz turns red at the
first probe after either stops and green at the first after it is back, while /healthz stays
green throughout (the process is alive; restarting it would not help)."""

import http.client
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import real_clock
from tests.conftest import require_service
from tests.redis_process import free_port, redis_process

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def get(port: int, path: str) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        connection.request("GET", path, headers={"Host": f"127.0.0.1:{port}"})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def wait_until_up(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if get(port, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        assert server.poll() is None, "gunicorn exited"
        assert time.monotonic() < deadline, "gunicorn did not answer within a minute"
        time.sleep(0.2)


@pytest.fixture
def web_node(throwaway_postgres, tmp_path):
    """gunicorn on the throwaway cluster (migrated) and a private Redis; yields
    (port, postgres, redis)."""
    if shutil.which("redis-server") is None:
        require_service("redis-server", "the binary is not on the PATH")
    throwaway_postgres.run(
        "createdb", "-h", "127.0.0.1", "-p", str(throwaway_postgres.port), "-U", "postgres",
        "helpdesk",
    )  # fmt: skip
    with redis_process() as redis_server:
        env = real_clock.environment() | {
            "DEBUG": "false",
            "SECRET_KEY": "readiness-test-secret-key",
            "ALLOWED_HOSTS": "helpdesk.example.com",
            "DATABASE_URL": throwaway_postgres.url("helpdesk") + "?connect_timeout=2",
            "REDIS_URL": redis_server.url,
            "MEDIA_ROOT": str(tmp_path / "media"),
        }
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            env=env, check=True, capture_output=True, timeout=300,
        )  # fmt: skip
        port = free_port()
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "helpdesk.wsgi", "--workers", "1", "--bind",
             f"127.0.0.1:{port}", "--timeout", "60"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_until_up(port, server)
            yield port, throwaway_postgres, redis_server
        finally:
            server.terminate()
            server.wait(timeout=30)


def test_readyz_follows_the_database_and_redis_going_away_and_coming_back(web_node):
    port, postgres, redis_server = web_node
    status, body = get(port, "/readyz")
    assert status == 200, body
    assert set(body["checks"]) == {"database", "migrations", "redis", "broker", "media"}

    postgres.stop()
    status, body = get(port, "/readyz")
    assert status == 503
    assert body["checks"]["database"]["ok"] is False
    assert get(port, "/healthz")[0] == 200

    postgres.start()
    status, body = get(port, "/readyz")
    assert status == 200, body

    redis_server.stop()
    status, body = get(port, "/readyz")
    assert status == 503
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
    assert get(port, "/healthz")[0] == 200

    redis_server.start()
    status, body = get(port, "/readyz")
    assert status == 200, body
