"""Resolution-time and SLA reports, aggregated in the database from TicketMetrics.

On PostgreSQL medians and 90th percentiles are `percentile_cont`; on SQLite, which has no
ordered-set aggregates, the same interpolation is done in Python over the values the database
returns. Every number comes with its definition (DEFINITIONS), shown next to it on the page.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Aggregate, Avg, Count, FloatField, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import Ticket, TicketMetrics
from ..status import ACTIVE_STATUSES, Status
from .filters import ReportFilters

DURATIONS = {
    "first_response": "first_response_seconds",
    "resolution": "resolution_seconds",
    "full_resolution": "full_resolution_seconds",
    "on_hold": "on_hold_seconds",
}
DEFINITIONS = {
    "first_response": _(
        "From the report to the first public reply from staff (or the resolution, if that came "
        "first). Wall-clock hours."
    ),
    "resolution": _("From the report to the first time it was resolved. Wall-clock hours."),
    "full_resolution": _(
        "From the report to the last time it was resolved, reopens included. Wall-clock hours."
    ),
    "on_hold": _("Time spent on hold, waiting for the customer, up to the last resolution."),
    "reopen_rate": _("Share of resolved tickets that were reopened at least once."),
    "response_sla": _(
        "Share of tickets whose first response met the target of their priority's policy; time "
        "on hold does not count; tickets still within target are left out."
    ),
    "resolution_sla": _(
        "Share of tickets resolved within their policy's target, time on hold excluded; tickets "
        "still within target are left out."
    ),
    "backlog": _("Tickets not yet resolved, now, by status and by age since they were reported."),
    "weekly": _("Tickets reported and first resolved in each week (Monday to Sunday)."),
}
AGE_BUCKETS = [
    (_("under a day"), timedelta(0), timedelta(days=1)),
    (_("1 to 3 days"), timedelta(days=1), timedelta(days=3)),
    (_("3 to 7 days"), timedelta(days=3), timedelta(days=7)),
    (_("1 to 4 weeks"), timedelta(days=7), timedelta(days=28)),
    (_("over 4 weeks"), timedelta(days=28), None),
]
GROUPINGS = {"agent": "assignee", "category": "category", "priority": "priority"}


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate: the interpolated p-quantile of the values."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """What percentile_cont computes: linear interpolation between the closest ranks."""
    if not sorted_values:
        return None
    position = (len(sorted_values) - 1) * fraction
    lower, upper = math.floor(position), math.ceil(position)
    low, high = sorted_values[lower], sorted_values[upper]
    return low + (high - low) * (position - lower)


@dataclass
class Stat:
    count: int = 0
    mean: float | None = None
    median: float | None = None
    p90: float | None = None


@dataclass(frozen=True)
class BreakdownRow:
    """One agent's, service's or priority's line of a breakdown."""

    key: int | str | None  # the agent's or service's id, the priority; None: not set
    label: str
    tickets: int
    resolved: int
    resolution: Stat
    first_response: Stat
    resolution_sla: float | None  # percent met of those decided


@dataclass
class Report:
    filters: ReportFilters
    tickets: int = 0
    durations: dict[str, Stat] = field(default_factory=dict)
    resolved: int = 0
    reopened: int = 0
    response_sla: tuple[int, int] = (0, 0)  # met, decided
    resolution_sla: tuple[int, int] = (0, 0)
    backlog_by_status: list[tuple[str, int]] = field(default_factory=list)
    backlog_by_age: list[tuple[str, int]] = field(default_factory=list)
    weekly: list[tuple[date, int, int]] = field(default_factory=list)
    breakdowns: dict[str, list[BreakdownRow]] = field(default_factory=dict)

    @property
    def reopen_rate(self) -> float | None:
        return self.reopened / self.resolved * 100 if self.resolved else None

    @staticmethod
    def _share(pair: tuple[int, int]) -> float | None:
        met, decided = pair
        return met / decided * 100 if decided else None

    @property
    def response_sla_percent(self) -> float | None:
        return self._share(self.response_sla)

    @property
    def resolution_sla_percent(self) -> float | None:
        return self._share(self.resolution_sla)


