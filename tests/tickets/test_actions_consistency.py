"""Pages and API offer the same actions, because both read workflow.available_actions.

For every role and every status, the buttons found on the rendered ticket page (the agent's
page for staff, the portal's for customers) are the API's `actions` for the same person and
ticket, in the same order, and each is drawn as the API describes it: asked for again when it
needs confirmation or a reason, red when destructive, with a required note when a reason is
required, with a choice of agent when it needs one.
"""

from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tickets.status import Status

ROLES = ["customer", "neighbour", "agent", "other_agent", "manager"]


class ActionForms(HTMLParser):
    """The forms posting to `url`: each one's action and how it is drawn."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.forms: list[dict] = []
        self.form: dict | None = None
        self.details = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "details":
            self.details += 1
        elif tag == "form" and a.get("action") == self.url:
            self.form = {"asks_first": self.details > 0, "note_required": False}
            self.form |= {"danger": False, "assignee": False}
            self.forms.append(self.form)
        elif self.form is None:
            return
        elif tag == "input" and a.get("name") == "action":
            self.form["name"] = a["value"]
        elif tag == "textarea" and a.get("name") == "note":
            self.form["note_required"] = "required" in a
        elif tag == "select" and a.get("name") == "assignee":
            self.form["assignee"] = True
        elif tag == "button" and "button-danger" in (a.get("class") or ""):
            self.form["danger"] = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "details":
            self.details -= 1
        elif tag == "form":
            self.form = None


def page_forms(user, ticket) -> list[dict] | None:
    """The action forms of the page this person sees the ticket on; None for a 404."""
    client = Client()
    client.force_login(user)
    space = "agent" if user.is_agent else "portal"
    response = client.get(reverse(f"{space}:ticket_detail", args=[ticket.pk]))
    if response.status_code == 404:
        return None
    assert response.status_code == 200
    parser = ActionForms(reverse(f"{space}:ticket_action", args=[ticket.pk]))
    parser.feed(response.content.decode())
    return parser.forms


def api_actions(user, ticket) -> list[dict] | None:
    client = APIClient()
    client.force_login(user)
    response = client.get(reverse("api:ticket-detail", args=[ticket.pk]))
    if response.status_code == 404:
        return None
    assert response.status_code == 200
    return response.json()["actions"]


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("role", ROLES)
def test_the_page_offers_what_the_api_offers(request, make_ticket, role, status):
    ticket = make_ticket(status)
    user = request.getfixturevalue(role)
    forms, actions = page_forms(user, ticket), api_actions(user, ticket)
    if role == "neighbour":
        assert forms is None and actions is None  # neither admits the ticket exists
        return
    assert [f["name"] for f in forms] == [a["name"] for a in actions]
    for form, action in zip(forms, actions, strict=True):
        drawn = {
            "asks_first": (action["confirm"] or action["reason_required"])
            and not action["assignee_required"],
            "note_required": action["reason_required"],
            "danger": action["destructive"],
            "assignee": action["assignee_required"],
        }
        assert {key: form[key] for key in drawn} == drawn, action["name"]


def test_every_role_is_offered_something_somewhere(make_ticket, customer, agent, manager):
    """The enumeration above is not vacuous: take, assign, reassign and the customer's
    confirmation all appear on some page."""
    seen = set()
    for status in Status:
        ticket = make_ticket(status)
        for user in (customer, agent, manager):
            seen |= {a["name"] for a in api_actions(user, ticket)}
    assert {"take", "assign", "reassign", "confirm", "withdraw", "close", "reopen"} <= seen
    assert {"start", "hold", "resume", "resolve", "unassign"} <= seen


def test_reassign_as_offered_works_on_the_page_and_in_the_api(make_ticket, manager, other_agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    client = Client()
    client.force_login(manager)
    response = client.post(
        reverse("agent:ticket_action", args=[ticket.pk]),
        {"action": "reassign", "version": ticket.version, "assignee": other_agent.pk},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Status.IN_PROGRESS, other_agent)

    api = APIClient()
    api.force_login(manager)
    response = api.post(
        reverse("api:ticket-transitions", args=[ticket.pk]),
        {"action": "reassign", "assignee": manager.pk},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["assignee"]["id"] == manager.pk
    assert response.json()["status"] == Status.IN_PROGRESS


def test_the_bulk_form_offers_what_the_role_may_ever_do(client, agent, manager, make_ticket):
    make_ticket(Status.OPEN)
    offered = {}
    for user in (agent, manager):
        client.force_login(user)
        page = client.get(reverse("agent:queue")).content.decode()
        select = page.split('<select name="action" id="id_action">')[1].split("</select>")[0]
        offered[user.email] = [part.split('"')[0] for part in select.split('value="')[1:]]
    # Moving to another team is no workflow step: staff may always ask (the service decides,
    # ticket by ticket, by the teams they work).
    agents = ["take", "start", "hold", "resume", "resolve", "unassign", "move_team"]
    assert offered[agent.email] == agents
    every = ["take", "assign", "start", "hold", "resume", "resolve", "unassign", "close"]
    assert offered[manager.email] == [*every, "move_team"]
