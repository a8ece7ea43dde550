"""One entry point per write: a status change goes through workflow.transition once, its
effects on the ticket's fields are described once (workflow.apply_effects), and a service
that changes a status locks the ticket's row once."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tickets import services, workflow
from tickets.models import Ticket
from tickets.status import Status

S = Status
NOW = datetime(2026, 3, 4, 5, 6, tzinfo=UTC)


def row_reads(queries) -> list[str]:
    """The statements that read (and, on PostgreSQL, lock) one ticket's row."""
    return [
        q["sql"]
        for q in queries
        if q["sql"].startswith("SELECT")
        and 'FROM "tickets_ticket" WHERE "tickets_ticket"."id" =' in q["sql"]
    ]


@pytest.mark.django_db
def test_taking_a_ticket_reads_and_locks_its_row_once(make_ticket, agent):
    ticket = make_ticket(Status.OPEN)
    with CaptureQueriesContext(connection) as queries:
        taken = services.ticket_take(ticket_id=ticket.pk, agent=agent)
    assert len(row_reads(queries)) == 1
    assert (taken.status, taken.assignee, taken.version) == (S.ASSIGNED, agent, ticket.version + 1)


@pytest.mark.django_db
def test_assigning_an_open_ticket_reads_its_row_once(make_ticket, manager, agent):
    ticket = make_ticket(Status.OPEN)
    with CaptureQueriesContext(connection) as queries:
        assigned = services.ticket_assign(ticket_id=ticket.pk, assignee=agent, actor=manager)
    assert len(row_reads(queries)) == 1
    assert Ticket.objects.get(pk=ticket.pk).assignee == assigned.assignee == agent


@pytest.mark.django_db
def test_a_customer_reply_resuming_a_ticket_reads_its_row_once(make_ticket, customer):
    ticket = make_ticket(Status.ON_HOLD)
    with CaptureQueriesContext(connection) as queries:
        services.comment_add(ticket_id=ticket.pk, author=customer, body="It is version 5.1.")
    assert len(row_reads(queries)) == 1
    last = Ticket.objects.get(pk=ticket.pk).history.last()
    assert (last.to_status, last.actor, last.note) == (
        S.IN_PROGRESS,
        None,
        str(workflow.CUSTOMER_REPLIED),
    )


def test_services_have_no_second_name_for_a_transition():
    assert not hasattr(services, "ticket_transition")


@pytest.mark.parametrize(
    ("source", "target", "changed"),
    [
        (S.OPEN, S.ASSIGNED, {"assignee"}),
        (S.ASSIGNED, S.OPEN, {"assignee"}),
        (S.ASSIGNED, S.IN_PROGRESS, set()),
        (S.IN_PROGRESS, S.RESOLVED, {"resolved_at"}),
        (S.RESOLVED, S.IN_PROGRESS, {"resolved_at"}),
        (S.RESOLVED, S.CLOSED, {"closed_at"}),
        (S.ON_HOLD, S.CLOSED, {"closed_at"}),
    ],
)
def test_apply_effects_names_every_field_it_changes(source, target, changed):
    from accounts.models import User

    taker = User(pk=7)
    ticket = Ticket(status=source, assignee_id=3, resolved_at=NOW, version=4, public_version=2)
    fields = workflow.apply_effects(ticket, source, target, assignee=taker, now=NOW)
    versions = {"updated_at", "version", "public_updated_at", "public_version"}
    assert set(fields) == {"status", "status_changed_at", *versions, *changed}
    assert (ticket.status, ticket.updated_at, ticket.version) == (target, NOW, 5)
    # The customer sees every status change.
    assert (ticket.public_updated_at, ticket.public_version) == (NOW, 3)
    expected_assignee = {S.ASSIGNED: 7, S.OPEN: None}.get(target, 3)
    assert ticket.assignee_id == expected_assignee
    if target == S.RESOLVED:
        assert ticket.resolved_at == NOW
    if source == S.RESOLVED and target == S.IN_PROGRESS:
        assert ticket.resolved_at is None
    if target == S.CLOSED:
        assert ticket.closed_at == NOW
