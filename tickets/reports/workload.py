"""Workload and activity per member of staff over a report's range.

Each figure is one grouped query whatever the number of agents: tickets assigned to them
(status history and reassignments), tickets they resolved, public replies and internal notes
they wrote, and their unfinished tickets now by status. The median first response is the
By agent breakdown's (aggregates.breakdown), so the two tables agree. Anyone who did work in
the range is listed, deactivated or not: they did the work.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, IntegerField, Q, QuerySet
from django.db.models.functions import Cast

from accounts.models import STAFF_ROLES, User
from helpdesk import replica

from ..models import Comment, FieldChange, StatusHistory, Ticket
from ..status import Status
from .filters import ReportFilters

# The unfinished statuses a ticket has an assignee in: an agent's open load.
LOAD_STATUSES = (Status.ASSIGNED, Status.IN_PROGRESS, Status.ON_HOLD)
ACTIVITY = ("assigned", "resolved", "replies", "notes")


@dataclass(frozen=True)
class WorkloadRow:
    agent_id: int
    name: str
    active: bool
    counts: dict[str, int]  # by ACTIVITY
    open_load: dict[str, int]  # by LOAD_STATUSES, now
    first_response_median: float | None = None  # seconds

    @property
    def open_total(self) -> int:
        return sum(self.open_load.values())


def _in_range(filters: ReportFilters, *, ticket: str = "ticket__") -> Q:
    """Done in the range, on a ticket of the report's service and priority (if sliced)."""
    condition = Q(created_at__gte=filters.since, created_at__lt=filters.until)
    if filters.category_id:
        condition &= Q(**{f"{ticket}category_id": filters.category_id})
    if filters.priority:
        condition &= Q(**{f"{ticket}priority": filters.priority})
    return condition


def _grouped_sql(querysets: list[QuerySet]) -> tuple[str, list]:
    """Distinct tickets per agent over the rows of several querysets (columns agent,
    ticket_no): the ORM cannot group a UNION. Only SQL Django compiled goes in; every value
    stays a parameter."""
    parts, params = [], []
    for queryset in querysets:
        sql, part_params = queryset.query.sql_with_params()
        parts.append(sql)
        params.extend(part_params)
    union = " UNION ALL ".join(
        f"SELECT * FROM ({part}) AS p{i}"  # noqa: S608
        for i, part in enumerate(parts)
    )
    grouped = f"SELECT agent, COUNT(DISTINCT ticket_no) FROM ({union}) AS u GROUP BY agent"  # noqa: S608
    return grouped, params


def assigned(filters: ReportFilters) -> dict[int, int]:
    """Tickets that came to each agent in the range: taken or assigned (the status history
    records who holds the ticket after each change) or reassigned to them (a FieldChange);
    each ticket once per agent. One query (a UNION, grouped)."""
    by_status = (
        StatusHistory.objects.filter(_in_range(filters), to_status=Status.ASSIGNED)
        .exclude(assignee=None)
        .order_by()
        .values(agent=F("assignee_id"), ticket_no=F("ticket_id"))
    )
    by_reassignment = (
        FieldChange.objects.filter(_in_range(filters), field=FieldChange.Field.ASSIGNEE)
        .exclude(new_value="")
        .order_by()
        .values(agent=Cast("new_value", IntegerField()), ticket_no=F("ticket_id"))
    )
    sql, params = _grouped_sql([by_status, by_reassignment])
    with replica.read_connection().cursor() as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())


def resolved(filters: ReportFilters) -> dict[int, int]:
    """Tickets each person resolved in the range (each ticket once, however often)."""
    rows = (
        StatusHistory.objects.filter(_in_range(filters), to_status=Status.RESOLVED)
        .exclude(actor=None)
        .values("actor_id")
        .annotate(n=Count("ticket_id", distinct=True))
        .order_by()
    )
    return {row["actor_id"]: row["n"] for row in rows}


def written(filters: ReportFilters) -> dict[int, tuple[int, int]]:
    """(public replies, internal notes) each member of staff wrote in the range."""
    rows = (
        Comment.objects.filter(_in_range(filters), author__role__in=STAFF_ROLES)
        .values("author_id")
        .annotate(
            replies=Count("pk", filter=Q(is_internal=False)),
            notes=Count("pk", filter=Q(is_internal=True)),
        )
        .order_by()
    )
    return {row["author_id"]: (row["replies"], row["notes"]) for row in rows}


def open_load(filters: ReportFilters) -> dict[int, dict[str, int]]:
    """Each agent's unfinished tickets now, by status (in the report's service/priority)."""
    tickets = Ticket.objects.filter(status__in=LOAD_STATUSES).exclude(assignee=None)
    if filters.category_id:
        tickets = tickets.filter(category_id=filters.category_id)
    if filters.priority:
        tickets = tickets.filter(priority=filters.priority)
    load: dict[int, dict[str, int]] = {}
    rows = tickets.values_list("assignee_id", "status").annotate(n=Count("status")).order_by()
    for agent_id, status, n in rows:
        load.setdefault(agent_id, dict.fromkeys(LOAD_STATUSES, 0))[status] = n
    return load


def build(filters: ReportFilters, *, first_response: dict | None = None) -> list[WorkloadRow]:
    """One row per member of staff who did something in the range or holds tickets now, the
    busiest first. `first_response`: {agent id: median seconds} (the By agent breakdown)."""
    counts = {
        "assigned": assigned(filters),
        "resolved": resolved(filters),
    }
    replies_notes = written(filters)
    counts["replies"] = {pk: pair[0] for pk, pair in replies_notes.items()}
    counts["notes"] = {pk: pair[1] for pk, pair in replies_notes.items()}
    load = open_load(filters)
    ids = set(load).union(*(set(by_agent) for by_agent in counts.values()))
    if filters.assignee_id:
        ids &= {filters.assignee_id}
    people = User.objects.filter(pk__in=ids, role__in=STAFF_ROLES).values_list(
        "pk", "display_name", "is_active"
    )
    first_response = first_response or {}
    rows = [
        WorkloadRow(
            agent_id=pk,
            name=name,
            active=active,
            counts={what: counts[what].get(pk, 0) for what in ACTIVITY},
            open_load=load.get(pk, dict.fromkeys(LOAD_STATUSES, 0)),
            first_response_median=first_response.get(pk),
        )
        for pk, name, active in people
    ]
    return sorted(rows, key=lambda row: (-sum(row.counts.values()), -row.open_total, row.name))
