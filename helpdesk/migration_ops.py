"""Migration operations that keep the help desk usable while they run on a big table (the rule
that tests/test_migration_safety.py checks). Use them in a migration with `atomic = False`, so
that each statement commits and lets go of its lock before the next one reads the table."""

from __future__ import annotations

from django.db import migrations, models


def _postgres(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


def add_check_constraint(
    *, app_label: str, model_name: str, constraint: models.CheckConstraint
) -> migrations.SeparateDatabaseAndState:
    """AddConstraint, but on PostgreSQL added NOT VALID (a moment's lock, no scan) and then
    validated, which reads the table while writes go on."""

    def forwards(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        if not _postgres(schema_editor):
            schema_editor.add_constraint(model, constraint)
            return
        # nosemgrep: helpdesk.raw-sql-formatted (Django's own SQL for the constraint, not input)
        schema_editor.execute(f"{constraint.create_sql(model, schema_editor)} NOT VALID")
        table = schema_editor.quote_name(model._meta.db_table)
        name = schema_editor.quote_name(constraint.name)
        # nosemgrep: helpdesk.raw-sql-formatted (names from the model, quoted; not input)
        schema_editor.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}")

    def backwards(apps, schema_editor):
        schema_editor.remove_constraint(apps.get_model(app_label, model_name), constraint)

    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AddConstraint(model_name=model_name, constraint=constraint)],
        database_operations=[migrations.RunPython(forwards, backwards)],
    )


def add_index(
    *, app_label: str, model_name: str, index: models.Index
) -> migrations.SeparateDatabaseAndState:
    """AddIndex, built CONCURRENTLY on PostgreSQL (writes go on while it is built)."""

    def forwards(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        schema_editor.add_index(
            model, index, **({"concurrently": True} if _postgres(schema_editor) else {})
        )

    def backwards(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        schema_editor.remove_index(
            model, index, **({"concurrently": True} if _postgres(schema_editor) else {})
        )

    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AddIndex(model_name=model_name, index=index)],
        database_operations=[migrations.RunPython(forwards, backwards)],
    )
