"""A private redis-server on a free port, that a test or the bench may freeze (SIGSTOP) or stop
without touching the shared Redis everyone else uses."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from tests import real_clock


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisProcess:
    def __init__(self, process: subprocess.Popen, port: int):
        self.process, self.port = process, port
        self.url = f"redis://127.0.0.1:{port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2, socket_connect_timeout=2)

    def stop(self) -> None:
        """The server goes away (connections are refused) until start()."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=10)

    def start(self) -> None:
        """A new server on the same port (empty: nothing persists)."""
        self.process = _spawn(self.port)
        _wait_until_up(self)

    def freeze(self) -> None:
        """The process stops answering; the kernel still accepts connections and data for it,
        as with a Redis stuck on a slow disk or swapped out."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    @contextmanager
    def frozen(self) -> Iterator[None]:
        self.freeze()
        try:
            yield
        finally:
            self.thaw()


def _spawn(port: int) -> subprocess.Popen:
    binary = shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError("redis-server is not on the PATH")
    return subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=real_clock.environment(),
    )


def _wait_until_up(server: RedisProcess) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            server.client().ping()
            return
        except redis.ConnectionError:
            if time.monotonic() > deadline or server.process.poll() is not None:
                raise
            time.sleep(0.05)


@contextmanager
def redis_process() -> Iterator[RedisProcess]:
    """Start redis-server (no persistence) and stop it afterwards; FileNotFoundError when the
    binary is missing."""
    port = free_port()
    server = RedisProcess(_spawn(port), port)
    try:
        _wait_until_up(server)
        yield server
    finally:
        process = server.process
        if process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)  # a frozen process cannot act on SIGTERM
            process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
