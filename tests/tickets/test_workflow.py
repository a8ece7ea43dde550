"""Every (from, to, who) combination of the workflow table in the README ("The workflow").

The expectations are written out here again, from the README, independently of
tickets/workflow.py: if the code's table drifts from the documented one, these tests say so.
"""

import itertools

import pytest

from tickets import services, workflow
from tickets.errors import (
    AssigneeInvalid,
    InvalidTransition,
    ReasonRequired,
    TicketChanged,
    TransitionNotAllowed,
)
from tickets.models import StatusHistory, Ticket
from tickets.status import Status

S = Status
ROLES = ["customer", "neighbour", "assignee", "other_agent", "manager", "system"]

# The README, "The workflow": (from, to) → who may. "assignee" on an open ticket means an
# agent taking it for themselves (there is no assignee yet).
README_TABLE = {
    (S.OPEN, S.ASSIGNED): {"assignee", "other_agent", "manager", "system"},
    (S.ASSIGNED, S.OPEN): {"assignee", "manager"},
    (S.ASSIGNED, S.IN_PROGRESS): {"assignee", "manager"},
    (S.IN_PROGRESS, S.ON_HOLD): {"assignee", "manager"},
    (S.ON_HOLD, S.IN_PROGRESS): {"assignee", "manager", "system"},
    (S.IN_PROGRESS, S.RESOLVED): {"assignee", "manager", "system"},
    (S.ON_HOLD, S.RESOLVED): {"assignee", "manager", "system"},
    (S.RESOLVED, S.CLOSED): {"customer", "manager", "system"},
    (S.RESOLVED, S.IN_PROGRESS): {"customer", "assignee", "manager", "system"},
    (S.OPEN, S.CLOSED): {"customer", "manager"},
    (S.ASSIGNED, S.CLOSED): {"customer", "manager"},
    (S.IN_PROGRESS, S.CLOSED): {"customer", "manager"},
    (S.ON_HOLD, S.CLOSED): {"customer", "manager"},
}
# Who must give a reason (the README table's "condition" column).
REASON_REQUIRED = {
    (S.IN_PROGRESS, S.ON_HOLD): {"assignee", "manager"},
    (S.IN_PROGRESS, S.RESOLVED): {"assignee", "manager", "system"},
    (S.ON_HOLD, S.RESOLVED): {"assignee", "manager", "system"},
    (S.RESOLVED, S.IN_PROGRESS): {"customer"},
    **{(s, S.CLOSED): {"customer", "manager"} for s in (S.OPEN, S.ASSIGNED, S.IN_PROGRESS)},
    (S.ON_HOLD, S.CLOSED): {"customer", "manager"},
}
ALL_PAIRS = [(a, b) for a, b in itertools.permutations(Status, 2)]


@pytest.fixture
def people(customer, neighbour, agent, other_agent, manager):
    return {
        "customer": customer,
        "neighbour": neighbour,
        "assignee": agent,
        "other_agent": other_agent,
        "manager": manager,
        "system": None,
    }


def attempt(ticket: Ticket, target: Status, actor, people, note: str = "Because.") -> None:
    if ticket.status == S.OPEN and target == S.ASSIGNED:
        # Agents take for themselves; a manager assigns the agent; others try with the agent.
        assignee = actor if actor is not None and actor.is_agent and not actor.is_manager else None
        services_assignee = assignee or people["assignee"]
        workflow.transition(
            ticket_id=ticket.pk, to=target, actor=actor, note=note, assignee=services_assignee
        )
        return
    workflow.transition(ticket_id=ticket.pk, to=target, actor=actor, note=note)


def test_the_code_table_is_the_design_table():
    assert set(workflow.RULES) == set(README_TABLE)


@pytest.mark.parametrize(("source", "target"), ALL_PAIRS, ids=lambda s: str(s))
@pytest.mark.parametrize("role", ROLES)
def test_each_combination_of_the_table(source, target, role, make_ticket, people):
    ticket = make_ticket(source)
    rows_before = StatusHistory.objects.filter(ticket=ticket).count()
    allowed = role in README_TABLE.get((source, target), set())

    if allowed:
        attempt(ticket, target, people[role], people)
        ticket.refresh_from_db()
        assert ticket.status == target
        new_rows = StatusHistory.objects.filter(ticket=ticket).order_by("-id")
        assert new_rows.count() == rows_before + 1
        entry = new_rows.first()
        assert (entry.from_status, entry.to_status) == (source, target)
        assert entry.actor == people[role]
    else:
        expected = TransitionNotAllowed if (source, target) in README_TABLE else InvalidTransition
        with pytest.raises(expected):
            attempt(ticket, target, people[role], people)
        fresh = Ticket.objects.get(pk=ticket.pk)
        assert fresh.status == source
        assert fresh.version == ticket.version
        assert StatusHistory.objects.filter(ticket=ticket).count() == rows_before


