"""Two people, one ticket: a change based on an old version is refused with 409 and a reason,
never applied over someone else's work. The version travels in the body or in If-Match."""

import pytest

from tickets import services
from tickets.models import Comment, Ticket
from tickets.status import Status

from .conftest import api_url


def act(client, ticket, body, **headers):
    return client.post(api_url("ticket-transitions", ticket.pk), body, format="json", **headers)


def test_the_ticket_carries_its_version_as_an_etag(api, agent, make_ticket):
    ticket = make_ticket(Status.IN_PROGRESS)
    response = api(agent).get(api_url("ticket-detail", ticket.pk))
    assert response["ETag"] == f'"{ticket.version}"'
    assert response.json()["version"] == ticket.version


def test_a_stale_version_in_the_body_is_refused_with_409(api, agent, customer, make_ticket):
    ticket = make_ticket(Status.IN_PROGRESS)
    seen = ticket.version
    services.comment_add(ticket_id=ticket.pk, author=customer, body="One more thing…")
    response = act(api(agent), ticket, {"action": "resolve", "note": "Fixed", "version": seen})
    assert response.status_code == 409
    assert response.json()["code"] == "ticket_changed"
    assert "changed since you loaded it" in response.json()["detail"]
    assert Ticket.objects.get(pk=ticket.pk).status == Status.IN_PROGRESS


def test_a_stale_if_match_is_refused_and_a_fresh_one_accepted(api, agent, customer, make_ticket):
    ticket = make_ticket(Status.IN_PROGRESS)
    client = api(agent)
    etag = client.get(api_url("ticket-detail", ticket.pk))["ETag"]
    services.comment_add(ticket_id=ticket.pk, author=customer, body="One more thing…")
    stale = act(client, ticket, {"action": "hold", "note": "Which OS?"}, HTTP_IF_MATCH=etag)
    assert stale.status_code == 409 and stale.json()["code"] == "ticket_changed"
    fresh = client.get(api_url("ticket-detail", ticket.pk))["ETag"]
    done = act(client, ticket, {"action": "hold", "note": "Which OS?"}, HTTP_IF_MATCH=fresh)
    assert done.status_code == 200
    assert done["ETag"] == f'"{done.json()["version"]}"' != fresh
    assert done.json()["status"] == "on_hold"


@pytest.mark.parametrize("header", ['W/"{v}"', "{v}", "*"])
def test_if_match_accepts_weak_bare_and_any(header, api, agent, make_ticket):
    ticket = make_ticket(Status.IN_PROGRESS)
    response = act(
        api(agent),
        ticket,
        {"action": "hold", "note": "Which OS?"},
        HTTP_IF_MATCH=header.format(v=ticket.version),
    )
    assert response.status_code == 200


def test_if_match_and_body_version_must_agree(api, agent, make_ticket):
    ticket = make_ticket(Status.IN_PROGRESS)
    response = act(
        api(agent),
        ticket,
        {"action": "hold", "note": "?", "version": ticket.version},
        HTTP_IF_MATCH=f'"{ticket.version + 1}"',
    )
    assert response.status_code == 400 and list(response.json()["errors"]) == ["version"]
    for bad in ("yesterday", "", "  "):
        garbage = act(api(agent), ticket, {"action": "hold", "note": "?"}, HTTP_IF_MATCH=bad)
        assert garbage.status_code == 400 and list(garbage.json()["errors"]) == ["If-Match"]


def test_two_agents_take_the_same_ticket_one_wins(api, agent, other_agent, make_ticket):
    ticket = make_ticket(Status.OPEN)
    first = api(agent).post(
        api_url("ticket-take", ticket.pk), {"version": ticket.version}, format="json"
    )
    second = api(other_agent).post(
        api_url("ticket-take", ticket.pk), {"version": ticket.version}, format="json"
    )
    assert first.status_code == 200 and second.status_code == 409
    assert second.json()["code"] == "ticket_changed"
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert list(ticket.history.values_list("to_status", flat=True)) == ["open", "assigned"]


def test_taking_without_a_version_still_reports_the_race(api, agent, other_agent, make_ticket):
    ticket = make_ticket(Status.OPEN)
    services.ticket_take(ticket_id=ticket.pk, agent=other_agent)
    response = api(agent).post(api_url("ticket-take", ticket.pk), {}, format="json")
    assert response.status_code == 409
    assert "already taken" in response.json()["detail"]


def test_a_stale_reply_is_refused_and_not_saved(api, agent, customer, make_ticket):
    ticket = make_ticket(Status.IN_PROGRESS)
    seen = ticket.version
    services.comment_add(ticket_id=ticket.pk, author=customer, body="Oh, and also…")
    response = api(agent).post(
        api_url("ticket-comments", ticket.pk),
        {"body": "Fixed it for you", "version": seen},
        format="json",
    )
    assert response.status_code == 409
    assert not Comment.objects.filter(body="Fixed it for you").exists()


def test_what_the_workflow_forbids_comes_back_with_the_reason(api, agent, manager, make_ticket):
    closed = make_ticket(Status.CLOSED)
    response = act(api(manager), closed, {"to": "in_progress"})
    assert response.status_code == 409
    assert response.json() == {
        "code": "invalid_transition",
        "detail": "A ticket that is closed cannot become in progress.",
    }
    worked = make_ticket(Status.IN_PROGRESS)
    no_reason = act(api(agent), worked, {"action": "resolve", "note": "  "})
    assert no_reason.status_code == 400
    assert no_reason.json()["code"] == "reason_required"
    assert "note" in no_reason.json()["errors"]


def test_start_does_not_resume_a_ticket_on_hold(api, agent, make_ticket):
    ticket = make_ticket(Status.ON_HOLD)
    response = act(api(agent), ticket, {"action": "start"})
    assert response.status_code == 403 and response.json()["code"] == "not_allowed"
    assert Ticket.objects.get(pk=ticket.pk).status == Status.ON_HOLD
    assert act(api(agent), ticket, {"action": "resume"}).status_code == 200
