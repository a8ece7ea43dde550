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
from django.db.models import (
    Aggregate,
    Avg,
    Case,
    Count,
    F,
    FloatField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import StatusHistory, Ticket, TicketMetrics
from ..sla import BusinessCalendar, business_total
from ..status import ACTIVE_STATUSES, HoldKind, Status
from . import figures, satisfaction, workload
from .filters import BASES, ReportFilters
from .satisfaction import CsatWeek, csat_percent
from .workload import WorkloadRow

# name → (wall-clock column, business-hours column, the figure whose tickets it counts over).
# The on-hold columns are worked out per query (with_on_hold_now): they run up to the report's
# "as of" moment for tickets on hold now.
DURATIONS = {
    "first_response": ("first_response_seconds", "first_response_business_seconds", "reported"),
    "resolution": ("resolution_seconds", "resolution_business_seconds", "resolved"),
    "full_resolution": (
        "full_resolution_seconds",
        "full_resolution_business_seconds",
        "resolved",
    ),
    "on_hold": ("on_hold_now", "on_hold_business_now", "held"),
}
CLOCKS = ("wall", "business")
DEFINITIONS = {
    "first_response": _(
        "Tickets reported in the range: from the report to the first public reply from staff "
        "(or the resolution, if that came first)."
    ),
    "resolution": _("From the report to the first time it was resolved."),
    "full_resolution": _("From the report to the final resolution, reopens included."),
    "on_hold": _(
        "Tickets reported in the range that were on hold: all their time on hold, waiting for "
        "the customer or on a third party, up to the final resolution, or up to now for those "
        "on hold now."
    ),
    "held_share": _("Share of the tickets reported in the range that were on hold."),
    "holds_by_kind": _(
        "How many times the tickets reported in the range were put on hold, by what they "
        "waited for: the customer (their reply resumes work) or a third party."
    ),
    "reopen_rate": _("Share of the resolved tickets that were reopened at least once."),
    "response_sla": _(
        "Tickets reported in the range whose first response met the target of their priority's "
        "policy; time on hold does not count; tickets still within target are left out."
    ),
    "resolution_sla": _(
        "Resolved within their policy's target, judged at the final resolution (a ticket "
        "reopened after a quick resolution is judged again), time on hold excluded. By tickets "
        "reported in the range, unresolved ones count once past their target; those still "
        "within target are left out."
    ),
    "clocks": _(
        "Each duration in wall-clock hours and in business hours (the working hours and "
        "holidays of the help desk's calendar)."
    ),
    "backlog": _("Tickets not yet resolved, now, by status and by age since they were reported."),
    "weekly": _("Tickets reported, and resolved for good, in each week (Monday to Sunday)."),
    "csat": _(
        "Customer satisfaction (CSAT): the share of 4 and 5 stars among the ratings customers "
        "gave the tickets the resolution figures count (by the basis above), whenever they "
        "rated; a ticket counts in the week of its final resolution (basis: resolved) or of "
        "its report (basis: reported), and under its agent, service and priority now."
    ),
    "csat_comments": _(
        "What customers wrote with their ratings, of the same tickets, newest rating first."
    ),
    "workload": _(
        "What each member of staff did in the range, whoever the ticket belongs to now: "
        "tickets assigned to them (taken, assigned or reassigned, each ticket once), tickets "
        "they resolved (each once, a reopened one too), public replies and internal notes "
        "they wrote; the median first response of the tickets reported in the range they "
        "hold now (as under By agent); and their unfinished tickets now, by status. "
        "Deactivated staff are listed when they did work in the range."
    ),
    "basis": {
        "resolved": _(
            "Resolution figures count the tickets resolved for good in the range (not reopened "
            "since), whenever they were reported."
        ),
        "reported": _(
            "Resolution figures count the tickets reported in the range that are resolved now."
        ),
    },
}
AGE_BUCKETS = [
    (_("under a day"), timedelta(0), timedelta(days=1)),
    (_("1 to 3 days"), timedelta(days=1), timedelta(days=3)),
    (_("3 to 7 days"), timedelta(days=3), timedelta(days=7)),
    (_("1 to 4 weeks"), timedelta(days=7), timedelta(days=28)),
    (_("over 4 weeks"), timedelta(days=28), None),
]
GROUPINGS = {"agent": "assignee", "category": "category", "priority": "priority"}
# The counts each report and breakdown row holds, by the figure that defines them.
COUNTED = (
    "reported",
    "responded",
    "response_met",
    "response_decided",
    "held",
    "resolved",
    "reopened",
    "resolution_met",
    "resolution_decided",
    "rated",
    "satisfied",
)


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


def _share(part: int, whole: int) -> float | None:
    return part / whole * 100 if whole else None


@dataclass(frozen=True)
class BreakdownRow:
    """One agent's, service's or priority's line of a breakdown."""

    key: int | str | None  # the agent's or service's id, the priority; None: not set
    label: str
    counts: dict[str, int]  # by figure (COUNTED)
    durations: dict[str, dict[str, Stat]]  # clock → first_response / resolution → Stat

    @property
    def tickets(self) -> int:
        return self.counts["reported"]

    @property
    def resolved(self) -> int:
        return self.counts["resolved"]

    @property
    def resolution(self) -> Stat:
        return self.durations["wall"]["resolution"]

    @property
    def first_response(self) -> Stat:
        return self.durations["wall"]["first_response"]

    @property
    def resolution_sla(self) -> float | None:
        """Percent met of those decided."""
        return _share(self.counts["resolution_met"], self.counts["resolution_decided"])

    @property
    def csat_percent(self) -> float | None:
        return csat_percent(self.counts["rated"], self.counts["satisfied"])


@dataclass
class Report:
    filters: ReportFilters
    as_of: datetime | None = None  # the moment running clocks were counted up to
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTED, 0))
    durations: dict[str, Stat] = field(default_factory=dict)  # wall clock
    business: dict[str, Stat] = field(default_factory=dict)  # business hours
    backlog_by_status: list[tuple[str, int]] = field(default_factory=list)
    backlog_by_age: list[tuple[str, int]] = field(default_factory=list)
    weekly: list[tuple[date, int, int]] = field(default_factory=list)
    breakdowns: dict[str, list[BreakdownRow]] = field(default_factory=dict)
    csat_weekly: list[CsatWeek] = field(default_factory=list)
    workload: list[WorkloadRow] = field(default_factory=list)
    # How many times the tickets reported in the range were put on hold, by what they waited
    # for (HoldKind values).
    holds_by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def holds_by_kind_shown(self) -> list[tuple[str, str, int]]:
        """(kind, label, count) for each kind of hold, in HoldKind's order."""
        return [(k.value, str(k.label), self.holds_by_kind.get(k.value, 0)) for k in HoldKind]

    @property
    def basis_label(self) -> str:
        return str(BASES[self.filters.basis])

    @property
    def basis_definition(self) -> str:
        return str(DEFINITIONS["basis"][self.filters.basis])

    @property
    def tickets(self) -> int:
        return self.counts["reported"]

    @property
    def resolved(self) -> int:
        return self.counts["resolved"]

    @property
    def reopened(self) -> int:
        return self.counts["reopened"]

    @property
    def held(self) -> int:
        return self.counts["held"]

    @property
    def response_sla(self) -> tuple[int, int]:
        return self.counts["response_met"], self.counts["response_decided"]

    @property
    def resolution_sla(self) -> tuple[int, int]:
        return self.counts["resolution_met"], self.counts["resolution_decided"]

    @property
    def reopen_rate(self) -> float | None:
        return _share(self.reopened, self.resolved)

    @property
    def rated(self) -> int:
        return self.counts["rated"]

    @property
    def satisfied(self) -> int:
        return self.counts["satisfied"]

    @property
    def csat_percent(self) -> float | None:
        return csat_percent(self.rated, self.satisfied)

    @property
    def held_percent(self) -> float | None:
        return _share(self.held, self.tickets)

    @property
    def response_sla_percent(self) -> float | None:
        return _share(*self.response_sla)

    @property
    def resolution_sla_percent(self) -> float | None:
        return _share(*self.resolution_sla)


