"""The report's figures against numbers worked out by hand, for hand-built histories: time on
hold still running, a target met to the microsecond, a reopen after a met SLA, the basis of
the resolution figures, business hours across a holiday and a daylight-saving switch; and
every number's drill-down to the queue showing exactly the tickets behind it.

The calendar is the default one: Monday to Friday, 9:00 to 17:00 in Berlin. Normal priority:
first response within 8 and resolution within 24 working hours; high: 2 and 8.
"""

import csv
import io
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from tests.conftest import travelled
from tickets import reports
from tickets.models import Holiday, TicketMetrics
from tickets.reports import drill, figures

from .conftest import BERLIN, HOUR, NOVEMBER, QUERY, at


def build(moment: datetime, filters: reports.ReportFilters = NOVEMBER) -> reports.Report:
    with time_machine.travel(moment, tick=False):
        return reports.build(filters)


def within(start: date, end: date, basis: str = "resolved") -> reports.ReportFilters:
    return reports.ReportFilters(start=start, end=end, basis=basis)


# --- Time still running ---------------------------------------------------------------------


@pytest.fixture
def waiting(life):
    """On hold since Monday 2 November 11:00, never back; and one held a day and resolved."""
    still = life(
        (at(2, 9), "report"), (at(2, 9.5), "take"), (at(2, 10), "start"), (at(2, 11), "hold")
    )
    back = life(
        (at(3, 9), "report"),
        (at(3, 9.25), "take"),
        (at(3, 9.5), "start"),
        (at(3, 10), "hold"),
        (at(4, 10), "customer"),  # the customer's reply puts it back to work
        (at(4, 11), "resolve"),
    )
    return still, back


def test_time_on_hold_runs_up_to_the_moment_the_report_is_read(waiting):
    # Nobody refreshes anything between the two readings: the report counts the running
    # stretch itself. Friday 6th 11:00: 4 days = 96 h on the wall clock; working hours Mon
    # 11-17 (6) + Tue, Wed, Thu (24) + Fri 9-11 (2) = 32 h. The other: 24 h, 8 working h
    # (Tue 10-17, Wed 9-10).
    friday = build(at(6, 11))
    assert friday.durations["on_hold"].count == 2
    assert friday.durations["on_hold"].median == pytest.approx((96 + 24) / 2 * HOUR)
    assert friday.business["on_hold"].median == pytest.approx((32 + 8) / 2 * HOUR)
    assert (friday.held, friday.held_percent) == (2, 100.0)
    # Monday 9th 12:00: 7 days and 1 hour = 169 h; 32 + Fri 11-17 (6) + Mon 9-12 (3) = 41 h.
    monday = build(at(9, 12))
    assert monday.durations["on_hold"].mean == pytest.approx((169 + 24) / 2 * HOUR)
    assert monday.business["on_hold"].mean == pytest.approx((41 + 8) / 2 * HOUR)


def test_the_tickets_csv_counts_time_on_hold_up_to_now_too(mia, waiting):
    with travelled(at(9, 12), mia):
        response = mia.get(reverse("reports:tickets_csv"), QUERY)
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    by_ref = {row["reference"]: row for row in rows}
    still, back = waiting
    assert by_ref[still.reference]["on_hold_hours"] == "169.00"
    assert by_ref[still.reference]["on_hold_business_hours"] == "41.00"
    assert by_ref[back.reference]["on_hold_hours"] == "24.00"
    assert by_ref[back.reference]["on_hold_business_hours"] == "8.00"


def test_a_target_passed_since_the_last_refresh_reads_breached(life):
    # Reported Monday 9:00, taken, never answered: the response (8 working hours) is due at
    # 17:00. Read at 18:00 with no refresh in between (the SLA check has not run): breached.
    life((at(2, 9), "report"), (at(2, 9.5), "take"))
    assert TicketMetrics.objects.get().response_met is None
    assert build(at(2, 16.5)).response_sla == (0, 0)
    assert build(at(2, 18)).response_sla == (0, 1)


# --- Exact arithmetic -------------------------------------------------------------------------


