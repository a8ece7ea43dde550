"""The OpenAPI schema: valid, served at a stable URL with offline docs, and true.

"True" is checked by schemathesis: for every operation it generates valid and invalid
requests from the schema, sends them through the WSGI app as an agent and as a customer, and
checks that nothing answers 5xx and that each answer (status, content type, headers, body)
is one the schema documents. Examples are bounded so that this stays quick.
"""

from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, settings
from rest_framework.test import APIRequestFactory, force_authenticate
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from accounts.tokens import api_token_create
from tickets import followers, queries, services, teams
from tickets.api.serializers import GOES_WITH_THEN
from tickets.api.teams import NO_SUCH_TEAM
from tickets.api.views import VERSION_DISAGREES, CommentList
from tickets.combined import INTERNAL_DOES_NOT_MOVE
from tickets.errors import HoldKindInvalid, NoteAudienceFixed, ReasonRequired
from tickets.reports.filters import MAX_RANGE_DAYS, RANGE_BACKWARDS, RANGE_TOO_LONG
from tickets.services import NOT_A_CUSTOMER, URGENT_IS_FOR_STAFF
from tickets.status import Status
from tickets.uploads import TOO_MANY_FILES, max_files

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


def _resolve(generated: dict, schema: dict) -> dict:
    name = schema.get("$ref", "").rpartition("/")[2]
    return generated["components"]["schemas"][name] if name else schema


def test_every_request_body_refuses_fields_it_does_not_know():
    generated = SchemaGenerator().get_schema(request=None, public=True)
    bodies = [
        _resolve(generated, content["schema"])
        for operations in generated["paths"].values()
        for operation in operations.values()
        for content in operation.get("requestBody", {}).get("content", {}).values()
    ]
    forms = [_resolve(generated, form) for body in bodies for form in body.get("oneOf", [body])]
    assert len(forms) > len(bodies) >= 7
    assert all(form["additionalProperties"] is False for form in forms)


def test_the_transition_body_is_an_action_an_assignment_or_a_status():
    generated = SchemaGenerator().get_schema(request=None, public=True)
    body = generated["paths"]["/api/v1/tickets/{id}/transitions/"]["post"]["requestBody"]
    assert body["required"] is True
    forms = [
        _resolve(generated, f)
        for f in _resolve(generated, body["content"]["application/json"]["schema"])["oneOf"]
    ]
    assert [sorted(form["required"]) for form in forms] == [
        ["action"],
        ["action", "assignee"],
        ["to"],
    ]
    assert all("note" in form["properties"] for form in forms)
    assert "assignee" not in forms[0]["properties"] and "action" not in forms[2]["properties"]


def test_a_refused_authorization_answers_as_the_schema_says(client, db):
    generated = SchemaGenerator().get_schema(request=None, public=True)
    unauthorised = generated["paths"]["/api/v1/me/"]["get"]["responses"]["401"]
    challenge = unauthorised["headers"]["WWW-Authenticate"]["schema"]["enum"]
    for header in ("Token x", "Basic YTpi", "Bearer hdt_not-a-token", "Bearer"):
        response = client.get(api_url("me"), HTTP_AUTHORIZATION=header)
        assert response.status_code == 401
        assert [response["WWW-Authenticate"]] == challenge
        assert f"`{response.json()['code']}`" in unauthorised["description"]


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


def _page_cursor(user, ticket_id: int) -> str:
    """A cursor the conversation's pages give out (asked of the view itself: the test client
    would reconnect the signals that close the test's database connection)."""
    request = APIRequestFactory().get(api_url("ticket-comments", ticket_id), {"page_size": 1})
    force_authenticate(request, user=user)
    page = CommentList.as_view()(request, pk=ticket_id)
    return parse_qs(urlsplit(page.data["next"]).query)["cursor"][0]


@pytest.fixture
def world(wsgi_in_test_transaction, make_ticket, customer, neighbour, agent, manager, category):
    """Tickets in several states, a conversation with files and a note, another customer's
    ticket: rows for generated ids to hit, and cursors the lists gave out."""
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
    everything = queries.QueueFilters(view="all")
    return {
        "tickets": [t.pk for t in own] + [theirs.pk],
        "files": [a.pk for t in own for a in t.attachments.all()],
        "customer": [customer.pk, neighbour.pk],
        "assignee": list(queries.active_agents().values_list("pk", flat=True)),
        "category": [category.pk],
        "queue cursors": {
            sort: queries.queue_page(manager, replace(everything, sort=sort), size=1).next_cursor
            for sort in queries.QUEUE_SORTS
        },
        "page cursor": _page_cursor(manager, own[1].pk),
    }


