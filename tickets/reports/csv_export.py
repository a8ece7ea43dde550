"""The report as CSV: the summary's numbers, and one row per ticket of the cohort."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from ..models import format_reference
from ..text import strip_invisible_start
from .aggregates import Report, cohort
from .filters import ReportFilters

TICKET_COLUMNS = [
    "reference",
    "subject",
    "priority",
    "service",
    "assignee",
    "status",
    "created",
    "first_response_hours",
    "resolution_hours",
    "full_resolution_hours",
    "on_hold_hours",
    "reopens",
    "response_sla",
    "resolution_sla",
]


def hours(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds / 3600:.2f}"


def _sla(outcome: bool | None) -> str:
    return {True: "met", False: "breached", None: ""}[outcome]


def ticket_rows(filters: ReportFilters) -> Iterator[list]:
    """One row per ticket of the cohort, streamed from the database in chunks."""
    rows = (
        cohort(filters)
        .order_by("created_at", "ticket_id")
        .values_list(
            "ticket_id",
            "ticket__subject",
            "priority",
            "category__name",
            "assignee__display_name",
            "status",
            "created_at",
            "first_response_seconds",
            "resolution_seconds",
            "full_resolution_seconds",
            "on_hold_seconds",
            "reopen_count",
            "response_met",
            "resolution_met",
        )
    )
    zone = filters.zone
    for (
        pk,
        subject,
        priority,
        service,
        assignee,
        status,
        created,
        first,
        resolution,
        full,
        hold,
        reopens,
        response_met,
        resolution_met,
    ) in rows.iterator(chunk_size=5000):
        yield [
            format_reference(pk),
            subject,
            priority,
            service or "",
            assignee or "",
            status,
            created.astimezone(zone).isoformat(timespec="minutes"),
            hours(first),
            hours(resolution),
            hours(full),
            hours(hold),
            reopens,
            _sla(response_met),
            _sla(resolution_met),
        ]


def summary_rows(report: Report) -> Iterator[list]:
    """The page's numbers as rows: metric, count, mean, median, p90 (hours) or a value."""
    yield ["metric", "count", "mean_hours", "median_hours", "p90_hours", "value"]
    yield ["tickets", report.tickets, "", "", "", ""]
    for name, stat in report.durations.items():
        yield [name, stat.count, hours(stat.mean), hours(stat.median), hours(stat.p90), ""]
    for name, value in [
        ("reopen_rate_percent", report.reopen_rate),
        ("response_sla_percent", report.response_sla_percent),
        ("resolution_sla_percent", report.resolution_sla_percent),
    ]:
        yield [name, "", "", "", "", "" if value is None else f"{value:.1f}"]
    for label, count in report.backlog_by_status:
        yield [f"backlog_status:{label}", count, "", "", "", ""]
    for label, count in report.backlog_by_age:
        yield [f"backlog_age:{label}", count, "", "", "", ""]
    for monday, created, resolved in report.weekly:
        yield [f"week:{monday.isoformat()}", created, "", "", "", resolved]


# What makes a spreadsheet read a cell as a formula, and the full-width forms some of them
# also accept. Spreadsheets skip blanks and invisible characters before it (a zero-width space
# or a BOM, "\u200b=1"), so the guard looks past them too.
FORMULA_STARTS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_safe(value) -> object:
    """Spreadsheets run cells that start like a formula: defuse them with a leading quote."""
    if isinstance(value, str) and (
        value[:1] in ("\t", "\r") or strip_invisible_start(value)[:1] in FORMULA_STARTS
    ):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[list]) -> Iterator[str]:
    """Rows as lines of CSV, each cell defused (csv_safe): streamed by the downloads, joined
    for a digest's attachments."""
    writer = csv.writer(_Echo())
    return (writer.writerow([csv_safe(v) for v in row]) for row in rows)


def ticket_rows_with_header(filters: ReportFilters) -> Iterator[list]:
    yield TICKET_COLUMNS
    yield from ticket_rows(filters)
