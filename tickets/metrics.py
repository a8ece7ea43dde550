"""Each ticket's clock, replayed from its status history and its comments.

`measure()` is pure: history rows in, durations and SLA outcomes out. `refresh()` stores the
result in TicketMetrics and the ticket's `sla_due_at` (which the queue sorts by); the services
call it after every change. Definitions (shown next to the numbers on the report page):

- first response: the first public reply from staff, or the first resolution if that came
  first (a resolution note is a message to the customer);
- resolution time: created → first resolved; full resolution time: created → last resolved;
- time on hold: all time spent on hold up to the last resolution (or until now);
- a reopen: resolved → in progress;
- SLA: the policy of the ticket's priority; time on hold does not count; counted in calendar
  or business hours as the policy says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Min
from django.utils import timezone

from .models import Comment, SlaPolicy, StatusHistory, Ticket, TicketMetrics
from .sla import (
    BusinessCalendar,
    Clock,
    Interval,
    WallClock,
    counted_seconds,
    due_at,
    paused_seconds,
)
from .status import Status


@dataclass(frozen=True)
class Measured:
    first_response_at: datetime | None
    first_resolved_at: datetime | None
    last_resolved_at: datetime | None
    first_response_seconds: float | None
    resolution_seconds: float | None
    full_resolution_seconds: float | None
    on_hold_seconds: float
    reopen_count: int
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    response_met: bool | None
    resolution_met: bool | None

    @property
    def sla_due_at(self) -> datetime | None:
        """The earliest target still ahead (or missed and not yet met)."""
        due = [d for d in (self.response_due_at, self.resolution_due_at) if d is not None]
        return min(due) if due else None


def _seconds(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds()


def hold_intervals(rows: Sequence[StatusHistory], now: datetime) -> list[Interval]:
    """Each stretch on hold: from the row that put it on hold to the next row (or now)."""
    holds = []
    for i, row in enumerate(rows):
        if row.to_status == Status.ON_HOLD:
            end = rows[i + 1].created_at if i + 1 < len(rows) else now
            holds.append((row.created_at, end))
    return holds


def _outcome(
    clock: Clock,
    *,
    target_minutes: int,
    start: datetime,
    done_at: datetime | None,
    stopped_at: datetime | None,
    holds: list[Interval],
    paused: bool,
    now: datetime,
) -> tuple[datetime | None, bool | None]:
    """(due time while still owed, met?) for one target.

    done_at: when the target was achieved; stopped_at: when the ticket closed without it.
    """
    target = target_minutes * 60.0
    if done_at is not None:
        return None, counted_seconds(clock, start, done_at, holds) <= target
    end = stopped_at or now
    missed = counted_seconds(clock, start, end, holds) > target
    if stopped_at is not None:
        return None, False if missed else None
    due = None if paused else due_at(clock, start, target, holds)
    return due, (False if missed else None)


def measure(
    *,
    created_at: datetime,
    status: str,
    history: Sequence[StatusHistory],
    first_staff_reply_at: datetime | None,
    policy: SlaPolicy | None,
    calendar: BusinessCalendar | None,
    now: datetime,
) -> Measured:
    resolutions = [row.created_at for row in history if row.to_status == Status.RESOLVED]
    first_resolved = resolutions[0] if resolutions else None
    last_resolved = resolutions[-1] if resolutions else None
    responses = [t for t in (first_staff_reply_at, first_resolved) if t is not None]
    first_response = min(responses) if responses else None
    holds = hold_intervals(history, now)
    hold_end = last_resolved if status in (Status.RESOLVED, Status.CLOSED) else now
    on_hold = paused_seconds(WallClock(), created_at, hold_end or now, holds)
    reopens = sum(
        1 for r in history if r.from_status == Status.RESOLVED and r.to_status == Status.IN_PROGRESS
    )

    response_due = resolution_due = None
    response_met = resolution_met = None
    if policy is not None:
        clock: Clock = (
            calendar
            if policy.counting == SlaPolicy.Counting.BUSINESS and calendar and calendar.hours
            else WallClock()
        )
        closed_at = next(
            (r.created_at for r in reversed(history) if r.to_status == Status.CLOSED), None
        )
        paused = status == Status.ON_HOLD
        response_due, response_met = _outcome(
            clock,
            target_minutes=policy.first_response_minutes,
            start=created_at,
            done_at=first_response,
            stopped_at=closed_at,
            holds=holds,
            paused=paused,
            now=now,
        )
        resolution_due, resolution_met = _outcome(
            clock,
            target_minutes=policy.resolution_minutes,
            start=created_at,
            done_at=first_resolved,
            stopped_at=closed_at,
            holds=holds,
            paused=paused,
            now=now,
        )
    return Measured(
        first_response_at=first_response,
        first_resolved_at=first_resolved,
        last_resolved_at=last_resolved,
        first_response_seconds=_seconds(created_at, first_response),
        resolution_seconds=_seconds(created_at, first_resolved),
        full_resolution_seconds=_seconds(created_at, last_resolved),
        on_hold_seconds=on_hold,
        reopen_count=reopens,
        response_due_at=response_due,
        resolution_due_at=resolution_due,
        response_met=response_met,
        resolution_met=resolution_met,
    )


def first_staff_replies(ticket_ids: Sequence[int]) -> dict[int, datetime]:
    from accounts.models import STAFF_ROLES

    rows = (
        Comment.objects.filter(
            ticket_id__in=ticket_ids,
            is_internal=False,
            author__role__in=STAFF_ROLES,
        )
        .values("ticket_id")
        .annotate(first=Min("created_at"))
    )
    return {row["ticket_id"]: row["first"] for row in rows}


def metrics_row(
    ticket: Ticket,
    *,
    history: Sequence[StatusHistory],
    first_staff_reply_at: datetime | None,
    policies: dict[str, SlaPolicy],
    calendar: BusinessCalendar,
    now: datetime,
) -> tuple[TicketMetrics, datetime | None]:
    """The ticket's TicketMetrics row (unsaved) and the SLA due time its queue row shows."""
    measured = measure(
        created_at=ticket.created_at,
        status=ticket.status,
        history=history,
        first_staff_reply_at=first_staff_reply_at,
        policy=policies.get(ticket.priority),
        calendar=calendar,
        now=now,
    )
    row = TicketMetrics(
        ticket=ticket,
        created_at=ticket.created_at,
        priority=ticket.priority,
        category_id=ticket.category_id,
        assignee_id=ticket.assignee_id,
        status=ticket.status,
        computed_at=now,
        **measured.__dict__,
    )
    return row, measured.sla_due_at if ticket.is_active else None


