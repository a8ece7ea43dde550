"""Drill-down: the queue (and the API's ticket list) showing exactly the tickets behind a
number of the report, with the same range, basis and slice (reports.figures)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from urllib.parse import urlencode

from django.db.models import Count, Subquery
from django.http import QueryDict
from django.urls import reverse

from ..models import Ticket, TicketMetrics
from ..status import ACTIVE_STATUSES
from . import figures
from .aggregates import COUNTED, Report, sliced
from .filters import RESOLVED_BASIS, ReportFilters
from .workload import LOAD_STATUSES, WorkloadRow

# A breakdown's key goes into the queue filter of the same name.
SLICE_PARAMS = {"agent": "assignee", "category": "category", "priority": "priority"}


def query(
    filters: ReportFilters,
    figure: str = "",
    *,
    start: date | None = None,
    end: date | None = None,
    basis: str | None = None,
    **overrides,
) -> str:
    """The queue's query string for one figure (or none: a plain filtered view)."""
    # A plain dict and urlencode: the report links every count of every breakdown row
    # (thousands with 300 agents), and a QueryDict per link cost seconds.
    params = {"view": "all" if figure and figure not in figures.ATTENTION else "open"}
    if figure:
        params["figure"] = figure
    if figure in figures.FIGURES:
        params["basis"] = basis or filters.basis
        params["start"] = (start or filters.start).isoformat()
        params["end"] = (end or filters.end).isoformat()
    slice_ = {
        "assignee": filters.assignee_id,
        "category": filters.category_id,
        "priority": filters.priority,
        **overrides,
    }
    for name, value in slice_.items():
        if value:
            params[name] = str(value)
    return urlencode(params)


def report_query(filters: ReportFilters) -> str:
    """The report page's query string for these filters (and its CSVs', its comments')."""
    params = QueryDict(mutable=True)
    params["start"], params["end"] = filters.start.isoformat(), filters.end.isoformat()
    for name, value in (
        ("agent", filters.assignee_id),
        ("category", filters.category_id),
        ("priority", filters.priority),
    ):
        if value:
            params[name] = str(value)
    if filters.basis != RESOLVED_BASIS:
        params["basis"] = filters.basis
    return params.urlencode()


def queue_url(filters: ReportFilters, figure: str = "", *, path: str = "", **kwargs) -> str:
    """The queue's address for one figure; `path`: the queue's, when the caller looked it up
    once for many links (reverse() costs more than the rest of a link)."""
    return f"{path or reverse('agent:queue')}?{query(filters, figure, **kwargs)}"


def api_url(filters: ReportFilters, figure: str = "", **kwargs) -> str:
    return f"{reverse('api:ticket-list')}?{query(filters, figure, **kwargs)}"


# The counts of a breakdown row that the page links (the API links every one of them).
ROW_LINKED = (
    "reported",
    "resolved",
    "resolution_met",
    "resolution_decided",
    "rated",
    "satisfied",
)


def links(report: Report) -> dict:
    """Queue links for every count of the report: totals, breakdown rows, weeks."""
    filters = report.filters
    url = partial(queue_url, path=reverse("agent:queue"))
    by_row = {}
    for by, rows in report.breakdowns.items():
        param = SLICE_PARAMS[by]
        # No link for "Unassigned" / "Not set": the queue filters on a value, not its absence.
        by_row[by] = {
            row.key: (
                {}
                if row.key is None
                else {name: url(filters, name, **{param: row.key}) for name in ROW_LINKED}
            )
            for row in rows
        }
    weeks = []
    for monday, reported, resolved in report.weekly:
        start = max(monday, filters.start)
        end = min(monday + timedelta(days=6), filters.end)
        weeks.append(
            {
                "monday": monday,
                "reported": reported,
                "resolved": resolved,
                "reported_url": url(filters, "reported", start=start, end=end),
                # The weekly table counts final resolutions in the week, whatever the basis.
                "resolved_url": url(
                    filters, "resolved", start=start, end=end, basis=RESOLVED_BASIS
                ),
            }
        )
    csat_weeks = []
    for week in report.csat_weekly:
        start = max(week.monday, filters.start)
        end = min(week.monday + timedelta(days=6), filters.end)
        csat_weeks.append(
            {
                "week": week,
                "rated_url": url(filters, "rated", start=start, end=end),
                "satisfied_url": url(filters, "satisfied", start=start, end=end),
            }
        )
    return {
        "totals": {name: url(filters, name) for name in COUNTED},
        "breakdowns": by_row,
        "weekly": weeks,
        "csat_weekly": csat_weeks,
        "workload": workload_links(filters, report.workload),
    }


def workload_links(filters: ReportFilters, rows: list[WorkloadRow]) -> dict[int, dict[str, str]]:
    """For each agent of the workload table, the queue of their unfinished tickets in each
    status (and all of them, "open"): the queue has no filter for what happened in a range."""
    url = partial(queue_url, path=reverse("agent:queue"))
    return {
        row.agent_id: {
            "open": url(filters, assignee=row.agent_id),
            **{
                str(status): url(filters, assignee=row.agent_id, status=status)
                for status in LOAD_STATUSES
            },
        }
        for row in rows
    }


@dataclass(frozen=True)
class AttentionList:
    name: str
    label: str
    count: int
    tickets: list[Ticket]
    url: str


ATTENTION_SHOWN = 10


def needs_attention(
    filters: ReportFilters, *, now: datetime, shown: int = ATTENTION_SHOWN
) -> list[AttentionList]:
    """Unfinished tickets in the slice a manager should look at now: past due, about to
    breach, reopened twice, waiting on the customer for more than REPORT_WAITING_DAYS days.
    How many of each and the first few of each, most urgent first (longest waiting first for
    the wait).

    The SLA reasons are counted on the tickets (their due-time index, one query); the others
    each on the tickets' metrics rows, which carry the status too, through a partial index
    that holds only the tickets concerned: never a join of every unfinished ticket."""
    tickets = sliced(Ticket.objects.filter(status__in=ACTIVE_STATUSES), filters)
    # Counting the due times (never NULL where these count): the due-time index holds them,
    # so the tickets themselves are not read.
    counts = tickets.aggregate(
        **{
            name: Count("sla_due_at", filter=figures.attention(name, now=now))
            for name in figures.ATTENTION
            if name in figures.ON_TICKET
        }
    )
    rows = sliced(TicketMetrics.objects.all(), filters)
    for name in figures.ATTENTION:
        if name not in figures.ON_TICKET:
            counts[name] = rows.filter(figures.attention(name, now=now)).count()
    result = []
    for name, label in figures.ATTENTION.items():
        if name in figures.ON_TICKET:
            first = tickets.filter(figures.attention(name, now=now))
            first = first.order_by("sla_due_at", "created_at", "pk")
        else:  # the first few found on the metrics' partial index, then their tickets
            order = ATTENTION_ORDER[name]
            found = rows.filter(figures.attention(name, now=now)).order_by(order, "ticket_id")
            first = tickets.filter(pk__in=Subquery(found.values("ticket_id")[:shown]))
            first = first.order_by(f"metrics__{order}", "pk")
        result.append(
            AttentionList(
                name=name,
                label=str(label),
                count=counts[name],
                tickets=list(first.select_related("assignee")[:shown]) if counts[name] else [],
                url=queue_url(filters, name),
            )
        )
    return result


# The first shown of a reason read from the metrics: the longest waiting, the oldest reopened.
ATTENTION_ORDER = {"waiting": "on_hold_since", "reopened_twice": "created_at"}
