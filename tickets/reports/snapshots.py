"""Reports over many tickets: built in the background, served from a snapshot.

A report over up to REPORT_LIVE_LIMIT tickets is built on every request (exact, a few hundred
milliseconds at most). Beyond that, exact medians and 90th percentiles mean sorting every
duration in range, several times: seconds at a million tickets. Those reports are built by a
Celery task and kept as a ReportSnapshot; the page serves the snapshot at once and says when
it was computed. A snapshot older than REPORT_SNAPSHOT_MAX_AGE_MINUTES is still shown while a
fresh one is built; a report never asked for before shows "being prepared" until its first
snapshot lands (seconds). The numbers are the same exact ones the live path computes; only
the backlog, which is about now, is always counted live.

Requests are durable: the snapshot row is written first and the task only asked to build it,
so a lost task (broker down) is made good by the `refresh_report_snapshots` beat task. A
claim with a lease keeps two workers from building the same snapshot at once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from helpdesk import replica

from ..models import ReportSnapshot
from . import aggregates
from .aggregates import BreakdownRow, Report, Stat
from .filters import RESOLVED_BASIS, ReportFilters
from .satisfaction import CsatWeek
from .workload import WorkloadRow

CLAIM_LEASE = timedelta(minutes=10)
KEEP_REFRESHING = timedelta(hours=2)  # snapshots looked at within this long are kept fresh
FORGET_AFTER = timedelta(days=7)  # snapshots nobody asked for within this long are deleted
REQUESTED_AT_PRECISION = timedelta(minutes=1)


def live_limit() -> int:
    return settings.REPORT_LIVE_LIMIT


def max_age() -> timedelta:
    return timedelta(minutes=settings.REPORT_SNAPSHOT_MAX_AGE_MINUTES)


@dataclass(frozen=True)
class Served:
    report: Report | None  # None: being prepared
    as_of: datetime | None = None  # when the snapshot was computed; None: built just now
    refreshing: bool = False  # a newer snapshot is on its way


# --- Filters and reports as JSON ------------------------------------------------------------


def filters_to_json(filters: ReportFilters) -> dict:
    return {
        "start": filters.start.isoformat(),
        "end": filters.end.isoformat(),
        "assignee_id": filters.assignee_id,
        "category_id": filters.category_id,
        "priority": filters.priority,
        "basis": filters.basis,
    }


def filters_from_json(data: dict) -> ReportFilters:
    return ReportFilters(
        start=date.fromisoformat(data["start"]),
        end=date.fromisoformat(data["end"]),
        assignee_id=data["assignee_id"],
        category_id=data["category_id"],
        priority=data["priority"],
        basis=data.get("basis", RESOLVED_BASIS),
    )


def snapshot_key(filters: ReportFilters) -> str:
    canonical = json.dumps(filters_to_json(filters), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _stats(stats: dict[str, Stat]) -> dict:
    return {name: asdict(stat) for name, stat in stats.items()}


def to_payload(report: Report) -> dict:
    def row(entry: BreakdownRow) -> dict:
        return {
            "key": entry.key,
            "label": str(entry.label),
            "counts": entry.counts,
            "durations": {clock: _stats(s) for clock, s in entry.durations.items()},
        }

    return {
        "as_of": report.as_of.isoformat() if report.as_of else None,
        "counts": report.counts,
        "durations": _stats(report.durations),
        "business": _stats(report.business),
        "weekly": [[monday.isoformat(), created, done] for monday, created, done in report.weekly],
        "breakdowns": {by: [row(e) for e in rows] for by, rows in report.breakdowns.items()},
        "csat_weekly": [[w.monday.isoformat(), w.rated, w.satisfied] for w in report.csat_weekly],
        "workload": [asdict(entry) for entry in report.workload],
        "holds_by_kind": report.holds_by_kind,
    }


def _read_stats(data: dict, names) -> dict[str, Stat]:
    # JSON objects come back in any order (jsonb sorts keys): the page's order is ours.
    return {name: Stat(**data[name]) for name in names if name in data}


def from_payload(filters: ReportFilters, payload: dict) -> Report:
    def row(entry: dict) -> BreakdownRow:
        return BreakdownRow(
            key=entry["key"],
            label=entry["label"],
            counts=counted(entry["counts"]),
            durations={
                clock: _read_stats(entry["durations"][clock], ("first_response", "resolution"))
                for clock in aggregates.CLOCKS
            },
        )

    def counted(counts: dict) -> dict[str, int]:
        # A snapshot from before a figure existed counts it as 0 until it is rebuilt.
        return {**dict.fromkeys(aggregates.COUNTED, 0), **counts}

    as_of = payload.get("as_of")
    return Report(
        filters=filters,
        as_of=datetime.fromisoformat(as_of) if as_of else None,
        counts=counted(payload["counts"]),
        durations=_read_stats(payload["durations"], aggregates.DURATIONS),
        business=_read_stats(payload["business"], aggregates.DURATIONS),
        weekly=[(date.fromisoformat(m), c, r) for m, c, r in payload["weekly"]],
        breakdowns={by: [row(e) for e in payload["breakdowns"][by]] for by in aggregates.GROUPINGS},
        csat_weekly=[
            CsatWeek(date.fromisoformat(m), rated, satisfied)
            for m, rated, satisfied in payload.get("csat_weekly", [])
        ],
        workload=[WorkloadRow(**entry) for entry in payload.get("workload", [])],
        holds_by_kind=payload.get("holds_by_kind", {}),  # none in snapshots from before kinds
    )


# --- Serving ----------------------------------------------------------------------------------


def _is_fresh(snapshot: ReportSnapshot, now: datetime) -> bool:
    return snapshot.computed_at is not None and snapshot.computed_at > now - max_age()


def serve(filters: ReportFilters, *, now: datetime | None = None) -> Served:
    """The report for these filters: built now if the range is small, else from a snapshot."""
    now = now or timezone.now()
    key = snapshot_key(filters)
    snapshot = ReportSnapshot.objects.filter(key=key).first()
    if snapshot is None:
        in_range = aggregates.scope(filters).count()
        if in_range <= live_limit():
            return Served(report=aggregates.build(filters, now=now))
        _request(filters, key=key, tickets=in_range, now=now)
        snapshot = ReportSnapshot.objects.get(key=key)  # a worker in this process may be done
    elif not _is_fresh(snapshot, now):
        _request(filters, key=key, tickets=snapshot.tickets, now=now)
        snapshot = ReportSnapshot.objects.get(key=key)
    elif snapshot.requested_at < now - REQUESTED_AT_PRECISION:
        # Who looks at it only matters to the nearest minute: not a write per page view.
        ReportSnapshot.objects.filter(pk=snapshot.pk).update(requested_at=now)
    if snapshot.payload is None:
        return Served(report=None, refreshing=True)
    report = from_payload(filters, snapshot.payload)
    report.backlog_by_status, report.backlog_by_age = aggregates.backlog(filters, now=now)
    return Served(report, as_of=snapshot.computed_at, refreshing=not _is_fresh(snapshot, now))


def _request(filters: ReportFilters, *, key: str, tickets: int, now: datetime) -> None:
    ReportSnapshot.objects.update_or_create(
        key=key,
        defaults={"requested_at": now, "tickets": tickets},
        create_defaults={
            "filters": filters_to_json(filters),
            "requested_at": now,
            "tickets": tickets,
        },
    )
    transaction.on_commit(lambda: enqueue(key))


def enqueue(key: str) -> None:
    """Ask a worker to build the snapshot (the beat task builds those whose task was lost)."""
    from ..tasks import build_report_snapshot, enqueue_safely

    what = f"report snapshot {key}"
    enqueue_safely(build_report_snapshot, key, what=what, then="refresh_report_snapshots")


# --- Building ---------------------------------------------------------------------------------


def build(*, key: str, now: datetime | None = None) -> bool:
    """Build the snapshot if it is missing or stale and nobody else is building it.

    Returns whether this call built it.
    """
    now = now or timezone.now()
    needed = Q(computed_at__isnull=True) | Q(computed_at__lte=now - max_age())
    free = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_LEASE)
    claimed = ReportSnapshot.objects.filter(needed & free, key=key).update(claimed_at=now)
    if not claimed:
        return False
    snapshot = ReportSnapshot.objects.get(key=key)
    try:
        report = replica.call(aggregates.build, filters_from_json(snapshot.filters), now=now)
    except BaseException:
        ReportSnapshot.objects.filter(key=key, claimed_at=now).update(claimed_at=None)
        raise
    ReportSnapshot.objects.filter(key=key).update(
        payload=to_payload(report), computed_at=now, claimed_at=None, tickets=report.tickets
    )
    return True


def refresh_stale(*, now: datetime | None = None) -> int:
    """Beat: rebuild snapshots someone looked at lately that are missing or stale (their task
    was lost, or they aged); forget those nobody asked for in a week."""
    now = now or timezone.now()
    ReportSnapshot.objects.filter(requested_at__lt=now - FORGET_AFTER).delete()
    stale = ReportSnapshot.objects.filter(
        Q(computed_at__isnull=True) | Q(computed_at__lte=now - max_age()),
        requested_at__gte=now - KEEP_REFRESHING,
    ).filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_LEASE))
    oldest_first = stale.order_by(F("computed_at").asc(nulls_first=True))
    keys = list(oldest_first.values_list("key", flat=True))
    for key in keys:
        enqueue(key)
    return len(keys)
