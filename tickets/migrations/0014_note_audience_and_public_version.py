"""Who reads each status change's note, and the customer's own version of each ticket.

- `StatusHistory.note_public`: whether the customer reads the note (else staff only). Existing
  rows get the audience their action has by the workflow table (tickets.workflow.note_audience,
  frozen here as migrations must be): the customer's own words (reopen, withdraw, confirm),
  a hold reason, a resolution note and the system's auto-close are the customer's; every
  other step of staff or the system (take, assign, unassign, start, resume, close by a
  manager, reopen by staff) becomes staff-only, as none of them was meant for the customer.
- `Ticket.public_version` and `public_updated_at` (tickets.versions): what the customer sees
  moves only with public activity. `public_version` starts EQUAL to `version`, not counted
  from the public activity: a customer's page or API client open during the deploy holds
  `version` and must not be refused as stale for it; from now on only public changes move
  it. `public_updated_at` is worked out from the public activity (the last status change,
  public reply or field change shown to the customer, else the creation), so that the
  customer's "last update" and list order stop reflecting internal notes at once.

On SQLite, adding a column with a default rebuilds the table, which drops its triggers: the
guards of migration 0002 are put back (and, going back, put back again after the columns are
removed). The append-only trigger is set aside only while the new column is filled in.
"""

import importlib

import django.db.models.functions
import django.utils.timezone
from django.db import migrations, models
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest

GUARDS = importlib.import_module("tickets.migrations.0002_database_guards")
SQLITE_TRIGGERS = [
    "tickets_statushistory_append_only",
    "tickets_fieldchange_append_only",
    "tickets_ticket_transition",
]
PG_APPEND_ONLY = "tickets_statushistory_append_only"


def _execute(schema_editor, statements):
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _sqlite_guards_back(schema_editor):
    _execute(schema_editor, [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS])
    _execute(schema_editor, GUARDS.SQLITE)


def guards_back_after_reversal(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        _sqlite_guards_back(schema_editor)


def fill_in(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    StatusHistory = apps.get_model("tickets", "StatusHistory")
    Ticket = apps.get_model("tickets", "Ticket")
    Comment = apps.get_model("tickets", "Comment")
    FieldChange = apps.get_model("tickets", "FieldChange")

    if vendor == "sqlite":
        _execute(schema_editor, [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS])
    elif vendor == "postgresql":
        _execute(schema_editor, [f"ALTER TABLE tickets_statushistory DISABLE TRIGGER {PG_APPEND_ONLY}"])
    customers_words = Q(actor_id=F("ticket__customer_id"))
    told_to_customer = Q(to_status__in=["on_hold", "resolved"])
    auto_close = Q(actor__isnull=True, to_status="closed")
    StatusHistory.objects.filter(
        customers_words | told_to_customer | auto_close, from_status__isnull=False
    ).update(note_public=True)
    if vendor == "sqlite":
        _sqlite_guards_back(schema_editor)
    elif vendor == "postgresql":
        _execute(schema_editor, [f"ALTER TABLE tickets_statushistory ENABLE TRIGGER {PG_APPEND_ONLY}"])

    def latest(rows):
        newest = rows.filter(ticket=OuterRef("pk")).order_by("-created_at")
        return Coalesce(Subquery(newest.values("created_at")[:1]), F("created_at"))

    Ticket.objects.update(
        public_version=F("version"),
        public_updated_at=Greatest(
            F("created_at"),
            latest(StatusHistory.objects.all()),
            latest(Comment.objects.filter(is_internal=False)),
            latest(FieldChange.objects.all()),
        ),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0013_sla_index_in_model_state"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, guards_back_after_reversal),
        migrations.RemoveIndex(
            model_name="ticket",
            name="ticket_customer_updated_idx",
        ),
        migrations.AddField(
            model_name="statushistory",
            name="note_public",
            field=models.BooleanField(
                default=False,
                db_default=False,
                help_text="Whether the customer reads the note; else staff only.",
            ),
        ),
        migrations.AddField(
            model_name="ticket",
            name="public_updated_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now,
                db_default=django.db.models.functions.Now(),
                editable=False,
                verbose_name="updated (as the customer sees it)",
            ),
        ),
        migrations.AddField(
            model_name="ticket",
            name="public_version",
            field=models.PositiveIntegerField(default=1, db_default=1, editable=False),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                fields=["customer", "-public_updated_at", "-id"], name="ticket_customer_public_idx"
            ),
        ),
        migrations.RunPython(fill_in, migrations.RunPython.noop),
    ]
