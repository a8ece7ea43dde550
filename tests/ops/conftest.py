import types
from collections.abc import Iterator
from contextlib import contextmanager

import environ
import pytest
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from tests.conftest import require_service
from tests.postgres_process import PostgresProcess, binaries, postgres_process


@contextmanager
def database_alias(alias: str, url: str) -> Iterator[None]:
    """An extra entry in DATABASES for the length of a test, as DATABASE_REPLICA_URL adds
    "replica"; added after the test began, so pytest-django's guard does not wrap it."""
    config = environ.Env.db_url_config(url)
    config.setdefault("OPTIONS", {})["connect_timeout"] = 2
    configured = connections.configure_settings(
        {"default": connections.settings["default"], alias: config}
    )
    connections.settings[alias] = configured[alias]
    _allow(connections[alias])
    try:
        yield
    finally:
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]


def _allow(wrapper) -> None:
    """Django's test case refuses connections to aliases it was not told of at its start
    (it patches BaseDatabaseWrapper.ensure_connection); this alias came later, on purpose,
    and talks to a server of the test's own, outside the test's transaction."""
    patched = BaseDatabaseWrapper.ensure_connection
    cells = dict(zip(patched.__code__.co_freevars, patched.__closure__ or (), strict=True))
    real = (
        cells["real_ensure_connection"].cell_contents
        if "real_ensure_connection" in cells
        else patched
    )
    wrapper.ensure_connection = types.MethodType(real, wrapper)


@pytest.fixture
def throwaway_postgres() -> Iterator[PostgresProcess]:
    """A PostgreSQL cluster of the test's own, which it may stop and start."""
    if binaries() is None:
        require_service("PostgreSQL binaries", "nothing under /usr/lib/postgresql/*/bin")
    with postgres_process() as server:
        yield server
