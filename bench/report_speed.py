"""How fast the managers' report answers on a big database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench \\
        .venv/bin/python bench/report_speed.py [--runs 5]

Seed the database first (bench/README.md). Prints a markdown table: for several ranges and
slices, the number of tickets in range; the time to build the report from scratch (all its
queries: what a small range costs on every request, and what the background task spends on a
big one); and the time of the whole page as a manager gets it (templates included) — built on
the spot up to REPORT_LIVE_LIMIT tickets, served from its snapshot beyond (after the first
request has had it built).
"""

import argparse
import os
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DEBUG", "true")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from bench.measure import last_day, timed  # noqa: E402
from tickets import reports  # noqa: E402
from tickets.models import TicketMetrics  # noqa: E402
from tickets.reports import snapshots as report_snapshots  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs

    total = TicketMetrics.objects.count()
    end = last_day(seed_hint="manage.py seed_demo --tickets 1000000")
    agent = User.objects.filter(role=Role.AGENT).first()
    manager = User.objects.filter(role=Role.MANAGER).first()
    client = Client()
    client.force_login(manager)
    cases = [
        ("last 7 days", reports.ReportFilters(start=end - timedelta(days=6), end=end)),
        ("last 30 days", reports.ReportFilters(start=end - timedelta(days=29), end=end)),
        ("last 90 days", reports.ReportFilters(start=end - timedelta(days=89), end=end)),
        ("last 365 days", reports.ReportFilters(start=end - timedelta(days=364), end=end)),
        ("everything", reports.ReportFilters(start=end - timedelta(days=3650), end=end)),
        (
            "30 days, one agent",
            reports.ReportFilters(start=end - timedelta(days=29), end=end, assignee_id=agent.pk),
        ),
        (
            "30 days, urgent",
            reports.ReportFilters(start=end - timedelta(days=29), end=end, priority="urgent"),
        ),
    ]
    print(
        f"{connection.vendor}, {total:,} tickets, REPORT_LIVE_LIMIT "
        f"{report_snapshots.live_limit():,}; best and median of {runs} runs\n"
    )
    print(
        "| report | tickets in range | build best | build median | page best | page median "
        "| page served | page queries |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
    for name, filters in cases:
        in_range = reports.cohort(filters).count()
        best, median, _queries, _built = timed(lambda f=filters: reports.build(f), runs)
        params = {"start": filters.start.isoformat(), "end": filters.end.isoformat()}
        if filters.assignee_id:
            params["agent"] = filters.assignee_id
        if filters.priority:
            params["priority"] = filters.priority

        def page(p=params):
            response = client.get(reverse("reports:report"), p)
            if response.status_code != 200 or b"Preparing this report" in response.content:
                raise RuntimeError(f"the report answered {response.status_code}")

        page()  # a big range's first request has its snapshot built (Celery eager here)
        page_best, page_median, page_queries, _response = timed(page, runs)
        served = "snapshot" if in_range > report_snapshots.live_limit() else "built"
        print(
            f"| {name} | {in_range:,} | {best * 1000:.0f} ms | {median * 1000:.0f} ms "
            f"| {page_best * 1000:.0f} ms | {page_median * 1000:.0f} ms | {served} "
            f"| {page_queries} |"
        )


if __name__ == "__main__":
    main()
