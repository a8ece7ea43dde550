"""The managers' report: numbers from real ticket lives, percentiles against a reference,
the CSV against the page, and who may see any of it."""

import csv
import io
import statistics
from datetime import date, datetime

import pytest
import time_machine
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import travelled
from tests.report_queries import report_queries
from tickets import reports, services, sla_alerts
from tickets.models import Ticket, TicketMetrics
from tickets.reports import csv_export

from .conftest import BERLIN, HOUR, NOVEMBER, QUERY, at


def test_the_report_counts_what_happened(november):
    with time_machine.travel(at(30, 12), tick=False):
        report = reports.build(NOVEMBER)
    assert report.tickets == 4
    resolution = report.durations["resolution"]
    # created → first resolved: 2 h, 26 h (a day on hold counts on the wall clock), 4 h.
    assert resolution.count == 3
    assert resolution.median == 4 * HOUR
    assert resolution.mean == pytest.approx((2 + 26 + 4) / 3 * HOUR)
    assert resolution.p90 == pytest.approx((4 + 0.8 * (26 - 4)) * HOUR)
    full = report.durations["full_resolution"]
    assert sorted([full.median]) == [26 * HOUR] and full.count == 3  # 2, 26, 27 h
    # on hold: over the one ticket that was on hold (24 h), one of four.
    on_hold = report.durations["on_hold"]
    assert (on_hold.count, on_hold.median, on_hold.p90) == (1, 24 * HOUR, 24 * HOUR)
    assert (report.held, report.held_percent) == (1, 25.0)
    assert report.durations["first_response"].count == 3  # the open one has no answer yet
    assert (report.reopened, report.resolved) == (1, 3)
    assert report.reopen_rate == pytest.approx(100 / 3)


def test_service_levels_exclude_hold_time(november):
    with time_machine.travel(at(30, 12), tick=False):
        sla_alerts.check()  # what beat runs every five minutes
        report = reports.build(NOVEMBER)
    # Normal priority: respond within 8 and resolve within 24 working hours.
    # The held ticket: 2 working hours counted (9-10 and 10-11 the next day), the day on hold
    # excluded, so met. The open one was reported on the 27th (Friday 9:00): its first
    # response (8 working hours) was due that day at 17:00 and is missed by the 30th.
    assert report.resolution_sla == (3, 3)
    assert report.response_sla == (3, 4)
    assert report.response_sla_percent == 75.0


def test_a_range_and_slices_select_their_tickets(november, other_agent, category):
    first_week = reports.ReportFilters(start=date(2026, 11, 2), end=date(2026, 11, 3))
    with time_machine.travel(at(30, 12), tick=False):
        assert reports.build(first_week).tickets == 2
        nobody = reports.ReportFilters(
            start=NOVEMBER.start, end=NOVEMBER.end, assignee_id=other_agent.pk
        )
        assert reports.build(nobody).tickets == 0
        vpn = reports.ReportFilters(
            start=NOVEMBER.start, end=NOVEMBER.end, category_id=category.pk, priority="normal"
        )
        assert reports.build(vpn).tickets == 4


def test_weekly_counts_and_backlog(november):
    with time_machine.travel(at(30, 12), tick=False):
        report = reports.build(NOVEMBER)
    weeks = {monday: (created, resolved) for monday, created, resolved in report.weekly}
    assert weeks[date(2026, 11, 2)] == (3, 3)
    assert weeks[date(2026, 11, 23)] == (1, 0)
    assert dict(report.backlog_by_status)["Assigned"] == 1
    assert dict(report.backlog_by_age)["3 to 7 days"] == 1


