"""Full-text search indexes for the agent queue (PostgreSQL only; SQLite searches by LIKE).

The expressions match what tickets.queries.search builds with SearchVector(config="english"),
so the planner can use them.
"""

from django.db import migrations

FORWARD = [
    """CREATE INDEX IF NOT EXISTS ticket_search_idx ON tickets_ticket USING gin (
        to_tsvector('english'::regconfig,
                    COALESCE(subject, '') || ' ' || COALESCE(description, '')))""",
    """CREATE INDEX IF NOT EXISTS comment_search_idx ON tickets_comment USING gin (
        to_tsvector('english'::regconfig, COALESCE(body, '')))""",
]
BACKWARD = [
    "DROP INDEX IF EXISTS ticket_search_idx",
    "DROP INDEX IF EXISTS comment_search_idx",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("tickets", "0004_customer_replied_at")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
