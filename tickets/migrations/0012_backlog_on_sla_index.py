"""The backlog's covering index becomes the SLA index's (PostgreSQL only).

Two partial indexes on unfinished tickets, (status, created_at) covering the backlog and
(sla_due_at) for due times, left the planner a choice it got wrong: due times follow creation
times, so it judged reading the table through the small SLA index cheap and did so for the
backlog (200 ms at a million tickets, most of them pages read from disk). One index, keyed by
the due time and holding what the backlog counts, answers both from the index alone.
"""

from django.db import migrations

ACTIVE = "status IN ('open', 'assigned', 'in_progress', 'on_hold')"
FORWARD = [
    "DROP INDEX IF EXISTS ticket_backlog_idx",
    "DROP INDEX IF EXISTS ticket_active_sla_idx",
    f"""CREATE INDEX ticket_active_sla_idx ON tickets_ticket (sla_due_at)
    INCLUDE (status, created_at, assignee_id, category_id, priority) WHERE {ACTIVE}""",
]
BACKWARD = [
    "DROP INDEX IF EXISTS ticket_active_sla_idx",
    f"CREATE INDEX ticket_active_sla_idx ON tickets_ticket (sla_due_at) WHERE {ACTIVE}",
    f"""CREATE INDEX ticket_backlog_idx ON tickets_ticket (status, created_at)
    INCLUDE (assignee_id, category_id, priority) WHERE {ACTIVE}""",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("tickets", "0011_queue_sort_indexes")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