def test_breakdowns_by_agent_category_and_priority(november, agent):
    with time_machine.travel(at(30, 12), tick=False):
        report = reports.build(NOVEMBER)
    [by_agent] = report.breakdowns["agent"]
    assert (by_agent.label, by_agent.tickets, by_agent.resolved) == (
        agent.display_name,
        4,
        3,
    )
    assert by_agent.resolution.median == 4 * HOUR
    assert [row.label for row in report.breakdowns["priority"]] == ["Normal"]


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    values=st.lists(
        st.floats(min_value=0, max_value=10_000_000, allow_nan=False), min_size=1, max_size=40
    )
)
@pytest.mark.django_db
def test_median_and_p90_match_a_reference_computed_in_python(values, customer):
    """percentile_cont on PostgreSQL, its Python fallback on SQLite: the same numbers as the
    standard library's inclusive quantiles."""
    created = datetime(2026, 11, 10, 12, tzinfo=BERLIN)
    tickets = Ticket.objects.bulk_create(
        Ticket(customer=customer, subject="s", description="d", created_at=created) for _ in values
    )
    TicketMetrics.objects.bulk_create(
        TicketMetrics(
            ticket=t,
            created_at=created,
            priority="normal",
            status="resolved",
            final_resolved_at=created,
            resolution_seconds=v,
        )
        for t, v in zip(tickets, values, strict=True)
    )
    try:
        stat = reports.build(NOVEMBER).durations["resolution"]
        expected_p90 = (
            values[0]
            if len(values) == 1
            else statistics.quantiles(values, n=10, method="inclusive")[8]
        )
        assert stat.count == len(values)
        assert stat.median == pytest.approx(statistics.median(values), rel=1e-9, abs=1e-6)
        assert stat.p90 == pytest.approx(expected_p90, rel=1e-9, abs=1e-6)
        assert stat.mean == pytest.approx(statistics.fmean(values), rel=1e-9, abs=1e-6)
    finally:
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).delete()


# --- The page and the CSV -----------------------------------------------------------------


def test_the_page_shows_the_numbers_with_their_definitions(mia, november):
    with time_machine.travel(at(30, 12), tick=False):
        sla_alerts.check()
        page = mia.get(reverse("reports:report"), QUERY).content.decode()
    assert "4 tickets reported" in page
    assert "4.0 h" in page  # the median resolution
    assert str(reports.DEFINITIONS["resolution"]) in page
    assert "75.0 %" in page  # first response within SLA


def test_the_summary_csv_matches_the_page(mia, november):
    with time_machine.travel(at(30, 12), tick=False):
        sla_alerts.check()
        response = mia.get(reverse("reports:summary_csv"), QUERY)
        report = reports.build(NOVEMBER)
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    by_metric = {row[0]: row for row in rows[1:]}
    assert response["Content-Type"].startswith("text/csv")
    assert by_metric["tickets"][1] == str(report.tickets)
    resolution = report.durations["resolution"]
    assert by_metric["resolution"][1:5] == [
        str(resolution.count),
        f"{resolution.mean / HOUR:.2f}",
        "4.00",
        f"{resolution.p90 / HOUR:.2f}",
    ]
    assert by_metric["response_sla_percent"][5] == "75.0"
    assert by_metric["week:2026-11-02"][1] == "3" and by_metric["week:2026-11-02"][5] == "3"


def test_the_tickets_csv_has_a_row_per_ticket_and_defuses_formulas(mia, life, customer):
    with time_machine.travel(at(10, 9), tick=False):
        services.ticket_create(
            customer=customer,
            created_by=customer,
            subject='=HYPERLINK("http://x")',
            description="d",
        )
    with time_machine.travel(at(30, 12), tick=False):
        response = mia.get(reverse("reports:tickets_csv"), QUERY)
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == csv_export.TICKET_COLUMNS
    assert len(rows) == 2
    assert rows[1][1].startswith("'=")  # a spreadsheet shows it as text


@pytest.mark.parametrize("count", [1, 12])
def test_the_report_page_takes_the_same_queries_however_many_tickets(
    count, mia, life, django_assert_num_queries
):
    for i in range(count):
        life((at(2 + i % 20, 9), "report"), (at(2 + i % 20, 10), "take"))
    # session, user; a snapshot? (none: a small range); tickets in range; the working calendar
    # (hours, holidays: time on hold now in business hours); counts and durations (one query
    # on PostgreSQL, two on SQLite); backlog by status and by age; reported and resolved per
    # week; for agents, services and priorities: counts and durations again (and the agents'
    # and services' names); satisfaction per week; workload: assigned, resolved, replies and
    # notes, open load now, the names; needs attention: the counts (three queries), and the
    # one non-empty list (past due); the newest comments of the ratings; the filter form's
    # agents and services; holds by kind
    expected = 2 + report_queries() + 7
    with travelled(at(30, 12), mia), django_assert_num_queries(expected):
        mia.get(reverse("reports:report"), QUERY)


