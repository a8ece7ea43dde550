"""How fast automations find their tickets, however many tickets there are.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench \\
        .venv/bin/python bench/automation_speed.py [--seed 200000] [--runs 5]

`--seed N` first adds N tickets in one SQL statement (a realistic mix: most closed, some
resolved, on hold, in progress, open; in their status for up to 60 days), bypassing the
services, which is what a speed test of the search needs and what a million tickets through
the services would take hours for. Then, for the README's example automations and the
auto-close: the candidates one run reads (best and median time, how many, and the index
the plan uses), and the cost of firing on one ticket.
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DEBUG", "true")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from accounts.services import user_create  # noqa: E402
from bench.measure import timed  # noqa: E402
from tickets.models import Automation, Ticket  # noqa: E402
from tickets.rules import automations  # noqa: E402

SEED_SQL = """
INSERT INTO tickets_ticket (subject, description, customer_id, assignee_id, priority, status,
    hold_kind, created_at, updated_at, status_changed_at, resolved_at, closed_at, version)
SELECT 'Bench ticket ' || n, 'Seeded for bench/automation_speed.py', %(customer)s,
    CASE WHEN s IN ('assigned', 'in_progress', 'on_hold') THEN %(agent)s END,
    (ARRAY['low', 'normal', 'normal', 'high', 'urgent'])[1 + n %% 5], s,
    CASE WHEN s = 'on_hold' THEN 'customer' END,
    since - interval '1 day', since, since,
    CASE WHEN s IN ('resolved', 'closed') THEN since END,
    CASE WHEN s = 'closed' THEN since END, 1
FROM (
    SELECT n, now() - (random() * interval '60 days') AS since,
        CASE WHEN r < 0.70 THEN 'closed' WHEN r < 0.80 THEN 'resolved'
             WHEN r < 0.88 THEN 'on_hold' WHEN r < 0.93 THEN 'in_progress'
             WHEN r < 0.97 THEN 'open' ELSE 'assigned' END AS s
    FROM (SELECT n, random() AS r FROM generate_series(1, %(count)s) AS n) AS drawn
) AS rows
"""

EXAMPLES = [
    (
        "waiting for the customer 3 days → remind",
        [
            {"field": "status", "op": "is", "value": "on_hold"},
            {"field": "hold_kind", "op": "is", "value": "customer"},
            {"field": "time_in_status", "op": "at_least", "value": "3d"},
        ],
    ),
    (
        "waiting for the customer 7 days → resolve",
        [
            {"field": "status", "op": "is", "value": "on_hold"},
            {"field": "hold_kind", "op": "is", "value": "customer"},
            {"field": "time_in_status", "op": "at_least", "value": "7d"},
        ],
    ),
    (
        "open (so unassigned) and urgent 15 minutes → tell managers",
        [
            {"field": "status", "op": "is", "value": "open"},
            {"field": "priority", "op": "is", "value": "urgent"},
            {"field": "assignee", "op": "not_set", "value": None},
            {"field": "time_in_status", "op": "at_least", "value": "15m"},
        ],
    ),
    (
        "resolved 7 days → close (the auto-close's search)",
        [
            {"field": "status", "op": "is", "value": "resolved"},
            {"field": "time_in_status", "op": "at_least", "value": "7d"},
        ],
    ),
]


def people() -> tuple[User, User]:
    customer = User.objects.filter(email="bench-customer@example.com").first() or user_create(
        email="bench-customer@example.com", display_name="Bench", role=Role.CUSTOMER, password=None
    )
    agent = User.objects.filter(email="bench-agent@example.com").first() or user_create(
        email="bench-agent@example.com", display_name="Bench Agent", role=Role.AGENT, password=None
    )
    return customer, agent


def plan_of(automation: Automation, limit: int) -> str:
    """The index the candidates' plan reads (the first one named), or its top node."""
    with connection.cursor() as cursor:
        sql, params = _candidates_sql(automation, limit)
        cursor.execute("EXPLAIN " + sql, params)
        lines = [row[0] for row in cursor.fetchall()]
    for line in lines:
        if " using " in line.lower():
            return line.strip().split(" on ")[0].replace("->  ", "")
    return lines[0].strip()


def _candidates_sql(automation: Automation, limit: int):
    from django.db.models import Exists, OuterRef

    from tickets.models import AutomationRun
    from tickets.rules import conditions
    from tickets.status import Status

    fired = AutomationRun.objects.filter(
        automation_id=automation.pk, ticket_id=OuterRef("pk"), key=OuterRef("status_changed_at")
    )
    query = (
        Ticket.objects.filter(conditions.as_q(automation.conditions, now=timezone.now()))
        .exclude(status=Status.CLOSED)
        .filter(~Exists(fired))
        .order_by("status_changed_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return query.query.sql_with_params()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    customer, agent = people()
    if args.seed:
        with connection.cursor() as cursor:
            cursor.execute(
                SEED_SQL, {"customer": customer.pk, "agent": agent.pk, "count": args.seed}
            )
            cursor.execute("ANALYZE tickets_ticket")
    total = Ticket.objects.count()
    batch = 500
    print(f"{connection.vendor}, {total:,} tickets; best and median of {args.runs} runs\n")
    print("| automation | candidates (≤ 500) | best | median | queries | plan |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for name, conditions_ in EXAMPLES:
        automation = Automation(pk=0, name=name, conditions=conditions_, actions=[])
        now = timezone.now()
        best, median, queries, found = timed(
            lambda a=automation, n=now: automations.candidates(a, now=n, limit=batch), args.runs
        )
        print(
            f"| {name} | {len(found)} | {best * 1000:.1f} ms | {median * 1000:.1f} ms "
            f"| {queries} | {plan_of(automation, batch)} |"
        )
    # Firing: lock, test again, claim the run row, act (an internal note), log; rolled back.
    automation = Automation.objects.create(
        name="bench",
        conditions=EXAMPLES[0][1],
        actions=[{"type": "add_note", "body": "Bench."}],
        updated_by=agent,
        enabled=False,
    )
    ids = automations.candidates(automation, now=timezone.now(), limit=args.runs)
    times = []
    for ticket_id in ids:
        with transaction.atomic():
            best, _median, queries, _fired = timed(
                lambda t=ticket_id: automations.fire_once(automation, t), 1
            )
            times.append(best)
            transaction.set_rollback(True)
    Automation.objects.filter(pk=automation.pk).delete()
    if times:
        print(
            f"\nFiring on one ticket (add a note): best {min(times) * 1000:.1f} ms, "
            f"{queries} queries."
        )


if __name__ == "__main__":
    main()
