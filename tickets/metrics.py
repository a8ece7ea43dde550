"""Each ticket's clock, replayed from its status history and its comments.

`measure()` is pure: history rows in, durations and SLA outcomes out. `refresh()` stores the
result in TicketMetrics and the ticket's `sla_due_at` (which the queue sorts by); the services
call it after every change. Definitions (shown next to the numbers on the report page):

- first response: the first public reply from staff, or the first resolution if that came
  first (a resolution note is a message to the customer);
- resolution time: created → first resolved; full resolution time: created → last resolved;
- time on hold: all time spent on hold up to the final resolution, or up to the moment the
  report is read for a ticket on hold now (the running stretch is stored as its start);
- a reopen: resolved → in progress;
- final resolution: the last resolution of a ticket resolved (or closed from resolved) now;
  the resolution SLA is judged there;
- SLA: the policy of the ticket's priority; time on hold does not count (time waiting on a
  third party does, under a policy whose `pause_on_third_party` is off); counted in calendar
  or business hours as the policy says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from .models import Comment, SlaPolicy, StatusHistory, Ticket, TicketMetrics
from .sla import (
    BusinessCalendar,
    Clock,
    Interval,
    WallClock,
    business_total,
    counted,
    due_at,
    paused,
)
from .status import ACTIVE_STATUSES, HoldKind, Status


@dataclass(frozen=True)
class Measured:
    first_response_at: datetime | None
    first_resolved_at: datetime | None
    last_resolved_at: datetime | None
    final_resolved_at: datetime | None
    first_response_seconds: float | None
    resolution_seconds: float | None
    full_resolution_seconds: float | None
    first_response_business_seconds: float | None
    resolution_business_seconds: float | None
    full_resolution_business_seconds: float | None
    on_hold_seconds: float
    on_hold_business_seconds: float | None
    on_hold_since: datetime | None
    on_hold_since_epoch: float | None
    on_hold_since_business: float | None
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


def _seconds(clock: Clock | None, start: datetime, end: datetime | None) -> float | None:
    if end is None or clock is None:
        return None
    return clock.duration(start, end).total_seconds()


def pauses_sla(row: StatusHistory, policy: SlaPolicy | None) -> bool:
    """Whether the hold `row` started stops the SLA clock: waiting for the customer always
    does; waiting on a third party as the policy says."""
    if row.hold_kind == HoldKind.THIRD_PARTY:
        return policy is None or policy.pause_on_third_party
    return True


def hold_intervals(
    rows: Sequence[StatusHistory], now: datetime, *, policy: SlaPolicy | None = None
) -> list[Interval]:
    """Each stretch on hold: from the row that put it on hold to the next row (or now).
    With a policy, only the stretches that pause its clock (pauses_sla)."""
    holds = []
    for i, row in enumerate(rows):
        if row.to_status == Status.ON_HOLD and (policy is None or pauses_sla(row, policy)):
            end = rows[i + 1].created_at if i + 1 < len(rows) else now
            holds.append((row.created_at, end))
    return holds


def final_resolution(status: str, history: Sequence[StatusHistory]) -> datetime | None:
    """When the ticket was resolved for good: its last resolution, if it is resolved or was
    closed from resolved (not reopened since, nor withdrawn after a reopen)."""
    if status not in (Status.RESOLVED, Status.CLOSED):
        return None
    settled = [row for row in history if row.to_status != Status.CLOSED]
    if settled and settled[-1].to_status == Status.RESOLVED:
        return settled[-1].created_at
    return None


def _outcome(
    clock: Clock,
    *,
    target_minutes: int,
    start: datetime,
    done_at: datetime | None,
    stopped_at: datetime | None,
    holds: list[Interval],
    stopped_clock: bool,
    now: datetime,
) -> tuple[datetime | None, bool | None]:
    """(due time while still owed, met?) for one target.

    done_at: when the target was achieved; stopped_at: when the ticket closed without it.
    """
    target = timedelta(minutes=target_minutes)
    if done_at is not None:
        return None, counted(clock, start, done_at, holds) <= target
    end = stopped_at or now
    missed = counted(clock, start, end, holds) > target
    if stopped_at is not None:
        return None, False if missed else None
    due = None if stopped_clock else due_at(clock, start, target, holds)
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
    """The ticket's clock at `now`. Time on hold is stored for the stretches that ended; a
    stretch still running (on hold now) is kept as its start, and the report adds it up to
    the moment it is read (aggregates.on_hold_expression)."""
    resolutions = [row.created_at for row in history if row.to_status == Status.RESOLVED]
    first_resolved = resolutions[0] if resolutions else None
    last_resolved = resolutions[-1] if resolutions else None
    final_resolved = final_resolution(status, history)
    responses = [t for t in (first_staff_reply_at, first_resolved) if t is not None]
    first_response = min(responses) if responses else None
    holds = hold_intervals(history, now)
    on_hold_now = status == Status.ON_HOLD and bool(history)
    on_hold_since = history[-1].created_at if on_hold_now else None
    finished = holds[:-1] if on_hold_now else holds
    business: Clock | None = calendar if calendar is not None and calendar.hours else None
    wall = WallClock()
    reopens = sum(
        1 for r in history if r.from_status == Status.RESOLVED and r.to_status == Status.IN_PROGRESS
    )

    response_due = resolution_due = None
    response_met = resolution_met = None
    if policy is not None:
        clock: Clock = (
            business if policy.counting == SlaPolicy.Counting.BUSINESS and business else wall
        )
        # A hold waiting on a third party keeps the clock running under a policy that says so.
        pauses = hold_intervals(history, now, policy=policy)
        paused_now = on_hold_now and pauses_sla(history[-1], policy)
        closed_at = next(
            (r.created_at for r in reversed(history) if r.to_status == Status.CLOSED), None
        )
        response_due, response_met = _outcome(
            clock,
            target_minutes=policy.first_response_minutes,
            start=created_at,
            done_at=first_response,
            stopped_at=closed_at,
            holds=pauses,
            stopped_clock=paused_now,
            now=now,
        )
        # Judged at the final resolution: a quick resolve that was reopened is not "met".
        resolution_due, resolution_met = _outcome(
            clock,
            target_minutes=policy.resolution_minutes,
            start=created_at,
            done_at=final_resolved,
            stopped_at=closed_at,
            holds=pauses,
            stopped_clock=paused_now,
            now=now,
        )
    return Measured(
        first_response_at=first_response,
        first_resolved_at=first_resolved,
        last_resolved_at=last_resolved,
        final_resolved_at=final_resolved,
        first_response_seconds=_seconds(wall, created_at, first_response),
        resolution_seconds=_seconds(wall, created_at, first_resolved),
        full_resolution_seconds=_seconds(wall, created_at, last_resolved),
        first_response_business_seconds=_seconds(business, created_at, first_response),
        resolution_business_seconds=_seconds(business, created_at, first_resolved),
        full_resolution_business_seconds=_seconds(business, created_at, last_resolved),
        on_hold_seconds=paused(wall, created_at, now, finished).total_seconds(),
        on_hold_business_seconds=(
            paused(business, created_at, now, finished).total_seconds() if business else None
        ),
        on_hold_since=on_hold_since,
        on_hold_since_epoch=on_hold_since.timestamp() if on_hold_since else None,
        on_hold_since_business=(
            business_total(calendar, on_hold_since) if on_hold_since and business else None
        ),
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
    # The rating is the customer's, copied when given (services.rating_add): not a clock.
    fields = [f.name for f in TicketMetrics._meta.fields if f.name not in ("ticket", "rating")]
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


REFRESH_BATCH = 2000


def refresh_in_batches(
    ticket_ids: Sequence[int], *, batch_size: int = REFRESH_BATCH, now: datetime | None = None
) -> int:
    """`refresh()` many tickets, one transaction per batch (locks held briefly)."""
    for start in range(0, len(ticket_ids), batch_size):
        with transaction.atomic():
            refresh(ticket_ids=ticket_ids[start : start + batch_size], now=now)
    return len(ticket_ids)


def refresh_due_times(*, priorities: Sequence[str] | None = None) -> int:
    """Recompute the clocks of the unfinished tickets (of these priorities; None: all) after
    an SLA policy or the working calendar changed. Returns how many were recomputed."""
    tickets = Ticket.objects.filter(status__in=ACTIVE_STATUSES)
    if priorities is not None:
        tickets = tickets.filter(priority__in=priorities)
    return refresh_in_batches(list(tickets.order_by("pk").values_list("pk", flat=True)))
