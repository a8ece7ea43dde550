"""Delivery latency: from resolving a ticket to its mail in an SMTP server's hands.

    .venv/bin/python bench/delivery_latency.py [--mails 100] [--slow-mails 40] [--slow 1.0]

One real Celery worker (prefork, one process, the production settings) on Redis and a fresh
PostgreSQL database (`BENCH_DELIVERY_DB`, default helpdesk_bench_delivery, dropped and
created again each run), and an SMTP sink (aiosmtpd, in this process) that notes when it
answered each message. This process resolves tickets one after another through the workflow
(spaced so the worker is never behind, the interval in the table), as the pages do; the
latency of one mail is from just before the resolve to the sink's "250" for it, matched by
the notification's Message-ID. Twice: with a sink that answers at once, and with one that
takes --slow seconds per message (under EMAIL_TIMEOUT, so each is still one attempt). Prints
a markdown table (p50, p99, max; every mail must arrive exactly once or the run fails).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from email import message_from_bytes
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = os.environ.get("BENCH_DELIVERY_DB", "helpdesk_bench_delivery")
BENCH_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECURE_SSL_REDIRECT": "false",
    "LOG_LEVEL": "WARNING",
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
    "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
}
os.environ.update(BENCH_ENV)


def fresh_database() -> None:
    for sql in (f"DROP DATABASE IF EXISTS {DB}", f"CREATE DATABASE {DB}"):
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql],
            check=True,
            capture_output=True,
        )


fresh_database()

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from django.core.management import call_command  # noqa: E402

from accounts.models import Role  # noqa: E402
from accounts.services import user_create  # noqa: E402
from tests.smtp import free_port  # noqa: E402
from tickets import services, workflow  # noqa: E402
from tickets.models import Notification  # noqa: E402
from tickets.status import Status  # noqa: E402


class Sink:
    """Accepts everything, after `delay` seconds, noting when it answered each Message-ID."""

    def __init__(self) -> None:
        self.delay = 0.0
        self.answered: dict[str, float] = {}
        self.copies: Counter[str] = Counter()

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        message_id = message_from_bytes(envelope.content)["Message-ID"]
        self.copies[message_id] += 1
        self.answered.setdefault(message_id, time.monotonic())
        return "250 Message accepted"


def start_worker(smtp_port: int, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "helpdesk",
            "worker",
            "--concurrency",
            "1",
            "--without-mingle",
            "--without-gossip",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env={**os.environ, "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}"},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run(sink: Sink, *, mails: int, interval: float, people) -> list[float]:
    customer, agent = people
    tickets = []
    for number in range(mails):
        ticket = services.ticket_create(
            customer=customer, created_by=customer, subject=f"Bench {number}", description="x"
        )
        services.ticket_take(ticket_id=ticket.pk, agent=agent)
        workflow.transition(ticket_id=ticket.pk, to=Status.IN_PROGRESS, actor=agent, note="")
        tickets.append(ticket)
    # The "received" mails of the setup go first; then the sink measures resolutions only.
    if not wait_for(lambda: not Notification.objects.exclude(state="sent").exists(), 600):
        raise SystemExit("the setup's mails were not delivered")
    started: dict[str, float] = {}
    for ticket in tickets:
        began = time.monotonic()
        workflow.transition(ticket_id=ticket.pk, to=Status.RESOLVED, actor=agent, note="Done")
        row = Notification.objects.get(ticket=ticket, event=Notification.Event.RESOLVED)
        started[row.message_id] = began
        time.sleep(max(0.0, interval - (time.monotonic() - began)))
    if not wait_for(lambda: all(m in sink.answered for m in started), 120):
        raise SystemExit(f"{sum(m not in sink.answered for m in started)} mails never arrived")
    time.sleep(1)  # a copy sent twice would arrive by now
    twice = [m for m in started if sink.copies[m] != 1]
    if twice:
        raise SystemExit(f"{len(twice)} mails arrived more than once")
    return [sink.answered[m] - began for m, began in started.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mails", type=int, default=100)
    parser.add_argument("--interval", type=float, default=0.25)
    parser.add_argument("--slow", type=float, default=1.0, help="seconds the slow sink takes")
    parser.add_argument("--slow-mails", type=int, default=40)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    redis.Redis.from_url(BENCH_ENV["REDIS_URL"]).flushdb()
    people = (
        user_create(email="c@example.com", display_name="C", role=Role.CUSTOMER, password=None),
        user_create(email="a@example.com", display_name="A", role=Role.AGENT, password=None),
    )
    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    log = Path(tempfile.mkdtemp()) / "worker.log"
    worker = start_worker(port, log)
    rows = []
    try:
        cases = [
            ("answers at once", 0.0, args.mails, args.interval),
            (f"answers after {args.slow:g} s", args.slow, args.slow_mails, args.slow + 0.25),
        ]
        for name, delay, mails, interval in cases:
            sink.delay = delay
            latencies = run(sink, mails=mails, interval=interval, people=people)
            rows.append((name, mails, interval, latencies))
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        controller.stop()
        redis.Redis.from_url(BENCH_ENV["REDIS_URL"]).flushdb()
    print("One Celery worker (prefork, 1 process), Redis, PostgreSQL; SMTP sink on 127.0.0.1.")
    print()
    print("| SMTP server | mails | one resolve every | p50 | p99 | max | delivered |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for name, mails, interval, latencies in rows:
        ms = [1000 * seconds for seconds in latencies]
        print(
            f"| {name} | {mails} | {interval:g} s | {statistics.median(ms):.0f} ms "
            f"| {percentile(ms, 0.99):.0f} ms | {max(ms):.0f} ms | each exactly once |"
        )


if __name__ == "__main__":
    main()
