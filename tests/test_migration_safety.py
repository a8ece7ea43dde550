"""Every migration from now on can run while the help desk is in use (README, "Migrations on a
live database"): its SQL on PostgreSQL neither rewrites a table nor locks one for as long as
reading it takes. The migrations written before this rule are listed by name below; a new one
is checked, and the list is never extended to let a new one through."""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader

from tests.migration_safety import problems

OUR_APPS = ("accounts", "tickets", "knowledge")
GRANDFATHERED = {
    "accounts": {
        "0001_initial", "0002_api_token", "0003_security_policy", "0004_canonical_email",
        "0005_clean_display_names", "0006_email_skeleton", "0007_time_zone", "0008_availability",
    },
    "tickets": {
        "0001_initial", "0002_database_guards", "0003_rating", "0004_customer_replied_at",
        "0005_search_indexes", "0006_service_levels", "0007_default_service_levels",
        "0008_sla_notifications", "0009_backlog_index", "0010_report_snapshots",
        "0011_queue_sort_indexes", "0012_backlog_on_sla_index", "0013_sla_index_in_model_state",
        "0014_note_audience_and_public_version", "0015_delivery_retries",
        "0016_clean_subjects", "0017_account_notifications", "0018_inbound_messages",
        "0019_followers", "0020_inbound_answers", "0021_report_definitions",
        "0022_dashboard_digests", "0023_notification_events_united", "0024_csat_workload",
        "0025_hold_kinds", "0026_attention_indexes", "0027_search_documents",
        "0028_subject_changes", "0029_closed_by_the_help_desk", "0030_all_ticket_sorts",
        "0031_macros", "0032_saved_views", "0033_routing",
    },
    # 0002 was written alongside this checker, before it existed: its NOT NULL "day" and the
    # once-a-day unique constraint lock knowledge_articleview while they are built (a table of
    # article views, not of tickets). The next change to it must be made safe instead.
    "knowledge": {"0001_initial", "0002_article_images"},
}  # fmt: skip


def our_migrations() -> list[tuple[str, str]]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted(key for key in loader.disk_migrations if key[0] in OUR_APPS)


def sql_of(app: str, name: str) -> str:
    out = StringIO()
    call_command("sqlmigrate", app, name, stdout=out)
    return out.getvalue()


NEW = [key for key in our_migrations() if key[1] not in GRANDFATHERED[key[0]]]


def test_every_grandfathered_migration_exists():
    on_disk = set(our_migrations())
    listed = {(app, name) for app, names in GRANDFATHERED.items() for name in names}
    assert listed <= on_disk
    assert set(GRANDFATHERED) == set(OUR_APPS)
    assert all(apps.is_installed(app) for app in OUR_APPS)


@pytest.mark.parametrize(
    ("app", "name"),
    NEW
    or [
        pytest.param(
            "", "", marks=pytest.mark.skip(reason="no migration newer than the grandfathered ones")
        )
    ],
)
@pytest.mark.django_db(
    transaction=True
)  # sqlmigrate of a non-atomic migration needs no transaction
def test_a_new_migration_neither_rewrites_nor_locks_a_table(postgres, app, name):
    found = problems(sql_of(app, name))
    assert not found, f"{app}.{name} is not safe on a live database:\n" + "\n".join(found)


# The checker itself, on the statements Django writes for the usual operations.
UNSAFE = {
    "an index": 'CREATE INDEX "ticket_x_idx" ON "tickets_ticket" ("subject");',
    "a unique index": 'CREATE UNIQUE INDEX "t_u" ON "tickets_ticket" ("subject");',
    "a NOT NULL column without default": (
        'ALTER TABLE "tickets_ticket" ADD COLUMN "weight" integer NOT NULL;'
    ),
    "a column with a volatile default": (
        'ALTER TABLE "tickets_ticket" ADD COLUMN "seen" timestamp with time zone '
        "DEFAULT (STATEMENT_TIMESTAMP()) NOT NULL;"
    ),
    "a type change": 'ALTER TABLE "tickets_ticket" ALTER COLUMN "subject" TYPE text;',
    "SET NOT NULL": 'ALTER TABLE "tickets_ticket" ALTER COLUMN "team_id" SET NOT NULL;',
    "a check constraint": (
        'ALTER TABLE "tickets_ticket" ADD CONSTRAINT "c" CHECK ("priority" IN (\'low\'));'
    ),
    "a foreign key constraint": (
        'ALTER TABLE "tickets_ticket" ADD CONSTRAINT "fk" FOREIGN KEY ("team_id") '
        'REFERENCES "tickets_team" ("id") DEFERRABLE INITIALLY DEFERRED;'
    ),
    "a foreign key column": (
        'ALTER TABLE "tickets_ticket" ADD COLUMN "queue_id" bigint NULL CONSTRAINT "q_fk" '
        'REFERENCES "tickets_team"("id") DEFERRABLE INITIALLY DEFERRED;'
    ),
    "a unique constraint": ('ALTER TABLE "tickets_ticket" ADD CONSTRAINT "u" UNIQUE ("subject");'),
}
SAFE = {
    "an index built concurrently": (
        'CREATE INDEX CONCURRENTLY "ticket_x_idx" ON "tickets_ticket" ("subject");'
    ),
    "a nullable column": 'ALTER TABLE "tickets_ticket" ADD COLUMN "weight" integer NULL;',
    "a NOT NULL column with a constant default": (
        'ALTER TABLE "tickets_ticket" ADD COLUMN "weight" integer DEFAULT 0 NOT NULL; '
        'ALTER TABLE "tickets_ticket" ALTER COLUMN "weight" DROP DEFAULT;'
    ),
    "a check added NOT VALID": (
        'ALTER TABLE "tickets_ticket" ADD CONSTRAINT "c" CHECK ("weight" >= 0) NOT VALID;'
    ),
    "anything on a table made in the same migration": (
        'CREATE TABLE "tickets_tag" ("id" bigint NOT NULL PRIMARY KEY, "name" text NOT NULL);\n'
        'CREATE INDEX "tickets_tag_name" ON "tickets_tag" ("name");\n'
        'ALTER TABLE "tickets_tag" ADD CONSTRAINT "u" UNIQUE ("name");'
    ),
    "a comment mentioning CREATE INDEX": "-- CREATE INDEX would be bad here\nSELECT 1;",
    "a statement marked safe after review": (
        'ALTER TABLE "tickets_ticket" ALTER COLUMN "subject" TYPE varchar(300) '
        "/* safe: widening a varchar rewrites nothing */;"
    ),
}


@pytest.mark.parametrize("sql", UNSAFE.values(), ids=UNSAFE.keys())
def test_the_checker_refuses(sql):
    assert problems(sql)


@pytest.mark.parametrize("sql", SAFE.values(), ids=SAFE.keys())
def test_the_checker_lets_through(sql):
    assert problems(sql) == []


def test_the_checker_would_have_stopped_an_old_index_migration(postgres):
    # 0026 built its indexes the blocking way, before this rule.
    assert problems(sql_of("tickets", "0026_attention_indexes"))
