"""Several nodes behind a real proxy, and what survives when one of each dies.

    .venv/bin/python bench/cluster.py [--duration 60] [--users 8] [--phase 15]

On one PostgreSQL and one Redis of its own (a private redis-server), it starts HAProxy
(Debian's package; TLS with a throwaway self-signed certificate, X-Forwarded-Proto set as in
production) in front of two gunicorn nodes, two Celery workers and one beat, with an SMTP sink
for the mail. It creates its own database (`helpdesk_cluster`, dropped and created again),
migrates it and seeds a small help desk. Then, through the proxy only:

1. throughput with one web node (the other set to maintenance in HAProxy), then with two;
2. mixed load — customers reporting problems and reading their tickets, agents taking,
   working and resolving them through the API, managers reading the report and the
   dashboard — during which one gunicorn node and one worker are killed with SIGKILL;
3. it waits for the outbox to drain and counts the notifications: lost (not sent) or doubled
   (the same Message-ID twice at the SMTP server).

Prints a markdown table. Only requests in flight on the killed node when it died may fail;
each user signs in once, before the kill, and must stay signed in (the session is in
PostgreSQL, shared by every node). tests/cluster/ runs it, shorter, in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.redis_process import free_port, redis_process  # noqa: E402
from tests.smtp import Servers  # noqa: E402

PASSWORD = "helpdesk-demo"  # noqa: S105 (seed_demo's, printed for everyone)
DATABASE = "helpdesk_cluster"
LOGIN_PAGE = "/accounts/login/"
CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def haproxy_binary() -> str | None:
    return shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy",) if os.access(p, os.X_OK)), None
    )


# --- The processes ---------------------------------------------------------------------------


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def kill(self) -> None:
        """SIGKILL to the whole process group: a gunicorn master and its workers, a Celery
        worker and its pool, die together and at once, as when a machine goes away."""
        with suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()
        except ProcessLookupError:
            pass


class Cluster:
    def __init__(self, *, database_url: str, redis_url: str, smtp_port: int, workdir: Path):
        self.workdir = workdir
        self.proxy_port = free_port()
        self.web_ports = [free_port(), free_port()]
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
            "DEBUG": "false",
            "SECRET_KEY": "cluster-bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
            "API_NUM_PROXIES": "1",
            "SITE_URL": f"https://localhost:{self.proxy_port}",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "API_THROTTLE_USER": "100000000/minute",
            "API_THROTTLE_ANON": "100000000/minute",
            "LOG_LEVEL": "WARNING",
            # A killed worker's task comes back within seconds, not the production minutes,
            # so that the run can wait for it. The SMTP sink answers at once: no send takes
            # anywhere near the claim lease.
            "CELERY_VISIBILITY_TIMEOUT": "8",
            "NOTIFICATION_CLAIM_LEASE_SECONDS": "8",
        }
        self.env.pop("DATABASE_REPLICA_URL", None)
        self.processes: dict[str, Process] = {}

    def _start(self, name: str, argv: list[str]) -> Process:
        log = self.workdir / f"{name}.log"
        popen = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=self.env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, for kill()
        )
        process = Process(name, popen, log)
        self.processes[name] = process
        return process

    def manage(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def start(self) -> None:
        python = sys.executable
        for n, port in enumerate(self.web_ports, start=1):
            self._start(
                f"web{n}",
                [
                    python,
                    "-m",
                    "gunicorn",
                    "helpdesk.wsgi",
                    "--workers",
                    "2",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--timeout",
                    "30",
                ],
            )
        for n in (1, 2):
            self._start(
                f"worker{n}",
                [
                    python,
                    "-m",
                    "celery",
                    "-A",
                    "helpdesk",
                    "worker",
                    "--concurrency",
                    "1",
                    "--hostname",
                    f"worker{n}@%h",
                    "--without-mingle",
                    "--without-gossip",
                    "--loglevel",
                    "INFO",
                ],
            )
        self._start(
            "beat",
            [
                python,
                "-m",
                "celery",
                "-A",
                "helpdesk",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(self.workdir / "beat-schedule"),
            ],
        )
        for port in self.web_ports:
            wait_for_port(port, timeout=60)
        self._start_proxy()
        wait_for_port(self.proxy_port, timeout=20)
        self.wait_until_both_up()

    def _start_proxy(self) -> None:
        key, cert, pem = (self.workdir / n for n in ("proxy.key", "proxy.crt", "proxy.pem"))
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            check=True,
            capture_output=True,
        )
        pem.write_bytes(cert.read_bytes() + key.read_bytes())
        config = self.workdir / "haproxy.cfg"
        servers = "\n".join(
            f"    server node{n} 127.0.0.1:{port} check inter 250ms fall 1 rise 2"
            for n, port in enumerate(self.web_ports, start=1)
        )
        config.write_text(
            HAPROXY_CONFIG.format(
                port=self.proxy_port,
                pem=pem,
                socket=self.workdir / "haproxy.sock",
                servers=servers,
            )
        )
        self._start("proxy", [haproxy_binary(), "-db", "-f", str(config)])

    def proxy_command(self, command: str) -> str:
        with socket.socket(socket.AF_UNIX) as conn:
            conn.connect(str(self.workdir / "haproxy.sock"))
            conn.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := conn.recv(65536):  # HAProxy closes after its answer
                chunks.append(chunk)
            return b"".join(chunks).decode()

    def servers_up(self) -> dict[str, str]:
        """node name → HAProxy's view of it (UP, DOWN, MAINT, ...)."""
        lines = self.proxy_command("show servers state web").splitlines()
        header = lines[1].lstrip("# ").split()
        states = {}
        for line in filter(None, lines[2:]):
            row = dict(zip(header, line.split(), strict=False))
            # srv_op_state 2 = running; srv_admin_state 0 = not in maintenance
            up = row.get("srv_op_state") == "2" and row.get("srv_admin_state") == "0"
            states[row["srv_name"]] = "UP" if up else "DOWN"
        return states

    def wait_until_both_up(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while set(self.servers_up().values()) != {"UP"}:
            if time.monotonic() > deadline:
                raise RuntimeError(f"proxy sees {self.servers_up()}")
            time.sleep(0.2)

    def only_node1(self, on: bool) -> None:
        self.proxy_command(f"set server web/node2 state {'maint' if on else 'ready'}")
        if not on:
            self.wait_until_both_up()

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            process.stop()


HAPROXY_CONFIG = """
global
    maxconn 512
    stats socket {socket} mode 600 level admin

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout check 5s
    # A request that never reached a node (refused: the node is gone) goes to another one;
    # one that was sent is not sent again (it may have written).
    retries 3
    option redispatch 1
    retry-on conn-failure

frontend site
    bind 127.0.0.1:{port} ssl crt {pem}
    http-request set-header X-Forwarded-Proto https
    http-response set-header X-Node %s
    default_backend web

backend web
    balance roundrobin
    # A node that is gone refuses connections: the connect check sees it within a second.
{servers}
"""


def wait_for_port(port: int, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on {port} after {timeout} s") from None
            time.sleep(0.2)


# --- The database ----------------------------------------------------------------------------


def admin_url(database_url: str, name: str) -> str:
    return database_url.rsplit("/", 1)[0] + f"/{name}"


def recreate_database(server_url: str, name: str) -> str:
    conn = psycopg2.connect(admin_url(server_url, "postgres"))
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return admin_url(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    conn = psycopg2.connect(admin_url(server_url, "postgres"))
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def notification_states(database_url: str) -> Counter:
    with psycopg2.connect(database_url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT state, count(*) FROM tickets_notification GROUP BY state")
        return Counter(dict(cursor.fetchall()))


def notification_message_ids(database_url: str) -> set[str]:
    with psycopg2.connect(database_url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT message_id FROM tickets_notification WHERE state = 'sent'")
        return {row[0] for row in cursor.fetchall()}


# --- The people ------------------------------------------------------------------------------


@dataclass
class Outcome:
    role: str
    what: str
    started: float
    ended: float
    status: int | None  # None: no answer at all
    node: str = ""
    ok: bool = True
    signed_out: bool = False
    json: dict | None = None


class Person:
    def __init__(self, base: str, email: str, role: str, *, ca: Path):
        self.base, self.email, self.role = base, email, role
        self.http = requests.Session()
        self.http.trust_env = False  # no CA bundle from the environment: the proxy's own
        self.http.verify = str(ca)
        self.signed_in = False

    def csrf(self) -> str:
        return self.http.cookies.get("__Host-csrftoken", "")

    def sign_in(self) -> None:
        page = self.http.get(self.base + LOGIN_PAGE, timeout=30)
        token = CSRF_FIELD.search(page.content).group(1).decode()
        answer = self.http.post(
            self.base + LOGIN_PAGE,
            data={"csrfmiddlewaretoken": token, "username": self.email, "password": PASSWORD},
            headers={"Referer": self.base + LOGIN_PAGE},
            timeout=30,
            allow_redirects=False,
        )
        if answer.status_code != 302:
            raise RuntimeError(
                f"{self.email} could not sign in: {answer.status_code} {answer.text[:300]}"
            )
        self.signed_in = True

    def request(self, what: str, method: str, path: str, *, expect=(200,), **kwargs) -> Outcome:
        headers = kwargs.pop("headers", {})
        if method != "GET":
            headers = {"X-CSRFToken": self.csrf(), "Referer": self.base + "/", **headers}
        started = time.monotonic()
        try:
            answer = self.http.request(
                method,
                self.base + path,
                headers=headers,
                timeout=30,
                allow_redirects=False,
                **kwargs,
            )
        except requests.RequestException as error:
            outcome = Outcome(self.role, what, started, time.monotonic(), None, ok=False)
            outcome.node = f"no answer: {error.__class__.__name__}: {str(error)[:120]}"
            return outcome
        ended = time.monotonic()
        location = answer.headers.get("Location", "")
        outcome = Outcome(
            self.role, what, started, ended, answer.status_code, answer.headers.get("X-Node", "")
        )
        outcome.signed_out = answer.status_code == 302 and LOGIN_PAGE in location
        outcome.ok = answer.status_code in expect and not outcome.signed_out
        outcome.json = (
            answer.json()
            if answer.headers.get("Content-Type", "").startswith("application/json")
            and answer.content
            else None
        )
        return outcome


def customer_turn(person: Person, rng: random.Random) -> Iterator[Outcome]:
    yield person.request("portal list", "GET", "/tickets/")
    created = person.request(
        "report a problem (API)",
        "POST",
        "/api/v1/tickets/",
        expect=(201,),
        json={"subject": f"Printer {rng.randint(1, 99)} jams", "description": "Paper stuck."},
    )
    yield created
    if created.ok and created.json:
        yield person.request("own ticket", "GET", f"/tickets/{created.json['id']}/")


def agent_turn(person: Person, rng: random.Random) -> Iterator[Outcome]:
    yield person.request("queue", "GET", "/agent/")
    listed = person.request("API open tickets", "GET", "/api/v1/tickets/?view=unassigned")
    yield listed
    if not (listed.ok and listed.json and listed.json["results"]):
        return
    ticket = rng.choice(listed.json["results"])["id"]
    taken = person.request(
        "take", "POST", f"/api/v1/tickets/{ticket}/take/", expect=(200, 409), json={}
    )
    yield taken
    if taken.status != 200:
        return  # a colleague was quicker: the workflow said so
    yield person.request("ticket page", "GET", f"/agent/tickets/{ticket}/")
    for to, note in (("in_progress", ""), ("resolved", "Cleared the paper path.")):
        yield person.request(
            f"move to {to}",
            "POST",
            f"/api/v1/tickets/{ticket}/transitions/",
            json={"to": to, "note": note},
        )


def manager_turn(person: Person, rng: random.Random) -> Iterator[Outcome]:
    yield person.request("report", "GET", "/reports/")
    yield person.request("dashboard", "GET", "/reports/dashboard/")
    yield person.request("API report", "GET", "/api/v1/reports/summary/", expect=(200, 202))


TURNS: dict[str, Callable[[Person, random.Random], Iterator[Outcome]]] = {
    "customer": customer_turn,
    "agent": agent_turn,
    "manager": manager_turn,
}


def people(base: str, users: int, *, ca: Path) -> list[Person]:
    roles = ["customer", "agent", "customer", "manager", "agent", "customer", "agent", "customer"]
    crowd = []
    counters = Counter()
    for n in range(users):
        role = roles[n % len(roles)]
        counters[role] += 1
        email = (
            "manager@example.com" if role == "manager" else f"{role}{counters[role]}@example.com"
        )
        crowd.append(Person(base, email, role, ca=ca))
    return crowd


def drive(
    crowd: list[Person], *, seconds: float, at: Callable[[float], None] | None = None
) -> list[Outcome]:
    """Everyone works for `seconds`; `at(elapsed)` is called from the main thread meanwhile."""
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def work(person: Person, seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < stop:
            for outcome in TURNS[person.role](person, rng):
                with lock:
                    outcomes.append(outcome)

    threads = [threading.Thread(target=work, args=(p, n)) for n, p in enumerate(crowd)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    while any(t.is_alive() for t in threads):
        if at is not None:
            at(time.monotonic() - started)
        time.sleep(0.1)
    return outcomes


# --- The run ---------------------------------------------------------------------------------


@dataclass
class Result:
    requests: int = 0
    answered: int = 0
    errors_in_flight: int = 0
    errors_other: int = 0
    error_samples: list[str] = field(default_factory=list)
    sessions_lost: int = 0
    users: int = 0
    served_by: Counter = field(default_factory=Counter)
    served_by_after_kill: Counter = field(default_factory=Counter)
    notifications: Counter = field(default_factory=Counter)
    notifications_lost: int = 0
    notifications_doubled: int = 0
    mails_received: int = 0
    throughput_one_node: float = 0.0
    throughput_two_nodes: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    killed_at: float = 0.0
    noticed_ms: float = 0.0
    drained_seconds: float = 0.0

    def table(self) -> str:
        rows = [
            ("requests made (mixed load with the kills)", f"{self.requests:,}"),
            ("answered as expected", f"{self.answered:,}"),
            ("failed, in flight on the killed node", f"{self.errors_in_flight}"),
            ("the proxy saw the node gone after", f"{self.noticed_ms:.0f} ms"),
            ("failed otherwise (must be 0)", f"{self.errors_other}"),
            ("users signed in / sessions lost (must be 0)", f"{self.users} / {self.sessions_lost}"),
            (
                "answered by node1 / node2 before the kill",
                " / ".join(str(self.served_by[n]) for n in ("node1", "node2")),
            ),
            (
                "answered by node1 / node2 after the kill",
                " / ".join(str(self.served_by_after_kill[n]) for n in ("node1", "node2")),
            ),
            (
                "notifications written / sent",
                f"{sum(self.notifications.values())} / {self.notifications.get('sent', 0)}",
            ),
            (
                "notifications lost / doubled (must be 0 / 0)",
                f"{self.notifications_lost} / {self.notifications_doubled}",
            ),
            ("outbox drained after the load", f"{self.drained_seconds:.0f} s"),
            ("latency p50 / p99 (mixed load)", f"{self.p50_ms:.0f} ms / {self.p99_ms:.0f} ms"),
            ("throughput, one web node", f"{self.throughput_one_node:.1f} req/s"),
            ("throughput, two web nodes", f"{self.throughput_two_nodes:.1f} req/s"),
        ]
        lines = ["| what | value |", "| --- | ---: |"]
        lines += [f"| {name} | {value} |" for name, value in rows]
        return "\n".join(lines)


def throughput(crowd: list[Person], seconds: float) -> float:
    outcomes = drive(crowd, seconds=seconds)
    return sum(o.ok for o in outcomes) / seconds


def run(
    *,
    server_url: str,
    duration: float,
    users: int,
    phase: float,
    keep: bool = False,
    log: Callable[[str], None] = print,
) -> Result:
    result = Result(users=users)
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cluster-")))
        database_url = recreate_database(server_url, DATABASE)
        if not keep:
            stack.callback(drop_database, server_url, DATABASE)
        broker = stack.enter_context(redis_process())
        mail_servers = Servers()
        stack.callback(mail_servers.stop)
        sink, smtp_port = mail_servers.start()
        cluster = Cluster(
            database_url=database_url, redis_url=broker.url, smtp_port=smtp_port, workdir=workdir
        )
        log("migrating and seeding a small help desk")
        cluster.manage("migrate", "--noinput", "-v0", "--skip-checks")
        cluster.manage("seed_demo", "--tickets", "60", "--agents", "4", "--if-empty")
        stack.callback(print_logs_if_failed, cluster, result)
        stack.callback(cluster.stop)
        log("starting the proxy, 2 web nodes, 2 workers and beat")
        cluster.start()
        base = f"https://localhost:{cluster.proxy_port}"
        crowd = people(base, users, ca=workdir / "proxy.crt")
        for person in crowd:
            person.sign_in()

        log(f"throughput with one web node, then two ({phase:.0f} s each)")
        cluster.only_node1(True)
        result.throughput_one_node = throughput(crowd, phase)
        cluster.only_node1(False)
        result.throughput_two_nodes = throughput(crowd, phase)
        sent_before = len(sink.accepted)

        log(f"mixed load for {duration:.0f} s; node1 and worker1 are killed halfway")
        killed: dict[str, float] = {}

        def kill_halfway(elapsed: float) -> None:
            if not killed and elapsed >= duration / 2:
                killed["at"] = time.monotonic()
                cluster.processes["web1"].kill()
                cluster.processes["worker1"].kill()
            elif killed and "seen" not in killed and cluster.servers_up()["node1"] == "DOWN":
                killed["seen"] = time.monotonic()

        outcomes = drive(crowd, seconds=duration, at=kill_halfway)
        kill_time = killed["at"]
        # Until its health check fails, the proxy still hands requests to the dead node: those
        # are in flight on it too (they reached it, or its socket's queue, and died there).
        seen_down = killed.get("seen", kill_time)
        result.killed_at = duration / 2
        result.noticed_ms = (seen_down - kill_time) * 1000
        result.requests = len(outcomes)
        for outcome in outcomes:
            if outcome.ok:
                result.answered += 1
                after = outcome.started > kill_time
                (result.served_by_after_kill if after else result.served_by)[outcome.node] += 1
                continue
            if outcome.signed_out:
                result.sessions_lost += 1
            if (
                outcome.started <= seen_down
                and outcome.ended >= kill_time
                and not outcome.signed_out
            ):
                result.errors_in_flight += 1
            else:
                result.errors_other += 1
                if len(result.error_samples) < 10:
                    result.error_samples.append(
                        f"{outcome.role} {outcome.what}: {outcome.status} via {outcome.node!r}"
                        f" at {outcome.started - kill_time:+.2f} s from the kill"
                    )
        times = sorted((o.ended - o.started) * 1000 for o in outcomes if o.ok)
        result.p50_ms = statistics.median(times)
        result.p99_ms = times[int(len(times) * 0.99) - 1]

        log("waiting for the outbox to drain")
        drain_started = time.monotonic()
        deadline = drain_started + 120
        while True:
            states = notification_states(database_url)
            if not (states.get("pending") or states.get("sending")) or time.monotonic() > deadline:
                break
            time.sleep(1)
        result.drained_seconds = time.monotonic() - drain_started
        time.sleep(1)  # the last message's SMTP conversation ends after its row says sent
        result.notifications = states
        received = Counter(m["Message-ID"] for m in sink.accepted)
        result.mails_received = len(sink.accepted) - sent_before
        result.notifications_doubled = sum(n - 1 for n in received.values() if n > 1)
        result.notifications_lost = sum(
            count for state, count in states.items() if state != "sent"
        ) + len(notification_message_ids(database_url) - set(received))
    return result


def print_logs_if_failed(cluster: Cluster, result: Result) -> None:
    if result.errors_other or result.sessions_lost or result.notifications_lost:
        for process in cluster.processes.values():
            print(f"--- {process.name} ---\n{process.log.read_text()[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--phase", type=float, default=15)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    server_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if haproxy_binary() is None:
        sys.exit("haproxy is not installed (.ci/install-haproxy)")
    result = run(
        server_url=server_url,
        duration=args.duration,
        users=args.users,
        phase=args.phase,
        keep=args.keep,
    )
    print()
    print(
        f"{args.users} users through HAProxy (TLS), 2 gunicorn nodes × 2 sync workers, "
        f"2 Celery workers, 1 beat; node1 and worker1 SIGKILLed at {result.killed_at:.0f} s "
        f"of {args.duration:.0f} s"
    )
    print()
    print(result.table())
    for sample in result.error_samples:
        print("  error:", sample)
    print(
        json.dumps(
            {
                "ok": not (
                    result.errors_other
                    or result.sessions_lost
                    or result.notifications_lost
                    or result.notifications_doubled
                )
            }
        )
    )


if __name__ == "__main__":
    main()
