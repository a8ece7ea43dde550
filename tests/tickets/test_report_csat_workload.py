"""Satisfaction (CSAT) and workload in the report: hand-built November histories, every number
worked out by hand, on SQLite and PostgreSQL alike (the suite runs on both)."""

import csv
import io
from datetime import date, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from accounts.services import user_create
from tests.conftest import travelled
from tests.report_queries import report_queries
from tickets import reports, services, workflow
from tickets.models import Ticket, TicketMetrics
from tickets.reports import csv_export, drill, satisfaction, workload
from tickets.status import Status

from .conftest import HOUR, NOVEMBER, QUERY, at


def october(day: int, hour: float) -> datetime:
    return at(1, 0).replace(month=10, day=day, hour=int(hour), minute=int(hour % 1 * 60))


class Desk:
    """Lives tickets through the services at given moments."""

    def __init__(self, customer, category):
        self.customer, self.category = customer, category

    def report(self, moment, *, priority="normal") -> Ticket:
        with time_machine.travel(moment, tick=False):
            return services.ticket_create(
                customer=self.customer,
                created_by=self.customer,
                subject="Printer",
                description="Jams",
                category=self.category,
                priority=priority,
            )

    def take(self, ticket, agent, moment):
        with time_machine.travel(moment, tick=False):
            services.ticket_take(ticket_id=ticket.pk, agent=agent)

    def reassign(self, ticket, agent, manager, moment):
        with time_machine.travel(moment, tick=False):
            services.ticket_assign(ticket_id=ticket.pk, assignee=agent, actor=manager, note="Cover")

    def write(self, ticket, author, moment, *, internal=False, body="On it"):
        with time_machine.travel(moment, tick=False):
            services.comment_add(ticket_id=ticket.pk, author=author, body=body, internal=internal)

    def move(self, ticket, to, actor, moment):
        with time_machine.travel(moment, tick=False):
            workflow.transition(ticket_id=ticket.pk, to=to, actor=actor, note="Because.")

    def rate(self, ticket, score, moment, comment=""):
        with time_machine.travel(moment, tick=False):
            services.rating_add(
                ticket_id=ticket.pk, customer=self.customer, score=score, comment=comment
            )


@pytest.fixture
def dee(db):
    return user_create(
        email="dee@example.com", display_name="Dee Departed", role=Role.AGENT, password=None
    )


@pytest.fixture
def desk(customer, category, agent, other_agent, dee, manager):
    """November 2026 (Monday the 2nd first). Alex = agent, Bo = other_agent, Dee leaves.

    T0 reported and resolved in October, rated 1 in November: outside November's CSAT.
    T1 Alex: taken, a reply and a note, resolved on the 2nd; rated 5 "Great".
    T2 Dee: taken, a reply, resolved on the 3rd, reopened by the customer on the 4th, a note,
       resolved again on the 4th; rated 2 "Slow". Dee is deactivated afterwards.
    T3 Alex takes it, the manager reassigns it to Bo, who replies and resolves it on the
       10th; rated 4 without a word.
    T4 Bo: taken, started, on hold now (low priority).
    T5 Alex: taken on the 20th, nothing else yet.
    """
    d = Desk(customer, category)
    t0 = d.report(october(26, 9))
    d.take(t0, agent, october(26, 9.5))
    d.write(t0, agent, october(26, 10))
    d.move(t0, Status.IN_PROGRESS, agent, october(26, 10.5))
    d.move(t0, Status.RESOLVED, agent, october(26, 11))
    d.rate(t0, 1, at(2, 8), "Bad")

    t1 = d.report(at(2, 9))
    d.take(t1, agent, at(2, 9.5))
    d.write(t1, agent, at(2, 10))
    d.write(t1, agent, at(2, 10.25), internal=True, body="Driver issue")
    d.write(t1, customer, at(2, 10.4), body="Thanks")  # a customer's reply counts nowhere
    d.move(t1, Status.IN_PROGRESS, agent, at(2, 10.5))
    d.move(t1, Status.RESOLVED, agent, at(2, 11))
    d.rate(t1, 5, at(3, 8), "Great")

    t2 = d.report(at(3, 9), priority="high")
    d.take(t2, dee, at(3, 9.25))
    d.write(t2, dee, at(3, 9.5))
    d.move(t2, Status.IN_PROGRESS, dee, at(3, 10))
    d.move(t2, Status.RESOLVED, dee, at(3, 12))
    d.move(t2, Status.IN_PROGRESS, customer, at(4, 9))  # reopened
    d.write(t2, dee, at(4, 10), internal=True, body="Again")
    d.move(t2, Status.RESOLVED, dee, at(4, 11))
    d.rate(t2, 2, at(5, 8), "Slow")

    t3 = d.report(at(10, 9))
    d.take(t3, agent, at(10, 9.25))
    d.reassign(t3, other_agent, manager, at(10, 10))
    d.write(t3, other_agent, at(10, 11))
    d.move(t3, Status.IN_PROGRESS, other_agent, at(10, 11.5))
    d.move(t3, Status.RESOLVED, other_agent, at(10, 12))
    d.rate(t3, 4, at(11, 8))

    t4 = d.report(at(16, 9), priority="low")
    d.take(t4, other_agent, at(16, 9.5))
    d.move(t4, Status.IN_PROGRESS, other_agent, at(16, 10))
    with time_machine.travel(at(16, 11), tick=False):
        workflow.transition(
            ticket_id=t4.pk, to=Status.ON_HOLD, actor=other_agent, note="Which version?"
        )

    t5 = d.report(at(20, 9))
    d.take(t5, agent, at(20, 9.5))
    type(dee).objects.filter(pk=dee.pk).update(is_active=False)
    return t0, t1, t2, t3, t4, t5


