"""A lock that makes a check-then-write decision one at a time across processes."""

from django.db import connection


def serialised(key: str) -> None:
    """Wait until no other transaction holds `key`, then hold it until this one ends.

    For a decision read from rows that this transaction is about to add to (a cap counted
    from the rows it limits): two processes deciding at once would both see room for one
    more. PostgreSQL only (a transaction-level advisory lock); SQLite, for development,
    runs one writer at a time.
    """
    if connection.vendor != "postgresql":
        return
    if not connection.in_atomic_block:
        raise RuntimeError("serialised() holds its lock until the transaction ends: call it in one")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])