def sliced(rows: QuerySet, filters: ReportFilters) -> QuerySet:
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
    rows = TicketMetrics.objects.filter(figures.reported_between(filters.start, filters.end))
    return sliced(rows, filters)


def holds_by_kind(filters: ReportFilters) -> dict[str, int]:
    """How many times the tickets reported in the range were put on hold, by what they
    waited for (a hold from before there were kinds waited for the customer). One query."""
    rows = (
        StatusHistory.objects.filter(
            to_status=Status.ON_HOLD, ticket_id__in=cohort(filters).values("ticket_id")
        )
        .annotate(kind=Coalesce("hold_kind", Value(HoldKind.CUSTOMER.value)))
        .values("kind")
        .annotate(holds=Count("pk"))
        .order_by()
    )
    return {row["kind"]: row["holds"] for row in rows}


def scope(filters: ReportFilters) -> QuerySet[TicketMetrics]:
    """Every ticket a figure of the report counts: reported in the range, or counted by the
    resolution figures (by the basis), in the slice."""
    rows = TicketMetrics.objects.filter(
        figures.reported_between(filters.start, filters.end)
        | figures.resolution_set(filters.start, filters.end, filters.basis)
    )
    return sliced(rows, filters)


def _condition(filters: ReportFilters, name: str, as_of: datetime) -> Q:
    return figures.in_range(name, filters.start, filters.end, filters.basis) & figures.figure(
        name, as_of=as_of
    )


