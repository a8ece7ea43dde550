"""The indexes the database holds are the ones the models declare, columns and all, so a
future `makemigrations` has nothing to drop or add behind anyone's back."""

import pytest
from django.db import connection

from tickets.models import Ticket


def index_columns(name: str) -> list[str]:
    """Key columns, then included ones, of the index `name` as PostgreSQL holds it."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.attname
            FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid
            JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) ON true
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE c.relname = %s
            ORDER BY k.position
            """,
            [name],
        )
        return [row[0] for row in cursor.fetchall()]


COVERING = [index for index in Ticket._meta.indexes if index.include]


def test_the_sla_index_is_declared_covering():
    assert [index.name for index in COVERING] == ["ticket_active_sla_idx"]


@pytest.mark.parametrize("index", COVERING, ids=lambda index: index.name)
def test_a_covering_index_holds_the_columns_its_model_declares(postgres, index):
    columns = [Ticket._meta.get_field(name).column for name in [*index.fields, *index.include]]
    assert index_columns(index.name) == columns
