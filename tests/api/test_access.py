"""Who may read and do what through the API: every persona against every endpoint.

The answers must be the pages' answers: another customer's ticket or file is 404 (its
existence is not confirmed), internal notes never reach customers, the workflow's refusals
come back with their reasons.
"""

import pytest

from tickets.models import Comment, Ticket
from tickets.status import Status

from .conftest import api_url, client_for, upload

PERSONAS = ["customer", "neighbour", "agent", "other_agent", "manager", "anonymous"]


@pytest.fixture
def people(customer, neighbour, agent, other_agent, manager):
    return {
        "customer": customer,
        "neighbour": neighbour,
        "agent": agent,
        "other_agent": other_agent,
        "manager": manager,
        "anonymous": None,
    }


def as_(people, persona):
    return client_for(people[persona])


# --- Reading ------------------------------------------------------------------------------

READS = {
    # endpoint: expected status for customer, neighbour, agent, other_agent, manager, anonymous
    "ticket-detail": [200, 404, 200, 200, 200, 401],
    "ticket-comments": [200, 404, 200, 200, 200, 401],
    "ticket-attachments": [200, 404, 200, 200, 200, 401],
    "ticket-transitions": [200, 404, 200, 200, 200, 401],
}


@pytest.mark.parametrize("endpoint", READS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_reading_a_ticket_and_its_parts(endpoint, persona, people, worked_ticket):
    response = as_(people, persona).get(api_url(endpoint, worked_ticket.pk))
    expected = READS[endpoint][PERSONAS.index(persona)]
    assert response.status_code == expected, response.content
    if expected != 200:
        assert response.json()["code"] in {"not_found", "not_authenticated"}


@pytest.mark.parametrize(
    ("persona", "public", "internal"),
    [
        ("customer", 200, 404),
        ("neighbour", 404, 404),
        ("agent", 200, 200),
        ("other_agent", 200, 200),
        ("manager", 200, 200),
        ("anonymous", 401, 401),
    ],
)
def test_files_are_served_to_those_who_may_see_them(
    persona, public, internal, people, worked_ticket
):
    client = as_(people, persona)
    for file, expected in [
        (worked_ticket.public_file, public),
        (worked_ticket.internal_file, internal),
    ]:
        assert client.get(api_url("attachment-detail", file.pk)).status_code == expected
        response = client.get(api_url("attachment-download", file.pk))
        assert response.status_code == expected
        if expected == 200:
            assert response["Content-Disposition"].startswith("attachment;")
            assert response["Content-Type"] == "application/octet-stream"
            assert response["X-Content-Type-Options"] == "nosniff"
            assert b"".join(response.streaming_content) == file.file.open("rb").read()


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_ticket_list_shows_each_persona_their_own(
    persona, people, worked_ticket, make_ticket, neighbour
):
    theirs = make_ticket(customer=neighbour)
    response = as_(people, persona).get(api_url("ticket-list"))
    if persona == "anonymous":
        assert response.status_code == 401
        return
    ids = {row["id"] for row in response.json()["results"]}
    expected = {
        "customer": {worked_ticket.pk},
        "neighbour": {theirs.pk},
    }.get(persona, {worked_ticket.pk, theirs.pk})
    assert ids == expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_me_and_categories_need_only_a_sign_in(persona, people, category):
    client = as_(people, persona)
    expected = 401 if persona == "anonymous" else 200
    me = client.get(api_url("me"))
    assert me.status_code == expected
    assert client.get(api_url("category-list")).status_code == expected
    if expected == 200:
        assert me.json()["email"] == people[persona].email


def test_customers_never_see_internal_notes_or_their_files(api, customer, worked_ticket):
    client = api(customer)
    comments = client.get(api_url("ticket-comments", worked_ticket.pk)).json()["results"]
    assert [c["body"] for c in comments] == ["Here is the error I get."]
    assert all(not c["internal"] for c in comments)
    files = client.get(api_url("ticket-attachments", worked_ticket.pk)).json()["results"]
    assert [f["name"] for f in files] == ["error.png"]
    detail = client.get(api_url("ticket-detail", worked_ticket.pk)).content.decode()
    assert "certificate expired" not in detail


def test_staff_see_internal_notes_marked_as_such(api, agent, worked_ticket):
    comments = api(agent).get(api_url("ticket-comments", worked_ticket.pk)).json()["results"]
    assert [(c["body"][:10], c["internal"]) for c in comments] == [
        ("Here is th", False),
        ("Looks like", True),
    ]


def test_an_unknown_ticket_and_someone_elses_answer_the_same(api, neighbour, worked_ticket):
    client = api(neighbour)
    hidden = client.get(api_url("ticket-detail", worked_ticket.pk))
    missing = client.get(api_url("ticket-detail", 987654))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


# --- Doing --------------------------------------------------------------------------------

WRITES = {
    # name: (status the ticket starts in, endpoint, body, expected per persona)
    "public reply": (
        Status.IN_PROGRESS,
        "ticket-comments",
        {"body": "Any news?"},
        [201, 404, 201, 201, 201, 401],
    ),
    "internal note": (
        Status.IN_PROGRESS,
        "ticket-comments",
        {"body": "Checked the logs.", "internal": True},
        [403, 404, 201, 201, 201, 401],
    ),
    "put on hold (assignee or manager)": (
        Status.IN_PROGRESS,
        "ticket-transitions",
        {"action": "hold", "note": "Which client version?"},
        [403, 404, 200, 403, 200, 401],
    ),
    "resolve by target status": (
        Status.IN_PROGRESS,
        "ticket-transitions",
        {"to": "resolved", "note": "Patched."},
        [403, 404, 200, 403, 200, 401],
    ),
    "withdraw (the customer)": (
        Status.OPEN,
        "ticket-transitions",
        {"action": "withdraw", "note": "Works again."},
        [200, 404, 403, 403, 403, 401],
    ),
    "confirm the fix (the customer)": (
        Status.RESOLVED,
        "ticket-transitions",
        {"action": "confirm"},
        [200, 404, 403, 403, 403, 401],
    ),
    "close (a manager)": (
        Status.RESOLVED,
        "ticket-transitions",
        {"action": "close"},
        [403, 404, 403, 403, 200, 401],
    ),
    "take": (Status.OPEN, "ticket-take", {}, [403, 404, 200, 200, 200, 401]),
}


@pytest.mark.parametrize("name", WRITES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_doing_things_to_a_ticket(name, persona, people, make_ticket):
    start, endpoint, body, expectations = WRITES[name]
    ticket = make_ticket(start)
    response = as_(people, persona).post(api_url(endpoint, ticket.pk), body, format="json")
    expected = expectations[PERSONAS.index(persona)]
    assert response.status_code == expected, response.content
    fresh = Ticket.objects.get(pk=ticket.pk)
    if expected >= 400:
        assert fresh.version == ticket.version  # nothing changed
        assert set(response.json()) >= {"code", "detail"}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("customer", 403),
        ("neighbour", 404),
        ("agent", 403),  # agents take for themselves only
        ("other_agent", 200),  # assigning oneself is taking
        ("manager", 200),
        ("anonymous", 401),
    ],
)
def test_assigning_an_open_ticket_to_bo(persona, expected, people, make_ticket, other_agent):
    ticket = make_ticket(Status.OPEN)
    response = as_(people, persona).post(
        api_url("ticket-assign", ticket.pk), {"assignee": other_agent.pk}, format="json"
    )
    assert response.status_code == expected, response.content
    assigned = Ticket.objects.get(pk=ticket.pk).assignee
    assert assigned == (other_agent if expected == 200 else None)


