"""Beat's seldom jobs (hourly, daily) run once when beat starts, not a whole period later."""

import json
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings

from helpdesk.celery import jobs_to_run_at_start
from tests.conftest import CELERY_QUEUE

SELDOM = {"tickets.auto_close_resolved", "tickets.sweep_orphaned_files"}


def test_the_hourly_and_daily_jobs_are_the_ones_run_at_start():
    assert set(jobs_to_run_at_start(settings.CELERY_BEAT_SCHEDULE)) == SELDOM


def queued_tasks(client) -> list[str]:
    return [json.loads(raw)["headers"]["task"] for raw in client.lrange(CELERY_QUEUE, 0, -1)]


@pytest.mark.slow
def test_a_starting_beat_sends_the_seldom_jobs_at_once(redis_broker, tmp_path):
    beat = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "helpdesk",
            "beat",
            "--schedule",
            str(tmp_path / "beat-schedule"),
            "--loglevel",
            "INFO",
        ],
        env={**os.environ, "REDIS_URL": settings.REDIS_URL},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not set(queued_tasks(redis_broker)) >= SELDOM:
            time.sleep(0.2)
    finally:
        beat.terminate()
        beat.wait(timeout=10)
    queued = queued_tasks(redis_broker)
    assert sorted(task for task in queued if task in SELDOM) == sorted(SELDOM), queued
