"""Two kinds of hold (waiting for the customer, waiting on a third party) and whether a
policy's clock stops for the second.

- `StatusHistory.hold_kind` and `Ticket.hold_kind`: NULL on holds recorded before there were
  kinds; those waited for the customer, and the code reads NULL so (no rewrite of the
  append-only history).
- `SlaPolicy.pause_on_third_party`, on by default: every existing clock keeps stopping on hold.

On SQLite, adding a constraint rebuilds the table, which drops its triggers: the guards of
migration 0002 are put back (and, going back, put back again after the table is rebuilt).
"""

import importlib

from django.conf import settings
from django.db import migrations, models


GUARDS = importlib.import_module("tickets.migrations.0002_database_guards")
SQLITE_TRIGGERS = [
    "tickets_statushistory_append_only",
    "tickets_fieldchange_append_only",
    "tickets_ticket_transition",
]


def guards_back(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in SQLITE_TRIGGERS:
            # nosemgrep: helpdesk.raw-sql-formatted (the constant SQLITE_TRIGGERS, not input)
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        for statement in GUARDS.SQLITE:
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0024_csat_workload"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, guards_back),
        migrations.AddField(
            model_name="slapolicy",
            name="pause_on_third_party",
            field=models.BooleanField(
                db_default=True,
                default=True,
                help_text="A hold waiting for the customer always stops the clock; a hold waiting on a third party stops it only if this is on.",
                verbose_name="pause while waiting on a third party",
            ),
        ),
        migrations.AddField(
            model_name="statushistory",
            name="hold_kind",
            field=models.CharField(
                blank=True,
                choices=[
                    ("customer", "Waiting for the customer"),
                    ("third_party", "Waiting on a third party"),
                ],
                max_length=16,
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="ticket",
            name="hold_kind",
            field=models.CharField(
                blank=True,
                choices=[
                    ("customer", "Waiting for the customer"),
                    ("third_party", "Waiting on a third party"),
                ],
                max_length=16,
                null=True,
                verbose_name="on hold for",
            ),
        ),
        migrations.AddConstraint(
            model_name="statushistory",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("hold_kind__isnull", True),
                    models.Q(
                        ("hold_kind__in", ["customer", "third_party"]), ("to_status", "on_hold")
                    ),
                    _connector="OR",
                ),
                name="history_hold_kind_on_hold",
            ),
        ),
        migrations.AddConstraint(
            model_name="ticket",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("hold_kind__isnull", True),
                    models.Q(("hold_kind__in", ["customer", "third_party"]), ("status", "on_hold")),
                    _connector="OR",
                ),
                name="ticket_hold_kind_on_hold",
            ),
        ),
        migrations.RunPython(guards_back, migrations.RunPython.noop),
    ]
