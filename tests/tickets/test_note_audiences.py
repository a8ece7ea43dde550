"""Every note written with a status change has an audience: the customer reads only the notes
meant for them, on every road (their pages, the API, e-mails, CSVs); staff read all of them,
labelled where they are staff-only."""

import json
from dataclasses import dataclass

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tickets import workflow
from tickets.models import StatusHistory
from tickets.status import Status
from tickets.workflow import ACTIONS, Actor

CUSTOMER_READS, STAFF_ONLY = True, False


@dataclass(frozen=True)
class Case:
    action: str
    source: Status
    who: str  # customer, agent (the assignee) or manager
    via: str  # api, bulk (the queue's bulk form) or page (the ticket page's action form)
    note_public: bool | None  # the writer's choice; None: the action's own audience
    customer_reads: bool

    def __str__(self) -> str:
        return f"{self.action}-by-{self.who}-via-{self.via}-{self.note_public}"


def _staff_choice(action, source, who, vias):
    """A staff step whose note is for staff unless the writer marks it public."""
    return [
        Case(action, source, who, via, choice, reads)
        for via in vias
        for choice, reads in [(None, STAFF_ONLY), (True, CUSTOMER_READS)]
    ]


S = Status
CASES = [
    *_staff_choice("take", S.OPEN, "agent", ["api", "bulk"]),
    *_staff_choice("assign", S.OPEN, "manager", ["api", "bulk"]),
    *_staff_choice("unassign", S.ASSIGNED, "agent", ["api", "bulk"]),
    *_staff_choice("start", S.ASSIGNED, "agent", ["api", "bulk"]),
    *_staff_choice("resume", S.ON_HOLD, "agent", ["api", "bulk"]),
    *_staff_choice("reopen", S.RESOLVED, "agent", ["api"]),
    # What the customer is told: always theirs to read.
    Case("hold", S.IN_PROGRESS, "agent", "api", None, CUSTOMER_READS),
    Case("hold", S.IN_PROGRESS, "agent", "bulk", None, CUSTOMER_READS),
    Case("hold", S.IN_PROGRESS, "agent", "page", True, CUSTOMER_READS),
    Case("resolve", S.IN_PROGRESS, "agent", "api", None, CUSTOMER_READS),
    Case("resolve", S.IN_PROGRESS, "agent", "bulk", None, CUSTOMER_READS),
    Case("resolve", S.IN_PROGRESS, "agent", "page", None, CUSTOMER_READS),
    # Why the help desk closed a ticket before it was resolved.
    Case("close", S.IN_PROGRESS, "manager", "api", None, CUSTOMER_READS),
    Case("close", S.IN_PROGRESS, "manager", "bulk", None, CUSTOMER_READS),
    Case("close", S.IN_PROGRESS, "manager", "page", None, CUSTOMER_READS),
    # The customer's own words.
    Case("reopen", S.RESOLVED, "customer", "api", None, CUSTOMER_READS),
    Case("reopen", S.RESOLVED, "customer", "page", None, CUSTOMER_READS),
    Case("withdraw", S.OPEN, "customer", "api", True, CUSTOMER_READS),
    Case("withdraw", S.ASSIGNED, "customer", "page", None, CUSTOMER_READS),
    Case("confirm", S.RESOLVED, "customer", "api", None, CUSTOMER_READS),
    # A reassignment's note stays with staff: the customer never sees the record.
    Case("reassign", S.IN_PROGRESS, "manager", "api", None, STAFF_ONLY),
    Case("reassign", S.IN_PROGRESS, "manager", "page", None, STAFF_ONLY),
]


def signed_in(client_class, user):
    client = client_class()
    client.force_login(user)
    return client


def perform(case, ticket, actor, marker, other_agent):
    """Do the case's action as a person would, on the road the case names."""
    note_public = {} if case.note_public is None else {"note_public": case.note_public}
    assignee = {"assignee": other_agent.pk} if case.action in ("assign", "reassign") else {}
    if case.via == "api":
        response = signed_in(APIClient, actor).post(
            reverse("api:ticket-transitions", args=[ticket.pk]),
            {"action": case.action, "note": marker, **note_public, **assignee},
            format="json",
        )
    else:
        ticked = {"note_public": "on"} if case.note_public else {}
        if case.via == "bulk":
            url, data = reverse("agent:bulk"), {"tickets": [ticket.pk]}
        else:
            area = "portal" if case.who == "customer" else "agent"
            url = reverse(f"{area}:ticket_action", args=[ticket.pk])
            data = {"version": ticket.version}
        data.update(action=case.action, note=marker, **ticked, **assignee)
        response = signed_in(Client, actor).post(url, data)
    assert response.status_code in (200, 302), response.content[:500]