def test_a_target_met_to_the_microsecond_is_met(life):
    # High priority: resolution within 8 working hours. Counted: Mon 9:41:00.026681 →
    # 10:41:00.594393 (1 h 0.567712 s), on hold until 11:41:01.579162, then → 17:00
    # (5 h 18 min 58.420838 s) and Tue 9:00 → 10:41:01.011450 (1 h 41 min 1.011450 s):
    # exactly 8 h. In floats, 28800.000000000004 s: "breached".
    def moment(day, hour, minute, second, micro):
        return datetime(2026, 11, day, hour, minute, second, micro, tzinfo=BERLIN)

    life(
        (moment(2, 9, 41, 0, 26681), "report"),
        (moment(2, 9, 42, 0, 0), "take"),
        (moment(2, 9, 43, 0, 0), "reply"),
        (moment(2, 9, 44, 0, 0), "start"),
        (moment(2, 10, 41, 0, 594393), "hold"),
        (moment(2, 11, 41, 1, 579162), "customer"),
        (moment(3, 10, 41, 1, 11450), "resolve"),
        priority="high",
    )
    report = build(at(30, 12))
    assert report.resolution_sla == (1, 1)
    assert report.response_sla == (1, 1)


# --- What the resolution figures count ------------------------------------------------------


@pytest.fixture
def reopened(life):
    """Normal priority: resolved Monday 11:00 (2 working hours, in time), reopened by the
    customer on Friday 9:00, resolved again Friday 12:00."""
    return life(
        (at(2, 9), "report"),
        (at(2, 9.5), "take"),
        (at(2, 10), "start"),
        (at(2, 11), "resolve"),
        (at(6, 9), "reopen"),
        (at(6, 12), "resolve"),
    )


def test_a_reopened_ticket_is_not_resolved_and_past_its_target_is_breached(life):
    life(
        (at(2, 9), "report"),
        (at(2, 9.5), "take"),
        (at(2, 10), "start"),
        (at(2, 11), "resolve"),
        (at(6, 9), "reopen"),
    )
    # Friday 10:00: not resolved any more, and past its target (Wednesday 17:00).
    friday = build(at(6, 10), within(date(2026, 11, 2), date(2026, 11, 6), "reported"))
    assert (friday.resolved, friday.resolution_sla) == (0, (0, 1))


def test_a_quick_resolution_that_was_reopened_is_not_met(reopened):
    # Judged at the final resolution: Mon 8 + Tue 8 + Wed 8 + Thu 8 + Fri 3 = 35 working h
    # of 24: breached, though the first resolution took 2.
    report = build(at(30, 12))
    assert report.resolution_sla == (0, 1)
    assert report.response_sla == (1, 1)
    assert report.durations["resolution"].median == 2 * HOUR  # to the first resolution
    assert report.durations["full_resolution"].median == (4 * 24 + 3) * HOUR
    assert report.business["full_resolution"].median == 35 * HOUR
    assert (report.reopened, report.reopen_rate) == (1, 100.0)


def test_resolution_figures_count_resolved_or_reported_tickets_as_chosen(reopened):
    monday, friday = date(2026, 11, 2), date(2026, 11, 6)
    # Resolved in the range (the default): Friday's final resolution counts on Friday...
    on_friday = build(at(30, 12), within(friday, friday))
    assert (on_friday.tickets, on_friday.resolved, on_friday.resolution_sla) == (0, 1, (0, 1))
    # ... not on Monday, whose resolution was undone.
    on_monday = build(at(30, 12), within(monday, monday))
    assert (on_monday.tickets, on_monday.resolved) == (1, 0)
    # Reported in the range: Monday's ticket, resolved now.
    cohort = build(at(30, 12), within(monday, monday, "reported"))
    assert (cohort.tickets, cohort.resolved, cohort.resolution_sla) == (1, 1, (0, 1))
    assert build(at(30, 12), within(friday, friday, "reported")).resolved == 0


def test_the_page_and_the_summary_csv_state_the_basis(mia, reopened):
    with travelled(at(30, 12), mia):
        page = mia.get(reverse("reports:report"), {**QUERY, "basis": "reported"})
        summary = mia.get(reverse("reports:summary_csv"), QUERY)
    assert 'data-basis="reported"' in page.content.decode()
    assert "Reported in the range" in page.content.decode()
    rows = {row[0]: row for row in csv.reader(io.StringIO(summary.getvalue().decode()))}
    assert rows["basis"][5] == "resolved"
    assert "resolved for good in the range" in rows["basis_definition"][5]


