"""What must never be stored is refused by the database itself, and by the models before it."""

import importlib

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from tickets import workflow
from tickets.errors import TicketChanged
from tickets.models import (
    AppendOnlyError,
    FieldChange,
    StatusChangeForbidden,
    StatusHistory,
    Ticket,
)
from tickets.status import Status

guards = importlib.import_module("tickets.migrations.0002_database_guards")


def refused_by_database(sql: str, params: list) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except IntegrityError:
        return True
    return False


def insert_ticket_sql(**overrides) -> tuple[str, list]:
    now = timezone.now()
    row = {
        "subject": "s",
        "description": "d",
        "priority": "normal",
        "status": "open",
        "created_at": now,
        "updated_at": now,
        "version": 1,
        "customer_id": overrides.pop("customer_id"),
        "assignee_id": None,
        "resolved_at": None,
        "closed_at": None,
        **overrides,
    }
    columns = ", ".join(row)
    marks = ", ".join(["%s"] * len(row))
    sql = f"INSERT INTO tickets_ticket ({columns}) VALUES ({marks})"  # noqa: S608 (fixed names)
    return sql, list(row.values())


def test_a_well_formed_raw_insert_is_accepted(customer):
    # The control case: the refusals below are about the one bad value, not the SQL.
    assert not refused_by_database(*insert_ticket_sql(customer_id=customer.pk))


@pytest.mark.parametrize(
    "bad",
    [
        {"status": "deleted"},
        {"priority": "critical"},
        {"status": "assigned"},  # no assignee
        {"status": "in_progress"},
        {"status": "on_hold"},
        {"status": "resolved"},  # no resolved_at
        {"status": "closed"},  # no closed_at
    ],
    ids=str,
)
def test_the_database_refuses_an_impossible_ticket(bad, customer):
    assert refused_by_database(*insert_ticket_sql(customer_id=customer.pk, **bad))


def test_the_database_refuses_an_open_ticket_with_an_assignee(customer, agent):
    sql = insert_ticket_sql(customer_id=customer.pk, assignee_id=agent.pk)
    assert refused_by_database(*sql)


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [
        ("open", "open"),
        ("resolved", "resolved"),
        ("open", "bogus"),
        ("bogus", "open"),
        (None, "assigned"),
    ],
)
def test_the_database_refuses_an_impossible_history_row(from_status, to_status, make_ticket):
    ticket = make_ticket()
    sql = (
        "INSERT INTO tickets_statushistory (ticket_id, from_status, to_status, note, created_at)"
        " VALUES (%s, %s, %s, '', %s)"
    )
    assert refused_by_database(sql, [ticket.pk, from_status, to_status, timezone.now()])


def test_the_database_accepts_a_valid_history_row(make_ticket):
    ticket = make_ticket()
    sql = (
        "INSERT INTO tickets_statushistory (ticket_id, from_status, to_status, note, created_at)"
        " VALUES (%s, 'open', 'closed', '', %s)"
    )
    assert not refused_by_database(sql, [ticket.pk, timezone.now()])


def test_history_rows_cannot_be_updated_in_sql(make_ticket):
    ticket = make_ticket(Status.ASSIGNED)
    sql = "UPDATE tickets_statushistory SET note = 'rewritten' WHERE ticket_id = %s"
    assert refused_by_database(sql, [ticket.pk])


def test_history_rows_cannot_be_deleted_in_sql_on_postgresql(postgres, make_ticket):
    ticket = make_ticket(Status.ASSIGNED)
    assert refused_by_database(
        "DELETE FROM tickets_statushistory WHERE ticket_id = %s", [ticket.pk]
    )


def test_history_and_field_changes_are_append_only_in_the_orm(make_ticket, manager, other_agent):
    from tickets import services

    ticket = make_ticket(Status.IN_PROGRESS)
    services.ticket_assign(ticket_id=ticket.pk, assignee=other_agent, actor=manager)
    entry = ticket.history.last()
    change = FieldChange.objects.get(ticket=ticket)
    for record in (entry, change):
        record.note = "rewritten"
        with pytest.raises(AppendOnlyError):
            record.save()
        with pytest.raises(AppendOnlyError):
            record.delete()
    with pytest.raises(AppendOnlyError):
        StatusHistory.objects.filter(ticket=ticket).update(note="x")
    with pytest.raises(AppendOnlyError):
        FieldChange.objects.filter(ticket=ticket).delete()


def test_saving_a_changed_status_raises(make_ticket):
    ticket = make_ticket(Status.RESOLVED)
    ticket.status = Status.CLOSED
    with pytest.raises(StatusChangeForbidden):
        ticket.save()
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED


def test_saving_other_fields_still_works(make_ticket):
    ticket = make_ticket(Status.RESOLVED)
    ticket.subject = "VPN drops (Linux only)"
    ticket.save()
    assert Ticket.objects.get(pk=ticket.pk).subject == "VPN drops (Linux only)"


def test_a_stale_copy_cannot_put_the_status_back_or_lower_the_version(make_ticket, agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    stale = Ticket.objects.get(pk=ticket.pk)  # as loaded in a shell an hour ago
    workflow.transition(ticket_id=ticket.pk, to=Status.RESOLVED, actor=agent, note="Fixed")
    row = Ticket.objects.values("status", "version", "subject").get(pk=ticket.pk)
    stale.subject = "Edited in a shell"
    with pytest.raises(TicketChanged), transaction.atomic():
        stale.save()
    with pytest.raises(TicketChanged), transaction.atomic():
        stale.save(update_fields=["version"])
    assert Ticket.objects.values("status", "version", "subject").get(pk=ticket.pk) == row
    assert row["status"] == Status.RESOLVED and row["version"] == ticket.version + 1


def test_a_current_copy_saves_in_one_query(make_ticket, django_assert_num_queries):
    ticket = make_ticket(Status.IN_PROGRESS)
    ticket.subject = "VPN drops (Linux only)"
    with django_assert_num_queries(1):
        ticket.save()
    ticket.refresh_from_db()
    ticket.version += 1
    ticket.save(update_fields=["version"])  # what it read was current after the refresh
    assert Ticket.objects.get(pk=ticket.pk).subject == "VPN drops (Linux only)"


def test_a_new_ticket_cannot_start_in_another_status(customer):
    with pytest.raises(StatusChangeForbidden):
        Ticket(customer=customer, subject="s", description="d", status=Status.CLOSED).save()


def test_queryset_updates_of_status_raise(make_ticket):
    ticket = make_ticket(Status.RESOLVED)
    with pytest.raises(StatusChangeForbidden):
        Ticket.objects.filter(pk=ticket.pk).update(status=Status.CLOSED)
    ticket.status = Status.CLOSED
    with pytest.raises(StatusChangeForbidden):
        Ticket.objects.bulk_update([ticket], ["status"])


def test_raw_sql_cannot_skip_the_workflow(make_ticket):
    ticket = make_ticket(Status.OPEN)
    update = "UPDATE tickets_ticket SET status = %s, closed_at = %s, resolved_at = %s WHERE id = %s"
    now = timezone.now()
    assert refused_by_database(update, ["resolved", None, now, ticket.pk])
    assert not refused_by_database(update, ["closed", now, None, ticket.pk])


def test_the_database_trigger_allows_exactly_the_workflow_pairs():
    assert set(guards.ALLOWED) == {(a.value, b.value) for a, b in workflow.RULES}
