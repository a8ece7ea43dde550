"""100 agents polling the live-update endpoints at once: gunicorn with the production settings,
driven by wrk, each request as one of 100 signed-in agents.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench \\
        .venv/bin/python bench/presence_load.py [--agents 100] [--duration 10] [--workers 5]

Needs a seeded database (bench/README.md) with at least --agents active agents, and Redis (the
presence cache lives there, as in production; REDIS_URL as in bench/load.py, emptied
afterwards). wrk keeps --agents connections open and sends as fast as the server answers:
each connection is one agent who never waits, so this is the most 100 agents can ask of the
server, not the 33 requests a second they ask when each polls every 3 seconds. The agents
are spread over --agents / 4 tickets (four on each, so every answer names three others); one
in four says it is typing, one in five polls with a stale version (its answer says what
changed). Measured the same way as the ceiling of bench/load.py (one indexed query, a small
template), at the same concurrency, so the ratios hold on any machine.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import (  # first: it sets Django up for the bench
    WRK_SCRIPT,
    Identity,
    Page,
    Server,
    ensure_wrk,
    run_wrk,
)

# isort: split
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role, User
from tickets import presence
from tickets.models import Ticket
from tickets.status import ACTIVE_STATUSES

CSRF = "b" * 32  # an unmasked CSRF secret is a valid token for the header and the cookie


def lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def sessions(agents: list[User]) -> list[tuple[Client, str]]:
    """A signed-in session per agent (in the database, so gunicorn accepts it)."""
    out = []
    for agent in agents:
        client = Client()
        client.force_login(agent)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        cookie = f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={CSRF}"
        out.append((client, cookie))
    return out


def requests_for(name: str, agents, tickets: list[Ticket], since: str) -> list[tuple]:
    """(method, path, cookie, body) per agent."""
    out = []
    for number, (_client, cookie) in enumerate(agents):
        if name == "queue":
            out.append(("GET", f"/agent/news/?since={since}", cookie, ""))
            continue
        ticket = tickets[number % len(tickets)]
        version = 1 if number % 5 == 0 else ticket.version
        body = f"version={version}" + ("&typing=on" if number % 4 == 0 else "")
        out.append(("POST", f"/agent/tickets/{ticket.pk}/presence/", cookie, body))
    return out


def script_for(requests: list[tuple]) -> str:
    """wrk's Lua: each request from the next agent in turn (each thread starts elsewhere)."""
    lines = [WRK_SCRIPT, "local prepared = {}"]
    for method, path, cookie, body in requests:
        headers = {"Cookie": cookie, "X-CSRFToken": CSRF, "X-Helpdesk-Poll": "1"}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        table = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
        lines.append(
            f"table.insert(prepared, wrk.format({lua_string(method)}, {lua_string(path)}, "
            f"{{{table}}}, {lua_string(body) if body else 'nil'}))"
        )
    lines.append(
        "local turn = 0\n"
        "local started = false\n"
        "function request()\n"
        "  if not started then turn = math.random(#prepared); started = true end\n"
        "  turn = turn % #prepared + 1\n"
        "  return prepared[turn]\n"
        "end\n"
    )
    return "\n".join(lines)


def count_queries(client: Client, method: str, path: str, body: str) -> tuple[int, int]:
    def call():
        if method == "GET":
            return client.get(path)
        return client.post(path, body, content_type="application/x-www-form-urlencoded")

    call()  # warm: the session's upkeep
    with CaptureQueriesContext(connection) as captured:
        response = call()
    return len(captured), response.status_code


def measure(wrk: str, lua: str, path: str, args) -> dict:
    """wrk against a fresh gunicorn: 2 s warm-up, then --duration seconds."""
    page = Page("", path, "none")
    who = Identity({}, Client())
    with Server(args.workers):
        run_wrk(wrk, page, who, duration=2, connections=args.agents, lua=lua)
        return run_wrk(wrk, page, who, duration=args.duration, connections=args.agents, lua=lua)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=100, help="agents polling at once")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per endpoint")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    args = parser.parse_args()
    if connection.vendor != "postgresql" or not Ticket.objects.exists():
        raise SystemExit("Point DATABASE_URL at a seeded PostgreSQL database (bench/README.md).")
    agents = list(
        User.objects.filter(role=Role.AGENT, is_active=True).order_by("pk")[: args.agents]
    )
    if len(agents) < args.agents:
        raise SystemExit(f"Only {len(agents)} active agents; seed with --agents {args.agents}.")
    wrk = ensure_wrk()
    call_command("collectstatic", "--noinput", verbosity=0)
    tickets = list(
        Ticket.objects.filter(status__in=ACTIVE_STATUSES).order_by("-pk")[
            : max(1, args.agents // 4)
        ]
    )
    signed_in = sessions(agents)
    since = (timezone.now() - timedelta(minutes=5)).isoformat().replace("+", "%2B")
    rows = []

    ceiling = f"/bench/ceiling/{tickets[0].pk}/"
    rows.append(
        ("ceiling (one indexed query, small template)", measure(wrk, WRK_SCRIPT, ceiling, args))
    )
    rows[-1][1]["queries"] = 1
    for name, label in (
        ("ticket", "ticket presence poll (POST, viewers + staleness)"),
        ("queue", "queue poll (GET, new tickets since)"),
    ):
        todo = requests_for(name, signed_in, tickets, since)
        method, path, _cookie, body = todo[1]
        queries, status = count_queries(signed_in[1][0], method, path, body)
        if status != 200:
            raise SystemExit(f"{label}: expected 200, got {status}")
        connection.close()
        result = measure(wrk, script_for(todo), path, args)
        result["queries"] = queries
        rows.append((label, result))
    for label, result in rows:
        wrong = {s: n for s, n in result["statuses"].items() if s != 200}
        if wrong:
            raise SystemExit(f"{label}: answers other than 200: {result['statuses']}")
        print(f"  {label}: {result}", file=sys.stderr)
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    print_table(rows, args)


def print_table(rows, args) -> None:
    base = rows[0][1]
    print(
        f"gunicorn {args.workers} sync workers; wrk 2 threads × {args.agents} connections, each "
        f"request as the next of {args.agents} signed-in agents (on {max(1, args.agents // 4)} "
        f"tickets, four to a ticket), {args.duration} s per endpoint after a 2 s warm-up; "
        f"{Ticket.objects.count():,} tickets.\n"
    )
    print("| endpoint | p50 | p99 | req/s | p50 ÷ ceiling | req/s ÷ ceiling | queries |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, r in rows:
        print(
            f"| {label} | {r['p50']:.1f} ms | {r['p99']:.1f} ms | {r['rps']:.0f} "
            f"| {r['p50'] / base['p50']:.1f}× | {r['rps'] / base['rps']:.2f} | {r['queries']} |"
        )
    poll = rows[1][1]
    asked = args.agents / presence.POLL_SECONDS
    print(
        f"\n{args.agents} agents each polling every {presence.POLL_SECONDS} s ask "
        f"{asked:.0f} req/s of the ticket endpoint: {asked / poll['rps']:.0%} of what this "
        "server answers at full load."
    )


if __name__ == "__main__":
    main()
