"""Delivery that survives real mail servers: a fixed Message-ID per notification, the next
try and the start of the retry budget on the row, every attempt kept, one delivery pause."""

import django.db.models.deletion
import tickets.models
from django.conf import settings
from django.db import migrations, models
from django.db.models.functions import Cast, Concat


def fix_message_ids(apps, schema_editor):
    """Rows written before this get a unique id made of their primary key (one UPDATE)."""
    Notification = apps.get_model("tickets", "Notification")
    domain = tickets.models.message_domain()
    Notification.objects.filter(message_id__isnull=True).update(
        message_id=Concat(
            models.Value("<notification-"),
            Cast("id", models.CharField()),
            models.Value(f".before-ids@{domain}>"),
            output_field=models.CharField(),
        )
    )


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0014_note_audience_and_public_version'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DeliveryPause',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, editable=False, primary_key=True, serialize=False)),
                ('until', models.DateTimeField(blank=True, null=True)),
                ('since', models.DateTimeField(blank=True, null=True)),
                ('failures', models.PositiveSmallIntegerField(default=0)),
                ('reason', models.TextField(blank=True)),
            ],
        ),
        migrations.CreateModel(
            name='NotificationAttempt',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('started_at', models.DateTimeField()),
                ('finished_at', models.DateTimeField()),
                ('outcome', models.CharField(choices=[('sent', 'Accepted by the server'), ('temporary', 'Temporary failure, retried'), ('permanent', 'Refused for good'), ('paused', 'Server trouble, delivery paused'), ('abandoned', 'Never finished (worker stopped)'), ('expired', 'Retry time used up')], max_length=16)),
                ('answer', models.TextField(blank=True)),
            ],
            options={
                'ordering': ['started_at', 'id'],
            },
        ),
        migrations.AddField(
            model_name='notification',
            name='failing_since',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='notification',
            name='message_id',
            field=models.CharField(max_length=255, null=True),
        ),
        migrations.RunPython(fix_message_ids, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name='notification',
            name='message_id',
            field=models.CharField(default=tickets.models.new_message_id, max_length=255, unique=True),
        ),
        migrations.AddField(
            model_name='notification',
            name='next_attempt_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name='notification',
            index=models.Index(condition=models.Q(('state', 'sent'), _negated=True), fields=['state', 'event'], name='notification_not_sent_idx'),
        ),
        migrations.AddConstraint(
            model_name='deliverypause',
            constraint=models.CheckConstraint(condition=models.Q(('id', 1)), name='delivery_pause_single'),
        ),
        migrations.AddField(
            model_name='notificationattempt',
            name='notification',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='attempt_log', to='tickets.notification'),
        ),
    ]
