# A ticket moved between teams is recorded as a FieldChange of the field "team".
#
# The field's check constraint is replaced without locking the history against writes while
# the table is read (helpdesk/migration_ops.py).

from django.db import migrations, models

from helpdesk.migration_ops import add_check_constraint

FIELDS = ["assignee", "priority", "category", "subject", "team"]
CONSTRAINT = models.CheckConstraint(
    condition=models.Q(field__in=FIELDS), name="field_change_field_valid"
)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("tickets", "0035_automations"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="fieldchange", name="field_change_field_valid"),
        migrations.AlterField(
            model_name="fieldchange",
            name="field",
            field=models.CharField(
                choices=[
                    ("assignee", "Assignee"),
                    ("priority", "Priority"),
                    ("category", "Affected service"),
                    ("subject", "Subject"),
                    ("team", "Team"),
                ],
                max_length=16,
            ),
        ),
        add_check_constraint(app_label="tickets", model_name="fieldchange", constraint=CONSTRAINT),
    ]