@pytest.fixture
def november_report(desk):
    with time_machine.travel(at(30, 12), tick=False):
        return reports.build(NOVEMBER)


# --- CSAT -------------------------------------------------------------------------------------


def test_csat_counts_the_ratings_of_the_tickets_resolved_in_the_range(november_report):
    # T1 (5), T2 (2), T3 (4) were resolved for good in November; T0's rating, though given in
    # November, is of a ticket resolved in October.
    report = november_report
    assert (report.rated, report.satisfied) == (3, 2)
    assert report.csat_percent == pytest.approx(200 / 3)


def test_csat_by_basis_reported_counts_the_tickets_reported_in_the_range(desk):
    filters = reports.ReportFilters(start=date(2026, 10, 1), end=date(2026, 10, 31))
    with time_machine.travel(at(30, 12), tick=False):
        resolved_basis = reports.build(filters)
        reported = reports.build(
            reports.ReportFilters(start=filters.start, end=filters.end, basis="reported")
        )
    assert (resolved_basis.rated, resolved_basis.satisfied) == (1, 0)  # T0, 1 star
    assert (reported.rated, reported.csat_percent) == (1, 0.0)


def test_csat_per_week_follows_the_final_resolution(november_report):
    weeks = {week.monday: week for week in november_report.csat_weekly}
    # T1 resolved on the 2nd and T2 finally on the 4th: week of the 2nd; T3 on the 10th.
    assert (weeks[date(2026, 11, 2)].rated, weeks[date(2026, 11, 2)].satisfied) == (2, 1)
    assert weeks[date(2026, 11, 2)].percent == 50.0
    assert (weeks[date(2026, 11, 9)].rated, weeks[date(2026, 11, 9)].percent) == (1, 100.0)
    assert weeks[date(2026, 11, 16)].rated == 0 and weeks[date(2026, 11, 16)].percent is None
    assert min(weeks) == date(2026, 10, 26)  # the week holding the 1st


def test_csat_per_agent_service_and_priority(november_report, agent, other_agent, dee):
    def csat(by):
        return {
            row.key: (row.counts["rated"], row.counts["satisfied"], row.csat_percent)
            for row in november_report.breakdowns[by]
        }

    by_agent = csat("agent")
    assert by_agent[agent.pk] == (1, 1, 100.0)  # T1; T5 is not resolved
    assert by_agent[other_agent.pk] == (1, 1, 100.0)  # T3, rated under its agent now
    assert by_agent[dee.pk] == (1, 0, 0.0)
    by_priority = csat("priority")
    assert by_priority["normal"][:2] == (2, 2) and by_priority["high"][:2] == (1, 0)
    assert by_priority["low"] == (0, 0, None)
    assert [(rated, satisfied) for rated, satisfied, _p in csat("category").values()] == [(3, 2)]


