"""Which connection serves what, with a real streaming standby as the replica: the heavy reads
from the standby, writes and a writer's next reads from the primary, and the primary again
whenever the standby is down or behind, without an error for the reader."""

from __future__ import annotations

import logging
import time

import pytest
from django.db import DEFAULT_DB_ALIAS, transaction
from django.urls import reverse

from helpdesk import replica
from tickets import services
from tickets.models import ReportSnapshot, Ticket
from tickets.reports import snapshots
from tickets.reports.filters import ReportFilters

from .conftest import replayed, served

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, replica.REPLICA]),
]


@pytest.fixture
def written(standby, make_ticket):
    """A few committed tickets, on the standby too."""
    tickets = [make_ticket(subject=f"Printer on floor {n} jams") for n in range(3)]
    replayed()
    return tickets


@pytest.fixture
def mia(client, manager):
    client.force_login(manager)
    return client


def test_the_report_page_reads_its_figures_from_the_standby(mia, written):
    with served() as s:
        response = mia.get(reverse("reports:report"))
    assert response.status_code == 200
    assert s.standby_reads('"tickets_ticket"')
    assert s.primary_reads('"tickets_ticket"') == []


def test_a_streamed_export_reads_from_the_standby_while_it_is_sent(mia, written):
    with served() as s:
        response = mia.get(reverse("reports:tickets_csv"))
        body = b"".join(response.streaming_content).decode()
    assert all(ticket.reference in body for ticket in written)
    assert s.standby_reads('"tickets_ticket"')
    assert s.primary_reads('"tickets_ticket"') == []


def test_a_search_and_the_apis_list_read_from_the_standby_the_plain_queue_from_the_primary(
    client, agent, written
):
    client.force_login(agent)
    with served() as s:
        found = client.get(reverse("agent:queue"), {"q": "printer", "view": "all"})
    assert found.status_code == 200 and written[0].reference in found.content.decode()
    assert s.standby_reads('"tickets_ticket"') and not s.primary_reads('"tickets_ticket"')

    with served() as s:
        listed = client.get(reverse("api:ticket-list"), {"view": "all"})
    assert listed.status_code == 200 and len(listed.json()["results"]) == 3
    assert s.standby_reads('"tickets_ticket"') and not s.primary_reads('"tickets_ticket"')

    with served() as s:
        assert client.get(reverse("agent:queue")).status_code == 200
    assert s.primary_reads('"tickets_ticket"') and not s.standby_reads()


def test_whoever_wrote_reads_from_the_primary_for_a_while_then_from_the_standby_again(
    client, customer, written, settings
):
    settings.REPLICA_PIN_SECONDS = 2
    client.force_login(customer)
    created = client.post(
        reverse("api:ticket-list"),
        {"subject": "Scanner offline", "description": "Since the update."},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    with served() as s:
        listed = client.get(reverse("api:ticket-list"))
    # Their own new ticket is there at once, however far behind the standby may be.
    assert created.json()["reference"] in {t["reference"] for t in listed.json()["results"]}
    assert s.primary_reads('"tickets_ticket"') and not s.standby_reads()

    replayed()
    time.sleep(settings.REPLICA_PIN_SECONDS + 0.5)
    with served() as s:
        listed = client.get(reverse("api:ticket-list"))
    assert len(listed.json()["results"]) == 4
    assert s.standby_reads('"tickets_ticket"') and not s.primary_reads('"tickets_ticket"')


def test_writes_and_reads_inside_a_transaction_go_to_the_primary(written, agent):
    with served() as s, replica.replica_reads():
        assert Ticket.objects.count() == 3
        with transaction.atomic():
            services.ticket_take(ticket_id=written[0].pk, agent=agent)
            assert Ticket.objects.get(pk=written[0].pk).assignee_id == agent.pk
    assert len(s.standby_reads('"tickets_ticket"')) == 1  # the count, outside the transaction
    assert s.primary_reads('"tickets_ticket"')


def test_a_report_snapshot_is_built_from_the_standby_and_stored_on_the_primary(written, settings):
    settings.REPORT_LIVE_LIMIT = 0  # every report from a snapshot, built by a task
    with served() as s:
        snapshots.serve(ReportFilters.within())
    assert ReportSnapshot.objects.get().computed_at is not None
    assert s.standby_reads('"tickets_statushistory"')
    assert not s.primary_reads('"tickets_statushistory"')
    writes = [q["sql"] for q in s.primary.captured_queries if q["sql"].startswith("UPDATE")]
    assert any('"tickets_reportsnapshot"' in sql for sql in writes)


def test_a_standby_that_is_down_sends_reads_to_the_primary_with_one_warning(
    mia, written, dead_replica, settings, caplog
):
    settings.REPLICA_CHECK_SECONDS = 0
    with caplog.at_level(logging.WARNING, logger="helpdesk.replica"):
        for _ in range(2):
            response = mia.get(reverse("reports:report"))
            assert response.status_code == 200
    warnings = [r for r in caplog.records if r.name == "helpdesk.replica"]
    assert len(warnings) == 1 and "unreachable" in warnings[0].getMessage()


def test_a_standby_failing_in_the_middle_of_a_read_is_retried_on_the_primary(
    mia, written, dead_replica, monkeypatch
):
    monkeypatch.setattr(replica, "usable", lambda **kwargs: True)  # it looked fine a moment ago
    with served(standby=False) as s:
        response = mia.get(reverse("reports:report"))
    assert response.status_code == 200
    assert s.primary_reads('"tickets_ticket"')
    assert replica.status()["usable"] is False


def test_a_standby_that_lags_is_not_read_until_it_catches_up(
    mia, written, standby, settings, caplog
):
    settings.REPLICA_MAX_LAG_SECONDS = 0.5
    with standby.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    try:
        Ticket.objects.filter(pk=written[0].pk).update(subject="Printer on floor 0 jams again")
        time.sleep(1.0)
        with caplog.at_level(logging.WARNING, logger="helpdesk.replica"), served() as s:
            assert mia.get(reverse("reports:report")).status_code == 200
        assert s.primary_reads('"tickets_ticket"') and not s.standby_reads()
        assert "behind the primary" in caplog.text
    finally:
        with standby.cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")
    replayed()
    settings.REPLICA_MAX_LAG_SECONDS = 5
    with served() as s:
        assert mia.get(reverse("reports:report")).status_code == 200
    assert s.standby_reads('"tickets_ticket"') and not s.primary_reads('"tickets_ticket"')
