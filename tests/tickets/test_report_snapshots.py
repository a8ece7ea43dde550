"""Reports over more tickets than REPORT_LIVE_LIMIT: built by a task, served from a snapshot
with the time it was computed, the same numbers as the live report."""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from tests.conftest import travelled
from tickets import reports, sla_alerts
from tickets.models import ReportSnapshot
from tickets.reports import aggregates, csv_export
from tickets.reports import snapshots as report_snapshots

from .conftest import NOVEMBER, QUERY, at

# As in production, a page's writes commit at once and the task is asked for right away.
pytestmark = pytest.mark.django_db(transaction=True)

NOW = at(30, 12)


@pytest.fixture
def big(settings):
    """Every range counts as big: more than two tickets."""
    settings.REPORT_LIVE_LIMIT = 2


@pytest.fixture
def queued(settings, monkeypatch):
    """Celery as in production: tasks wait for a worker (collected here)."""
    keys = []
    monkeypatch.setattr(report_snapshots, "enqueue", keys.append)
    return keys


def test_a_small_range_is_built_live_and_kept_nowhere(mia, november):
    with time_machine.travel(NOW, tick=False):
        page = mia.get(reverse("reports:report"), QUERY)
    assert page.status_code == 200
    assert "4 tickets reported" in page.content.decode()
    assert not ReportSnapshot.objects.exists()


def test_a_big_range_is_served_from_a_snapshot_with_the_same_numbers(mia, november, big):
    """Celery is eager here (no broker): the first request builds the snapshot itself."""
    with time_machine.travel(NOW, tick=False):
        sla_alerts.check()
        live = reports.build(NOVEMBER)
        served = report_snapshots.serve(NOVEMBER)
        page = mia.get(reverse("reports:report"), QUERY).content.decode()
    assert served.as_of == NOW and not served.refreshing
    assert served.report == live
    # In the page's order (PostgreSQL's jsonb keeps object keys in an order of its own).
    assert list(served.report.durations) == list(reports.DURATIONS)
    assert list(served.report.breakdowns) == list(reports.GROUPINGS)
    assert "4 tickets reported" in page
    assert "4.0 h" in page  # the median resolution
    assert "the numbers below were worked out" in page
    assert ReportSnapshot.objects.get().tickets == 4


def test_a_fresh_snapshot_is_reused_without_rebuilding(
    mia, november, big, django_assert_num_queries
):
    with time_machine.travel(NOW, tick=False):
        report_snapshots.serve(NOVEMBER)
    built_at = ReportSnapshot.objects.get().computed_at
    later = NOW + timedelta(minutes=5)
    # session, user; the snapshot (fresh: nothing to build); the backlog by status and by
    # age; needs attention: the counts (three queries) and the one list not empty (the open
    # ticket is past due); the newest comments of the ratings (live); the filter form's
    # agents and services: none of it grows with the tickets in range
    with travelled(later, mia), django_assert_num_queries(12):
        page = mia.get(reverse("reports:report"), QUERY)
    assert page.status_code == 200
    assert ReportSnapshot.objects.get().computed_at == built_at
    assert ReportSnapshot.objects.get().requested_at == later


def test_a_report_never_built_says_it_is_being_prepared(mia, november, big, queued):
    with time_machine.travel(NOW, tick=False):
        page = mia.get(reverse("reports:report"), QUERY)
        api = mia.get(reverse("api:report-summary"), QUERY)
    assert page.status_code == 200
    assert "Preparing this report" in page.content.decode()
    assert page["Refresh"] == "3"
    assert api.status_code == 202 and api["Retry-After"] == "3"
    snapshot = ReportSnapshot.objects.get()
    assert set(queued) == {snapshot.key}  # asked twice: the worker's claim makes one build
    with time_machine.travel(NOW + timedelta(seconds=5), tick=False):
        assert report_snapshots.build(key=snapshot.key)
        page = mia.get(reverse("reports:report"), QUERY).content.decode()
    assert "4 tickets reported" in page


