"""The API's combined move: a reply with `then` takes, starts, replies and resolves (or holds)
in one request; the hold kind in the transition body and the ticket."""

import pytest

from tickets.models import Comment, Notification
from tickets.status import HoldKind, Status

from .conftest import api_url

pytestmark = pytest.mark.django_db


def test_a_reply_with_then_resolves_an_unassigned_ticket_in_one_request(
    api, make_ticket, agent, customer
):
    ticket = make_ticket(Status.OPEN)

    response = api(agent).post(
        api_url("ticket-comments", ticket.pk),
        {"body": "Fixed: reconnect.", "then": "resolved", "version": ticket.version},
        format="json",
    )

    assert response.status_code == 201, response.json()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Status.RESOLVED, agent)
    assert ticket.history.count() == 4
    events = Notification.objects.filter(ticket=ticket, recipient=customer)
    assert sorted(events.values_list("event", flat=True)) == ["received", "resolved"]


def test_a_reply_without_then_changes_no_status(api, make_ticket, agent):
    ticket = make_ticket(Status.OPEN)

    api(agent).post(api_url("ticket-comments", ticket.pk), {"body": "Looking"}, format="json")

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_a_customer_cannot_move_with_a_reply(api, make_ticket, customer):
    ticket = make_ticket(Status.RESOLVED)

    response = api(customer).post(
        api_url("ticket-comments", ticket.pk), {"body": "Ok", "then": "closed"}, format="json"
    )

    assert (response.status_code, response.json()["code"]) == (403, "not_permitted")
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_a_refused_step_is_named_and_nothing_written(api, make_ticket, other_agent):
    ticket = make_ticket(Status.IN_PROGRESS)  # Alex's

    response = api(other_agent).post(
        api_url("ticket-comments", ticket.pk),
        {"body": "Done", "then": "on_hold", "hold_kind": "third_party"},
        format="json",
    )

    assert (response.status_code, response.json()["code"]) == (403, "not_allowed")
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_a_note_without_then_is_refused(api, make_ticket, agent):
    ticket = make_ticket(Status.IN_PROGRESS)

    response = api(agent).post(
        api_url("ticket-comments", ticket.pk), {"body": "Hi", "note": "x"}, format="json"
    )

    assert response.status_code == 400
    assert "note" in response.json()["errors"]


def test_the_transition_body_takes_the_hold_kind_and_the_ticket_shows_it(api, make_ticket, agent):
    ticket = make_ticket(Status.IN_PROGRESS)

    response = api(agent).post(
        api_url("ticket-transitions", ticket.pk),
        {"action": "hold", "note": "Vendor", "hold_kind": "third_party"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["hold_kind"] == HoldKind.THIRD_PARTY
    assert ticket.history.last().hold_kind == HoldKind.THIRD_PARTY


def test_a_ticket_not_on_hold_has_no_hold_kind(api, make_ticket, agent):
    ticket = make_ticket(Status.IN_PROGRESS)

    assert api(agent).get(api_url("ticket-detail", ticket.pk)).json()["hold_kind"] is None
