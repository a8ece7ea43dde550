"""The OpenAPI schema: valid, served at a stable URL with offline docs, and true.

"True" is checked by schemathesis: for every operation it generates valid and invalid
requests from the schema, sends them through the WSGI app as an agent and as a customer, and
checks that nothing answers 5xx and that each answer (status, content type, headers, body)
is one the schema documents. Examples are bounded so that this stays quick.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from accounts.tokens import api_token_create
from tickets import services
from tickets.status import Status

from .conftest import api_url, upload

SCHEMA_URL = "/api/v1/schema/?format=json"
MAX_EXAMPLES = 10

APP = WSGIHandler()
schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, APP)
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=MAX_EXAMPLES,
    deterministic=True,
    database="none",
)
fuzz_settings = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def test_the_schema_is_valid_openapi_3():
    generated = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(generated)
    assert generated["openapi"].startswith("3.")
    paths = set(generated["paths"])
    assert {
        "/api/v1/me/",
        "/api/v1/categories/",
        "/api/v1/tickets/",
        "/api/v1/tickets/{id}/",
        "/api/v1/tickets/{id}/comments/",
        "/api/v1/tickets/{id}/transitions/",
        "/api/v1/tickets/{id}/take/",
        "/api/v1/tickets/{id}/assign/",
        "/api/v1/tickets/{id}/attachments/",
        "/api/v1/attachments/{id}/",
        "/api/v1/attachments/{id}/download/",
    } <= paths
    transition = generated["paths"]["/api/v1/tickets/{id}/transitions/"]["post"]
    assert {"200", "400", "401", "403", "404", "409", "413", "429"} <= set(transition["responses"])
    assert "Retry-After" in transition["responses"]["429"]["headers"]
    assert "ETag" in transition["responses"]["200"]["headers"]
    assert "If-Match" in {p["name"] for p in transition["parameters"]}
    schemes = generated["components"]["securitySchemes"]
    assert schemes["tokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["tokenAuth"]["description"],
    }


def test_the_schema_and_the_docs_are_served_without_a_cdn(client, db):
    assert client.get(api_url("schema")).status_code == 200
    for name in ("docs", "redoc"):
        page = client.get(api_url(name)).content.decode()
        assert "cdn." not in page and "unpkg" not in page and "jsdelivr" not in page
        assert "/static/drf_spectacular_sidecar/" in page


# --- Fuzzing ------------------------------------------------------------------------------


@pytest.fixture
def wsgi_in_test_transaction():
    """Requests through the real WSGI handler would close the test's database connection at
    their start and end; Django's test client avoids that the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(wsgi_in_test_transaction, make_ticket, customer, neighbour, agent, category):
    """Tickets in several states, a conversation with files and a note, another customer's
    ticket: rows for generated ids to hit."""
    own = [make_ticket(status) for status in (Status.OPEN, Status.IN_PROGRESS, Status.RESOLVED)]
    services.comment_add(
        ticket_id=own[1].pk, author=customer, body="Screenshot", attachments=[upload()]
    )
    services.comment_add(
        ticket_id=own[1].pk,
        author=agent,
        body="Internal",
        internal=True,
        attachments=[upload("log.txt", b"log")],
    )
    theirs = make_ticket(Status.OPEN, customer=neighbour)
    return {
        "tickets": [t.pk for t in own] + [theirs.pk],
        "files": [a.pk for t in own for a in t.attachments.all()],
        "customer": [customer.pk],
        "assignee": [agent.pk],
        "category": [category.pk],
    }


def _pick(generated, pool: list[int]):
    """An even generated number becomes an id that exists; anything else stays as it is."""
    if isinstance(generated, int) and not isinstance(generated, bool) and generated % 2 == 0:
        return pool[generated // 2 % len(pool)]
    return generated


def steer(case, world) -> None:
    """Point generated ids at rows that exist about half the time, so that the checks also
    see the answers for real tickets, files and people, not only 404s and 400s."""
    if "id" in (case.path_parameters or {}):
        files = case.path.startswith("/api/v1/attachments/")
        pool = world["files"] if files else world["tickets"]
        case.path_parameters["id"] = _pick(case.path_parameters["id"], pool)
    if isinstance(case.body, dict):
        for field in ("customer", "assignee", "category"):
            if field in case.body:
                case.body[field] = _pick(case.body[field], world[field])


# Every check but one: "valid data is accepted" cannot hold for made-up ids of customers,
# agents and services, which the schema rightly types as integers.
EXCLUDED_CHECKS = [positive_data_acceptance]


def bearer_for(user) -> dict[str, str]:
    _token, secret = api_token_create(user=user, name="schemathesis")
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def as_agent(agent):
    return bearer_for(agent)


@pytest.fixture
def as_customer(customer):
    return bearer_for(customer)


@schema.parametrize()
@fuzz_settings
def test_the_api_keeps_its_schema_for_an_agent(case, world, as_agent):
    steer(case, world)
    case.call_and_validate(headers=as_agent, excluded_checks=EXCLUDED_CHECKS)


@schema.parametrize()
@fuzz_settings
def test_the_api_keeps_its_schema_for_a_customer(case, world, as_customer):
    steer(case, world)
    case.call_and_validate(headers=as_customer, excluded_checks=EXCLUDED_CHECKS)
