"""How fast the report's workload and satisfaction figures answer, however many agents.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench \\
        .venv/bin/python bench/workload_speed.py [--runs 5]

Seed first with many agents (`manage.py seed_demo --agents 300 --tickets N`). For the last 7,
30 and 90 days: the agents listed, and best and median time and the number of queries of the
workload table (tickets assigned, resolved, replies and notes, open load, names: one query
each whatever the number of agents), the CSAT per week, and the newest rating comments.
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

from accounts.models import STAFF_ROLES, User  # noqa: E402
from bench.measure import last_day, timed  # noqa: E402
from tickets import reports  # noqa: E402
from tickets.models import TicketMetrics  # noqa: E402
from tickets.reports import satisfaction, workload  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    end = last_day(seed_hint="manage.py seed_demo --agents 300")
    staff = User.objects.filter(role__in=STAFF_ROLES).count()
    print(
        f"{connection.vendor}, {TicketMetrics.objects.count():,} tickets, {staff} staff; "
        f"best and median of {runs} runs\n"
    )
    print("| range | agents listed | what | best | median | queries |")
    print("| --- | ---: | --- | ---: | ---: | ---: |")
    for days in (7, 30, 90):
        filters = reports.ReportFilters(start=end - timedelta(days=days - 1), end=end)
        cases = [
            ("workload", lambda f=filters: workload.build(f)),
            ("CSAT per week", lambda f=filters: satisfaction.weekly(f)),
            ("newest comments", lambda f=filters: satisfaction.latest_comments(f)),
        ]
        listed = None
        for name, action in cases:
            best, median, queries, result = timed(action, runs)
            if listed is None:
                listed = len(result)
            print(
                f"| last {days} days | {listed} | {name} | {best * 1000:.0f} ms "
                f"| {median * 1000:.0f} ms | {queries} |"
            )


if __name__ == "__main__":
    main()
