"""Database-level guards that no code path can bypass.

- StatusHistory and FieldChange refuse UPDATE (and, on PostgreSQL, DELETE; SQLite's test
  flush deletes rows, PostgreSQL's truncates).
- A ticket's status may only change along the workflow table. The pairs are frozen here, as
  migrations must be; tests/tickets/test_constraints.py checks they match workflow.RULES.
"""

from django.db import migrations

ALLOWED = [
    ("open", "assigned"),
    ("assigned", "open"),
    ("assigned", "in_progress"),
    ("in_progress", "on_hold"),
    ("on_hold", "in_progress"),
    ("in_progress", "resolved"),
    ("on_hold", "resolved"),
    ("resolved", "closed"),
    ("resolved", "in_progress"),
    ("open", "closed"),
    ("assigned", "closed"),
    ("in_progress", "closed"),
    ("on_hold", "closed"),
]
PAIRS = ", ".join(f"'{a}>{b}'" for a, b in ALLOWED)
APPEND_ONLY = ["tickets_statushistory", "tickets_fieldchange"]

POSTGRES = [
    """
    CREATE OR REPLACE FUNCTION helpdesk_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME USING ERRCODE = '23000';
    END $$ LANGUAGE plpgsql
    """,
    *(
        f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION helpdesk_refuse_change()"""
        for table in APPEND_ONLY
    ),
    f"""
    CREATE OR REPLACE FUNCTION tickets_ticket_check_transition() RETURNS trigger AS $$
    BEGIN
        IF NEW.status <> OLD.status AND (OLD.status || '>' || NEW.status) <> ALL (ARRAY[{PAIRS}])
        THEN
            RAISE EXCEPTION 'ticket % cannot go from % to %', OLD.id, OLD.status, NEW.status
                USING ERRCODE = '23514';
        END IF;
        RETURN NEW;
    END $$ LANGUAGE plpgsql
    """,
    """CREATE TRIGGER tickets_ticket_transition BEFORE UPDATE OF status ON tickets_ticket
    FOR EACH ROW EXECUTE FUNCTION tickets_ticket_check_transition()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS tickets_ticket_transition ON tickets_ticket",
    "DROP FUNCTION IF EXISTS tickets_ticket_check_transition()",
    *(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}" for table in APPEND_ONLY),
    "DROP FUNCTION IF EXISTS helpdesk_refuse_change()",
]

SQLITE = [
    *(
        f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table}
        BEGIN SELECT RAISE(ABORT, '{table} rows are append-only'); END"""
        for table in APPEND_ONLY
    ),
    f"""CREATE TRIGGER tickets_ticket_transition BEFORE UPDATE OF status ON tickets_ticket
    WHEN NEW.status <> OLD.status AND (OLD.status || '>' || NEW.status) NOT IN ({PAIRS})
    BEGIN SELECT RAISE(ABORT, 'ticket status change is not in the workflow'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS tickets_ticket_transition",
    *(f"DROP TRIGGER IF EXISTS {table}_append_only" for table in APPEND_ONLY),
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        # A plain cursor: the PL/pgSQL bodies contain '%', which must not be read as a parameter.
        with schema_editor.connection.cursor() as cursor:
            for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
                cursor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        )
    ]