def with_on_hold_now(rows: QuerySet, as_of: datetime, business_as_of: float | None) -> QuerySet:
    """Time on hold with the stretch still running counted up to `as_of`, in the database."""
    running = Case(
        When(
            on_hold_since_epoch__isnull=False,
            then=Value(as_of.timestamp()) - F("on_hold_since_epoch"),
        ),
        default=Value(0.0),
        output_field=FloatField(),
    )
    business_running = Case(
        When(
            on_hold_since_business__isnull=False,
            then=Value(business_as_of, output_field=FloatField()) - F("on_hold_since_business"),
        ),
        default=Value(0.0),
        output_field=FloatField(),
    )
    return rows.annotate(
        on_hold_now=F("on_hold_seconds") + running,
        on_hold_business_now=F("on_hold_business_seconds") + business_running,
    )


def _measured(
    rows: QuerySet, filters: ReportFilters, as_of: datetime, names: Iterable[str]
) -> tuple[QuerySet, dict[str, str]]:
    """The rows with each wanted duration as a column that is NULL outside its figure:
    {column name: (metric, clock)}. Aggregates skip NULLs, so one pass counts every figure
    over its own tickets."""
    names = list(names)
    if "on_hold" in names:
        rows = with_on_hold_now(rows, as_of, business_total(BusinessCalendar.load(), as_of))
    columns, annotations = {}, {}
    for name in names:
        for clock, column in zip(CLOCKS, DURATIONS[name][:2], strict=True):
            alias = f"v_{name}_{clock}"
            columns[alias] = (name, clock)
            annotations[alias] = Case(
                When(_condition(filters, DURATIONS[name][2], as_of), then=F(column)),
                default=None,
                output_field=FloatField(),
            )
    return rows.annotate(**annotations), columns


def _count_aggregates(filters: ReportFilters, as_of: datetime) -> dict:
    return {f"n_{name}": Count("pk", filter=_condition(filters, name, as_of)) for name in COUNTED}


def _counts_of(row: dict) -> dict[str, int]:
    return {name: row[f"n_{name}"] for name in COUNTED}


def _duration_aggregates(columns: dict) -> dict:
    """PostgreSQL: count, mean and exact percentiles per column. Each costs a sort of its
    values (its median and 90th percentile share it): ask only for what is shown."""
    aggregates = {}
    for alias in columns:
        aggregates |= {
            f"{alias}__count": Count(alias),
            f"{alias}__mean": Avg(alias),
            f"{alias}__median": PercentileCont(alias, 0.5),
            f"{alias}__p90": PercentileCont(alias, 0.9),
        }
    return aggregates


def _nested(stats: dict[str, Stat], columns: dict) -> dict[str, dict[str, Stat]]:
    """{clock: {metric: Stat}} from {alias: Stat}."""
    result: dict[str, dict[str, Stat]] = {clock: {} for clock in CLOCKS}
    for alias, (name, clock) in columns.items():
        result[clock][name] = stats.get(alias, Stat())
    return result


def _stats_of(row: dict, columns: dict) -> dict[str, dict[str, Stat]]:
    return _nested(
        {
            alias: Stat(
                count=row[f"{alias}__count"],
                mean=row[f"{alias}__mean"],
                median=row[f"{alias}__median"],
                p90=row[f"{alias}__p90"],
            )
            for alias in columns
        },
        columns,
    )


