"""Display names are one clean line (tickets.text.one_line): the field says so, and the names
stored before it are cleaned here — line breaks and tabs to one space, control characters out."""

from django.db import migrations

import helpdesk.fields
from tickets.text import one_line

BATCH = 2000


def clean_display_names(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    changed = []
    rows = User.objects.values_list("pk", "display_name").order_by().iterator(chunk_size=BATCH)
    for pk, name in rows:
        clean = one_line(name)
        if clean != name:
            changed.append(User(pk=pk, display_name=clean))
    User.objects.bulk_update(changed, ["display_name"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_canonical_email")]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="display_name",
            field=helpdesk.fields.OneLineCharField(max_length=150, verbose_name="display name"),
        ),
        migrations.RunPython(clean_display_names, migrations.RunPython.noop, elidable=True),
    ]
