"""Migration 0014 on a database that already holds tickets: each old note gets the audience
its action has by the workflow table, each ticket the customer's version and last update,
and the database's guards survive it (SQLite rebuilds the tables it adds columns to)."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tickets.models import AppendOnlyError, StatusHistory

BEFORE = [("tickets", "0013_sla_index_in_model_state")]
AFTER = [("tickets", "0014_note_audience_and_public_version")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def at_0013(transactional_db):
    apps = migrate(BEFORE)
    yield apps
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_old_notes_get_their_actions_audience_and_tickets_the_customers_version(
    at_0013, customer, agent, manager
):
    Ticket = at_0013.get_model("tickets", "Ticket")
    History = at_0013.get_model("tickets", "StatusHistory")
    Comment = at_0013.get_model("tickets", "Comment")
    start = timezone.now() - timedelta(days=3)

    def at(hours):
        return start + timedelta(hours=hours)

    ticket = Ticket.objects.create(
        subject="VPN", description="Drops", customer_id=customer.pk, created_at=at(0),
        updated_at=at(9), version=9,
    )  # fmt: skip
    steps = [  # (from, to, actor, note, the customer reads it)
        (None, "open", customer, "", False),
        ("open", "assigned", agent, "Taking: customer is a pain", False),
        ("assigned", "in_progress", agent, "Starting", False),
        ("in_progress", "on_hold", agent, "Which client version?", True),
        ("on_hold", "in_progress", None, "The customer replied.", False),
        ("in_progress", "resolved", agent, "New certificate", True),
        ("resolved", "in_progress", customer, "Still drops", True),
        ("in_progress", "resolved", agent, "Fixed for real", True),
        ("resolved", "in_progress", manager, "Reopening: wrong fix", False),
    ]
    rows = [
        History.objects.create(
            ticket_id=ticket.pk, from_status=source, to_status=target,
            actor_id=actor.pk if actor else None, note=note, created_at=at(i),
        )
        for i, (source, target, actor, note, _reads) in enumerate(steps)
    ]  # fmt: skip
    Comment.objects.create(ticket_id=ticket.pk, author_id=customer.pk, body="Hi", created_at=at(9))
    Comment.objects.create(
        ticket_id=ticket.pk, author_id=agent.pk, body="Note", is_internal=True, created_at=at(12)
    )

    apps = migrate(AFTER)
    History = apps.get_model("tickets", "StatusHistory")
    Ticket = apps.get_model("tickets", "Ticket")
    public = dict(History.objects.values_list("pk", "note_public"))
    assert [public[row.pk] for row in rows] == [reads for *_s, reads in steps]
    migrated = Ticket.objects.get(pk=ticket.pk)
    # The version the customer's open pages hold stays valid; the last update is the last
    # public one (the customer's reply), not the internal note after it.
    assert migrated.public_version == migrated.version == 9
    assert migrated.public_updated_at == at(9)

    # The guards are still there.
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE tickets_statushistory SET note = 'x'")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE tickets_ticket SET status = 'resolved'")
    with pytest.raises(AppendOnlyError):
        StatusHistory.objects.update(note_public=False)


def test_going_back_keeps_the_guards(at_0013):
    migrate(AFTER)
    migrate(BEFORE)
    triggers = _triggers()
    assert {"tickets_statushistory_append_only", "tickets_ticket_transition"} <= triggers


def _triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        return {name for (name,) in cursor.fetchall()}
