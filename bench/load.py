"""Pages and API under load: gunicorn with the production settings, driven by wrk.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench \\
        .venv/bin/python bench/load.py [--duration 10] [--connections 8] [--workers 5]

Needs a seeded database (bench/README.md). For each page it starts a fresh gunicorn (sync
workers, DEBUG off, persistent connections) on 127.0.0.1, warms it up, runs wrk for
--duration seconds, and reads the workers' peak memory from /proc; SQL queries per request
are counted in this process through Django's test client. Every page is also given as a ratio
to the ceiling: the same server answering a view that runs one indexed query and renders a
small template (bench/urls.py). Prints a markdown table (bench/run writes it to RESULTS.md).

Creating tickets (portal and API) adds rows to the database; nothing else is changed, except
that one ticket gets comments until it has 50 (the "ticket with 50 comments" page).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
# The production settings refuse to start without these; the bench serves 127.0.0.1 only.
BENCH_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECURE_SSL_REDIRECT": "false",
    # The bench drives one account at thousands of requests a minute on purpose.
    "API_THROTTLE_USER": "100000000/minute",
    "API_THROTTLE_ANON": "100000000/minute",
    "LOG_LEVEL": "WARNING",
    # As in production, notifications go to the broker (no worker runs: the bench measures the
    # web process); the bench empties this Redis database afterwards.
    "REDIS_URL": "redis://127.0.0.1:6379/14",
}
for _key, _value in BENCH_ENV.items():
    os.environ.setdefault(_key, _value)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from accounts.tokens import api_token_create  # noqa: E402
from tickets import queries  # noqa: E402
from tickets.models import Category, Comment, Ticket  # noqa: E402

PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
COMMENTS_ON_BIG_TICKET = 50
MIN_REQUESTS = 20  # fewer answers in the measured time make no percentile worth printing

# wrk reports each status it saw, so that a page answering 302 (to the login) or 500 cannot
# pass for a fast page.
WRK_SCRIPT = r"""
counts = {}  -- a global: done() reads each thread's copy with thread:get()
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) counts = {} end
function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end
function done(summary, latency, requests)
  local all = {}
  for _, thread in ipairs(threads) do
    local c = thread:get("counts")
    for status, n in pairs(c) do all[status] = (all[status] or 0) + n end
  end
  for status, n in pairs(all) do io.write(string.format("status %d %d\n", status, n)) end
  for _, p in ipairs({50, 99}) do
    io.write(string.format("latency p%d %d\n", p, latency:percentile(p)))
  end
  io.write(string.format("requests %d\n", summary.requests))
  io.write(string.format("duration_us %d\n", summary.duration))
