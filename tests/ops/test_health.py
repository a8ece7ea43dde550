"""Liveness and readiness (helpdesk.health): what an orchestrator asks a node."""

import pytest
from django.db import connection

from helpdesk import health
from tests.redis_process import free_port

from .conftest import database_alias

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def probes_come_over_plain_http_to_the_nodes_own_address(settings):
    # As in production: https only, and the probe's Host is no name the site answers to.
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["helpdesk.example.com"]


def probe(client, path="/readyz"):
    return client.get(path, HTTP_HOST="10.1.2.3:8000")


def checks(response) -> dict:
    return response.json()["checks"]


def test_healthz_answers_without_touching_database_session_or_cache(
    client, django_assert_num_queries, customer
):
    client.force_login(customer)  # a session cookie must not make it read the session
    with django_assert_num_queries(0):
        response = probe(client, "/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response


def test_healthz_answers_while_no_database_may_be_reached(client, django_db_blocker):
    with django_db_blocker.block():  # any query or connection raises
        assert probe(client, "/healthz").status_code == 200


def test_readyz_reports_each_check_with_its_time(client):
    response = probe(client)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    expected = {"database", "migrations", "media"}
    if health.settings.REDIS_URL:
        expected |= {"redis", "broker"}
    assert expected <= set(body["checks"])
    for result in body["checks"].values():
        assert result["ok"] is True
        assert result["ms"] >= 0


def test_readyz_is_red_when_the_replica_is_unreachable_and_names_no_address(client):
    port = free_port()  # nothing listens there
    with database_alias("replica", f"postgres://postgres:s3cret@127.0.0.1:{port}/helpdesk"):
        response = probe(client)
    assert response.status_code == 503
    assert response.json()["status"] == "fail"
    assert checks(response)["replica"] == {
        "ok": False,
        "ms": checks(response)["replica"]["ms"],
        "error": "OperationalError",
    }
    assert checks(response)["database"]["ok"] is True
    for secret in (str(port), "s3cret", "127.0.0.1"):
        assert secret not in response.content.decode()


@pytest.mark.postgres
def test_readyz_turns_red_when_postgres_stops_and_green_when_it_is_back(client, throwaway_postgres):
    with database_alias("replica", throwaway_postgres.url()):
        assert probe(client).status_code == 200
        health.connections["replica"].ensure_connection()  # a kept connection, as in production

        throwaway_postgres.stop()
        stopped = probe(client)
        assert stopped.status_code == 503
        assert checks(stopped)["replica"]["ok"] is False

        throwaway_postgres.start()
        back = probe(client)
        assert back.status_code == 200, back.json()
        assert checks(back)["replica"]["ok"] is True


def test_readyz_turns_red_when_redis_stops_and_green_when_it_is_back(
    client, settings, private_broker
):
    settings.REDIS_URL = private_broker.url
    assert probe(client).status_code == 200

    private_broker.stop()
    stopped = probe(client)
    assert stopped.status_code == 503
    assert checks(stopped)["redis"]["ok"] is False
    assert checks(stopped)["broker"]["ok"] is False
    assert checks(stopped)["database"]["ok"] is True

    private_broker.start()
    back = probe(client)
    assert back.status_code == 200, back.json()


def test_readyz_is_red_while_migrations_are_pending(client, monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", set())
    monkeypatch.setattr(
        health.MigrationExecutor, "migration_plan", lambda self, targets: [("tickets", False)]
    )
    response = probe(client)
    assert response.status_code == 503
    assert checks(response)["migrations"] == {
        "ok": False,
        "ms": checks(response)["migrations"]["ms"],
        "error": "PendingMigrations",
    }


def test_readyz_is_red_when_media_storage_is_not_writable(client, settings, tmp_path):
    not_a_folder = tmp_path / "media"
    not_a_folder.write_bytes(b"")
    settings.MEDIA_ROOT = not_a_folder
    response = probe(client)
    assert response.status_code == 503
    assert checks(response)["media"]["ok"] is False


def test_readyz_leaves_no_probe_file_behind(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    assert probe(client).status_code == 200
    assert not any(path.is_file() for path in tmp_path.rglob("*"))


def test_the_database_check_uses_the_default_connection(client, django_assert_num_queries):
    with django_assert_num_queries(1, connection=connection):  # SELECT 1; migrations known
        health.check_database("default")
