"""How fast the managers' live dashboard answers on a big database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench \\
        .venv/bin/python bench/dashboard_speed.py [--runs 20] [--plans]

Seed the database first (bench/README.md). Prints a markdown table: the time to count every
figure (tickers.reports.dashboard.build: all its queries), each query on its own, and the
page and its JSON twin as a manager gets them (Django's test client: server time, session and
templates included, no network); best, median and 95th percentile of --runs, after one
warm-up. The budget is 100 ms of server time. --plans prints each query's EXPLAIN ANALYZE.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DEBUG", "true")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from tickets.models import Ticket  # noqa: E402
from tickets.reports import dashboard  # noqa: E402
from tickets.status import ACTIVE_STATUSES  # noqa: E402

BUDGET_MS = 100


def timed(action, runs: int) -> tuple[float, float, float, int]:
    action()  # warm-up: connection, caches
    times, queries = [], 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            action()
            times.append((time.perf_counter() - started) * 1000)
        queries = len(captured)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return times[0], statistics.median(times), p95, queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--plans", action="store_true", help="print each query's plan")
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Point DATABASE_URL at the PostgreSQL bench database.")
    total = Ticket.objects.count()
    if not total:
        sys.exit("No tickets: run manage.py seed_demo first.")
    unfinished = Ticket.objects.filter(status__in=ACTIVE_STATUSES).count()
    manager = User.objects.filter(role=Role.MANAGER).first()
    client = Client()
    client.force_login(manager)
    now = timezone.now()
    tz = dashboard.zone()
    day = now.astimezone(tz).date()
    since, _end = dashboard.day_bounds(day, tz)
    starts = dashboard.hour_starts(day=day, tz=tz, now=now)
    from tickets.models import StatusHistory

    resolved = StatusHistory.objects.filter(to_status="resolved")
    parts = [
        ("unfinished by status × priority", dashboard._open_cells),
        ("due within the hour, overdue", lambda: dashboard._due(now)),
        (
            "reported today by hour",
            lambda: dashboard._hourly_counts(Ticket.objects.all(), "created_at", starts, now),
        ),
        (
            "resolved today by hour",
            lambda: dashboard._hourly_counts(resolved, "created_at", starts, now),
        ),
        ("breached today", lambda: dashboard._breached(since, now)),
        ("oldest waiting ticket", dashboard._oldest_waiting),
    ]
    cases = [
        ("all figures (dashboard.build)", lambda: dashboard.build()),
        *parts,
        ("page /reports/dashboard/", lambda: client.get(reverse("reports:dashboard"))),
        ("JSON /reports/dashboard/data/", lambda: client.get(reverse("reports:dashboard_data"))),
    ]
    print(
        f"{connection.vendor}, {total:,} tickets ({unfinished:,} unfinished); "
        f"best, median and 95th percentile of {options.runs} runs after a warm-up; "
        f"budget {BUDGET_MS} ms server time\n"
    )
    print("| what | best | median | p95 | queries |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, action in cases:
        best, median, p95, queries = timed(action, options.runs)
        print(f"| {name} | {best:.1f} ms | {median:.1f} ms | {p95:.1f} ms | {queries} |")
    if options.plans:
        with CaptureQueriesContext(connection) as captured:
            dashboard.build(now=now)
        for query in captured.captured_queries:
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
                print("\n" + query["sql"][:200] + " …")
                print("\n".join(row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
