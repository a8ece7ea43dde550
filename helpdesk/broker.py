"""Handing a task to the broker without making anyone wait for it.

Whatever a task is handed over for has a durable record already (an outbox row, say) and a
beat job that picks up records never handed over; so a hand-over may be skipped, never waited
for. In a request each one has a short socket budget (`ENQUEUE_TIMEOUT_SECONDS`, connect and
every read and write) and all of them together at most `ENQUEUE_BUDGET_SECONDS`; once one
fails, this process tries none for `ENQUEUE_PAUSE_SECONDS`. A frozen or unreachable broker
costs one request one timeout, not a timeout per notification.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.core.signals import request_finished, request_started

from .celery import app

log = logging.getLogger(__name__)

_local = threading.local()  # this thread's connection, and what its request has spent
_paused_until = 0.0  # time.monotonic() before which no hand-over is tried, in this process


def publish(task: Any, *args: Any) -> bool:
    """Hand `task(*args)` to the broker if it answers in time. Returns whether it took it;
    raises what the broker (or the task, run in process) raised."""
    if app.conf.task_always_eager:
        task.delay(*args)  # no broker: the task runs here and now
        return True
    if not _may_try():
        return False
    started = time.monotonic()
    try:
        task.apply_async(args, connection=_connection(), retry=False, ignore_result=True)
    except Exception:
        _forget_connections()
        _pause()
        raise
    finally:
        _spend(time.monotonic() - started)
    return True


def prepare() -> None:
    """Do this process's one-time set-up of Celery (the task registry, the result backend,
    the transport's modules: a tenth of a second or more) at start, not in a request."""
    if app.conf.task_always_eager:
        return
    app.tasks  # noqa: B018 (finalizes the app)
    app.backend  # noqa: B018
    _connection().transport  # noqa: B018 (imports the transport; does not connect)


def _may_try() -> bool:
    if time.monotonic() < _paused_until:
        return False
    if not _in_request():  # a worker, a command: no total to keep to
        return True
    # A hand-over that fails takes one timeout; start one only if that still fits.
    budget = settings.ENQUEUE_BUDGET_SECONDS
    return _local.request_spent + settings.ENQUEUE_TIMEOUT_SECONDS <= budget


def _spend(seconds: float) -> None:
    if _in_request():
        _local.request_spent += seconds


def _pause() -> None:
    global _paused_until
    _paused_until = time.monotonic() + settings.ENQUEUE_PAUSE_SECONDS


def _in_request() -> bool:
    return getattr(_local, "request_spent", None) is not None


def _connection():
    """This thread's connection to the broker: in a request, with the short timeouts;
    elsewhere (the relay in a worker, a command), with the broker's usual ones, since nobody
    waits there. A new one when the broker's address changed."""
    url = app.conf.broker_write_url or app.conf.broker_url
    timeout = (
        settings.ENQUEUE_TIMEOUT_SECONDS
        if _in_request()
        else app.conf.broker_transport_options.get("socket_timeout", 2)
    )
    connections = _local.__dict__.setdefault("connections", {})
    connection = connections.get((url, timeout))
    if connection is None:
        connection = app.connection_for_write(
            url,
            connect_timeout=timeout,
            transport_options={
                "socket_timeout": timeout,
                "socket_connect_timeout": timeout,
                "retry_on_timeout": False,
                "max_retries": 0,  # connecting: one try (the settings' 1 waits 2 s between)
            },
        )
        connections[(url, timeout)] = connection
    return connection


def _forget_connections() -> None:
    for connection in _local.__dict__.pop("connections", {}).values():
        try:
            connection.release()
        except Exception:  # it is broken already; nothing to tidy
            log.debug("closing a failed broker connection failed", exc_info=True)


def reset() -> None:
    """Forget the pause and this thread's connections (tests switching brokers)."""
    global _paused_until
    _paused_until = 0.0
    _forget_connections()


def _request_started(**_kwargs) -> None:
    _local.request_spent = 0.0


def _request_finished(**_kwargs) -> None:
    _local.request_spent = None


request_started.connect(_request_started, dispatch_uid="helpdesk.broker.request_started")
request_finished.connect(_request_finished, dispatch_uid="helpdesk.broker.request_finished")