def _pick(generated, pool: list[int], *, always: bool):
    """A generated number as an id that exists: always, or when it is even and could be an id
    (a number below 1, in a request meant to be invalid, stays invalid); anything that is not
    a number stays as it is."""
    number = isinstance(generated, int) and not isinstance(generated, bool)
    if number and (always or (generated >= 1 and generated % 2 == 0)):
        return pool[generated // 2 % len(pool)]
    return generated


def steer(case, world) -> None:
    """Point generated ids at rows that exist (about half the time, so that the checks see
    the answers for real tickets and files as well as 404s), and, where the data is meant to
    be valid, at people and services that exist and cursors a list gave out: things a schema
    can type but not make up."""
    positive = case.meta.generation.mode.is_positive
    if "id" in (case.path_parameters or {}):
        files = case.path.startswith("/api/v1/attachments/")
        pool = world["files"] if files else world["tickets"]
        case.path_parameters["id"] = _pick(case.path_parameters["id"], pool, always=False)
    if isinstance(case.body, dict):
        for field in ("customer", "assignee", "category"):
            if field in case.body:
                case.body[field] = _pick(case.body[field], world[field], always=positive)
        if positive and isinstance(case.body.get("members"), list):  # teams are of agents
            case.body["members"] = [
                _pick(m, world["assignee"], always=True) for m in case.body["members"]
            ]
        if positive and isinstance(case.body.get("services"), list):
            case.body["services"] = [
                _pick(s, world["category"], always=True) for s in case.body["services"]
            ]
    if positive and "cursor" in (case.query or {}):
        if case.path == "/api/v1/tickets/":
            case.query["cursor"] = world["queue cursors"][case.query.get("sort", "priority")]
        else:
            case.query["cursor"] = world["page cursor"]


# Refusals that hang on who asks or on two values together: what a schema cannot say.
REFUSED_BY_A_RULE = [
    {"name": [str(teams.NAME_TAKEN)]},  # team names are unique, whatever their case
    {"team": [NO_SUCH_TEAM]},  # a team that exists, and one the mover may see
    {"priority": [str(URGENT_IS_FOR_STAFF)]},  # urgent, from a customer
    {"customer": [str(NOT_A_CUSTOMER)]},  # staff name the customer they report for
    {"version": [VERSION_DISAGREES]},  # the body's version and If-Match
    {"end": [str(RANGE_BACKWARDS)]},  # a report's start and end
    {"start": [str(RANGE_TOO_LONG % {"days": MAX_RANGE_DAYS})]},
    # a reply that moves the ticket is public; a note or a kind of hold goes with a move
    {"then": [str(INTERNAL_DOES_NOT_MOVE)]},
    {"note": [GOES_WITH_THEN]},
    {"hold_kind": [GOES_WITH_THEN]},
    # who may follow a ticket hangs on the account behind the address
    *(
        {"email": [str(reason)]}
        for reason in (
            followers.NO_SUCH_CUSTOMER,
            followers.STAFF_SEE_ALL,
            followers.IS_THE_CUSTOMER,
            followers.DEACTIVATED,
        )
    ),
]


def refused_by_a_rule(response) -> bool:
    """Whether a 400 is a refusal by a rule above, a reason that the step needs from this
    person on this ticket (the workflow's reason_required), a note audience the step does not
    allow (note_audience_fixed), a kind of hold with a step that is no hold
    (hold_kind_invalid), or a file refused for its name or content (a schema types the body,
    not what is in a file; how many it says)."""
    if response.status_code != 400:
        return False
    body = response.json()
    errors = body.get("errors")
    too_many = str(TOO_MANY_FILES % {"count": max_files()})
    return (
        body["code"] in (ReasonRequired.code, NoteAudienceFixed.code, HoldKindInvalid.code)
        or errors in REFUSED_BY_A_RULE
        or (list(errors or {}) == ["attachments"] and errors["attachments"] != [too_many])
        # an id of a record that does not exist (an article's service): no schema can say
        or (list(errors or {}) == ["service"] and "does not exist" in errors["service"][0])
        # a rule's conditions and actions (tickets.rules), and the ticket a rule is tried on:
        # a vocabulary and ids checked by the rules, which a schema types only as objects
        or (bool(errors) and set(errors) <= {"conditions", "actions", "ticket"})
    )


def valid_data_is_accepted(ctx, response, case):
    """Schemathesis's positive_data_acceptance, except for a refusal by a rule."""
    if refused_by_a_rule(response):
        return None
    return positive_data_acceptance(ctx, response, case)


def keeps_its_schema(case, world, headers) -> None:
    """Every check schemathesis has; valid data must be accepted but for a rule's refusal."""
    steer(case, world)
    case.call_and_validate(
        headers=headers,
        excluded_checks=[positive_data_acceptance],
        additional_checks=[valid_data_is_accepted],
    )


def bearer_for(user) -> dict[str, str]:
    _token, secret = api_token_create(user=user, name="schemathesis")
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def as_customer(customer):
    return bearer_for(customer)


@pytest.fixture
def as_agent(agent):
    return bearer_for(agent)


@pytest.fixture
def as_manager(manager):
    return bearer_for(manager)


@schema.parametrize()
@fuzz_settings
def test_the_api_keeps_its_schema_for_a_customer(case, world, as_customer):
    keeps_its_schema(case, world, as_customer)


@schema.parametrize()
@fuzz_settings
def test_the_api_keeps_its_schema_for_an_agent(case, world, as_agent):
    keeps_its_schema(case, world, as_agent)


@schema.parametrize()
@fuzz_settings
def test_the_api_keeps_its_schema_for_a_manager(case, world, as_manager):
    keeps_its_schema(case, world, as_manager)