def what_the_customer_sees(customer, ticket) -> str:
    """Every page, API answer and e-mail of the customer's that could carry a note."""
    pages = signed_in(Client, customer)
    api = signed_in(APIClient, customer)
    texts = [
        pages.get(reverse("portal:ticket_detail", args=[ticket.pk])).content.decode(),
        pages.get(reverse("portal:ticket_list") + "?show=all").content.decode(),
    ]
    for name in ["ticket-detail", "ticket-transitions", "ticket-comments", "ticket-attachments"]:
        response = api.get(reverse(f"api:{name}", args=[ticket.pk]))
        assert response.status_code == 200
        texts.append(json.dumps(response.json(), ensure_ascii=False))
    texts.append(json.dumps(api.get(reverse("api:ticket-list") + "?view=all").json()))
    for message in mail.outbox:
        if customer.email in message.to:
            texts += [message.subject, message.body, *(alt for alt, _t in message.alternatives)]
    return "\n".join(texts)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_customer_reads_only_the_notes_meant_for_them(
    case,
    make_ticket,
    customer,
    agent,
    other_agent,
    manager,
    client,
    django_capture_on_commit_callbacks,
):
    ticket = make_ticket(case.source)
    actor = {"customer": customer, "agent": agent, "manager": manager}[case.who]
    marker = f"MARKER-{case}-7f3a"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        perform(case, ticket, actor, marker, other_agent)

    seen = what_the_customer_sees(customer, ticket)
    if case.customer_reads:
        assert marker in seen
        if case.action in ("hold", "resolve"):  # the steps that e-mail the customer
            [told] = [m for m in mail.outbox if customer.email in m.to]
            assert marker in told.body and marker in told.alternatives[0][0]
    else:
        assert marker not in seen
        assert marker.lower() not in seen.lower()

    # Staff read every note, and the staff-only ones say so.
    staff_page = client
    staff_page.force_login(manager)
    html = staff_page.get(reverse("agent:ticket_detail", args=[ticket.pk])).content.decode()
    assert marker in html
    labelled = f"(staff only)</span> {marker}" in html
    assert labelled == (not case.customer_reads)

    # The report's CSVs carry no notes at all, and no customer may download them.
    csv = staff_page.get(reverse("reports:tickets_csv"))
    csv = b"".join(csv.streaming_content).decode()
    assert ticket.reference in csv and marker not in csv
    client.force_login(customer)
    assert client.get(reverse("reports:tickets_csv")).status_code == 404
    assert client.get(reverse("reports:summary_csv")).status_code == 404


def test_every_action_with_a_note_is_walked():
    """A new action joins CASES, and with it the walk above."""
    walked = {case.action for case in CASES}
    # the system's words, no one's note
    assert set(ACTIONS) - walked == {"auto_close", "auto_assign", "auto_resolve"}


# --- The rule ------------------------------------------------------------------------------

# action → (the customer reads staff's note, staff may mark a staff note public)
RULE = {
    "take": (False, True),
    "assign": (False, True),
    "reassign": (False, False),
    "start": (False, True),
    "hold": (True, False),
    "resume": (False, True),
    "resolve": (True, False),
    "unassign": (False, True),
    "close": (True, False),
    "reopen": (False, True),
    "confirm": (True, False),
    "withdraw": (True, False),
    "auto_close": (True, False),
    "auto_resolve": (True, False),
}


@pytest.mark.parametrize("name", sorted(RULE))
def test_each_action_has_its_audience_in_the_workflow_table(name):
    public, choosable = RULE[name]
    staff = workflow.note_audience(spec=ACTIONS[name], actor=Actor.ASSIGNEE)
    assert (staff.public, staff.choosable) == (public, choosable)
    # A customer's own words are read by both sides, and theirs is no choice to make.
    mine = workflow.note_audience(spec=ACTIONS[name], actor=Actor.CUSTOMER)
    assert (mine.public, mine.choosable) == (True, False)
    # The system chooses nothing.
    assert not workflow.note_audience(spec=ACTIONS[name], actor=Actor.SYSTEM).choosable


def api_post(user, ticket, name, data):
    return signed_in(APIClient, user).post(
        reverse(f"api:{name}", args=[ticket.pk]), data, format="json"
    )


@pytest.mark.parametrize(
    ("status", "who", "data"),
    [
        # Staff cannot hide what the customer must be told …
        (S.IN_PROGRESS, "agent", {"action": "resolve", "note": "Fixed", "note_public": False}),
        (S.IN_PROGRESS, "agent", {"action": "hold", "note": "Log?", "note_public": False}),
        # … a customer's words are never staff-only …
        (S.RESOLVED, "customer", {"action": "reopen", "note": "Still", "note_public": False}),
        (S.OPEN, "customer", {"to": "closed", "note": "Gone", "note_public": False}),
        # … and a reassignment's note never reaches the customer.
        (
            S.IN_PROGRESS,
            "manager",
            {"action": "reassign", "assignee": "other", "note": "x", "note_public": True},
        ),
    ],
)
def test_an_audience_the_action_does_not_allow_is_refused_and_nothing_is_written(
    status, who, data, make_ticket, customer, agent, manager, other_agent
):
    ticket = make_ticket(status)
    before = (StatusHistory.objects.count(), ticket.version)
    if data.get("assignee") == "other":
        data = {**data, "assignee": other_agent.pk}
    actor = {"customer": customer, "agent": agent, "manager": manager}[who]
    response = api_post(actor, ticket, "ticket-transitions", data)
    assert response.status_code == 400
    assert response.json()["code"] == "note_audience_fixed"
    ticket.refresh_from_db()
    assert (StatusHistory.objects.count(), ticket.version) == before


