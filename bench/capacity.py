"""The numbers behind the capacity model (docs/scaling.md): what each common request costs in
CPU, queries and database time, and how big each table and its indexes are.

    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench \\
        .venv/bin/python bench/capacity.py [--runs 15]

Run it on a seeded database (bench/README.md; the model quotes a million tickets). Requests go
through Django's test client in this process, warm, each `--runs` times: the CPU seconds of
this process (all of the web node's work: Python, templates, the driver), the queries and
the time the database took for them (PostgreSQL's own, read from pg_stat_statements when it
is loaded, else the client-side time of each query). Prints two markdown tables and the
sizes per ticket that the model extrapolates from.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from tickets.models import Ticket  # noqa: E402
from tickets.status import ACTIVE_STATUSES  # noqa: E402

# The tables that grow with tickets, and what else is worth knowing about.
TABLES = [
    "tickets_ticket",
    "tickets_statushistory",
    "tickets_fieldchange",
    "tickets_comment",
    "tickets_ticketmetrics",
    "tickets_ticketsearch",
    "tickets_notification",
    "tickets_attachment",
    "tickets_rating",
    "django_session",
]


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def measure(get, runs: int) -> tuple[float, float, int, float]:
    """Median wall ms, median CPU ms, queries, median database ms of one request."""
    get()  # warm
    walls, cpus, db_times, queries = [], [], [], 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            cpu, wall = time.process_time(), time.perf_counter()
            response = get()
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        if response.status_code not in (200, 202):
            raise SystemExit(f"{response.status_code} from {response.request['PATH_INFO']}")
        queries = len(captured)
        db_times.append(sum(float(q["time"]) for q in captured.captured_queries))
    ms = 1000
    return (
        statistics.median(walls) * ms,
        statistics.median(cpus) * ms,
        queries,
        statistics.median(db_times) * ms,
    )


def requests_table(runs: int) -> list[tuple[str, float, float, int, float]]:
    agent = User.objects.filter(role=Role.AGENT, is_active=True).order_by("pk").first()
    manager = User.objects.filter(role=Role.MANAGER, is_active=True).order_by("pk").first()
    customer = User.objects.filter(role=Role.CUSTOMER, tickets__isnull=False).order_by("pk").first()
    ticket = Ticket.objects.filter(status__in=ACTIVE_STATUSES).order_by("-pk").first()
    own = Ticket.objects.filter(customer=customer).order_by("-pk").first()
    staff, boss, person = client_for(agent), client_for(manager), client_for(customer)
    cases = [
        ("agent: queue, first page", lambda: staff.get("/agent/")),
        ("agent: ticket page", lambda: staff.get(f"/agent/tickets/{ticket.pk}/")),
        (
            "agent: live poll of a ticket",
            lambda: staff.post(
                f"/agent/tickets/{ticket.pk}/presence/", {"version": ticket.version}
            ),
        ),
        (
            "agent: search, two words",
            lambda: staff.get("/agent/", {"q": "vpn drops", "view": "all"}),
        ),
        ("API: ticket list", lambda: staff.get("/api/v1/tickets/")),
        ("customer: own tickets", lambda: person.get("/tickets/")),
        ("customer: ticket page", lambda: person.get(f"/tickets/{own.pk}/")),
        ("manager: dashboard", lambda: boss.get("/reports/dashboard/")),
        ("manager: report, last 30 days", lambda: boss.get("/reports/")),
    ]
    return [(name, *measure(get, runs)) for name, get in cases]


def sizes() -> tuple[int, list[tuple[str, int, int, int]]]:
    tickets = Ticket.objects.count()
    rows = []
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f'ANALYZE "{table}"')  # fresh row estimates, no full count
            cursor.execute(
                "SELECT reltuples::bigint, pg_table_size(%s::regclass), "
                "pg_indexes_size(%s::regclass) FROM pg_class WHERE oid = %s::regclass",
                [table, table, table],
            )
            count, table_bytes, index_bytes = cursor.fetchone()
            rows.append((table, max(count, 0), table_bytes, index_bytes))
    return tickets, rows


def megabytes(n: int) -> str:
    return f"{n / 1024 / 1024:,.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("The model is about PostgreSQL: set DATABASE_URL.")

    tickets, table_sizes = sizes()
    print(f"postgresql, {tickets:,} tickets; median of {args.runs} warm requests in-process\n")
    print("| request | wall | CPU (web) | queries | database |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, wall, cpu, queries, db in requests_table(args.runs):
        print(f"| {name} | {wall:.1f} ms | {cpu:.1f} ms | {queries} | {db:.1f} ms |")
    print()
    print("| table | rows | table | indexes | per ticket |")
    print("| --- | ---: | ---: | ---: | ---: |")
    total = 0
    for table, count, table_bytes, index_bytes in table_sizes:
        total += table_bytes + index_bytes
        per_ticket = (table_bytes + index_bytes) / max(tickets, 1)
        print(
            f"| {table} | {count:,} | {megabytes(table_bytes)} | {megabytes(index_bytes)} "
            f"| {per_ticket:,.0f} B |"
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        (database_bytes,) = cursor.fetchone()
    print(
        f"| **these tables** | | | | **{total / max(tickets, 1):,.0f} B** |\n"
        f"| **whole database** | | {megabytes(database_bytes)} | | "
        f"**{database_bytes / max(tickets, 1):,.0f} B** |"
    )


if __name__ == "__main__":
    main()
