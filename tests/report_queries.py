"""The query count of one report build, for the tests that count the queries of the pages,
exports and API answers built on it."""

from django.db import connection


def report_queries() -> int:
    """A snapshot looked for (none), then one query per figure, breakdown and list of
    reports.build(): counts, durations, the backlog, per week, by agent, service and priority,
    CSAT per week, workload (assigned, resolved, replies and notes, open load, names), holds
    by kind. SQLite reads each group's durations to find their percentiles (four more);
    PostgreSQL computes them."""
    return 21 if connection.vendor == "postgresql" else 25