@pytest.mark.parametrize(
    ("source", "target", "role"),
    [(s, t, r) for (s, t), roles in REASON_REQUIRED.items() for r in sorted(roles)],
)
def test_a_missing_reason_is_refused_and_nothing_is_written(
    source, target, role, make_ticket, people
):
    ticket = make_ticket(source)
    rows_before = ticket.history.count()
    with pytest.raises(ReasonRequired):
        attempt(ticket, target, people[role], people, note="   ")
    assert Ticket.objects.get(pk=ticket.pk).status == source
    assert ticket.history.count() == rows_before


@pytest.mark.parametrize(
    ("source", "target", "role"),
    [
        (s, t, r)
        for (s, t), roles in README_TABLE.items()
        for r in sorted(roles)
        if r not in REASON_REQUIRED.get((s, t), set())
    ],
)
def test_steps_without_a_required_reason_accept_an_empty_note(
    source, target, role, make_ticket, people
):
    ticket = make_ticket(source)
    attempt(ticket, target, people[role], people, note="")
    assert Ticket.objects.get(pk=ticket.pk).status == target


def test_the_workflow_sets_the_clock_fields(make_ticket, customer, agent):
    ticket = make_ticket(S.RESOLVED)
    assert ticket.resolved_at is not None and ticket.closed_at is None
    workflow.transition(ticket_id=ticket.pk, to=S.IN_PROGRESS, actor=customer, note="Still broken.")
    ticket.refresh_from_db()
    assert ticket.resolved_at is None
    workflow.transition(ticket_id=ticket.pk, to=S.RESOLVED, actor=agent, note="Fixed now.")
    workflow.transition(ticket_id=ticket.pk, to=S.CLOSED, actor=customer)
    ticket.refresh_from_db()
    assert ticket.resolved_at is not None and ticket.closed_at >= ticket.resolved_at


def test_unassigning_clears_the_assignee(make_ticket, agent):
    ticket = make_ticket(S.ASSIGNED)
    entry = workflow.transition(ticket_id=ticket.pk, to=S.OPEN, actor=agent)
    ticket.refresh_from_db()
    assert ticket.assignee is None and entry.assignee is None


def test_an_agent_cannot_assign_an_open_ticket_to_someone_else(make_ticket, agent, other_agent):
    ticket = make_ticket(S.OPEN)
    with pytest.raises(TransitionNotAllowed):
        services.ticket_assign(ticket_id=ticket.pk, assignee=other_agent, actor=agent)
    assert Ticket.objects.get(pk=ticket.pk).assignee is None


def test_a_manager_assigns_only_to_agents(make_ticket, manager, customer):
    ticket = make_ticket(S.OPEN)
    with pytest.raises(AssigneeInvalid):
        services.ticket_assign(ticket_id=ticket.pk, assignee=customer, actor=manager)


def test_a_manager_assigns_an_open_ticket_and_the_history_names_the_agent(
    make_ticket, manager, other_agent
):
    ticket = make_ticket(S.OPEN)
    services.ticket_assign(ticket_id=ticket.pk, assignee=other_agent, actor=manager)
    ticket.refresh_from_db()
    last = ticket.history.last()
    assert ticket.status == S.ASSIGNED and ticket.assignee == other_agent
    assert (last.actor, last.assignee) == (manager, other_agent)


def test_an_inactive_user_can_do_nothing(make_ticket, agent):
    ticket = make_ticket(S.ASSIGNED)
    agent.is_active = False
    agent.save()
    with pytest.raises(TransitionNotAllowed):
        workflow.transition(ticket_id=ticket.pk, to=S.IN_PROGRESS, actor=agent)


def test_a_stale_version_is_refused_with_ticket_changed(make_ticket, agent):
    ticket = make_ticket(S.ASSIGNED)
    seen = ticket.version
    services.comment_add(ticket_id=ticket.pk, author=ticket.customer, body="Any news?")
    with pytest.raises(TicketChanged):
        workflow.transition(
            ticket_id=ticket.pk, to=S.IN_PROGRESS, actor=agent, expected_version=seen
        )
    assert Ticket.objects.get(pk=ticket.pk).status == S.ASSIGNED


def test_available_actions_offer_what_the_table_allows(make_ticket, people):
    ticket = make_ticket(S.RESOLVED)
    names = {
        r: [a.name for a in workflow.available_actions(user=people[r], ticket=ticket)]
        for r in ROLES
    }
    assert names["customer"] == ["confirm", "reopen"]
    assert names["neighbour"] == []
    assert names["assignee"] == ["reopen"]
    assert names["other_agent"] == []
    assert names["manager"] == ["close", "reopen"]
    assert names["system"] == ["auto_close", "reopen"]  # the customer replied
    reopen = next(
        a
        for a in workflow.available_actions(user=people["customer"], ticket=ticket)
        if a.name == "reopen"
    )
    assert reopen.reason_required and reopen.label == "Reopen"


def test_closed_is_final_for_everyone(make_ticket, people):
    ticket = make_ticket(S.CLOSED)
    for role in ROLES:
        assert workflow.available_actions(user=people[role], ticket=ticket) == []
