"""The managers' live dashboard: each figure against a help desk built by hand, today's hours
in the help desk's zone (23 and 25 of them when the clocks change), the page and its JSON
twin alike, and their cost."""

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.conftest import travelled
from tickets import workflow
from tickets.models import SlaAlert, Ticket
from tickets.reports import dashboard
from tickets.status import Status

BERLIN = ZoneInfo("Europe/Berlin")
# A Wednesday in November, 15:20 in Berlin.
NOW = datetime(2026, 11, 18, 15, 20, tzinfo=BERLIN)


def berlin(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def mia(manager):
    client = Client()
    client.force_login(manager)
    return client


@pytest.fixture
def at(make_ticket, agent):
    """at(moment, status, **fields) → a ticket reported (by Alex when urgent) and worked at
    `moment`."""

    def make(moment: datetime, status: Status = Status.OPEN, **fields) -> Ticket:
        if fields.get("priority") == "urgent":
            fields["created_by"] = agent
        with time_machine.travel(moment, tick=False):
            return make_ticket(status, **fields)

    return make


def test_each_figure_counts_the_tickets_built_by_hand(at):
    # Older, but it waits for the customer.
    old_hold = at(berlin(2, 10), Status.ON_HOLD, priority="low")
    oldest = at(berlin(3, 9), Status.IN_PROGRESS, priority="high", subject="Oldest waiting")
    at(berlin(17, 23, 59), Status.OPEN, priority="urgent")  # yesterday, still unassigned
    at(berlin(18, 0, 1), Status.OPEN)  # the first minute of today
    at(berlin(18, 9, 5), Status.ASSIGNED, priority="urgent")
    at(berlin(18, 9, 40), Status.RESOLVED)  # reported and resolved at 09:40
    at(berlin(18, 14, 59), Status.CLOSED)  # resolved at 14:59, closed since
    board = dashboard.build(now=NOW)

    assert board.cells == {
        ("on_hold", "low"): 1,
        ("in_progress", "high"): 1,
        ("open", "urgent"): 1,
        ("open", "normal"): 1,
        ("assigned", "urgent"): 1,
    }
    assert (board.open_total, board.unassigned) == (5, 2)
    assert board.by_status == {"open": 2, "assigned": 1, "in_progress": 1, "on_hold": 1}
    assert board.by_priority == {"urgent": 2, "high": 1, "normal": 1, "low": 1}
    assert board.oldest_waiting.pk == oldest.pk != old_hold.pk
    # Today's hours so far, 00:00 to 15:00, in Berlin.
    assert [hour.label for hour in board.hours] == [f"{h:02d}:00" for h in range(16)]
    arrivals = {hour.label: hour.arrivals for hour in board.hours if hour.arrivals}
    resolutions = {hour.label: hour.resolutions for hour in board.hours if hour.resolutions}
    assert arrivals == {"00:00": 1, "09:00": 2, "14:00": 1}
    assert resolutions == {"09:00": 1, "14:00": 1}
    assert (board.arrivals, board.resolutions, board.busiest_hour) == (4, 2, 2)


def test_a_resolution_after_a_reopen_counts_again(at, customer, agent):
    ticket = at(berlin(18, 8), Status.RESOLVED)
    with time_machine.travel(berlin(18, 10), tick=False):
        workflow.transition(
            ticket_id=ticket.pk, to=Status.IN_PROGRESS, actor=customer, note="Still broken"
        )
    with time_machine.travel(berlin(18, 11), tick=False):
        workflow.transition(ticket_id=ticket.pk, to=Status.RESOLVED, actor=agent, note="Now.")
    board = dashboard.build(now=NOW)
    assert {h.label: h.resolutions for h in board.hours if h.resolutions} == {
        "08:00": 1,
        "11:00": 1,
    }


def test_due_soon_overdue_and_breached_today(at):
    soon = at(berlin(18, 8), Status.IN_PROGRESS)
    late_today = at(berlin(18, 8), Status.IN_PROGRESS)
    late_since_yesterday = at(berlin(17, 8), Status.ASSIGNED)
    later = at(berlin(18, 8), Status.OPEN)
    resolved_late = at(berlin(18, 8), Status.RESOLVED)
    dues = {
        soon: NOW + timedelta(minutes=59),
        late_today: NOW - timedelta(minutes=5),
        late_since_yesterday: berlin(17, 16),
        later: NOW + timedelta(minutes=61),
    }
    for ticket, due in dues.items():
        Ticket.objects.filter(pk=ticket.pk).update(sla_due_at=due)
    # The SLA check recorded these breaches; one ticket was resolved after its breach.
    for ticket, due in [(resolved_late, berlin(18, 9)), (late_today, NOW - timedelta(minutes=5))]:
        SlaAlert.objects.create(
            ticket=ticket, target="response", kind=SlaAlert.Kind.BREACH, due_at=due
        )
    SlaAlert.objects.create(  # yesterday's breach, and a warning: neither counts
        ticket=late_since_yesterday, target="response", kind="breach", due_at=berlin(17, 16)
    )
    SlaAlert.objects.create(ticket=soon, target="response", kind="warning", due_at=dues[soon])

    board = dashboard.build(now=NOW)
    assert (board.due_soon, board.overdue) == (1, 2)
    # Past due now since today, and the recorded breach of the ticket resolved since: once each.
    assert board.breached_today == 2


@pytest.mark.parametrize(
    ("day", "hours", "twice"),
    [
        (date(2026, 3, 29), 23, None),  # 02:00 never happens
        (date(2026, 10, 25), 25, "02:00"),  # 02:00 happens twice
        (date(2026, 11, 18), 24, None),
    ],
)
def test_a_day_has_the_hours_its_clocks_show(day, hours, twice):
    end_of_day = datetime.combine(day, datetime.max.time(), tzinfo=BERLIN)
    starts = dashboard.hour_starts(day=day, tz=BERLIN, now=end_of_day)
    assert len(starts) == hours
    assert all(b - a == timedelta(hours=1) for a, b in itertools.pairwise(starts))
    local = [s.astimezone(BERLIN).strftime("%H:%M") for s in starts]
    if twice:
        assert local.count(twice) == 2
    else:
        assert len(set(local)) == hours


def test_the_hour_the_clocks_go_back_is_counted_twice_apart(at):
    # 25 October 2026: 02:30 summer time (00:30 UTC), then 02:30 winter time (01:30 UTC).
    at(datetime(2026, 10, 25, 0, 30, tzinfo=UTC))
    at(datetime(2026, 10, 25, 1, 30, tzinfo=UTC))
    at(datetime(2026, 10, 25, 1, 40, tzinfo=UTC))
    board = dashboard.build(now=datetime(2026, 10, 25, 12, 0, tzinfo=BERLIN))
    counts = {hour.label: hour.arrivals for hour in board.hours if hour.arrivals}
    assert counts == {"02:00 CEST": 1, "02:00 CET": 2}


def test_the_page_and_its_json_show_the_same_numbers(at, mia):
    at(berlin(18, 9, 5), Status.ASSIGNED, priority="urgent")
    oldest = at(berlin(10, 9), Status.OPEN, subject="Printer <b>on fire</b>")
    with travelled(NOW, mia):
        page = mia.get(reverse("reports:dashboard"))
        data = mia.get(reverse("reports:dashboard_data")).json()
    html = page.content.decode()
    assert data["open"]["total"] == 2
    assert data["unassigned"] == 1
    assert data["open"]["cells"]["assigned"]["urgent"] == 1
    assert data["open"]["cells"]["on_hold"]["low"] == 0
    assert data["today"]["arrivals"] == 1
    assert [h["label"] for h in data["today"]["hours"]][-1] == "15:00"
    assert data["as_of_label"] == "15:20:00"
    assert data["oldest_waiting"]["reference"] == oldest.reference
    assert data["oldest_waiting"]["url"] == reverse("agent:ticket_detail", args=[oldest.pk])
    # The same numbers in the page, for a browser without scripts.
    assert '<dd data-value="unassigned">1</dd>' in html
    assert '<span data-value="as_of_label">15:20:00</span> (Europe/Berlin time)' in html
    assert '<td data-value="open.cells.assigned.urgent">1</td>' in html
    assert f'href="{data["oldest_waiting"]["url"]}"' in html
    assert "Printer &lt;b&gt;on fire&lt;/b&gt;" in html
    # The refresh is a script file of our own, allowed by the Content-Security-Policy.
    assert '<script src="/static/js/dashboard.js" defer></script>' in html
    assert html.count("<script") == 1
    assert "script-src 'self'" in page["Content-Security-Policy"]


def test_an_empty_help_desk_has_a_dashboard(mia, db):
    with travelled(NOW, mia):
        data = mia.get(reverse("reports:dashboard_data")).json()
        page = mia.get(reverse("reports:dashboard"))
    assert data["open"]["total"] == 0
    assert data["oldest_waiting"] is None
    assert page.status_code == 200
    assert b"Nothing waits for the help desk." in page.content


@pytest.mark.parametrize("count", [1, 10])
def test_the_page_and_json_cost_the_same_queries_however_many_tickets(
    count, at, mia, django_assert_num_queries
):
    for i in range(count):
        at(berlin(18, i % 15), [Status.OPEN, Status.IN_PROGRESS, Status.RESOLVED][i % 3])
    # session, user; unfinished by status and priority; due soon and overdue; arrivals and
    # resolutions by hour; breached today; the oldest waiting ticket
    with travelled(NOW, mia):
        with django_assert_num_queries(8):
            mia.get(reverse("reports:dashboard"))
        with django_assert_num_queries(8):
            mia.get(reverse("reports:dashboard_data"))


def test_the_json_is_not_cached(mia, db):
    response = mia.get(reverse("reports:dashboard_data"))
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Type"] == "application/json"


def test_every_figure_is_read_from_an_index(postgres, at):
    """The dashboard stays fast at a million tickets because no query reads the whole table:
    each is served by an index (the partial ones on unfinished tickets, or a range of today).
    With sequential scans discouraged, a query no index can serve still shows a Seq Scan."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    at(berlin(18, 9), Status.IN_PROGRESS)
    with CaptureQueriesContext(connection) as captured:
        dashboard.build(now=NOW)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plans = {}
        for query in captured.captured_queries:
            cursor.execute(f"EXPLAIN {query['sql']}")
            plans[query["sql"][:80]] = "\n".join(row[0] for row in cursor.fetchall())
    assert len(plans) == 6
    assert not {sql: plan for sql, plan in plans.items() if "Seq Scan" in plan}
    assert any("ticket_active_status_prio_idx" in plan for plan in plans.values())
