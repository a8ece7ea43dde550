"""A throwaway PostgreSQL cluster on a free port (initdb + pg_ctl into a temporary folder),
that a test may stop and start again without touching the shared server everyone else uses."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests import real_clock
from tests.redis_process import free_port


def binaries() -> Path | None:
    """The newest Debian PostgreSQL's bin folder, or None when none is installed."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parent.parent.name),
    )
    return Path(found[-1]).parent if found else None


class PostgresProcess:
    def __init__(self, bin_dir: Path, folder: Path, port: int):
        self.bin_dir, self.folder, self.port = bin_dir, folder, port
        self.data = folder / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def run(self, program: str, *args: str) -> subprocess.CompletedProcess:
        command = [str(self.bin_dir / program), *args]
        if os.geteuid() == 0:  # the server refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(
            command,
            check=True,
            capture_output=True,
            cwd=self.folder,
            env=real_clock.environment(),
            timeout=60,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self.run("pg_ctl", "-D", str(self.data), "-o", options, "-l", "log", "-w", "start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        try:
            self.run("pg_ctl", "-D", str(self.data), "status")
        except subprocess.CalledProcessError:
            return False
        return True


@contextmanager
def postgres_process() -> Iterator[PostgresProcess]:
    """Create and start a cluster (trust authentication, user postgres), remove it afterwards;
    FileNotFoundError when the binaries are missing."""
    bin_dir = binaries()
    if bin_dir is None:
        raise FileNotFoundError("no PostgreSQL under /usr/lib/postgresql/*/bin")
    folder = Path(tempfile.mkdtemp(prefix="helpdesk-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    server = PostgresProcess(bin_dir, folder, free_port())
    try:
        server.run(
            "initdb",
            "-D",
            str(server.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        server.start()
        yield server
    finally:
        if server.data.exists() and server.running():
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
