"""Subjects are one clean line (tickets.text.one_line): the field says so, and the subjects
stored before it are cleaned here — line breaks and tabs to one space, control characters out."""

from django.db import migrations

import helpdesk.fields
from tickets.text import one_line

BATCH = 2000


def clean_subjects(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    changed = []
    rows = Ticket.objects.values_list("pk", "subject").order_by().iterator(chunk_size=BATCH)
    for pk, subject in rows:
        clean = one_line(subject)
        if clean != subject:
            changed.append(Ticket(pk=pk, subject=clean))
    Ticket.objects.bulk_update(changed, ["subject"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0015_delivery_retries")]

    operations = [
        migrations.AlterField(
            model_name="ticket",
            name="subject",
            field=helpdesk.fields.OneLineCharField(max_length=200, verbose_name="subject"),
        ),
        migrations.RunPython(clean_subjects, migrations.RunPython.noop, elidable=True),
    ]
