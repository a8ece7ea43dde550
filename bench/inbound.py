"""Inbound e-mail: messages per second and the worker's peak memory, fetched from a real IMAP
server, and whether the cost of one message grows with the number of tickets.

    .venv/bin/python bench/inbound.py [--messages 10000] [--tickets 10000,1000000]

For each ticket count: a fresh PostgreSQL database (`BENCH_INBOUND_DB`, default
helpdesk_bench_inbound, dropped and created again), seeded with `seed_demo --tickets N` (or
copied with `--clone-from DB` from a database seeded with at least N, as `bench/run` does); a
real Dovecot (tests/dovecot.py) whose inbox gets --messages messages by IMAP APPEND — a mix
of 60 % new requests from known customers, 10 % from addresses with no account (which get
one) and 30 % replies to unfinished tickets picked at random across the whole table (joined
by the subject tag, as mail clients keep it); then one worker process (`manage.py shell`,
the production settings, notifications handed to Redis `BENCH_REDIS_URL`, default db 13,
emptied) runs `imap.fetch()` until the inbox is empty. Reported: messages per second and
milliseconds per message of the fetch (Django's start-up not included), and the worker's
peak resident memory (ru_maxrss). Every message must have made exactly one ticket or reply.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = os.environ.get("BENCH_INBOUND_DB", "helpdesk_bench_inbound")
BENCH_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "LOG_LEVEL": "WARNING",
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
    "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
    "INBOUND_ADDRESS": "support@helpdesk.example",
    "MEDIA_ROOT": tempfile.mkdtemp(prefix="helpdesk-bench-inbound-"),
}
os.environ.update(BENCH_ENV)

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
from django.db import connection  # noqa: E402
from imap_tools import MailBoxUnencrypted  # noqa: E402

from tests.dovecot import running_dovecot  # noqa: E402
from tickets.inbound import imap  # noqa: E402

# The worker: the fetch timed inside the process, so Django's start-up is not counted.
WORKER = """
import json, resource, time
from tickets.inbound import imap
began = time.perf_counter()
total = 0
while True:
    done = imap.fetch(limit=500)
    total += done.total
    if not done.total:
        break
seconds = time.perf_counter() - began
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"messages": total, "seconds": seconds, "peak_kib": peak}))
"""


def psql(sql: str, db: str = "postgres") -> str:
    done = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-Atqc", sql],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def manage(*args: str, env: dict | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def seeded_count(db: str) -> int:
    return int(psql("SELECT count(*) FROM tickets_ticket", db))


def fresh_database(tickets: int, *, clone_from: str | None = None) -> float:
    """A new database with `tickets` tickets, seeded, or copied from `clone_from` when that
    one holds at least as many (the bench's million, seeded once); the seconds it took."""
    connection.close()
    psql(f"DROP DATABASE IF EXISTS {DB}")
    began = time.monotonic()
    if clone_from and seeded_count(clone_from) >= tickets:
        psql(f"CREATE DATABASE {DB} TEMPLATE {clone_from}")
        manage("migrate", "--noinput", "-v0")
        return time.monotonic() - began
    psql(f"CREATE DATABASE {DB}")
    manage("migrate", "--noinput", "-v0")
    manage(
        "seed_demo",
        "--tickets",
        str(tickets),
        "--agents",
        "300" if tickets >= 100_000 else "30",
        "--comments",
        "3-10",
        "--batch-size",
        "5000",
        "--no-progress",
    )
    return time.monotonic() - began


def messages(count: int, *, seed: int = 7) -> list[bytes]:
    """The mix described above, from what the database holds."""
    rng = random.Random(seed)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT email FROM accounts_user WHERE role = 'customer' AND is_active "
            "ORDER BY random() LIMIT 5000"
        )
        customers = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT t.id, u.email, t.subject FROM tickets_ticket t "
            "JOIN accounts_user u ON u.id = t.customer_id "
            "WHERE t.status IN ('assigned', 'in_progress', 'on_hold') AND u.is_active "
            "ORDER BY random() LIMIT %s",
            [count],
        )
        open_tickets = cursor.fetchall()
    prefix = os.environ.get("TICKET_REFERENCE_PREFIX", "HD")
    out = []
    for number in range(count):
        message = EmailMessage()
        roll = rng.random()
        if roll < 0.3 and open_tickets:
            ticket_id, sender, subject = open_tickets[number % len(open_tickets)]
            message["Subject"] = f"Re: [{prefix}-{ticket_id}] {subject}"
            body = (
                f"Thanks, that helped partly; the error still shows at startup.\n\n"
                f"On Mon, 1 Dec 2031, Help desk wrote:\n> Please try again.\n> {subject}\n"
            )
        else:
            sender = rng.choice(customers) if roll < 0.9 else f"new.person{number}@bench.example"
            message["Subject"] = f"Printer on floor {rng.randint(1, 9)} prints blank pages"
            body = "Since this morning the printer only prints blank pages. " * rng.randint(1, 8)
        message["From"] = sender
        message["To"] = "support@helpdesk.example"
        message["Message-ID"] = make_msgid(domain="bench.example")
        message.set_content(body)
        out.append(bytes(message))
    return out


