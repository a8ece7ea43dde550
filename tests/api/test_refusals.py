"""The workflow's refusals answer with the status tickets.errors decides, the same `code`, and
the schema (and the README) say so: 409 for the ticket's state, 403 for the person, 400 for
what the step lacks."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from tickets import errors
from tickets.models import Ticket
from tickets.status import Status

from .conftest import api_url

# The decision, written out: a change here is a change of the API's contract.
DECIDED = {
    errors.WorkflowError: 409,
    errors.InvalidTransition: 409,
    errors.TicketChanged: 409,
    errors.TransitionNotAllowed: 403,
    errors.ReasonRequired: 400,
    errors.AssigneeInvalid: 400,
    errors.NoteAudienceFixed: 400,
    errors.HoldKindInvalid: 400,
}


def _workflow_errors() -> set[type[errors.WorkflowError]]:
    found, pending = set(), [errors.WorkflowError]
    while pending:
        error = pending.pop()
        found.add(error)
        pending.extend(error.__subclasses__())
    return found


def test_every_workflow_error_has_a_decided_status():
    assert _workflow_errors() == set(DECIDED)
    assert {error: error.status_code for error in DECIDED} == DECIDED


def transition(client, ticket, body):
    return client.post(api_url("ticket-transitions", ticket.pk), body, format="json")


# error → (the ticket's status, who asks, endpoint, body)
SCENARIOS = {
    errors.InvalidTransition: (Status.CLOSED, "manager", "ticket-transitions", {"to": "open"}),
    errors.TicketChanged: (
        Status.IN_PROGRESS,
        "agent",
        "ticket-transitions",
        {"action": "resolve", "note": "Fixed", "version": 1},
    ),
    errors.TransitionNotAllowed: (
        Status.IN_PROGRESS,
        "customer",
        "ticket-transitions",
        {"action": "resolve", "note": "Fixed it myself"},
    ),
    errors.ReasonRequired: (Status.IN_PROGRESS, "agent", "ticket-transitions", {"action": "hold"}),
    errors.AssigneeInvalid: (Status.OPEN, "manager", "ticket-transitions", {"to": "assigned"}),
    errors.WorkflowError: (Status.RESOLVED, "manager", "ticket-assign", {"assignee": "agent"}),
    errors.NoteAudienceFixed: (
        Status.IN_PROGRESS,
        "agent",
        "ticket-transitions",
        {"action": "resolve", "note": "Fixed", "note_public": False},
    ),
    errors.HoldKindInvalid: (
        Status.IN_PROGRESS,
        "agent",
        "ticket-transitions",
        {"action": "resolve", "note": "Fixed", "hold_kind": "third_party"},
    ),
}


@pytest.mark.parametrize("error", list(DECIDED), ids=lambda error: error.__name__)
def test_the_api_answers_each_refusal_with_its_status_and_code(error, api, make_ticket, request):
    status, who, endpoint, body = SCENARIOS[error]
    ticket = make_ticket(status)
    body = {
        key: request.getfixturevalue(value).pk if key == "assignee" else value
        for key, value in body.items()
    }
    before = Ticket.objects.values("status", "version").get(pk=ticket.pk)
    response = api(request.getfixturevalue(who)).post(
        api_url(endpoint, ticket.pk), body, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (DECIDED[error], error.code)
    assert response.json()["detail"]
    assert Ticket.objects.values("status", "version").get(pk=ticket.pk) == before


def test_the_schema_lists_each_refusal_for_the_workflow_endpoints():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path in ("transitions", "assign", "take"):
        responses = schema["paths"][f"/api/v1/tickets/{{id}}/{path}/"]["post"]["responses"]
        for error, status in DECIDED.items():
            assert f"`{error.code}`" in responses[str(status)]["description"], (path, error)