def refresh(*, ticket_ids: Sequence[int], now: datetime | None = None) -> int:
    """Recompute and store the metrics of these tickets (a handful, or a batch of thousands).

    Runs in the caller's transaction; five queries whatever the batch size.
    """
    now = now or timezone.now()
    tickets = list(Ticket.objects.filter(pk__in=ticket_ids))
    if not tickets:
        return 0
    histories: dict[int, list[StatusHistory]] = {t.pk: [] for t in tickets}
    for row in StatusHistory.objects.filter(ticket_id__in=histories).order_by(
        "ticket_id", "created_at", "id"
    ):
        histories[row.ticket_id].append(row)
    replies = first_staff_replies(list(histories))
    policies = {p.priority: p for p in SlaPolicy.objects.all()}
    calendar = BusinessCalendar.load()
    rows, due = [], {}
    for ticket in tickets:
        row, due[ticket.pk] = metrics_row(
            ticket,
            history=histories[ticket.pk],
            first_staff_reply_at=replies.get(ticket.pk),
            policies=policies,
            calendar=calendar,
            now=now,
        )
        rows.append(row)
    fields = [f.name for f in TicketMetrics._meta.fields if f.name != "ticket"]
    TicketMetrics.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["ticket"], update_fields=fields
    )
    changed = [t for t in tickets if t.sla_due_at != due[t.pk]]
    for ticket in changed:
        ticket.sla_due_at = due[ticket.pk]
    Ticket.objects.bulk_update(changed, ["sla_due_at"])
    return len(rows)


def refresh_one(ticket_id: int) -> None:
    refresh(ticket_ids=[ticket_id])