def append_all(url: str, raws: list[bytes]) -> float:
    account = imap.Mailbox.from_url(url)
    began = time.monotonic()
    with MailBoxUnencrypted(account.host, account.port).login(
        account.user, account.password
    ) as box:
        for folder in ("INBOX", "Processed", "Quarantine"):
            if not box.folder.exists(folder):
                box.folder.create(folder)
            box.folder.set(folder)
            if uids := box.uids("ALL"):
                box.delete(uids)
        for raw in raws:
            box.append(raw, "INBOX")
    return time.monotonic() - began


def measure(url: str, count: int) -> dict:
    connection.close()
    redis.Redis.from_url(BENCH_ENV["REDIS_URL"]).flushdb()
    before = int(psql("SELECT count(*) FROM tickets_inboundmessage", DB))
    out = manage("shell", "-c", WORKER, env={"INBOUND_IMAP_URL": url})
    result = json.loads(out.strip().splitlines()[-1])
    redis.Redis.from_url(BENCH_ENV["REDIS_URL"]).flushdb()
    after = int(psql("SELECT count(*) FROM tickets_inboundmessage", DB))
    made = psql(
        "SELECT count(*) FROM tickets_inboundmessage WHERE state = 'processed' "
        "AND (comment_id IS NOT NULL OR ticket_id IS NOT NULL)",
        DB,
    )
    if result["messages"] != count or after - before != count or int(made) != count:
        raise SystemExit(f"expected {count} messages each acted on once: {result}, made {made}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--tickets", default="10000,1000000", help="ticket counts, comma-separated")
    parser.add_argument(
        "--clone-from",
        metavar="DB",
        help="copy a database already seeded with at least that many tickets instead of seeding",
    )
    args = parser.parse_args()

    rows = []
    with running_dovecot() as url:
        for tickets in [int(n) for n in args.tickets.split(",")]:
            seeded = fresh_database(tickets, clone_from=args.clone_from)
            tickets = seeded_count(DB)
            raws = messages(args.messages)
            appended = append_all(url, raws)
            result = measure(url, len(raws))
            rows.append((tickets, seeded, appended, result))
            print(f"bench: {tickets:,} tickets: {result}", file=sys.stderr)
    connection.close()
    psql(f"DROP DATABASE IF EXISTS {DB}")
    shutil.rmtree(BENCH_ENV["MEDIA_ROOT"], ignore_errors=True)

    print(
        f"{args.messages:,} messages per run (60 % new requests from customers, 10 % from new "
        "addresses, 30 % replies to unfinished tickets picked across the table), APPENDed to "
        "a local Dovecot and fetched by one worker process (`imap.fetch()`, PostgreSQL, "
        "notifications handed to Redis)."
    )
    print()
    print("| tickets in the database | messages/s | ms per message | worker peak RSS |")
    print("| ---: | ---: | ---: | ---: |")
    for tickets, _seeded, _appended, result in rows:
        rate = result["messages"] / result["seconds"]
        print(
            f"| {tickets:,} | {rate:.1f} | {1000 / rate:.1f} | "
            f"{result['peak_kib'] / 1024:.0f} MiB |"
        )


if __name__ == "__main__":
    main()
