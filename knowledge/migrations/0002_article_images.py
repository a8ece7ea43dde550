"""Images attached to articles; one counted view per reader, article and day; the search
document kept in the article's row (PostgreSQL)."""

from zoneinfo import ZoneInfo

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import knowledge.models

# The search document is about 3 kB: stored out of line (TOAST), every search read it twice
# per matching article through the TOAST index (to match and to rank). Kept in the row, the
# worst search at 10,000 articles reads a tenth of the pages (bench/RESULTS.md).
STORAGE_MAIN = (
    "ALTER TABLE knowledge_article ALTER COLUMN search_vector SET STORAGE MAIN",
    # A new value (not the old TOAST pointer) so that existing rows move into the row.
    "UPDATE knowledge_article SET search_vector = search_vector || ''::tsvector "
    "WHERE search_vector IS NOT NULL",
)
STORAGE_EXTENDED = ("ALTER TABLE knowledge_article ALTER COLUMN search_vector SET STORAGE EXTENDED",)


def _postgres(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


def views_before(apps, schema_editor):
    """Views counted before: each its own reader, on the day it was read (counts unchanged)."""
    from django.db.models import CharField, Value
    from django.db.models.functions import Cast, Concat, TruncDate

    ArticleView = apps.get_model("knowledge", "ArticleView")
    ArticleView.objects.update(
        visitor=Concat(Value("row-"), Cast("id", CharField())),
        day=TruncDate("created_at", tzinfo=ZoneInfo(settings.HELPDESK_TIME_ZONE)),
    )


class Migration(migrations.Migration):

    dependencies = [
        ("knowledge", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ArticleImage",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("file", models.FileField(max_length=200, upload_to=knowledge.models.article_image_path)),
                ("original_name", models.CharField(max_length=255)),
                ("content_type", models.CharField(max_length=100)),
                ("size", models.PositiveBigIntegerField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("article", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="images", to="knowledge.article")),
                ("uploaded_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "ordering": ["created_at", "id"],
                "indexes": [models.Index(fields=["article", "created_at"], name="article_image_idx")],
            },
        ),
        migrations.AddField(
            model_name="articleview",
            name="visitor",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="articleview",
            name="day",
            field=models.DateField(null=True),
        ),
        migrations.RunPython(views_before, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="articleview",
            name="day",
            field=models.DateField(),
        ),
        migrations.AddConstraint(
            model_name="articleview",
            constraint=models.UniqueConstraint(
                fields=("article", "visitor", "day"), name="article_view_once_a_day"
            ),
        ),
        migrations.RunPython(_postgres(STORAGE_MAIN), _postgres(STORAGE_EXTENDED)),
    ]
