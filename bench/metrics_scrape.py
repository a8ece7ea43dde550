"""What one Prometheus scrape of /metrics costs on a big database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench \\
        .venv/bin/python bench/metrics_scrape.py [--runs 20] [--plans]

Seed the database first (bench/README.md). Prints a markdown table: the help desk's gauges
(tickets.gauges.figures_read, every query) and each query on its own; best, median and 95th
percentile of --runs after one warm-up. --plans prints each query's EXPLAIN ANALYZE.
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
os.environ.setdefault("INBOUND_ADDRESS", "support@example.com")  # count the inbound gauge too

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from tickets import gauges  # noqa: E402
from tickets.models import Ticket  # noqa: E402
from tickets.status import ACTIVE_STATUSES  # noqa: E402


def percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def timed(action, runs: int) -> tuple[float, float, float]:
    action()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return min(times), statistics.median(times), percentile(times, 0.95)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--plans", action="store_true")
    options = parser.parse_args()
    with CaptureQueriesContext(connection) as captured:
        gauges.figures_read()
    queries = [query["sql"] for query in captured.captured_queries]
    total = Ticket.objects.count()
    unfinished = Ticket.objects.filter(status__in=ACTIVE_STATUSES).count()
    print(
        f"{connection.vendor}, {total:,} tickets ({unfinished:,} unfinished); best, median and "
        f"95th percentile of {options.runs} runs after a warm-up\n"
    )
    print("| what | best | median | p95 |\n| --- | ---: | ---: | ---: |")
    best, median, p95 = timed(gauges.figures_read, options.runs)
    print(
        f"| all gauges ({len(queries)} queries) | {best:.1f} ms | {median:.1f} ms | {p95:.1f} ms |"
    )
    for sql in queries:

        def run(sql=sql):
            with connection.cursor() as cursor:
                cursor.execute(sql)
                cursor.fetchall()

        best, median, p95 = timed(run, options.runs)
        table = sql.split(" FROM ", 1)[1].split()[0].strip('"')
        print(f"| {table} | {best:.1f} ms | {median:.1f} ms | {p95:.1f} ms |")
    if options.plans:
        with connection.cursor() as cursor:
            for sql in queries:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                print("\n" + sql + "\n" + "\n".join(row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
