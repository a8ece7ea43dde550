"""Migration 0021 on a database that already holds metrics: a ticket resolved for good gets
its final resolution, one withdrawn after a reopen gets none, and one on hold now keeps its
running stretch as its start (taken out of the stored total, which counted it up to the last
refresh) so that the report adds it up to the moment it is read."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("tickets", "0020_inbound_answers")]
AFTER = [("tickets", "0021_report_definitions")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def at_0020(transactional_db):
    apps = migrate(BEFORE)
    yield apps
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_final_resolutions_and_running_holds_are_read_off_the_history(at_0020, customer, agent):
    Ticket = at_0020.get_model("tickets", "Ticket")
    History = at_0020.get_model("tickets", "StatusHistory")
    Metrics = at_0020.get_model("tickets", "TicketMetrics")
    start = timezone.now() - timedelta(days=10)

    def at(hours):
        return start + timedelta(hours=hours)

    def lived(status, steps, **metrics):
        ticket = Ticket.objects.create(
            subject="VPN", description="Drops", customer_id=customer.pk, created_at=at(0),
            assignee_id=agent.pk, status=status, resolved_at=at(5), closed_at=at(7),
        )  # fmt: skip
        previous = None
        for hours, target in steps:
            History.objects.create(
                ticket_id=ticket.pk, from_status=previous, to_status=target, actor_id=agent.pk,
                created_at=at(hours),
            )  # fmt: skip
            previous = target
        Metrics.objects.create(
            ticket_id=ticket.pk, created_at=at(0), priority="normal", status=status, **metrics
        )
        return ticket.pk

    worked = [(0, "open"), (1, "assigned"), (2, "in_progress")]
    resolved = lived("closed", [*worked, (5, "resolved"), (30, "closed")])
    withdrawn = lived("closed", [*worked, (5, "resolved"), (6, "in_progress"), (7, "closed")])
    # On hold from hour 10; the last refresh at hour 40 counted 30 h of it (and 2 h before).
    held = lived(
        "on_hold",
        [*worked, (3, "on_hold"), (5, "in_progress"), (10, "on_hold")],
        on_hold_seconds=32 * 3600,
        computed_at=at(40),
    )

    apps = migrate(AFTER)
    after = apps.get_model("tickets", "TicketMetrics").objects
    assert after.get(pk=resolved).final_resolved_at == at(5)
    assert after.get(pk=withdrawn).final_resolved_at is None
    running = after.get(pk=held)
    assert running.on_hold_since == at(10)
    assert running.on_hold_since_epoch == at(10).timestamp()
    assert running.on_hold_seconds == 2 * 3600
