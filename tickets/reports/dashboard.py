"""The managers' live dashboard: what stands now and what happened today.

Every figure is counted live, each from one indexed query that reads only unfinished tickets
(the partial indexes of tickets.models.Ticket) or only today's rows, so the page costs the
same at a thousand tickets as at a million (bench/dashboard_speed.py). "Today" and its hours
are the help desk's (HELPDESK_TIME_ZONE), so a day has 23 or 25 hours when the clocks change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import SlaAlert, StatusHistory, Ticket, format_reference
from ..status import ACTIVE_STATUSES, Priority, Status
from ..templatetags.helpdesk import ago

HOUR = timedelta(hours=1)
DUE_SOON = timedelta(hours=1)
# Unfinished and not waiting for the customer: waiting for the help desk.
WAITING_STATUSES = (Status.OPEN, Status.ASSIGNED, Status.IN_PROGRESS)
REFRESH_SECONDS = 30

DEFINITIONS = {
    "open": _("Tickets not yet resolved, now, by status and priority."),
    "unassigned": _("Open tickets nobody has taken yet."),
    "due_soon": _("Unfinished tickets whose next SLA target falls due within the next hour."),
    "overdue": _("Unfinished tickets past an SLA target they have not met yet."),
    "breached_today": _(
        "Tickets with a first-response or resolution target that fell due today and was "
        "missed: those the SLA check recorded, and those past due right now."
    ),
    "today": _(
        "Tickets reported, and tickets resolved (again, after a reopen, counts again), in each "
        "hour of today in the help desk's time zone."
    ),
    "oldest_waiting": _(
        "The unfinished ticket reported longest ago that waits for the help desk (not on hold)."
    ),
}


@dataclass(frozen=True)
class Hour:
    start: datetime
    label: str  # the local time it starts, e.g. "14:00"
    arrivals: int
    resolutions: int


@dataclass(frozen=True)
class Waiting:
    pk: int
    subject: str
    status: str
    priority: str
    created_at: datetime
    assignee: str  # "" when nobody has it

    @property
    def reference(self) -> str:
        return format_reference(self.pk)

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)


@dataclass(frozen=True)
class Dashboard:
    as_of: datetime
    day: date
    zone: ZoneInfo
    cells: dict[tuple[str, str], int]  # (status, priority) → unfinished tickets
    due_soon: int
    overdue: int
    breached_today: int
    hours: list[Hour]
    oldest_waiting: Waiting | None

    @property
    def open_total(self) -> int:
        return sum(self.cells.values())

    @property
    def unassigned(self) -> int:
        # The database guarantees it: an open ticket has no assignee, every other one has.
        return self.by_status[Status.OPEN]

    @property
    def by_status(self) -> dict[str, int]:
        return {s: sum(self.cells.get((s, p), 0) for p in Priority.values) for s in ACTIVE_STATUSES}

    @property
    def by_priority(self) -> dict[str, int]:
        return {p: sum(self.cells.get((s, p), 0) for s in ACTIVE_STATUSES) for p in PRIORITIES}

    @property
    def arrivals(self) -> int:
        return sum(hour.arrivals for hour in self.hours)

    @property
    def resolutions(self) -> int:
        return sum(hour.resolutions for hour in self.hours)

    @property
    def busiest_hour(self) -> int:
        """The most arrivals or resolutions in one hour (the scale of the hourly bars)."""
        return max((max(h.arrivals, h.resolutions) for h in self.hours), default=0)

    @property
    def as_of_label(self) -> str:
        return self.as_of.astimezone(self.zone).strftime("%H:%M:%S")


# Urgent first, as the queue orders them.
PRIORITIES = (Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW)


def zone() -> ZoneInfo:
    return ZoneInfo(settings.HELPDESK_TIME_ZONE)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The first instant of `day` in the zone and of the day after (23 to 25 hours apart)."""
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)


def hour_starts(*, day: date, tz: ZoneInfo, now: datetime) -> list[datetime]:
    """The starts of the day's hours up to the one running at `now`, stepped in UTC: aware
    arithmetic in a zone is wall-clock arithmetic, which would skip or merge an hour when the
    clocks change."""
    start, end = day_bounds(day, tz)
    moment, starts = start.astimezone(UTC), []
    while moment < end and moment <= now:
        starts.append(moment)
        moment += HOUR
    return starts


def _hour_labels(starts: list[datetime], tz: ZoneInfo) -> list[str]:
    local = [moment.astimezone(tz) for moment in starts]
    # On the day the clocks change an hour's time may be read twice: then name the offset.
    ambiguous = len({moment.utcoffset() for moment in local}) > 1
    return [moment.strftime("%H:%M %Z" if ambiguous else "%H:%M") for moment in local]


def _hourly_counts(rows, field: str, starts: list[datetime], until: datetime) -> list[int]:
    """One query: how many rows fall into each hour (the hours given, the last up to until)."""
    if not starts:
        return []
    ends = [*starts[1:], until]
    counts = rows.filter(**{f"{field}__gte": starts[0], f"{field}__lt": until}).aggregate(
        **{
            f"h{i}": Count("pk", filter=Q(**{f"{field}__gte": start, f"{field}__lt": end}))
            for i, (start, end) in enumerate(zip(starts, ends, strict=True))
        }
    )
    return [counts[f"h{i}"] for i in range(len(starts))]


