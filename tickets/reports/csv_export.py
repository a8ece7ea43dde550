"""The report as CSV: the summary's numbers, and one row per ticket of the cohort."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.db.models import BooleanField, Case, CharField, Value, When
from django.utils import timezone

from ..models import format_reference
from ..sla import BusinessCalendar, business_total
from ..text import strip_invisible_start
from . import figures
from .aggregates import CLOCKS, DEFINITIONS, Report, scope, with_on_hold_now
from .filters import ReportFilters
from .workload import LOAD_STATUSES

TICKET_COLUMNS = [
    "reference",
    "subject",
    "priority",
    "service",
    "assignee",
    "status",
    "created",
    "final_resolution",
    "reported_in_range",
    "counted_as_resolved",
    "first_response_hours",
    "resolution_hours",
    "full_resolution_hours",
    "on_hold_hours",
    "first_response_business_hours",
    "resolution_business_hours",
    "full_resolution_business_hours",
    "on_hold_business_hours",
    "reopens",
    "response_sla",
    "resolution_sla",
    "rating",
    "rating_comment",
]


def hours(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds / 3600:.2f}"


def hours_number(seconds: float | None) -> float | None:
    """hours() as a number, for a spreadsheet's own cells (xlsx): the same two decimals."""
    return None if seconds is None else round(seconds / 3600, 2)