def test_only_a_manager_reassigns_a_worked_ticket(api, agent, manager, other_agent, make_ticket):
    ticket = make_ticket(Status.IN_PROGRESS)
    body = {"assignee": other_agent.pk, "note": "Bo knows VPNs"}
    refused = api(agent).post(api_url("ticket-assign", ticket.pk), body, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "not_permitted"
    done = api(manager).post(api_url("ticket-assign", ticket.pk), body, format="json")
    assert done.status_code == 200
    assert done.json()["assignee"]["id"] == other_agent.pk
    assert done.json()["status"] == "in_progress"


@pytest.mark.parametrize(
    ("persona", "with_customer", "expected"),
    [
        ("customer", False, 201),
        ("neighbour", True, 403),  # reporting for someone else
        ("agent", False, 400),  # staff report for a customer
        ("agent", True, 201),
        ("manager", True, 201),
        ("anonymous", False, 401),
    ],
)
def test_reporting_a_problem(persona, with_customer, expected, people, customer, category):
    body = {"subject": "Printer jams", "description": "Every page.", "category": category.pk}
    if with_customer:
        body["customer"] = customer.pk
    response = as_(people, persona).post(api_url("ticket-list"), body, format="json")
    assert response.status_code == expected, response.content
    if expected == 201:
        ticket = Ticket.objects.get()
        assert ticket.customer == customer and ticket.status == Status.OPEN
        assert response["Location"].endswith(api_url("ticket-detail", ticket.pk))
        assert response.json()["reference"] == ticket.reference
    else:
        assert not Ticket.objects.exists()


def test_a_customer_cannot_set_urgent_but_staff_can(api, customer, agent):
    body = {"subject": "Down", "description": "All of it.", "priority": "urgent"}
    refused = api(customer).post(api_url("ticket-list"), body, format="json")
    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["priority"]
    done = api(agent).post(api_url("ticket-list"), {**body, "customer": customer.pk}, format="json")
    assert done.status_code == 201 and done.json()["priority"] == "urgent"


def test_replies_on_a_closed_ticket_are_refused(api, customer, make_ticket):
    ticket = make_ticket(Status.CLOSED)
    response = api(customer).post(
        api_url("ticket-comments", ticket.pk), {"body": "Hi"}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "ticket_closed"
    assert not Comment.objects.exists()


def test_a_customer_reply_resumes_a_ticket_on_hold(api, customer, make_ticket):
    ticket = make_ticket(Status.ON_HOLD)
    response = api(customer).post(
        api_url("ticket-comments", ticket.pk), {"body": "Version 5.1"}, format="json"
    )
    assert response.status_code == 201
    assert Ticket.objects.get(pk=ticket.pk).status == Status.IN_PROGRESS


def test_files_uploaded_with_a_reply_follow_the_same_rules(api, customer, agent, make_ticket):
    ticket = make_ticket(Status.IN_PROGRESS)
    response = api(customer).post(
        api_url("ticket-comments", ticket.pk),
        {"body": "Screenshot attached", "attachments": [upload("a.png"), upload("b.png")]},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    names = [f["name"] for f in response.json()["attachments"]]
    assert names == ["a.png", "b.png"]
    refused = api(customer).post(
        api_url("ticket-comments", ticket.pk),
        {"body": "A program", "attachments": [upload("tool.exe")]},
        format="multipart",
    )
    assert refused.status_code == 400
    assert "not a file type we accept" in refused.json()["errors"]["attachments"][0]


def test_a_new_ticket_may_carry_files(api, customer):
    response = api(customer).post(
        api_url("ticket-list"),
        {"subject": "VPN", "description": "See log", "attachments": [upload("vpn.log", b"x")]},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    files = api(customer).get(api_url("ticket-attachments", response.json()["id"])).json()
    assert [f["name"] for f in files["results"]] == ["vpn.log"]


def test_the_actions_offered_are_the_workflows(api, agent, other_agent, customer, make_ticket):
    ticket = make_ticket(Status.IN_PROGRESS)
    names = lambda user: [  # noqa: E731
        a["name"] for a in api(user).get(api_url("ticket-transitions", ticket.pk)).json()
    ]
    assert names(agent) == ["hold", "resolve"]
    assert names(other_agent) == []
    assert names(customer) == ["withdraw"]
    detail = api(agent).get(api_url("ticket-detail", ticket.pk)).json()
    assert [a["name"] for a in detail["actions"]] == ["hold", "resolve"]
    assert detail["actions"][1] == {
        "name": "resolve",
        "label": "Resolve",
        "target": "resolved",
        "reason_required": True,
        "note_label": "Resolution",
        "note_for_customer": True,
        "note_audience": "customer",
        "note_audience_choosable": False,
        "confirm": True,
        "destructive": False,
        "assignee_required": False,
    }


# --- Teams, agents' capacity and availability, moving a ticket between teams --------------

ROUTING_READS = {
    # endpoint: expected status for customer, neighbour, agent, other_agent, manager, anonymous
    "team-list": [404, 404, 200, 200, 200, 401],
    "agent-list": [404, 404, 404, 404, 200, 401],
}


@pytest.mark.parametrize("endpoint", ROUTING_READS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_reading_teams_and_agents_loads(endpoint, persona, people):
    response = as_(people, persona).get(api_url(endpoint))
    assert response.status_code == ROUTING_READS[endpoint][PERSONAS.index(persona)]


@pytest.mark.parametrize(
    ("persona", "expected"),
    list(zip(PERSONAS, [404, 404, 404, 404, 200, 401], strict=True)),
)
def test_only_a_manager_reads_and_sets_an_agents_capacity(persona, expected, people, agent):
    client = as_(people, persona)
    assert client.get(api_url("agent-detail", agent.pk)).status_code == expected
    response = client.patch(api_url("agent-detail", agent.pk), {"capacity": 3}, format="json")
    assert response.status_code == expected
    agent.refresh_from_db()
    assert agent.capacity == (3 if expected == 200 else None)


@pytest.mark.parametrize(
    ("persona", "expected"),
    list(zip(PERSONAS, [403, 403, 200, 200, 200, 401], strict=True)),
)
def test_staff_set_their_own_availability(persona, expected, people):
    response = as_(people, persona).put(
        api_url("me-availability"), {"availability": "away"}, format="json"
    )
    assert response.status_code == expected, response.content
    if expected == 200:
        assert response.json()["availability"] == "away"


@pytest.mark.parametrize(
    ("persona", "expected"),
    list(zip(PERSONAS, [403, 404, 200, 200, 200, 401], strict=True)),
)
def test_staff_move_a_ticket_between_teams(persona, expected, people, make_ticket, manager):
    from tickets import teams

    team = teams.team_save(
        by=manager, name="Network", members=[], strategy="off", default_capacity=5, restricted=False
    )
    ticket = make_ticket(Status.OPEN)
    response = as_(people, persona).post(
        api_url("ticket-team", ticket.pk), {"team": team.pk, "note": "VPN"}, format="json"
    )
    assert response.status_code == expected, response.content
    moved = Ticket.objects.get(pk=ticket.pk).team_id
    assert moved == (team.pk if expected == 200 else None)