def _open_cells() -> dict[tuple[str, str], int]:
    """Unfinished tickets by status and priority, read in order from their partial index
    alone (ticket_active_status_prio_idx): no table row, no hashing."""
    rows = (
        Ticket.objects.filter(status__in=ACTIVE_STATUSES)
        .values_list("status", "priority")
        .annotate(n=Count("status"))
        .order_by()
    )
    return {(status, priority): n for status, priority, n in rows}


def _due(now: datetime) -> tuple[int, int]:
    """(due within the hour, overdue): the start of the partial index on unfinished tickets'
    due times (ticket_active_sla_idx), up to an hour from now."""
    counts = Ticket.objects.filter(
        status__in=ACTIVE_STATUSES, sla_due_at__lt=now + DUE_SOON
    ).aggregate(
        soon=Count("sla_due_at", filter=Q(sla_due_at__gte=now)),
        late=Count("sla_due_at", filter=Q(sla_due_at__lt=now)),
    )
    return counts["soon"], counts["late"]


def _breached(since: datetime, now: datetime) -> int:
    """Tickets with a target due since `since` and missed: the SLA check's breach records
    (kept when the ticket is resolved later), and the unfinished tickets past due now (the
    check runs every few minutes; these are not recorded yet)."""
    recorded = SlaAlert.objects.filter(
        kind=SlaAlert.Kind.BREACH, due_at__gte=since, due_at__lt=now
    ).values("ticket_id")
    past_due = Ticket.objects.filter(
        status__in=ACTIVE_STATUSES, sla_due_at__gte=since, sla_due_at__lt=now
    ).values("pk")
    return recorded.union(past_due).count()


def _oldest_waiting() -> Waiting | None:
    row = (
        Ticket.objects.filter(status__in=WAITING_STATUSES)
        .order_by("created_at", "id")
        .values_list("pk", "subject", "status", "priority", "created_at", "assignee__display_name")
        .first()
    )
    if row is None:
        return None
    pk, subject, status, priority, created_at, assignee = row
    return Waiting(pk, subject, status, priority, created_at, assignee or "")


def build(*, now: datetime | None = None) -> Dashboard:
    """The dashboard as of `now` (default: the app clock). Six queries."""
    now = now or timezone.now()
    tz = zone()
    day = now.astimezone(tz).date()
    since, _end = day_bounds(day, tz)
    cells = _open_cells()
    due_soon, overdue = _due(now)
    starts = hour_starts(day=day, tz=tz, now=now)
    arrivals = _hourly_counts(Ticket.objects.all(), "created_at", starts, now)
    resolved = StatusHistory.objects.filter(to_status=Status.RESOLVED)
    resolutions = _hourly_counts(resolved, "created_at", starts, now)
    labels = _hour_labels(starts, tz)
    return Dashboard(
        as_of=now,
        day=day,
        zone=tz,
        cells=cells,
        due_soon=due_soon,
        overdue=overdue,
        breached_today=_breached(since, now),
        hours=[
            Hour(start, label, came, done)
            for start, label, came, done in zip(starts, labels, arrivals, resolutions, strict=True)
        ],
        oldest_waiting=_oldest_waiting(),
    )


def to_json(dashboard: Dashboard, *, ticket_url) -> dict:
    """What the page's script refreshes itself from: every figure the page shows, and the
    labels that depend on the time (`ticket_url(pk)` gives a ticket's address)."""
    oldest = dashboard.oldest_waiting
    return {
        "as_of": dashboard.as_of.isoformat(),
        "as_of_label": dashboard.as_of_label,
        "day": dashboard.day.isoformat(),
        "open": {
            "total": dashboard.open_total,
            "by_status": {str(s): n for s, n in dashboard.by_status.items()},
            "by_priority": {str(p): n for p, n in dashboard.by_priority.items()},
            "cells": {
                str(s): {str(p): dashboard.cells.get((s, p), 0) for p in PRIORITIES}
                for s in ACTIVE_STATUSES
            },
        },
        "unassigned": dashboard.unassigned,
        "due_soon": dashboard.due_soon,
        "overdue": dashboard.overdue,
        "breached_today": dashboard.breached_today,
        "today": {
            "arrivals": dashboard.arrivals,
            "resolutions": dashboard.resolutions,
            "busiest_hour": dashboard.busiest_hour,
            "hours": [
                {
                    "start": hour.start.isoformat(),
                    "label": hour.label,
                    "arrivals": hour.arrivals,
                    "resolutions": hour.resolutions,
                }
                for hour in dashboard.hours
            ],
        },
        "oldest_waiting": None
        if oldest is None
        else {
            "reference": oldest.reference,
            "subject": oldest.subject,
            "status": oldest.status,
            "status_label": oldest.status_label,
            "priority": oldest.priority,
            "created_at": oldest.created_at.isoformat(),
            "created_label": oldest.created_at.astimezone(dashboard.zone).strftime(
                "%Y-%m-%d %H:%M"
            ),
            "age_label": ago(oldest.created_at),
            "assignee": oldest.assignee,
            "url": ticket_url(oldest.pk),
        },
    }