def percent_text(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def percent_number(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _flag(condition) -> Case:
    return Case(
        When(condition, then=Value(True)), default=Value(False), output_field=BooleanField()
    )


def _outcome(target: str, as_of: datetime) -> Case:
    """ "met", "breached" or "" (not decided), as the report counts it (figures)."""
    return Case(
        When(figures.figure(f"{target}_met", as_of=as_of), then=Value("met")),
        When(figures.figure(f"{target}_breached", as_of=as_of), then=Value("breached")),
        default=Value(""),
        output_field=CharField(),
    )


def ticket_rows(
    filters: ReportFilters, *, now: datetime | None = None, typed: bool = False
) -> Iterator[list]:
    """One row per ticket the report counts (reported in the range, or counted by the
    resolution figures), streamed from the database in chunks; time on hold up to `now`.
    Typed (for xlsx): hours as numbers, moments as the help desk's local time, blanks None;
    else all text, as CSV writes it."""
    as_of = now or timezone.now()
    rows = with_on_hold_now(scope(filters), as_of, business_total(BusinessCalendar.load(), as_of))
    rows = (
        rows.annotate(
            in_reported=_flag(figures.reported_between(filters.start, filters.end)),
            in_resolution=_flag(figures.resolution_set(filters.start, filters.end, filters.basis)),
            response_outcome=_outcome("response", as_of),
            resolution_outcome=_outcome("resolution", as_of),
        )
        .order_by("created_at", "ticket_id")
        .values_list(
            "ticket_id",
            "ticket__subject",
            "priority",
            "category__name",
            "assignee__display_name",
            "status",
            "created_at",
            "final_resolved_at",
            "in_reported",
            "in_resolution",
            "first_response_seconds",
            "resolution_seconds",
            "full_resolution_seconds",
            "on_hold_now",
            "first_response_business_seconds",
            "resolution_business_seconds",
            "full_resolution_business_seconds",
            "on_hold_business_now",
            "reopen_count",
            "response_outcome",
            "resolution_outcome",
            "rating",
            "ticket__rating__comment",
        )
    )
    zone = filters.zone

    def moment(value: datetime | None) -> str | datetime | None:
        if value is None:
            return None if typed else ""
        local = value.astimezone(zone)
        # A spreadsheet keeps no time zone: the help desk's wall-clock time, to the minute.
        if typed:
            return local.replace(tzinfo=None, second=0, microsecond=0)
        return local.isoformat(timespec="minutes")

    as_hours = hours_number if typed else hours

    for row in rows.iterator(chunk_size=5000):
        (pk, subject, priority, service, assignee, status, created, final, reported, counted) = row[
            :10
        ]
        durations = row[10:18]
        reopens, response_outcome, resolution_outcome, rating, rating_comment = row[18:]
        yield [
            format_reference(pk),
            subject,
            priority,
            service or "",
            assignee or "",
            status,
            moment(created),
            moment(final),
            "yes" if reported else "no",
            "yes" if counted else "no",
            *(as_hours(seconds) for seconds in durations),
            reopens,
            response_outcome,
            resolution_outcome,
            "" if rating is None else rating,
            rating_comment or "",
        ]


def summary_rows(report: Report, *, typed: bool = False) -> Iterator[list]:
    """The page's numbers as rows: metric, count, mean, median, p90 (hours) or a value. The
    first rows say what the resolution figures count (the basis) and as of when. Typed (for
    xlsx): hours and percentages as numbers; else text, as CSV writes it."""
    as_hours, as_percent = (hours_number, percent_number) if typed else (hours, percent_text)
    yield ["metric", "count", "mean_hours", "median_hours", "p90_hours", "value"]
    yield ["basis", "", "", "", "", report.filters.basis]
    yield ["basis_definition", "", "", "", "", report.basis_definition]
    yield ["as_of", "", "", "", "", report.as_of.isoformat() if report.as_of else ""]
    yield ["tickets", report.tickets, "", "", "", ""]
    yield ["resolved", report.resolved, "", "", "", ""]
    for clock, stats in zip(CLOCKS, (report.durations, report.business), strict=True):
        suffix = "" if clock == "wall" else "_business"
        for name, stat in stats.items():
            yield [
                f"{name}{suffix}",
                stat.count,
                as_hours(stat.mean),
                as_hours(stat.median),
                as_hours(stat.p90),
                "",
            ]
    for name, value in [
        ("on_hold_share_percent", report.held_percent),
        ("reopen_rate_percent", report.reopen_rate),
        ("response_sla_percent", report.response_sla_percent),
        ("resolution_sla_percent", report.resolution_sla_percent),
    ]:
        yield [name, "", "", "", "", as_percent(value)]
    for kind, _label, count in report.holds_by_kind_shown:
        yield [f"holds_by_kind:{kind}", count, "", "", "", ""]
    for label, count in report.backlog_by_status:
        yield [f"backlog_status:{label}", count, "", "", "", ""]
    for label, count in report.backlog_by_age:
        yield [f"backlog_age:{label}", count, "", "", "", ""]
    for monday, created, resolved in report.weekly:
        yield [f"week:{monday.isoformat()}", created, "", "", "", resolved]
    # Satisfaction: count = ratings, value = percent of 4 and 5 stars.
    yield ["csat_definition", "", "", "", "", str(DEFINITIONS["csat"])]
    yield ["csat_percent", report.rated, "", "", "", _percent(report.csat_percent)]
    yield ["csat_satisfied", report.satisfied, "", "", "", ""]
    for week in report.csat_weekly:
        yield [
            f"csat_week:{week.monday.isoformat()}",
            week.rated,
            "",
            "",
            "",
            _percent(week.percent),
        ]
    for by, rows in report.breakdowns.items():
        for row in rows:
            key = "" if row.key is None else row.key
            yield [
                f"csat_{by}:{key}:{row.label}",
                row.counts["rated"],
                "",
                "",
                "",
                _percent(row.csat_percent),
            ]


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


WORKLOAD_COLUMNS = [
    "agent_id",
    "agent",
    "active",
    "assigned",
    "resolved",
    "public_replies",
    "internal_notes",
    "median_first_response_hours",
    *(f"open_{status}" for status in LOAD_STATUSES),
]


def workload_rows(report: Report) -> Iterator[list]:
    """The workload table: one row per member of staff (reports.workload)."""
    yield WORKLOAD_COLUMNS
    for row in report.workload:
        yield [
            row.agent_id,
            row.name,
            "yes" if row.active else "no",
            row.counts["assigned"],
            row.counts["resolved"],
            row.counts["replies"],
            row.counts["notes"],
            hours(row.first_response_median),
            *(row.open_load.get(status, 0) for status in LOAD_STATUSES),
        ]


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


def ticket_rows_with_header(
    filters: ReportFilters, *, now: datetime | None = None, typed: bool = False
) -> Iterator[list]:
    yield TICKET_COLUMNS
    yield from ticket_rows(filters, now=now, typed=typed)
