"""The real thing: a Celery worker process on the real Redis, sending to a real SMTP server.

Resolve a ticket and exactly one mail arrives; kill the worker with SIGKILL in the middle of
the send and still exactly one arrives; have the broker down at commit and the relay sends it.
These need PostgreSQL (the worker process must see the test database) and Redis; locally they
skip without them, under CI=true they fail.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from tests.conftest import CELERY_QUEUE, UNACKED_KEYS
from tests.smtp import free_port
from tickets import tasks, workflow
from tickets.models import Notification
from tickets.status import Status

pytestmark = pytest.mark.django_db(transaction=True)

Event = Notification.Event
UNACKED_INDEX = UNACKED_KEYS[1]


@pytest.fixture
def worker(postgres, redis_broker, tmp_path):
    """start(smtp_port, **env) → a Celery worker process on the real broker and test database."""
    processes = []

    def start(smtp_port: int, **settings: str) -> subprocess.Popen:
        env = {**worker_env(smtp_port=smtp_port), **settings}
        log = (tmp_path / f"worker-{len(processes)}.log").open("w")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "helpdesk",
                "worker",
                "--pool",
                "solo",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
                "--loglevel",
                "INFO",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    for log in sorted(tmp_path.glob("worker-*.log")):
        print(log.name, log.read_text()[-3000:])


WORKER_CLAIM_LEASE = timedelta(seconds=3)


def worker_env(*, smtp_port: int) -> dict[str, str]:
    """The environment of another process of this app on the test database and broker."""
    db = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        # Short enough for a test to watch a dead worker's claim expire and be taken over.
        "NOTIFICATION_CLAIM_LEASE_SECONDS": str(int(WORKER_CLAIM_LEASE.total_seconds())),
        "CELERY_VISIBILITY_TIMEOUT": "6",
    }


def wait_until(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def broker_idle(client) -> bool:
    """Nothing queued and nothing delivered but not yet acknowledged, twice in a row (a message
    is briefly in neither place while a worker takes it)."""

    def idle() -> bool:
        return client.llen(CELERY_QUEUE) == 0 and client.zcard(UNACKED_INDEX) == 0

    if not idle():
        return False
    time.sleep(0.5)
    return idle()


def resolved_row(ticket) -> Notification:
    return Notification.objects.get(ticket=ticket, event=Event.RESOLVED)


def test_resolving_a_ticket_delivers_exactly_one_mail(
    worker, redis_broker, mail_server, make_ticket, agent
):
    sink, port = mail_server()
    ticket = make_ticket(Status.IN_PROGRESS)
    worker(port)

    workflow.transition(
        ticket_id=ticket.pk, to=Status.RESOLVED, actor=agent, note="Rebooted the router."
    )

    assert wait_until(lambda: len(sink.resolved()) == 1), sink.subjects()
    assert wait_until(lambda: resolved_row(ticket).state == "sent")
    assert wait_until(lambda: broker_idle(redis_broker))  # nothing left that could send again
    assert sink.resolved() == [f"[{ticket.reference}] Resolved: {ticket.subject}"]
    mail = next(m for m in sink.accepted if "Resolved" in m["Subject"])
    assert mail["To"] == ticket.customer.email
    text = next(p for p in mail.walk() if p.get_content_type() == "text/plain")
    assert "Rebooted the router." in text.get_payload(decode=True).decode()


def test_a_worker_killed_mid_send_neither_loses_nor_doubles_the_mail(
    worker, redis_broker, mail_server, make_ticket, agent
):
    sink, port = mail_server(stall_first=True)
    ticket = make_ticket(Status.IN_PROGRESS)
    redis_broker.delete("celery")  # only the resolution is in play
    Notification.objects.update(state="sent")
    first = worker(port)

    workflow.transition(ticket_id=ticket.pk, to=Status.RESOLVED, actor=agent, note="Ok")
    assert wait_until(sink.receiving.is_set), "the worker never started sending"
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    sink.release.set()  # the server answers a client that is gone
    assert resolved_row(ticket).state == "sending"  # claimed, never finished

    worker(port)
    # The task comes back once Redis's visibility timeout passes (acks_late); beat's relay
    # would find the abandoned claim too. Run the relay as beat would, once the lease is over.
    claimed_at = resolved_row(ticket).claimed_at
    assert wait_until(lambda: timezone.now() > claimed_at + WORKER_CLAIM_LEASE)
    tasks.relay_notifications.delay()

    assert wait_until(lambda: resolved_row(ticket).state == "sent", timeout=40), sink.subjects()
    # The killed worker's task, redelivered after the visibility timeout, has run once the
    # broker holds nothing queued or unacknowledged: it must not have sent again.
    assert wait_until(lambda: broker_idle(redis_broker), timeout=60)
    assert len(sink.resolved()) == 1
    assert resolved_row(ticket).attempts == 2


def test_with_the_broker_down_at_commit_the_change_stands_and_the_relay_sends_later(
    worker, mail_server, make_ticket, agent
):
    sink, port = mail_server()
    ticket = make_ticket(Status.IN_PROGRESS)
    # Another process, whose broker is down (nothing listens on its port), resolves it.
    script = (
        "import time; from accounts.models import User; from tickets import workflow; "
        "started = time.monotonic(); "
        f"workflow.transition(ticket_id={ticket.pk}, to='resolved', "
        f"actor=User.objects.get(pk={agent.pk}), note='Replaced the cable.'); "
        "print(f'took {time.monotonic() - started:.2f}s')"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity", "0", "-c", script],
        env={**worker_env(smtp_port=port), "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "could not enqueue notification" in result.stderr
    seconds = float(result.stdout.strip().removeprefix("took ").removesuffix("s"))
    assert seconds < 10, f"the request waited {seconds}s for a dead broker"
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert resolved_row(ticket).state == "pending"

    worker(port)
    Notification.objects.filter(state="pending").update(
        created_at=resolved_row(ticket).created_at - timedelta(minutes=5)
    )
    tasks.relay_notifications.delay()  # what beat does every minute
    assert wait_until(lambda: len(sink.resolved()) == 1), sink.subjects()
    assert wait_until(lambda: resolved_row(ticket).state == "sent")


def test_a_server_slower_than_email_timeout_gets_one_attempt_that_waits_for_its_retry(
    worker, redis_broker, mail_server, make_ticket, agent
):
    sink, port = mail_server(delay=2.0)  # twice the worker's EMAIL_TIMEOUT
    ticket = make_ticket(Status.IN_PROGRESS)
    Notification.objects.update(state="sent")
    worker(port, EMAIL_TIMEOUT="1")

    workflow.transition(ticket_id=ticket.pk, to=Status.RESOLVED, actor=agent, note="Ok")

    assert wait_until(lambda: resolved_row(ticket).attempt_log.exists())
    # Past the claim lease and the broker's visibility timeout: nothing sends it again
    # before its retry time, which the relay alone acts on.
    time.sleep(WORKER_CLAIM_LEASE.total_seconds() + 1)
    assert wait_until(lambda: broker_idle(redis_broker), timeout=30)
    sink.settle()
    row = resolved_row(ticket)
    assert (row.state, row.attempts) == ("pending", 1)
    assert [a.outcome for a in row.attempt_log.all()] == ["temporary"]
    assert row.next_attempt_at > timezone.now()
    assert sink.copies() == {row.message_id: 1}  # the server kept the one copy it got


def test_a_bulk_resolve_with_the_broker_frozen_answers_at_once_and_the_relay_delivers_later(
    private_broker, worker, mail_server, make_ticket, agent, client, settings
):
    """The worker and this process share a Redis of the test's own, which freezes (SIGSTOP)
    while an agent resolves ten tickets at once, and wakes up again."""
    sink, port = mail_server()
    tickets = [make_ticket(Status.IN_PROGRESS) for _ in range(10)]
    Notification.objects.update(state="sent")
    private_broker.client().delete(CELERY_QUEUE)
    settings.REDIS_URL = private_broker.url  # the worker's broker too
    settings.ENQUEUE_PAUSE_SECONDS = 1
    worker(port)
    client.force_login(agent)

    with private_broker.frozen():
        started = time.monotonic()
        response = client.post(
            "/agent/bulk/",
            {"tickets": [t.pk for t in tickets], "action": "resolve", "note": "New DNS."},
        )
        took = time.monotonic() - started
    assert response.status_code == 302
    assert took < 3, f"the bulk resolve waited {took:.1f}s for a frozen broker"
    assert Notification.objects.filter(event=Event.RESOLVED, state="pending").count() == 10

    # Beat's relay, a minute later: everything the request could not hand over goes out.
    time.sleep(settings.ENQUEUE_PAUSE_SECONDS)
    Notification.objects.filter(event=Event.RESOLVED).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    tasks.relay_notifications()
    expected = sorted(f"[{t.reference}] Resolved: {t.subject}" for t in tickets)
    assert wait_until(lambda: len(sink.resolved()) == 10, timeout=60), sink.subjects()
    assert wait_until(lambda: broker_idle(private_broker.client()), timeout=60)
    assert sorted(sink.resolved()) == expected  # each once
    assert set(Notification.objects.values_list("state", flat=True)) == {"sent"}
