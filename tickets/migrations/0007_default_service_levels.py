"""Sensible service levels for a fresh help desk; managers change them in the admin."""

from datetime import time

from django.db import migrations

POLICIES = [
    # priority, first response, resolution (minutes), counted in
    ("urgent", 30, 4 * 60, "calendar"),
    ("high", 2 * 60, 8 * 60, "business"),
    ("normal", 8 * 60, 3 * 8 * 60, "business"),
    ("low", 2 * 8 * 60, 5 * 8 * 60, "business"),
]


def create(apps, schema_editor):
    SlaPolicy = apps.get_model("tickets", "SlaPolicy")
    WorkingHours = apps.get_model("tickets", "WorkingHours")
    for priority, first, resolution, counting in POLICIES:
        SlaPolicy.objects.get_or_create(
            priority=priority,
            defaults={
                "first_response_minutes": first,
                "resolution_minutes": resolution,
                "counting": counting,
            },
        )
    for weekday in range(5):  # Monday to Friday, 9:00 to 17:00
        WorkingHours.objects.get_or_create(
            weekday=weekday, defaults={"opens": time(9), "closes": time(17)}
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0006_service_levels")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
