"""A covering index for the backlog (PostgreSQL only): unfinished tickets by status and age,
sliced by agent, service or priority, answered from the index alone."""

from django.db import migrations

FORWARD = """
CREATE INDEX IF NOT EXISTS ticket_backlog_idx ON tickets_ticket (status, created_at)
INCLUDE (assignee_id, category_id, priority)
WHERE status IN ('open', 'assigned', 'in_progress', 'on_hold')
"""
BACKWARD = "DROP INDEX IF EXISTS ticket_backlog_idx"


def _run(statement):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("tickets", "0008_sla_notifications")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
