"""The covering SLA index of migration 0012, declared in the model's Meta.

0012 built it with raw SQL, so the model state still described the narrower index of 0006 and
the next `makemigrations` could have silently dropped its INCLUDE columns. The database
already holds the right index (with INCLUDE on PostgreSQL; SQLite has no covering indexes and
keeps the plain one), so only the state changes.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tickets", "0012_backlog_on_sla_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="ticket", name="ticket_active_sla_idx"),
                migrations.AddIndex(
                    model_name="ticket",
                    index=models.Index(
                        condition=models.Q(
                            ("status__in", ("open", "assigned", "in_progress", "on_hold"))
                        ),
                        fields=["sla_due_at"],
                        include=("status", "created_at", "assignee", "category", "priority"),
                        name="ticket_active_sla_idx",
                    ),
                ),
            ],
            database_operations=[],
        )
    ]
