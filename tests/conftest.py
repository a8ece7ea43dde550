"""Shared personas and helpers.

Two customers, two agents and a manager: tests check the neighbour who must *not* see or do
a thing as well as the one who may. State is set up through services, the road users take.
"""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
import redis
import time_machine
from django.conf import settings
from django.db import connection

from accounts.models import Role
from accounts.services import user_create
from helpdesk import broker
from helpdesk.celery import app as celery_app
from tickets import services, workflow
from tickets.models import Category, Ticket
from tickets.status import Status

from .redis_process import RedisProcess, redis_process
from .smtp import Servers

IN_CI = os.environ.get("CI", "").lower() == "true"
CELERY_QUEUE = "celery"  # the Redis list Celery's default queue lives in
# Where kombu keeps tasks delivered to a worker and not yet acknowledged.
UNACKED_KEYS = ("unacked", "unacked_index")


def require_service(name: str, why: str) -> None:
    """Skip when a service is missing locally; fail under CI=true, where it must be there."""
    message = f"{name} is not available: {why}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: every service must be up)")
    pytest.skip(message)


# Markers that follow from what a test needs, so `-m "not postgres"` and the like select it.
MARKER_FIXTURES = {
    "postgres": {"postgres"},
    "redis": {"redis_broker", "private_broker"},
    "slow": {"worker", "imap_server"},  # a real Celery worker process, a real IMAP server
}
E2E_DIR = Path(__file__).parent / "e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        needs = set(getattr(item, "fixturenames", ()))
        for marker, fixtures in MARKER_FIXTURES.items():
            if needs & fixtures:
                item.add_marker(marker)
        if E2E_DIR in Path(item.path).parents:
            item.add_marker("e2e")
            item.add_marker("postgres")


@contextmanager
def travelled(moment: datetime, *clients) -> Iterator[None]:
    """Freeze the clock at `moment`, after one warm-up request by each signed-in client.

    A session does its upkeep (the activity stamp, the cached two-factor state) at most once a
    minute by the clock. Whether the first request at `moment` does it depends on how the real
    date stands to `moment`; after the warm-up, a query count taken inside does not.
    """
    with time_machine.travel(moment, tick=False):
        for client in clients:
            client.get("/")
        yield


@pytest.fixture(autouse=True, scope="session")
def celery_runs_tasks_in_process():
    """Tasks run eagerly in tests, even when REDIS_URL names a real broker (as in CI); the
    tests that exercise the broker or a worker switch this off themselves."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True


@pytest.fixture(autouse=True)
def no_restricted_team_yet():
    """The "any team restricted?" flag lives in a cache shared across tests (Redis under CI):
    each test starts with it saying what its empty database says, no restricted team (the
    services that change teams forget it, tickets.teams.team_save)."""
    from tickets import teams

    teams.remember_restricted_flag(False)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashing is slow on purpose; tests check behaviour, not the hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def redis_broker():
    """The real Redis broker, with tasks published to it instead of run in process."""
    url = settings.REDIS_URL
    if not url:
        require_service("Redis", "REDIS_URL is not set")
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        require_service("Redis", f"{url}: {error}")
    client.delete(CELERY_QUEUE, *UNACKED_KEYS)
    celery_app.conf.task_always_eager = False
    yield client
    celery_app.conf.task_always_eager = True
    client.delete(CELERY_QUEUE, *UNACKED_KEYS)


@pytest.fixture
def mail_server():
    """start(**behaviour) → (a real SMTP server on a free port, its port); tests/smtp.py."""
    servers = Servers()
    yield servers.start
    servers.stop()


@pytest.fixture
def private_broker() -> Iterator[RedisProcess]:
    """A redis-server of the test's own as Celery's broker, tasks published to it instead of
    run in process; the test may freeze or stop it. The shared broker is back afterwards."""
    if shutil.which("redis-server") is None:
        require_service("redis-server", "the binary is not on the PATH")
    with redis_process() as server:
        previous = celery_app.conf.broker_url
        celery_app.conf.update(broker_url=server.url, task_always_eager=False)
        broker.reset()
        try:
            yield server
        finally:
            celery_app.conf.update(broker_url=previous, task_always_eager=True)
            broker.reset()


@pytest.fixture
def postgres(db):
    if connection.vendor != "postgresql":
        require_service("PostgreSQL", "DATABASE_URL does not point to PostgreSQL")


def _user(email: str, name: str, role: Role):
    return user_create(email=email, display_name=name, role=role, password=None)


@pytest.fixture
def customer(db):
    return _user("carla@example.com", "Carla Customer", Role.CUSTOMER)


@pytest.fixture
def neighbour(db):
    """Another customer, who must never see Carla's tickets."""
    return _user("nick@example.com", "Nick Neighbour", Role.CUSTOMER)


@pytest.fixture
def follower(db):
    """A customer who follows one ticket of Carla's (tickets.followers); tests add her."""
    return _user("fran@example.com", "Fran Follower", Role.CUSTOMER)


@pytest.fixture
def agent(db):
    return _user("alex@example.com", "Alex Agent", Role.AGENT)


@pytest.fixture
def other_agent(db):
    return _user("bo@example.com", "Bo Agent", Role.AGENT)


@pytest.fixture
def manager(db):
    return _user("mia@example.com", "Mia Manager", Role.MANAGER)


@pytest.fixture
def category(db):
    return Category.objects.create(name="VPN", description="Remote access")


# How to bring a fresh ticket to each status through the services, as people would.
PATH_TO = {
    Status.OPEN: [],
    Status.ASSIGNED: ["take"],
    Status.IN_PROGRESS: ["take", "start"],
    Status.ON_HOLD: ["take", "start", "hold"],
    Status.RESOLVED: ["take", "start", "resolve"],
    Status.CLOSED: ["take", "start", "resolve", "confirm"],
}


def advance(ticket: Ticket, step: str, *, customer, agent) -> None:
    if step == "take":
        services.ticket_take(ticket_id=ticket.pk, agent=agent)
        return
    target, actor, note = {
        "start": (Status.IN_PROGRESS, agent, ""),
        "hold": (Status.ON_HOLD, agent, "Which version of the client do you run?"),
        "resolve": (Status.RESOLVED, agent, "Re-issued your VPN certificate."),
        "confirm": (Status.CLOSED, customer, ""),
    }[step]
    workflow.transition(ticket_id=ticket.pk, to=target, actor=actor, note=note)


@pytest.fixture
def make_ticket(customer, agent, category):
    """make_ticket(status) → a ticket of Carla's, worked by Alex, brought to `status`."""

    def make(status: Status = Status.OPEN, **fields) -> Ticket:
        owner = fields.pop("customer", customer)
        ticket = services.ticket_create(
            customer=owner,
            created_by=fields.pop("created_by", owner),
            subject=fields.pop("subject", "VPN drops every few minutes"),
            description=fields.pop("description", "Since this morning the VPN disconnects."),
            category=fields.pop("category", category),
            **fields,
        )
        for step in PATH_TO[Status(status)]:
            advance(ticket, step, customer=ticket.customer, agent=agent)
        ticket.refresh_from_db()
        return ticket

    return make