def test_a_stale_snapshot_is_shown_while_a_new_one_is_built(mia, november, big, queued):
    with time_machine.travel(NOW, tick=False):
        report_snapshots.serve(NOVEMBER)
        key = queued[0]
        assert report_snapshots.build(key=key)
    stale = NOW + timedelta(minutes=20)
    with time_machine.travel(stale, tick=False):
        served = report_snapshots.serve(NOVEMBER)
        page = mia.get(reverse("reports:report"), QUERY).content.decode()
    assert served.report is not None and served.as_of == NOW and served.refreshing
    assert "Newer numbers are being worked out" in page
    assert queued[1:] == [key, key]
    with time_machine.travel(stale, tick=False):
        assert report_snapshots.build(key=key)
        assert not report_snapshots.build(key=key)  # fresh now: nothing to do
    assert ReportSnapshot.objects.get().computed_at == stale


def test_two_workers_never_build_the_same_snapshot_at_once(november, big, queued):
    with time_machine.travel(NOW, tick=False):
        report_snapshots.serve(NOVEMBER)
        key = queued[0]
        ReportSnapshot.objects.filter(key=key).update(claimed_at=NOW)  # a worker is on it
        assert not report_snapshots.build(key=key)
    # That worker died: after the lease another may take over.
    with time_machine.travel(NOW + report_snapshots.CLAIM_LEASE + timedelta(seconds=1)):
        assert report_snapshots.build(key=key)


def test_the_beat_task_builds_what_a_lost_task_did_not_and_forgets_old_ones(november, big, queued):
    with time_machine.travel(NOW, tick=False):
        report_snapshots.serve(NOVEMBER)  # its task was lost with the broker
    queued.clear()
    with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
        assert report_snapshots.refresh_stale() == 1
    assert queued == [ReportSnapshot.objects.get().key]
    with time_machine.travel(NOW + timedelta(days=8), tick=False):
        report_snapshots.refresh_stale()
    assert not ReportSnapshot.objects.exists()


def test_a_build_that_fails_leaves_the_snapshot_free_for_the_next_try(
    november, big, queued, monkeypatch
):
    with time_machine.travel(NOW, tick=False):
        report_snapshots.serve(NOVEMBER)

        def broken(*args, **kwargs):
            raise RuntimeError("database went away")

        monkeypatch.setattr(aggregates, "build", broken)
        with pytest.raises(RuntimeError):
            report_snapshots.build(key=queued[0])
        snapshot = ReportSnapshot.objects.get()
        assert snapshot.claimed_at is None and snapshot.payload is None
        monkeypatch.undo()
        assert report_snapshots.build(key=queued[0])


def test_the_summary_csv_of_a_big_range_matches_the_page(mia, november, big):
    with time_machine.travel(NOW, tick=False):
        sla_alerts.check()
        response = mia.get(reverse("reports:summary_csv"), QUERY)
        live = reports.build(NOVEMBER)
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows == [[str(v) for v in row] for row in csv_export.summary_rows(live)]


def test_the_api_gives_when_the_numbers_were_worked_out(mia, november, big):
    with time_machine.travel(NOW, tick=False):
        data = mia.get(reverse("api:report-summary"), QUERY).json()
    assert data["tickets"] == 4
    assert data["computed_at"].startswith("2026-11-30T")
    small = mia.get(reverse("api:report-summary"), {"start": "2026-11-27", "end": "2026-11-30"})
    assert small.json()["computed_at"] is None


def test_a_broker_that_is_down_delays_a_big_report_but_never_fails_the_page(
    mia, november, big, monkeypatch
):
    from tickets import tasks

    def down(*args, **kwargs):
        raise OSError("Connection refused")

    monkeypatch.setattr(tasks.build_report_snapshot, "delay", down)
    with time_machine.travel(NOW, tick=False):
        page = mia.get(reverse("reports:report"), QUERY)
    assert page.status_code == 200 and "Preparing this report" in page.content.decode()
    assert ReportSnapshot.objects.get().payload is None  # the beat task will build it
