"""A bulk resolve of 50 tickets with Redis up, frozen (SIGSTOP) and stopped.

Writes must never wait for the broker (helpdesk.broker): with Redis frozen the request should
take at most about twice its time with Redis up, and the notifications it could not hand over
go out through the relay. Runs on a redis-server of its own on a free port, never the shared
one; on the database DATABASE_URL names (migrated), adding its tickets there.

    DEBUG=true DATABASE_URL=postgres://... .venv/bin/python bench/frozen_broker.py --runs 3
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("LOG_LEVEL", "ERROR")  # one warning per frozen run is expected

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from helpdesk import broker  # noqa: E402
from helpdesk.celery import app  # noqa: E402
from tests.redis_process import RedisProcess, redis_process  # noqa: E402
from tickets import services, tasks, workflow  # noqa: E402
from tickets.models import Category, Notification  # noqa: E402
from tickets.status import Status  # noqa: E402

TICKETS = 50


def people() -> tuple[User, User, Category]:
    agent = User.objects.filter(email="bench-broker-agent@example.com").first()
    if agent is None:
        agent = User.objects.create_user(
            "bench-broker-agent@example.com", display_name="Bench Agent", role=Role.AGENT
        )
    customer = User.objects.filter(email="bench-broker-customer@example.com").first()
    if customer is None:
        customer = User.objects.create_user(
            "bench-broker-customer@example.com", display_name="Bench Customer"
        )
    category, _ = Category.objects.get_or_create(name="Bench: broker")
    return agent, customer, category


def tickets_in_progress(agent: User, customer: User, category: Category) -> list[int]:
    ids = []
    for number in range(TICKETS):
        ticket = services.ticket_create(
            customer=customer,
            created_by=customer,
            subject=f"Printer {number} jams",
            description="Every second page.",
            category=category,
        )
        services.ticket_take(ticket_id=ticket.pk, agent=agent)
        workflow.transition(ticket_id=ticket.pk, to=Status.IN_PROGRESS, actor=agent, note="")
        ids.append(ticket.pk)
    return ids


def bulk_resolve(client: Client, ids: list[int]) -> float:
    started = time.monotonic()
    response = client.post(
        reverse("agent:bulk"), {"tickets": ids, "action": "resolve", "note": "Cleaned it."}
    )
    took = time.monotonic() - started
    if response.status_code != 302:
        raise SystemExit(f"the bulk resolve answered {response.status_code}")
    return took


class HandOverClock:
    """Sums the time spent in helpdesk.broker.publish, the part of a request the broker's
    state can change."""

    def __init__(self):
        self.seconds = 0.0
        self._publish = broker.publish
        broker.publish = self._timed

    def _timed(self, *args, **kwargs):
        started = time.monotonic()
        try:
            return self._publish(*args, **kwargs)
        finally:
            self.seconds += time.monotonic() - started


def queued_ids(queue) -> set[int]:
    """The notification ids of the delivery tasks waiting in the broker's queue."""
    ids = set()
    for raw in queue.lrange("celery", 0, -1):
        message = json.loads(raw)
        if message["headers"]["task"] == "tickets.deliver_notification":
            args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            ids.add(args[0])
    return ids


def run_once(case: str, server: RedisProcess, client: Client, seed, clock) -> dict:
    ids = seed()
    queue = server.client() if case != "stopped" else None
    if queue is not None:
        queue.delete("celery")
    broker.reset()
    clock.seconds = 0.0
    if case == "frozen":
        with server.frozen():
            took = bulk_resolve(client, ids)
    else:
        took = bulk_resolve(client, ids)
    row = {"case": case, "took": took, "handing_over": clock.seconds}
    if queue is None:
        return row
    rows = Notification.objects.filter(ticket_id__in=ids, event=Notification.Event.RESOLVED)
    resolved = set(rows.values_list("pk", flat=True))
    waiting = resolved - queued_ids(queue)
    row["waiting"] = len(waiting)
    # What beat's relay does a minute later (once the pause after a failure is over).
    queue.delete("celery")
    # Older than a minute, and first in line: the relay takes the oldest thousand, and this
    # database may hold older rows no worker ever sent (nothing runs a worker here).
    pending = Notification.objects.filter(state=Notification.State.PENDING)
    oldest = pending.order_by("created_at").values_list("created_at", flat=True).first()
    rows.update(created_at=min(oldest, timezone.now()) - timedelta(minutes=5))
    time.sleep(settings.ENQUEUE_PAUSE_SECONDS)
    tasks.relay_notifications()
    row["relayed"] = len(waiting & queued_ids(queue))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs

    agent, customer, category = people()
    client = Client()
    client.force_login(agent)
    clock = HandOverClock()
    rows = []
    with redis_process() as server:
        app.conf.update(broker_url=server.url, task_always_eager=False)
        broker.reset()

        def seed() -> list[int]:
            return tickets_in_progress(agent, customer, category)

        bulk_resolve(client, seed())  # warm-up: the first request of a process sets things up
        for _run in range(runs):  # interleaved, so that the machine's mood hits both alike
            rows += [run_once(case, server, client, seed, clock) for case in ("up", "frozen")]
        server.process.terminate()
        server.process.wait()
        rows += [run_once("stopped", server, client, seed, clock) for _run in range(runs)]

    print(
        f"{TICKETS} tickets resolved in one bulk action through the agents' page, "
        f"{runs} runs per case, interleaved; ENQUEUE_TIMEOUT_SECONDS "
        f"{settings.ENQUEUE_TIMEOUT_SECONDS}, ENQUEUE_BUDGET_SECONDS "
        f"{settings.ENQUEUE_BUDGET_SECONDS}, ENQUEUE_PAUSE_SECONDS "
        f"{settings.ENQUEUE_PAUSE_SECONDS}. *Handing over*: the request's time in "
        "`helpdesk.broker.publish`, all of its notifications together (worst run)."
    )
    print()
    print(
        "| Redis | request p50 | request max | p50 ÷ Redis up | handing over "
        "| left to the relay (worst run) | relay handed over |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    labels = {"up": "up", "frozen": "frozen (SIGSTOP)", "stopped": "stopped (refused)"}
    up = statistics.median(r["took"] for r in rows if r["case"] == "up")
    for case, label in labels.items():
        mine = [r for r in rows if r["case"] == case]
        median = statistics.median(r["took"] for r in mine)
        worst = max(r["took"] for r in mine)
        handing = max(r["handing_over"] for r in mine)
        waiting = max((r["waiting"] for r in mine if "waiting" in r), default=None)
        missed = max((r["waiting"] - r["relayed"] for r in mine if "relayed" in r), default=None)
        print(
            f"| {label} | {median * 1000:.0f} ms | {worst * 1000:.0f} ms | {median / up:.2f}× "
            f"| {handing * 1000:.0f} ms "
            f"| {'—' if waiting is None else f'{waiting} of {TICKETS}'} "
            f"| {'—' if missed is None else 'all' if not missed else f'{missed} missed'} |"
        )


if __name__ == "__main__":
    main()