# --- Business hours across a holiday and a daylight-saving switch ----------------------------


def test_business_hours_skip_a_holiday(life):
    Holiday.objects.create(date=date(2026, 11, 4), name="Staff day")
    # Tue 9:00 → Fri 9:00 (no reply: the resolution is the first response): 72 h on the wall
    # clock; Tue 8 + Wed 0 (holiday) + Thu 8 = 16 working h: the resolution (24) met, the
    # response (8) missed.
    life(
        (at(3, 9), "report"),
        (at(3, 9.5), "take"),
        (at(3, 10), "start"),
        (at(6, 9), "resolve"),
    )
    report = build(at(30, 12))
    assert report.durations["resolution"].median == 72 * HOUR
    assert report.business["resolution"].median == 16 * HOUR
    assert report.business["first_response"].median == 16 * HOUR
    assert (report.resolution_sla, report.response_sla) == ((1, 1), (0, 1))


def test_time_on_hold_across_the_october_switch(life):
    # On hold Friday 23 October 16:00 (summer time) → Monday 26 October 10:00 (winter time):
    # 3 days less 6 hours, plus the hour the clocks went back = 67 h; working hours Fri 16-17
    # and Mon 9-10 = 2 h.
    def october(day, hour):
        return datetime(2026, 10, day, hour, tzinfo=BERLIN)

    life(
        (october(23, 9), "report"),
        (october(23, 10), "take"),
        (october(23, 11), "start"),
        (october(23, 16), "hold"),
        (october(26, 10), "customer"),
        (october(26, 11), "resolve"),
    )
    report = build(at(30, 12), within(date(2026, 10, 1), date(2026, 10, 31)))
    assert report.durations["on_hold"].median == 67 * HOUR
    assert report.business["on_hold"].median == 2 * HOUR
    # Resolution: 3 days + 2 h + the extra hour = 75 h; working: Fri 9-17 (8) + Mon 9-11 (2).
    assert report.durations["resolution"].median == 75 * HOUR
    assert report.business["resolution"].median == 10 * HOUR


# --- Drill-down -----------------------------------------------------------------------------


@pytest.fixture
def month(november, waiting, reopened):
    return [*november, *waiting, reopened]


def _drilled(client, url: str) -> int:
    return client.get(url).context["drill_down"]["count"]


def test_every_count_links_to_exactly_its_tickets(mia, month, agent):
    with travelled(at(30, 12), mia):
        report = reports.build(NOVEMBER)
        links = drill.links(report)
        for name in reports.COUNTED:
            assert _drilled(mia, links["totals"][name]) == report.counts[name], name
        for by, rows in report.breakdowns.items():
            for row in rows:
                for name in ("reported", "resolved", "resolution_met", "resolution_decided"):
                    url = links["breakdowns"][by][row.key][name]
                    assert _drilled(mia, url) == row.counts[name], (by, name)
        for week in links["weekly"]:
            assert _drilled(mia, week["reported_url"]) == week["reported"]
            assert _drilled(mia, week["resolved_url"]) == week["resolved"]
    # Hand-worked: 7 reported; resolved for good in November: quick, held, reopened (3 of
    # the fixture), back, and the reopened one = 5; the open one is past its response target.
    assert (report.tickets, report.resolved) == (7, 5)


def test_the_queue_lists_the_tickets_behind_a_number(mia, month):
    reopened_one, reopened = month[2], month[6]
    with travelled(at(30, 12), mia):
        page = mia.get(
            reverse("agent:queue"),
            {"view": "all", "figure": "reopened", "start": "2026-11-01", "end": "2026-11-30"},
        )
    shown = {ticket.pk for ticket in page.context["page"].tickets}
    assert shown == {reopened_one.pk, reopened.pk}
    assert b"Reopened" in page.content


@pytest.mark.parametrize("count", [1, 12])
def test_a_drilled_down_queue_takes_the_same_queries_however_many_tickets(
    count, mia, life, django_assert_num_queries
):
    for i in range(count):
        life((at(2 + i % 20, 9), "report"), (at(2 + i % 20, 10), "take"))
    query = {"view": "all", "figure": "reported", "start": "2026-11-01", "end": "2026-11-30"}
    # session, user, the page of tickets, the agents a manager may bulk-assign to and their
    # loads, how many in all, the filter form's services, agents and teams, the saved views,
    # the teams a ticket may be moved to
    with travelled(at(30, 12), mia), django_assert_num_queries(11):
        response = mia.get(reverse("agent:queue"), query)
    assert response.context["drill_down"]["count"] == count