def _stats_in_python(rows: QuerySet, group: str | None, columns: dict) -> dict:
    """SQLite has no ordered-set aggregates: the values, and percentile_cont's interpolation
    in Python."""
    keys = [group] if group else []
    values: dict = {}
    for row in rows.order_by().values_list(*keys, *columns):
        key = row[0] if group else None
        lists = values.setdefault(key, {alias: [] for alias in columns})
        for alias, value in zip(columns, row[len(keys) :], strict=True):
            if value is not None:
                lists[alias].append(value)
    return {
        key: _nested(
            {
                alias: Stat(
                    count=len(v),
                    mean=sum(v) / len(v) if v else None,
                    median=percentile(sorted(v), 0.5),
                    p90=percentile(sorted(v), 0.9),
                )
                for alias, v in lists.items()
            },
            columns,
        )
        for key, lists in values.items()
    }


def _summaries(
    filters: ReportFilters,
    as_of: datetime,
    group: str | None = None,
    metrics: Iterable[str] = DURATIONS,
) -> dict:
    """{group value: (counts, {clock: {metric: Stat}})}: one pass over the report's tickets on
    PostgreSQL (counts and percentiles together), two on SQLite."""
    rows, columns = _measured(scope(filters), filters, as_of, metrics)
    counting = _count_aggregates(filters, as_of)
    if connection.vendor == "postgresql":
        aggregates = {**counting, **_duration_aggregates(columns)}
        result = (
            rows.values(group).annotate(**aggregates).order_by()
            if group
            else [rows.aggregate(**aggregates)]
        )
        return {
            (row[group] if group else None): (_counts_of(row), _stats_of(row, columns))
            for row in result
        }
    if group:
        grouped = rows.values(group).annotate(**counting).order_by()
        counts = {row[group]: _counts_of(row) for row in grouped}
    else:
        counts = {None: _counts_of(rows.aggregate(**counting))}
    stats = _stats_in_python(rows, group, columns)
    nothing = _nested({}, columns)
    return {key: (count, stats.get(key, nothing)) for key, count in counts.items()}


def backlog(filters: ReportFilters, *, now: datetime | None = None):
    """Unfinished tickets now, by status and by age: from the tickets themselves, on PostgreSQL
    from the partial index on unfinished tickets alone (migration 0012: it holds every column
    counted or sliced by here)."""
    now = now or timezone.now()
    rows = sliced(Ticket.objects.filter(status__in=ACTIVE_STATUSES), filters)
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
    """(Monday, reported, resolved for good) for each week of the range."""
    zone = filters.zone
    created = dict(
        cohort(filters)
        .annotate(week=TruncWeek("created_at", tzinfo=zone))
        .values_list("week")
        .annotate(n=Count("pk"))
        .order_by()
    )
    resolved_rows = sliced(
        TicketMetrics.objects.filter(figures.resolved_between(filters.start, filters.end)),
        filters,
    )
    resolved = dict(
        resolved_rows.annotate(week=TruncWeek("final_resolved_at", tzinfo=zone))
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


def breakdown(filters: ReportFilters, by: str, *, as_of: datetime) -> list[BreakdownRow]:
    group = GROUPINGS[by]
    summaries = _summaries(filters, as_of, group, metrics=("first_response", "resolution"))
    labels = _group_labels(group, summaries)
    nobody = _("Unassigned") if group == "assignee" else _("Not set")
    result = [
        BreakdownRow(
            key=key, label=labels.get(key, str(nobody)), counts=counts, durations=durations
        )
        for key, (counts, durations) in summaries.items()
    ]
    return sorted(result, key=lambda row: (-row.tickets, -row.resolved, row.label))


def build(filters: ReportFilters, *, now: datetime | None = None) -> Report:
    """The report as of `now` (default: this moment): clocks still running are counted up
    to it."""
    as_of = now or timezone.now()
    counts, stats = _summaries(filters, as_of)[None]
    by_status, by_age = backlog(filters, now=as_of)
    breakdowns = {by: breakdown(filters, by, as_of=as_of) for by in GROUPINGS}
    first_response = {row.key: row.first_response.median for row in breakdowns["agent"]}
    return Report(
        filters=filters,
        as_of=as_of,
        counts=counts,
        durations=stats["wall"],
        business=stats["business"],
        backlog_by_status=by_status,
        backlog_by_age=by_age,
        weekly=weekly(filters),
        breakdowns=breakdowns,
        csat_weekly=satisfaction.weekly(filters),
        workload=workload.build(filters, first_response=first_response),
        holds_by_kind=holds_by_kind(filters),
    )
