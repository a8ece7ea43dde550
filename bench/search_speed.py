"""How fast the queue's search answers on a big database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench \\
        .venv/bin/python bench/search_speed.py [--runs 20] [--plans]

Seed the database first (bench/README.md). For each search — a broad two-word one, single
common words, a customer's name and address, a word's start, a rare word, and a customer's own
search — prints the query that finds one page (queries.queue_page: the search, the view, the
sort, 50 rows) and the whole queue page as the agent gets it (Django's test client: server
time, session and templates, no network); best and median of --runs after one warm-up. The
budget for a common two-word search at a million tickets is 100 ms of server time. --plans
prints each page query's EXPLAIN ANALYZE.
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

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from bench.measure import timed  # noqa: E402
from tickets import queries  # noqa: E402
from tickets.models import Ticket  # noqa: E402


def searches() -> list[tuple[str, str, str, str]]:
    """(what, who, view, text) for the searches measured."""
    ticket = Ticket.objects.select_related("customer").order_by("-pk").first()
    if ticket is None:
        sys.exit("No tickets: seed the database first (bench/README.md).")
    name, email = ticket.customer.display_name, ticket.customer.email
    return [
        ("two common words", "agent", "all", "printer offline"),
        ("one common word", "agent", "all", "thanks"),
        ("one common word, open tickets", "agent", "open", "problem"),
        ("customer's name", "agent", "all", name),
        ("customer's address", "agent", "all", email),
        ("a word's start", "agent", "all", "mailb"),
        ("a word nobody wrote", "agent", "all", "xylophone"),
        ("a customer's own search", "customer", "all", "printer"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--plans", action="store_true", help="print each page query's plan")
    options = parser.parse_args()
    agent = User.objects.filter(role=Role.AGENT, is_active=True).order_by("pk").first()
    customer = Ticket.objects.order_by("-pk").first().customer
    people = {"agent": agent, "customer": customer}
    clients = {}
    for who, user in people.items():
        clients[who] = Client()
        clients[who].force_login(user)
    urls = {"agent": reverse("agent:queue"), "customer": reverse("api:ticket-list")}
    count = Ticket.objects.count()
    print(f"{connection.vendor}, {count:,} tickets; best and median of {options.runs} runs\n")
    print("| search | text | rows | query best | query median | page best | page median |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for what, who, view, text in searches():
        user, client = people[who], clients[who]
        filters = queries.QueueFilters(view=view, q=text)

        def find(user=user, filters=filters):
            return queries.queue_page(user, filters)

        def get(client=client, url=urls[who], view=view, text=text):
            response = client.get(url, {"view": view, "q": text})
            if response.status_code != 200:
                sys.exit(f"{url} answered {response.status_code}")
            return response

        timed(find, 1)  # warm-up
        q_best, q_median, _n, page = timed(find, options.runs)

        timed(get, 1)
        p_best, p_median, _n, _r = timed(get, options.runs)
        print(
            f"| {what} | {text[:30]} | {len(page.tickets)} | {q_best * 1000:.1f} ms "
            f"| {q_median * 1000:.1f} ms | {p_best * 1000:.1f} ms | {p_median * 1000:.1f} ms |"
        )
        if options.plans:
            keys = queries._ordering(filters.sort, user)
            ordering = [f"{'-' if d else ''}{name}" for name, d in keys]
            rows = queries.queue_tickets(user, filters).order_by(*ordering)[:51]
            print("\n```\n" + rows.explain(analyze=True, buffers=True) + "\n```\n")


if __name__ == "__main__":
    main()