def _sliced(rows: QuerySet, filters: ReportFilters) -> QuerySet:
    """Rows of TicketMetrics or Ticket (same field names) in the filters' slice."""
    if filters.assignee_id:
        rows = rows.filter(assignee_id=filters.assignee_id)
    if filters.category_id:
        rows = rows.filter(category_id=filters.category_id)
    if filters.priority:
        rows = rows.filter(priority=filters.priority)
    return rows


def cohort(filters: ReportFilters) -> QuerySet[TicketMetrics]:
    """The tickets reported in the range, in the slice."""
    rows = TicketMetrics.objects.filter(created_at__gte=filters.since, created_at__lt=filters.until)
    return _sliced(rows, filters)


def _count_aggregates() -> dict:
    """The counts of a cohort, named so as not to shadow the model's fields."""
    return {
        "n_tickets": Count("pk"),
        "n_resolved": Count("pk", filter=Q(first_resolved_at__isnull=False)),
        "n_reopened": Count("pk", filter=Q(reopen_count__gt=0)),
        "n_response_met": Count("pk", filter=Q(response_met=True)),
        "n_response_decided": Count("pk", filter=Q(response_met__isnull=False)),
        "n_resolution_met": Count("pk", filter=Q(resolution_met=True)),
        "n_resolution_decided": Count("pk", filter=Q(resolution_met__isnull=False)),
    }


def _counts_of(row: dict) -> dict:
    return {key.removeprefix("n_"): value for key, value in row.items() if key.startswith("n_")}


def _duration_aggregates(wanted: dict[str, str]) -> dict:
    """PostgreSQL: count, mean and exact percentiles per metric. Each metric costs a sort of
    its values (its median and 90th percentile share it): ask only for what is shown."""
    aggregates = {}
    for name, column in wanted.items():
        present = Q(**{f"{column}__isnull": False})
        aggregates |= {
            f"{name}__count": Count(column, filter=present),
            f"{name}__mean": Avg(column, filter=present),
            f"{name}__median": PercentileCont(column, 0.5, filter=present),
            f"{name}__p90": PercentileCont(column, 0.9, filter=present),
        }
    return aggregates


def _stats_of(row: dict, wanted: dict[str, str]) -> dict[str, Stat]:
    return {
        name: Stat(
            count=row[f"{name}__count"],
            mean=row[f"{name}__mean"],
            median=row[f"{name}__median"],
            p90=row[f"{name}__p90"],
        )
        for name in wanted
    }


def _stats_in_python(rows: QuerySet[TicketMetrics], group: str | None, wanted: dict) -> dict:
    """SQLite has no ordered-set aggregates: the values, and percentile_cont's interpolation
    in Python."""
    keys = [group] if group else []
    values: dict = {}
    for row in rows.order_by().values_list(*keys, *wanted.values()):
        key = row[0] if group else None
        lists = values.setdefault(key, {name: [] for name in wanted})
        for name, value in zip(wanted, row[len(keys) :], strict=True):
            if value is not None:
                lists[name].append(value)
    return {
        key: {
            name: Stat(
                count=len(v),
                mean=sum(v) / len(v) if v else None,
                median=percentile(sorted(v), 0.5),
                p90=percentile(sorted(v), 0.9),
            )
            for name, v in metrics.items()
        }
        for key, metrics in values.items()
    }


def _summaries(
    rows: QuerySet[TicketMetrics], group: str | None = None, metrics: Iterable[str] = DURATIONS
) -> dict:
    """{group value: (counts, {metric: Stat})}: one pass over the cohort on PostgreSQL
    (counts and percentiles together), two on SQLite."""
    wanted = {name: DURATIONS[name] for name in metrics}
    if connection.vendor == "postgresql":
        aggregates = {**_count_aggregates(), **_duration_aggregates(wanted)}
        result = (
            rows.values(group).annotate(**aggregates).order_by()
            if group
            else [rows.aggregate(**aggregates)]
        )
        return {
            (row[group] if group else None): (_counts_of(row), _stats_of(row, wanted))
            for row in result
        }
    if group:
        grouped = rows.values(group).annotate(**_count_aggregates()).order_by()
        counts = {row[group]: _counts_of(row) for row in grouped}
    else:
        counts = {None: _counts_of(rows.aggregate(**_count_aggregates()))}
    stats = _stats_in_python(rows, group, wanted)
    nothing = {name: Stat() for name in wanted}
    return {key: (count, stats.get(key, nothing)) for key, count in counts.items()}