def test_the_comments_list_the_newest_first_and_only_those_counted(desk):
    latest = satisfaction.latest_comments(NOVEMBER, shown=1)
    assert [r.comment for r in latest.ratings] == ["Slow"] and latest.more
    everything = satisfaction.latest_comments(NOVEMBER)
    assert [r.comment for r in everything.ratings] == ["Slow", "Great"]  # not T0's "Bad"
    assert not everything.more


def test_a_rating_is_kept_when_the_ticket_is_recomputed(desk):
    from tickets import metrics

    t1 = desk[1]
    metrics.refresh(ticket_ids=[t1.pk])
    assert TicketMetrics.objects.get(pk=t1.pk).rating == 5


def test_the_queue_shows_the_tickets_behind_the_csat_numbers(client, manager, desk):
    _t0, t1, t2, t3, _t4, _t5 = desk
    client.force_login(manager)
    with travelled(at(30, 12), client):
        report = reports.build(NOVEMBER)
        links = drill.links(report)
        rated = client.get(links["totals"]["rated"])
        satisfied = client.get(links["totals"]["satisfied"])
    assert {t.pk for t in rated.context["page"].tickets} == {t1.pk, t2.pk, t3.pk}
    assert {t.pk for t in satisfied.context["page"].tickets} == {t1.pk, t3.pk}


# --- Workload ---------------------------------------------------------------------------------


def test_workload_per_agent(november_report, agent, other_agent, dee, manager):
    rows = {row.agent_id: row for row in november_report.workload}
    # Alex took T1, T3 and T5; Bo took T4 and was given T3; Dee took T2 (reopened: once).
    assert rows[agent.pk].counts == {"assigned": 3, "resolved": 1, "replies": 1, "notes": 1}
    assert rows[other_agent.pk].counts == {"assigned": 2, "resolved": 1, "replies": 1, "notes": 0}
    assert rows[dee.pk].counts == {"assigned": 1, "resolved": 1, "replies": 1, "notes": 1}
    assert not rows[dee.pk].active and rows[agent.pk].active
    assert manager.pk not in rows  # reassigning is not work on the ticket
    assert rows[agent.pk].open_load == {"assigned": 1, "in_progress": 0, "on_hold": 0}
    assert rows[other_agent.pk].open_load == {"assigned": 0, "in_progress": 0, "on_hold": 1}
    assert rows[dee.pk].open_total == 0
    # Median first response of the tickets they hold: Alex T1 (1 h; T5 unanswered), Dee T2.
    assert rows[agent.pk].first_response_median == 1 * HOUR
    assert rows[dee.pk].first_response_median == 0.5 * HOUR


def test_workload_leaves_out_work_outside_the_range(desk, agent):
    october_only = reports.ReportFilters(start=date(2026, 10, 1), end=date(2026, 10, 31))
    with time_machine.travel(at(30, 12), tick=False):
        rows = {row.agent_id: row for row in workload.build(october_only)}
    assert rows[agent.pk].counts == {"assigned": 1, "resolved": 1, "replies": 1, "notes": 0}


def test_workload_of_one_agent_and_one_priority(desk, agent, other_agent):
    with time_machine.travel(at(30, 12), tick=False):
        mine = workload.build(
            reports.ReportFilters(start=NOVEMBER.start, end=NOVEMBER.end, assignee_id=agent.pk)
        )
        low = workload.build(
            reports.ReportFilters(start=NOVEMBER.start, end=NOVEMBER.end, priority="low")
        )
    assert [row.agent_id for row in mine] == [agent.pk]
    assert [(row.agent_id, row.counts["assigned"], row.open_total) for row in low] == [
        (other_agent.pk, 1, 1)
    ]