def test_bad_filters_are_explained(mia):
    response = mia.get(reverse("reports:report"), {"start": "2026-12-01", "end": "2026-11-01"})
    assert response.status_code == 400
    assert b"must start before it ends" in response.content
    assert mia.get(reverse("reports:report"), {"start": "yesterday"}).status_code == 400
    assert mia.get(reverse("reports:summary_csv"), {"priority": "extreme"}).status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        reverse("reports:report"),
        reverse("reports:summary_csv"),
        reverse("reports:tickets_csv"),
        reverse("reports:chart", args=["weekly"]),
        reverse("reports:chart", args=["backlog"]),
    ],
)
def test_only_managers_see_reports(client, customer, agent, manager, url):
    for user in (customer, agent):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(manager)
    assert client.get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code == 302


def test_charts_are_svg_images_without_scripts(mia, november):
    response = mia.get(reverse("reports:chart", args=["weekly"]), QUERY)
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<script" not in response.content
    assert mia.get(reverse("reports:chart", args=["pie"])).status_code == 404


# --- SLA warnings ----------------------------------------------------------------------------


def test_the_sla_check_warns_before_and_at_the_breach_once_each(
    life, agent, manager, django_capture_on_commit_callbacks
):
    from django.core import mail

    from tickets.models import Notification, SlaAlert

    ticket = life((at(2, 9), "report"), (at(2, 9.5), "take"))  # response due Monday 17:00
    ticket.refresh_from_db()
    assert ticket.sla_due_at == at(2, 17)
    with django_capture_on_commit_callbacks(execute=True):
        for moment in (at(2, 12), at(2, 16.5), at(2, 16.75), at(2, 17.5), at(3, 9)):
            with time_machine.travel(moment, tick=False):
                sla_alerts.check()
    alerts = list(SlaAlert.objects.values_list("target", "kind"))
    assert sorted(alerts) == [("response", "breach"), ("response", "warning")]
    sent = Notification.objects.values_list("event", "recipient__email")
    assert sorted(sent.filter(event__startswith="sla")) == sorted(
        [
            ("sla_warning", agent.email),
            ("sla_warning", manager.email),
            ("sla_breach", agent.email),
            ("sla_breach", manager.email),
        ]
    )
    breach = next(m for m in mail.outbox if "SLA breached" in m.subject)
    assert "was due at" in breach.body and "17:00" in breach.body


def test_a_ticket_answered_in_time_raises_no_alarm(life):
    from tickets.models import SlaAlert

    life((at(2, 9), "report"), (at(2, 9.5), "take"), (at(2, 10), "reply"))
    for moment in (at(2, 16.5), at(3, 9)):
        with time_machine.travel(moment, tick=False):
            sla_alerts.check()
    # The response target was met; the resolution target (Wednesday 17:00) is days away.
    assert not SlaAlert.objects.exists()


def test_the_queue_sorts_and_filters_by_sla(client, agent, life):
    late = life((at(2, 9), "report"), (at(2, 9.5), "take"))
    later = life((at(2, 11), "report"), (at(2, 11.5), "take"))
    client.force_login(agent)
    with time_machine.travel(at(2, 18), tick=False):
        ordered = client.get(reverse("agent:queue"), {"sort": "sla"}).context["page"].tickets
        breached = client.get(reverse("agent:queue"), {"sla": "breached"}).context["page"]
        page = client.get(reverse("agent:ticket_detail", args=[late.pk])).content.decode()
    assert [t.pk for t in ordered] == [late.pk, later.pk]
    # The later one's 8 working hours run until Tuesday 11:00.
    assert {t.pk for t in breached.tickets} == {late.pk}
    assert "overdue" in page


@pytest.mark.parametrize(
    "cell",
    [
        *("=1+1", "+1", "-2", "@SUM(A1)", "\t=1", "\r=1", "  =HYPERLINK(1)", "\n@x"),
        *("\uff1d1+1", "\uff0b1"),  # full-width = and +
    ],
)
def test_a_cell_that_a_spreadsheet_would_run_is_defused(cell):
    assert csv_export.csv_safe(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Printer", "1.50", "", "a=b", "HD-1042", 42, None])
def test_ordinary_cells_are_left_alone(cell):
    assert csv_export.csv_safe(cell) == cell
