"""What the in-process benchmarks share: timing an action, and the day the data ends on.
Import after django.setup()."""

from __future__ import annotations

import statistics
import sys
import time
from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tickets import reports
from tickets.models import TicketMetrics


def timed(action, runs: int) -> tuple[float, float, int, object]:
    """Best and median seconds of `runs` runs, the queries of one, and what it returned."""
    times, queries, result = [], 0, None
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = action()
            times.append(time.perf_counter() - started)
        queries = len(captured)
    return min(times), statistics.median(times), queries, result


def last_day(*, seed_hint: str) -> date:
    """The day the newest ticket was reported, in the help desk's zone; exits with
    `seed_hint` (how to seed) when there are no tickets."""
    newest = TicketMetrics.objects.order_by("-created_at").values_list("created_at", flat=True)
    last = newest.first()
    if last is None:
        sys.exit(f"No tickets: run {seed_hint} first.")
    return last.astimezone(reports.ReportFilters.within().zone).date()