def _agents_at_work(count: int, customer, category) -> None:
    desk = Desk(customer, category)
    for i in range(count):
        person = user_create(
            email=f"agent{count}-{i}@example.com",
            display_name=f"Agent {i}",
            role=Role.AGENT,
            password=None,
        )
        ticket = desk.report(at(2 + i % 20, 9))
        desk.take(ticket, person, at(2 + i % 20, 9.5))
        desk.write(ticket, person, at(2 + i % 20, 10))
        desk.write(ticket, person, at(2 + i % 20, 10.5), internal=True)


@pytest.mark.parametrize("count", [3, 30])
def test_workload_takes_the_same_queries_however_many_agents(count, customer, category):
    _agents_at_work(count, customer, category)
    # assigned (one UNION), resolved, replies and notes, open load now, names
    with time_machine.travel(at(30, 12), tick=False), CaptureQueriesContext(connection) as captured:
        rows = workload.build(NOVEMBER)
    assert len(rows) == count
    assert len(captured) == 5
    assert all(row.counts["notes"] == 1 for row in rows)


# --- Page, CSVs ---------------------------------------------------------------------------------


def test_the_page_shows_csat_comments_and_workload(client, manager, desk, dee):
    client.force_login(manager)
    with travelled(at(30, 12), client):
        page = client.get(reverse("reports:report"), QUERY).content.decode()
    assert "Customer satisfaction" in page and "66.7" in page
    assert "Slow" in page and "Great" in page and "Bad" not in page
    assert "Workload and activity" in page
    assert f'<tr data-agent="{dee.pk}">' in page and "Dee Departed <span" in page


def test_all_comments_page_is_paginated(client, manager, desk, settings, monkeypatch):
    monkeypatch.setattr(satisfaction, "COMMENTS_PAGE_SIZE", 1)
    client.force_login(manager)
    url = reverse("reports:csat_comments")
    with travelled(at(30, 12), client):
        first = client.get(url, QUERY)
        second = client.get(url, {**QUERY, "page": 2})
        bad = client.get(url, {"start": "9999-12-31"})
    assert "Slow" in first.content.decode() and "Great" not in first.content.decode()
    assert "Great" in second.content.decode()
    assert bad.status_code == 400


def test_the_csvs_carry_csat_and_workload(client, manager, desk, agent, dee):
    client.force_login(manager)
    with travelled(at(30, 12), client):
        summary = b"".join(client.get(reverse("reports:summary_csv"), QUERY).streaming_content)
        tickets = b"".join(client.get(reverse("reports:tickets_csv"), QUERY).streaming_content)
        work = b"".join(client.get(reverse("reports:workload_csv"), QUERY).streaming_content)
    rows = {row[0]: row for row in csv.reader(io.StringIO(summary.decode()))}
    assert rows["csat_percent"][1:] == ["3", "", "", "", "66.7"]
    assert rows["csat_week:2026-11-02"][1] == "2" and rows["csat_week:2026-11-02"][5] == "50.0"
    ticket_rows = list(csv.DictReader(io.StringIO(tickets.decode())))
    assert {(r["rating"], r["rating_comment"]) for r in ticket_rows} >= {("5", "Great"), ("4", "")}
    work_rows = {int(r["agent_id"]): r for r in csv.DictReader(io.StringIO(work.decode()))}
    assert work_rows[agent.pk]["assigned"] == "3" and work_rows[agent.pk]["open_assigned"] == "1"
    assert work_rows[dee.pk]["active"] == "no" and work_rows[dee.pk]["internal_notes"] == "1"
    assert list(work_rows[agent.pk]) == csv_export.WORKLOAD_COLUMNS


@pytest.mark.parametrize("count", [3, 30])
def test_the_report_page_takes_the_same_queries_however_many_agents(
    count, client, manager, customer, category, django_assert_num_queries
):
    _agents_at_work(count, customer, category)
    client.force_login(manager)
    # as test_reports' count, plus: the weekly CSAT; workload: assigned, resolved, replies and
    # notes, open load, names; the newest comments
    expected = 2 + report_queries() + 7
    with travelled(at(30, 12), client), django_assert_num_queries(expected):
        client.get(reverse("reports:report"), QUERY)
