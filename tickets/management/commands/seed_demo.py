"""Fill the database with a believable help desk: demo logins, services and tickets.

    python manage.py seed_demo                    # 300 tickets
    python manage.py seed_demo --tickets 100000   # a big queue, in a few minutes
    python manage.py seed_demo --if-empty         # only when there are no tickets yet
    python manage.py seed_demo --tickets 1000000 --agents 300 --comments 3-10   # bench data

How the tickets are invented and written: see the tickets.demo package.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.models import Role, User
from knowledge.demo import seed_articles
from tickets.demo.loading import DEFAULT_BATCH, seed_tickets
from tickets.demo.people import (
    AGENT_COUNT,
    DEMO_PASSWORD,
    MIN_CUSTOMERS,
    TICKETS_PER_CUSTOMER,
    Cast,
    demo_accounts,
    ensure_categories,
    ensure_users,
)
from tickets.demo.plans import COMMENTS
from tickets.demo.ratings import rate_some
from tickets.models import Ticket
from tickets.status import Status

__all__ = ["DEMO_PASSWORD", "Command"]


DEFAULT_TICKETS = 300


def parse_range(text: str) -> tuple[int, int]:
    """ "3-10" → (3, 10)."""
    low, _dash, high = text.partition("-")
    try:
        bounds = (int(low), int(high or low))
    except ValueError:
        raise CommandError(f"Expected a range like 3-10, not {text!r}.") from None
    if not 0 <= bounds[0] <= bounds[1]:
        raise CommandError(f"Expected 0 ≤ at least ≤ at most, not {text!r}.")
    return bounds


class Command(BaseCommand):
    help = "Create demo accounts, services and tickets with consistent histories."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, default=DEFAULT_TICKETS, help="how many")
        parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
        parser.add_argument(
            "--batch-size", type=int, default=DEFAULT_BATCH, help="tickets per transaction"
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing if any ticket exists"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument(
            "--agents", type=int, default=AGENT_COUNT, help=f"agents (default {AGENT_COUNT})"
        )
        parser.add_argument(
            "--comments",
            default="{}-{}".format(*COMMENTS),
            help="comments per ticket, at least-at most (default %(default)s)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help="processes planning tickets on PostgreSQL (default: one per core)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count = int(options["tickets"])
        batch_size = int(options["batch_size"])
        agents = int(options["agents"])
        if count < 0 or batch_size < 1 or agents < 1 or options["workers"] < 1:
            raise CommandError("--tickets must be ≥ 0, --batch-size, --agents and --workers ≥ 1.")
        comments = parse_range(options["comments"])
        if options["if_empty"] and Ticket.objects.exists():
            self.stdout.write("Tickets already exist; seed_demo --if-empty did nothing.")
            emails = [email for email, _name, _role in demo_accounts(customer_count=2)]
            self.print_logins(User.objects.filter(email__in=emails))
            return
        rng = random.Random(options["seed"])
        cast, new_users = ensure_users(max(MIN_CUSTOMERS, count // TICKETS_PER_CUSTOMER), agents)
        services = ensure_categories()
        statuses = seed_tickets(
            rng,
            cast,
            services,
            count,
            batch_size,
            comments=comments,
            workers=int(options["workers"]),
            progress=not options["no_progress"],
        )
        rate_some(rng, now=timezone.now())
        articles = seed_articles(rng)
        self.report(cast, new_users, statuses)
        if articles:
            self.stdout.write(f"{articles} help-centre articles (/help/).")

    def report(self, cast: Cast, new_users: int, statuses: Counter[Status]) -> None:
        total = sum(statuses.values())
        spread = ", ".join(f"{statuses[s]} {s.value}" for s in Status if statuses[s])
        self.stdout.write(self.style.SUCCESS(f"Created {total} tickets ({spread or 'none'})."))
        self.stdout.write(f"{new_users} new demo accounts.")
        shown = [cast.manager, *cast.agents[:AGENT_COUNT], *cast.customers[:2]]
        self.print_logins(User.objects.filter(pk__in=shown))
        if len(cast.agents) > AGENT_COUNT:
            more = len(cast.agents) - AGENT_COUNT
            self.stdout.write(f"  … and {more} more agents, agent{AGENT_COUNT + 1}@example.com on")
        if new_users < 1 + len(cast.agents) + len(cast.customers):
            self.stdout.write("(accounts that existed before keep their own password)")

    def print_logins(self, users) -> None:
        rows = users.values_list("role", "email", "display_name")
        if not rows:
            return
        self.stdout.write("Demo logins:")
        order = {Role.MANAGER: 0, Role.AGENT: 1, Role.CUSTOMER: 2}
        for role, email, name in sorted(rows, key=lambda r: (order[r[0]], r[1])):
            self.stdout.write(f"  {role:<9} {email:<24} {name}")
        self.stdout.write(f"Password for all demo accounts: {DEMO_PASSWORD}")