end
"""


@dataclass
class Page:
    name: str
    path: str
    role: str  # agent, customer, manager, token (API as an agent) or none
    method: str = "GET"
    body: str = ""
    content_type: str = ""
    expect: int = 200
    result: dict = field(default_factory=dict)


@dataclass
class Identity:
    headers: dict[str, str]
    client: Client


def ensure_wrk() -> str:
    found = subprocess.run(["which", "wrk"], capture_output=True, text=True).stdout.strip()
    if found:
        return found
    print("bench: installing wrk (Debian package)", file=sys.stderr)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "wrk"], check=True, capture_output=True)
    return "wrk"


def big_ticket() -> Ticket:
    """A worked ticket with 50 comments (adds comments to one if none has that many)."""
    found = (
        Ticket.objects.annotate(n=Count("comments"))
        .filter(n__gte=COMMENTS_ON_BIG_TICKET, assignee__isnull=False)
        .order_by("-pk")
        .first()
    )
    if found:
        return found
    ticket = Ticket.objects.filter(assignee__isnull=False).order_by("-pk").first()
    have = ticket.comments.count()
    now = timezone.now()
    Comment.objects.bulk_create(
        Comment(
            ticket=ticket,
            author_id=ticket.customer_id if i % 2 else ticket.assignee_id,
            body=f"Bench message {i}: still looking into it, more detail follows. " * 3,
            is_internal=i % 5 == 0,
            created_at=now,
        )
        for i in range(COMMENTS_ON_BIG_TICKET - have)
    )
    return ticket


def identities(ticket: Ticket) -> dict[str, Identity]:
    """Signed-in sessions (in the database, so gunicorn accepts them) and an API token."""
    agent = ticket.assignee
    customer = (
        User.objects.filter(role=Role.CUSTOMER)
        .annotate(n=Count("tickets"))
        .filter(n__gte=20)
        .order_by("pk")
        .first()
    )
    manager = User.objects.filter(role=Role.MANAGER, is_active=True).order_by("pk").first()
    out = {}
    csrf = "b" * 32  # an unmasked CSRF secret is a valid token for the form and the cookie
    for role, user in (("agent", agent), ("customer", customer), ("manager", manager)):
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        cookie = f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}"
        out[role] = Identity({"Cookie": cookie, "X-CSRFToken": csrf}, client)
    _token, raw = api_token_create(user=agent, name=f"bench {time.time():.0f}")
    token_client = Client(headers={"Authorization": f"Bearer {raw}"})
    out["token"] = Identity({"Authorization": f"Bearer {raw}"}, token_client)
    out["none"] = Identity({}, Client())
    out["_csrf"] = Identity({"token": csrf}, Client())
    return out


def deep_cursor(agent: User, *, page: int = 1000) -> str:
    """The cursor of page 1000 of the agent's "all tickets" view, newest first, reached as an
    agent would: following "Next" (each step one keyset query)."""
    filters = queries.QueueFilters(view="all", sort="newest")
    cursor = ""
    for _ in range(page - 1):
        cursor = queries.queue_page(agent, filters, cursor=cursor, size=50).next_cursor
    return cursor


def pages(ticket: Ticket, who: dict[str, Identity]) -> list[Page]:
    agent = ticket.assignee
    category = Category.objects.order_by("pk").first()
    csrf = who["_csrf"].headers["token"]
    form = (
        f"csrfmiddlewaretoken={csrf}&subject=Printer+offline+again&priority=normal"
        f"&category={category.pk}&description=The+printer+on+the+3rd+floor+is+offline."
    )
    api_body = (
        '{"subject": "VPN drops", "description": "Every few minutes.", "priority": "high", '
        f'"customer": {ticket.customer_id}'
        "}"
    )
    from urllib.parse import quote

    return [
        Page("ceiling (one indexed query, small template)", f"/bench/ceiling/{ticket.pk}/", "none"),
        Page("agent queue, first page", "/agent/", "agent"),
        Page(
            "agent queue, page 1000",
            f"/agent/?view=all&sort=newest&cursor={quote(deep_cursor(agent))}",
            "agent",
        ),
        Page(
            "agent queue, filtered",
            f"/agent/?priority=high&category={category.pk}",
            "agent",
        ),
        Page("agent queue, search", "/agent/?view=all&q=printer+offline", "agent"),
        Page("ticket with 50 comments (agent)", f"/agent/tickets/{ticket.pk}/", "agent"),
        Page("customer's ticket list", "/tickets/?view=all", "customer"),
        Page("report, last 30 days", "/reports/", "manager"),
        Page("live dashboard", "/reports/dashboard/", "manager"),
        Page("live dashboard, JSON refresh", "/reports/dashboard/data/", "manager"),
        Page("API ticket list", "/api/v1/tickets/", "token"),
        Page(
            "API create ticket",
            "/api/v1/tickets/",
            "token",
            "POST",
            api_body,
            "application/json",
            201,
        ),
        Page(
            "portal: report a ticket",
            "/tickets/new/",
            "customer",
            "POST",
            form,
            "application/x-www-form-urlencoded",
            302,
        ),
    ]


def count_queries(page: Page, who: Identity) -> int:
    client = who.client
    if page.method == "GET":
        call = lambda: client.get(page.path)  # noqa: E731
    else:
        data = page.body
        call = lambda: client.generic(page.method, page.path, data, page.content_type)  # noqa: E731
    call()  # warm: sessions, caches
    with CaptureQueriesContext(connection) as captured:
        response = call()
    if response.status_code != page.expect:
        raise SystemExit(f"{page.name}: expected {page.expect}, got {response.status_code}")
    return len(captured)


class Server:
    def __init__(self, workers: int):
        self.workers = workers
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "helpdesk.wsgi:application",
                f"--bind=127.0.0.1:{PORT}",
                f"--workers={self.workers}",
                "--worker-class=sync",
                "--log-level=warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{BASE}/accounts/login/", timeout=1)  # noqa: S310
                return self
            except OSError:
                time.sleep(0.1)
        raise SystemExit("gunicorn did not start")

    def worker_pids(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout
        return [int(pid) for pid in out.split()]

    def peak_worker_mb(self) -> float:
        peaks = []
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            match = re.search(r"VmHWM:\s+(\d+) kB", status)
            if match:
                peaks.append(int(match.group(1)) / 1024)
        return max(peaks, default=0.0)

    def __exit__(self, *exc) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


def run_wrk(
    wrk: str,
    page: Page,
    who: Identity,
    *,
    duration: int,
    connections: int,
    lua: str = WRK_SCRIPT,
) -> dict:
    """`lua`: WRK_SCRIPT, or a script built on it that makes its own requests
    (bench/presence_load.py)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
        if page.method != "GET":
            body = page.body.replace("\\", "\\\\").replace('"', '\\"')
            script.write(f'\nwrk.method = "{page.method}"\nwrk.body = "{body}"\n')
            script.write(f'wrk.headers["Content-Type"] = "{page.content_type}"\n')
    headers = [arg for k, v in who.headers.items() for arg in ("-H", f"{k}: {v}")]
    command = [
        wrk,
        "-t2",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout=30s",
        "-s",
        script.name,
        *headers,
        BASE + page.path,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    statuses = {int(s): int(n) for s, n in re.findall(r"^status (\d+) (\d+)$", output, re.M)}
    p50 = int(re.search(r"^latency p50 (\d+)$", output, re.M).group(1)) / 1000
    p99 = int(re.search(r"^latency p99 (\d+)$", output, re.M).group(1)) / 1000
    requests = int(re.search(r"^requests (\d+)$", output, re.M).group(1))
    seconds = int(re.search(r"^duration_us (\d+)$", output, re.M).group(1)) / 1e6
    return {"p50": p50, "p99": p99, "rps": requests / seconds, "statuses": statuses}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per page")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--only", default="", help="run only pages whose name contains this")
    args = parser.parse_args()
    if connection.vendor != "postgresql" or not Ticket.objects.exists():
        raise SystemExit("Point DATABASE_URL at a seeded PostgreSQL database (bench/README.md).")
    wrk = ensure_wrk()
    call_command("collectstatic", "--noinput", verbosity=0)  # as production serves them
    ticket = big_ticket()
    who = identities(ticket)
    todo = pages(ticket, who)
    if args.only:
        todo = [todo[0], *(p for p in todo[1:] if args.only in p.name)]
    for page in todo:
        page.result["queries"] = count_queries(page, who[page.role])
        connection.close()
        with Server(args.workers) as server:
            run_wrk(wrk, page, who[page.role], duration=2, connections=args.connections)
            page.result |= run_wrk(
                wrk, page, who[page.role], duration=args.duration, connections=args.connections
            )
            page.result["peak_mb"] = server.peak_worker_mb()
        statuses = page.result["statuses"]
        wrong = {s: n for s, n in statuses.items() if s != page.expect}
        if wrong or sum(statuses.values()) < MIN_REQUESTS:
            raise SystemExit(
                f"{page.name}: expected {MIN_REQUESTS}+ × {page.expect}, got {statuses}"
            )
        print(f"  {page.name}: {page.result}", file=sys.stderr)
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    print_table(todo, args)


def print_table(done: list[Page], args: argparse.Namespace) -> None:
    ceiling = done[0].result
    print(
        f"gunicorn {args.workers} sync workers, wrk 2 threads × {args.connections} connections, "
        f"{args.duration} s per page after a 2 s warm-up; {Ticket.objects.count():,} tickets.\n"
    )
    print(
        "| page | p50 | p99 | req/s | p50 ÷ ceiling | req/s ÷ ceiling | queries | peak worker MB |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for page in done:
        r = page.result
        print(
            f"| {page.name} | {r['p50']:.1f} ms | {r['p99']:.1f} ms | {r['rps']:.0f} "
            f"| {r['p50'] / ceiling['p50']:.1f}× | {r['rps'] / ceiling['rps']:.2f} "
            f"| {r['queries']} | {r['peak_mb']:.0f} |"
        )


if __name__ == "__main__":
    main()