def test_assign_and_take_endpoints_take_the_choice_too(make_ticket, agent, manager, other_agent):
    taken = make_ticket()
    response = api_post(agent, taken, "ticket-take", {"note": "Mine now", "note_public": True})
    assert response.status_code == 200
    assert taken.history.last().note_public is True
    assigned = make_ticket()
    response = api_post(
        manager, assigned, "ticket-assign", {"assignee": other_agent.pk, "note": "VIP"}
    )
    assert response.status_code == 200
    last = assigned.history.last()
    assert (last.note, last.note_public) == ("VIP", False)
    response = api_post(
        manager, assigned, "ticket-assign", {"assignee": agent.pk, "note_public": True}
    )
    assert response.json()["code"] == "note_audience_fixed"  # a reassignment


def test_the_api_says_who_reads_each_actions_note(make_ticket, agent, customer):
    ticket = make_ticket(S.IN_PROGRESS)
    actions = {
        a["name"]: a
        for a in signed_in(APIClient, agent)
        .get(reverse("api:ticket-transitions", args=[ticket.pk]))
        .json()
    }
    assert actions["resolve"]["note_audience"] == "customer"
    assert actions["resolve"]["note_audience_choosable"] is False
    assert actions["hold"]["note_for_customer"] is True
    ticket = make_ticket(S.RESOLVED)
    mine = signed_in(APIClient, customer).get(reverse("api:ticket-detail", args=[ticket.pk]))
    reopen = next(a for a in mine.json()["actions"] if a["name"] == "reopen")
    assert (reopen["note_audience"], reopen["note_audience_choosable"]) == ("customer", False)


def test_the_schema_documents_the_choice_on_every_endpoint_with_a_note(agent):
    spec = signed_in(APIClient, agent).get(reverse("api:schema") + "?format=json").json()
    bodies = spec["components"]["schemas"]
    # The transition body is one of three forms (oneOf); each takes the note's audience.
    forms = [bodies["AssignRequest"], bodies["TakeRequest"]] + [
        bodies[form["$ref"].rsplit("/", 1)[-1]] for form in bodies["TransitionRequest"]["oneOf"]
    ]
    assert len(forms) == 5
    for form in forms:
        field = form["properties"]["note_public"]
        assert field["type"] == "boolean"
        assert "note_audience" in field["description"]
    audience = bodies["Action"]["properties"]["note_audience"]
    ref = audience.get("$ref") or audience["allOf"][0]["$ref"]
    audience = bodies[ref.rsplit("/", 1)[-1]]
    assert audience["enum"] == ["customer", "staff"]


# --- The forms say it --------------------------------------------------------------------


def test_the_ticket_page_says_beside_each_note_who_reads_it(client, make_ticket, manager):
    ticket = make_ticket(S.IN_PROGRESS)
    client.force_login(manager)
    html = client.get(reverse("agent:ticket_detail", args=[ticket.pk])).content.decode()
    resolve = html[html.index('for="note-resolve"') :][:400]
    assert "(the customer reads this)" in resolve and 'name="note_public"' not in resolve
    close = html[html.index('for="note-close"') :][:600]
    assert "(the customer reads this)" in close and 'name="note_public"' not in close


def test_the_customers_page_says_the_help_desk_reads_their_reason(client, make_ticket, customer):
    ticket = make_ticket(S.RESOLVED)
    client.force_login(customer)
    html = client.get(reverse("portal:ticket_detail", args=[ticket.pk])).content.decode()
    reopen = html[html.index('for="note-reopen"') :][:400]
    assert "(the help desk reads this)" in reopen and "note_public" not in reopen


def test_the_bulk_form_says_who_reads_each_actions_note(client, make_ticket, manager):
    make_ticket()
    client.force_login(manager)
    html = client.get(reverse("agent:queue") + "?view=all").content.decode()
    hint = html[html.index('id="bulk-note-audience"') :]
    hint = hint[: hint.index("</p>")]
    for label in ["Put on hold", "Resolve", "Close"]:
        assert f"{label}: the customer" in hint
    for label in ["Assign to me", "Start work", "Resume", "Unassign"]:
        assert f"{label}: staff only" in hint
    assert 'name="note_public"' in html