def backlog(filters: ReportFilters, *, now: datetime | None = None):
    """Unfinished tickets now, by status and by age: from the tickets themselves, on PostgreSQL
    from the partial index on unfinished tickets alone (migration 0012: it holds every column
    counted or sliced by here)."""
    now = now or timezone.now()
    rows = _sliced(Ticket.objects.filter(status__in=ACTIVE_STATUSES), filters)
    # Count the status, not the id: the covering index holds no id, and then PostgreSQL
    # answers from the index alone.
    by_status = dict(rows.values_list("status").annotate(n=Count("status")).order_by())
    buckets = {}
    for i, (_label, low, high) in enumerate(AGE_BUCKETS):
        condition = Q(created_at__lte=now - low)
        if high is not None:
            condition &= Q(created_at__gt=now - high)
        buckets[f"age_{i}"] = Count("status", filter=condition)
    ages = rows.aggregate(**buckets)
    return (
        [(str(Status(s).label), by_status.get(s, 0)) for s in ACTIVE_STATUSES],
        [(str(label), ages[f"age_{i}"]) for i, (label, _l, _h) in enumerate(AGE_BUCKETS)],
    )


def weekly(filters: ReportFilters) -> list[tuple[date, int, int]]:
    """(Monday, reported, first resolved) for each week of the range."""
    zone = filters.zone
    created = dict(
        cohort(filters)
        .annotate(week=TruncWeek("created_at", tzinfo=zone))
        .values_list("week")
        .annotate(n=Count("pk"))
        .order_by()
    )
    resolved_rows = _sliced(
        TicketMetrics.objects.filter(
            first_resolved_at__gte=filters.since, first_resolved_at__lt=filters.until
        ),
        filters,
    )
    resolved = dict(
        resolved_rows.annotate(week=TruncWeek("first_resolved_at", tzinfo=zone))
        .values_list("week")
        .annotate(n=Count("pk"))
        .order_by()
    )

    def day(moment) -> date:
        return moment.date() if isinstance(moment, datetime) else moment

    created = {day(k): v for k, v in created.items()}
    resolved = {day(k): v for k, v in resolved.items()}
    monday = filters.start - timedelta(days=filters.start.weekday())
    weeks = []
    while monday <= filters.end:
        weeks.append((monday, created.get(monday, 0), resolved.get(monday, 0)))
        monday += timedelta(days=7)
    return weeks


def _group_labels(group: str, keys: Iterable) -> dict:
    from accounts.models import User

    from ..models import Category
    from ..status import Priority

    keys = [k for k in keys if k is not None]
    if group == "assignee":
        return dict(User.objects.filter(pk__in=keys).values_list("pk", "display_name"))
    if group == "category":
        return dict(Category.objects.filter(pk__in=keys).values_list("pk", "name"))
    return {k: str(Priority(k).label) for k in keys}


def breakdown(filters: ReportFilters, by: str) -> list[BreakdownRow]:
    group = GROUPINGS[by]
    summaries = _summaries(cohort(filters), group, metrics=("first_response", "resolution"))
    labels = _group_labels(group, summaries)
    nobody = _("Unassigned") if group == "assignee" else _("Not set")
    result = []
    for key, (count, durations) in summaries.items():
        met, decided = count["resolution_met"], count["resolution_decided"]
        result.append(
            BreakdownRow(
                key=key,
                label=labels.get(key, str(nobody)),
                tickets=count["tickets"],
                resolved=count["resolved"],
                resolution=durations["resolution"],
                first_response=durations["first_response"],
                resolution_sla=met / decided * 100 if decided else None,
            )
        )
    return sorted(result, key=lambda row: (-row.tickets, row.label))


def build(filters: ReportFilters, *, now: datetime | None = None) -> Report:
    totals, stats = _summaries(cohort(filters))[None]
    by_status, by_age = backlog(filters, now=now)
    return Report(
        filters=filters,
        tickets=totals["tickets"],
        durations=stats,
        resolved=totals["resolved"],
        reopened=totals["reopened"],
        response_sla=(totals["response_met"], totals["response_decided"]),
        resolution_sla=(totals["resolution_met"], totals["resolution_decided"]),
        backlog_by_status=by_status,
        backlog_by_age=by_age,
        weekly=weekly(filters),
        breakdowns={by: breakdown(filters, by) for by in GROUPINGS},
    )
