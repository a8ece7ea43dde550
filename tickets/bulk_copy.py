"""Loading many rows at once through PostgreSQL's COPY (demo and benchmark data only).

COPY is an order of magnitude faster than INSERT for millions of rows; it fires the same row
triggers and checks the same constraints. Rows are model instances, encoded in COPY's text
format; primary keys are either given (reserved up front with `reserve_ids`, so that other
rows can point at them) or left to the column's default.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime

from django.db import connection, models

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def encode(value: object) -> str:
    """One value in COPY's text format (NULL is \\N)."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).translate(_ESCAPES)


def columns(model: type[models.Model], *, with_pk: bool) -> list[models.Field]:
    return [
        f for f in model._meta.concrete_fields if with_pk or not (f.primary_key and f.auto_created)
    ]


def encode_rows(
    objects: Iterable[models.Model], model: type[models.Model], *, with_pk: bool
) -> str:
    fields = columns(model, with_pk=with_pk)
    out = io.StringIO()
    for obj in objects:
        out.write("\t".join(encode(getattr(obj, f.attname)) for f in fields))
        out.write("\n")
    return out.getvalue()


def copy_encoded(model: type[models.Model], text: str, *, with_pk: bool) -> None:
    """COPY rows that `encode_rows` produced (perhaps in another process)."""
    if not text:
        return
    names = ", ".join(connection.ops.quote_name(f.column) for f in columns(model, with_pk=with_pk))
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {table} ({names}) FROM STDIN", io.StringIO(text))


def reserve_ids(model: type[models.Model], count: int) -> int:
    """Take `count` consecutive primary keys from the table's sequence; return the first."""
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, %s), nextval(pg_get_serial_sequence(%s, %s))"
            " + %s - 1)",
            [table, column, table, column, count],
        )
        (last,) = cursor.fetchone()
    return last - count + 1
