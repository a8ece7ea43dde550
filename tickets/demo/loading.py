"""Writing the planned tickets: through the ORM in batches on any database, or on PostgreSQL
planned and encoded by worker processes while this one loads them with COPY."""

from __future__ import annotations

import multiprocessing
import random
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from tickets import bulk_copy, metrics
from tickets.models import Category, Comment, SlaPolicy, StatusHistory, Ticket, TicketMetrics
from tickets.sla import BusinessCalendar
from tickets.status import Status

from .content import Service
from .people import Cast
from .plans import DAY, TicketPlan
from .rows import build_rows, build_ticket
from .story import MIN_AGE, SeedJob, final_statuses

DEFAULT_BATCH = 1000


HISTORY_DAYS = 90


VACUUM_FROM = 10_000


BULK_TABLES = [
    "tickets_ticket",
    "tickets_statushistory",
    "tickets_comment",
    "tickets_ticketmetrics",
    "tickets_ticketsearch",
]


TICKETS_PER_DAY = 1000  # beyond 90 days' worth, spread over more days, as a help desk grows


def write_batch(plans: Sequence[TicketPlan], now: datetime, cast: Cast) -> None:
    """Through the ORM, one transaction per batch (any database)."""
    with transaction.atomic():
        tickets = Ticket.objects.bulk_create(
            [build_ticket(p, now - timedelta(seconds=p.age), cast) for p in plans]
        )
        history: list[StatusHistory] = []
        comments: list[Comment] = []
        for ticket, plan in zip(tickets, plans, strict=True):
            rows, messages = build_rows(ticket, plan)
            history += rows
            comments += messages
        StatusHistory.objects.bulk_create(history)
        Comment.objects.bulk_create(comments)
        # The same clock the services keep: metrics for reports, SLA due times for the queue.
        metrics.refresh(ticket_ids=[t.pk for t in tickets], now=now)


COPIED = (Ticket, StatusHistory, Comment, TicketMetrics)


Encoded = dict[str, str]


@dataclass(frozen=True)
class CopyJob:
    """A SeedJob for PostgreSQL's COPY: ticket keys reserved up front, metrics worked out in
    memory (the same `metrics_row` the services store), rows encoded as COPY text."""

    seed: SeedJob
    first_id: int
    policies: dict[str, SlaPolicy]
    calendar: BusinessCalendar

    def encode(self, batch: int, indexes: range) -> tuple[Encoded, list[Status]]:
        plans = self.seed.plans(batch, indexes)
        cast, now = self.seed.cast, self.seed.now
        rows: dict[type, list] = {model: [] for model in COPIED}
        for i, plan in zip(indexes, plans, strict=True):
            ticket = build_ticket(plan, now - timedelta(seconds=plan.age), cast)
            ticket.pk = self.first_id + i
            history, comments = build_rows(ticket, plan)
            row, ticket.sla_due_at = metrics.metrics_row(
                ticket,
                history=history,
                # build_ticket set it from the first public staff message, as the services do
                first_staff_reply_at=ticket.first_response_at,
                policies=self.policies,
                calendar=self.calendar,
                now=now,
            )
            rows[Ticket].append(ticket)
            rows[StatusHistory] += history
            rows[Comment] += comments
            rows[TicketMetrics].append(row)
        encoded = {
            model._meta.label: bulk_copy.encode_rows(
                objects, model, with_pk=model in (Ticket, TicketMetrics)
            )
            for model, objects in rows.items()
        }
        return encoded, [p.changes[-1].target for p in plans]

    @staticmethod
    def write(encoded: Encoded) -> None:
        with transaction.atomic():
            for model in COPIED:
                bulk_copy.copy_encoded(
                    model, encoded[model._meta.label], with_pk=model in (Ticket, TicketMetrics)
                )


# The job a forked worker plans from: set before the pool forks, so it is inherited, not pickled.
_copy_job: CopyJob | None = None


def _encode_in_worker(args: tuple[int, range]) -> tuple[Encoded, list[Status]]:
    assert _copy_job is not None  # noqa: S101 (set by copy_tickets before forking)
    return _copy_job.encode(*args)


def copy_tickets(
    job: SeedJob, batches: Sequence[range], *, workers: int, progress: Callable[[int], None]
) -> Counter[Status]:
    """Plan and encode batches in `workers` processes while this one COPYs them in."""
    global _copy_job
    _copy_job = CopyJob(
        seed=job,
        first_id=bulk_copy.reserve_ids(Ticket, len(job.ages)) if job.ages else 0,
        policies={p.priority: p for p in SlaPolicy.objects.all()},
        calendar=BusinessCalendar.load(),
    )
    statuses: Counter[Status] = Counter()
    work = list(enumerate(batches))
    try:
        if workers > 1 and len(work) > 1:
            if not connection.in_atomic_block:
                connection.close()  # the children must not share this process's connection
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for encoded, finals in pool.imap(_encode_in_worker, work):
                    CopyJob.write(encoded)
                    statuses.update(finals)
                    progress(len(finals))
        else:
            for args in work:
                encoded, finals = _copy_job.encode(*args)
                CopyJob.write(encoded)
                statuses.update(finals)
                progress(len(finals))
    finally:
        _copy_job = None
    return statuses


def history_days(count: int) -> int:
    """How far back the tickets go: 90 days, or more for big help desks (a million tickets
    at a thousand a day reach back almost three years)."""
    return max(HISTORY_DAYS, count // TICKETS_PER_DAY)


def chunks(items: Sequence[float], size: int) -> Iterable[range]:
    return (range(start, min(start + size, len(items))) for start in range(0, len(items), size))


def seed_tickets(
    rng: random.Random,
    cast: Cast,
    services: Sequence[tuple[Category, Service]],
    count: int,
    batch_size: int,
    *,
    comments: tuple[int, int],
    workers: int,
    progress: bool,
) -> Counter[Status]:
    """Plan and write `count` tickets; returns how many ended in each status."""
    # Oldest first, so that ticket numbers grow with the reporting date.
    ages = sorted(
        (rng.uniform(MIN_AGE, history_days(count) * DAY) for _ in range(count)), reverse=True
    )
    job = SeedJob(
        cast=cast,
        services=services,
        ages=ages,
        targets=final_statuses(rng, ages),
        now=timezone.now(),
        comments=comments,
        seed=rng.randrange(2**32),
    )
    batches = list(chunks(ages, batch_size))
    bar = tqdm(total=count, unit="ticket", file=sys.stderr, disable=None if progress else True)
    with bar:
        if connection.vendor == "postgresql":
            statuses = copy_tickets(job, batches, workers=workers, progress=bar.update)
        else:
            statuses = Counter()
            for batch, indexes in enumerate(batches):
                plans = job.plans(batch, indexes)
                write_batch(plans, job.now, cast)
                statuses.update(p.changes[-1].target for p in plans)
                bar.update(len(plans))
    if connection.vendor == "postgresql" and count >= VACUUM_FROM:
        # Fresh bulk data has no statistics and no visibility map yet: without them the
        # planner guesses and index-only scans read the table anyway.
        with connection.cursor() as cursor:
            # nosemgrep: helpdesk.raw-sql-formatted (the constant BULK_TABLES, not input)
            cursor.execute(f"VACUUM ANALYZE {', '.join(BULK_TABLES)}")
    return statuses