# --- Needs attention ------------------------------------------------------------------------


def test_needs_attention_lists_what_a_manager_should_look_at(mia, life, settings):
    settings.REPORT_WAITING_DAYS = 3
    late = life((at(2, 9), "report"), (at(2, 9.5), "take"))  # response due Mon 17:00
    twice = life(
        (at(3, 9), "report"),
        (at(3, 9.1), "take"),
        (at(3, 9.2), "reply"),
        (at(3, 9.3), "start"),
        (at(3, 10), "resolve"),
        (at(3, 11), "reopen"),
        (at(3, 12), "resolve"),
        (at(3, 13), "reopen"),
    )
    waiting = life(
        (at(4, 9), "report"),
        (at(4, 9.1), "take"),
        (at(4, 9.2), "reply"),
        (at(4, 9.3), "start"),
        (at(4, 10), "hold"),
    )
    with travelled(at(7, 11), mia):  # a Saturday: three days and one hour after the hold
        groups = {g.name: g for g in drill.needs_attention(NOVEMBER, now=at(7, 11))}
        page = mia.get(reverse("reports:report"), QUERY).content.decode()
        drilled = _drilled(mia, groups["reopened_twice"].url)
    assert {t.pk for t in groups["breached"].tickets} >= {late.pk}
    assert [t.pk for t in groups["reopened_twice"].tickets] == [twice.pk]
    assert [t.pk for t in groups["waiting"].tickets] == [waiting.pk]
    assert drilled == 1
    assert late.reference in page and 'data-attention="waiting"' in page
    # Two days on hold is not long yet.
    assert drill.needs_attention(NOVEMBER, now=at(6, 11))[3].count == 0


def test_figures_are_the_same_conditions_for_the_report_and_the_queue():
    # Each figure the report counts is one the queue can show.
    assert set(reports.COUNTED) <= set(figures.FIGURES)


# --- Deactivated agents and dates ------------------------------------------------------------


def test_a_deactivated_agent_can_be_chosen(mia, november, agent):
    type(agent).objects.filter(pk=agent.pk).update(is_active=False)
    with travelled(at(30, 12), mia):
        page = mia.get(reverse("reports:report"), {**QUERY, "agent": agent.pk})
        queue = mia.get(reverse("agent:queue"), {"view": "all", "assignee": agent.pk})
    assert page.status_code == 200 and page.context["report"].tickets == 4
    assert f"{agent.display_name} (deactivated)" in page.content.decode()
    assert queue.status_code == 200 and len(queue.context["page"].tickets) == 4


@pytest.mark.parametrize(
    "url",
    [reverse("reports:report"), reverse("reports:summary_csv"), reverse("reports:tickets_csv")],
)
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"end": "9999-12-31"}, "Enter a day in the years 2000 to 2100"),
        ({"start": "0001-01-01", "end": "9998-12-31"}, "Enter a day in the years"),
        ({"start": "2000-01-01", "end": "2026-11-30"}, "at most 3653 days"),
        ({"start": "31.12.2026"}, "Enter a day as YYYY-MM-DD"),
    ],
)
def test_the_page_and_the_csvs_refuse_a_day_with_a_reason(mia, url, params, message):
    response = mia.get(url, params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_blank_day_means_the_default(mia):
    with travelled(at(30, 12), mia):
        response = mia.get(reverse("reports:report"), {"start": "", "end": " "})
    assert response.status_code == 200
    assert response.context["filters"].end == date(2026, 11, 30)


def test_a_report_reads_the_running_clock_through_snapshots_too(waiting):
    from tickets.reports import snapshots

    with time_machine.travel(at(6, 11), tick=False):
        report = reports.build(NOVEMBER)
        again = snapshots.from_payload(NOVEMBER, snapshots.to_payload(report))
    assert again.as_of == report.as_of
    assert again.business["on_hold"] == report.business["on_hold"]
    assert again.breakdowns["agent"][0].counts == report.breakdowns["agent"][0].counts
    assert again.as_of - at(6, 11) == timedelta(0)
