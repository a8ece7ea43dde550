"""The report summary through the API: the page's numbers, for managers only."""

import pytest
import time_machine

from tests.api.conftest import api_url
from tests.conftest import travelled
from tests.report_queries import report_queries
from tests.tickets.conftest import NOVEMBER, at, life, november  # noqa: F401
from tickets import reports, sla_alerts

QUERY = {"start": "2026-11-01", "end": "2026-11-30"}


def test_a_manager_gets_the_same_numbers_as_the_page(api, manager, november):  # noqa: F811
    with time_machine.travel(at(30, 12), tick=False):
        sla_alerts.check()
        response = api(manager).get(api_url("report-summary"), QUERY)
        report = reports.build(NOVEMBER)
    assert response.status_code == 200
    data = response.json()
    assert (data["start"], data["end"], data["tickets"]) == ("2026-11-01", "2026-11-30", 4)
    resolution = data["durations"]["resolution"]
    assert resolution["median"] == report.durations["resolution"].median == 4 * 3600
    assert resolution["count"] == 3
    assert data["response_sla_percent"] == 75.0
    assert {"week": "2026-11-02", "reported": 3, "resolved": 3} in data["weekly"]
    assert "resolution" in data["definitions"]


@pytest.mark.parametrize("who", ["customer", "agent"])
def test_reports_do_not_exist_for_customers_and_agents(api, who, request):
    response = api(request.getfixturevalue(who)).get(api_url("report-summary"))
    assert response.status_code == 404


def test_anonymous_clients_must_sign_in(api, db):
    assert api().get(api_url("report-summary")).status_code in (401, 403)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-12-01", "end": "2026-11-01"}, "end"),
        ({"start": "yesterday"}, "start"),
        ({"priority": "extreme"}, "priority"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_report_parameters_are_named(api, manager, params, field):
    response = api(manager).get(api_url("report-summary"), params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


# --- Definitions, breakdowns and drill-down (issue 19) ----------------------------------------


def test_the_summary_has_the_breakdowns_and_links_to_the_tickets_behind_each_number(
    api,
    manager,
    november,  # noqa: F811
):
    client = api(manager)
    with time_machine.travel(at(30, 12), tick=False):
        data = client.get(api_url("report-summary"), QUERY).json()
        resolved = client.get(data["drill_down"]["resolved"]["api"] + "&page_size=100")
        [row] = data["breakdowns"]["agent"]
        by_agent = client.get(row["drill_down"]["reported"]["api"] + "&page_size=100")
    assert data["basis"] == "resolved" and data["counts"]["resolved"] == 3
    assert resolved.status_code == 200 and len(resolved.json()["results"]) == 3
    assert row["counts"]["reported"] == 4 and len(by_agent.json()["results"]) == 4
    assert row["wall"]["resolution"]["median"] == 4 * 3600
    assert data["durations"]["on_hold"]["count"] == 1 and data["held_percent"] == 25.0
    assert data["business_durations"]["resolution"]["count"] == 3
    assert {group["name"] for group in data["needs_attention"]} == {
        "breached",
        "soon",
        "reopened_twice",
        "waiting",
    }


def test_a_deactivated_agent_can_be_chosen(api, manager, agent, november):  # noqa: F811
    type(agent).objects.filter(pk=agent.pk).update(is_active=False)
    with time_machine.travel(at(30, 12), tick=False):
        response = api(manager).get(api_url("report-summary"), {**QUERY, "agent": agent.pk})
    assert response.status_code == 200 and response.json()["tickets"] == 4


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"end": "9999-12-31"}, "end"),
        ({"start": "0001-01-01", "end": "9998-12-31"}, "start"),
        ({"start": "2000-01-01", "end": "2026-11-30"}, "start"),
        ({"start": "31.12.2026"}, "start"),
        ({"basis": "closed"}, "basis"),
    ],
)
def test_days_are_refused_as_on_the_page(api, manager, params, field):
    response = api(manager).get(api_url("report-summary"), params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_blank_day_means_the_default_as_on_the_page(api, manager):
    with time_machine.travel(at(30, 12), tick=False):
        response = api(manager).get(api_url("report-summary"), {"start": "", "end": " "})
    assert response.status_code == 200 and response.json()["end"] == "2026-11-30"


# --- Satisfaction and workload (issue 19, items 4, 5 and 9) --------------------------------------

from tests.tickets.test_report_csat_workload import _agents_at_work, dee, desk  # noqa: E402, F401


def test_the_summary_has_csat_and_workload_as_on_the_page(api, manager, desk, agent, dee):  # noqa: F811
    with time_machine.travel(at(30, 12), tick=False):
        data = api(manager).get(api_url("report-summary"), QUERY).json()
    csat = data["csat"]
    assert (csat["rated"], csat["satisfied"]) == (3, 2)
    assert csat["percent"] == pytest.approx(200 / 3)
    week = next(w for w in csat["weekly"] if w["week"] == "2026-11-02")
    assert (week["rated"], week["satisfied"], week["percent"]) == (2, 1, 50.0)
    assert [c["comment"] for c in csat["comments"]] == ["Slow", "Great"]
    assert csat["comments"][0]["agent"] == "Dee Departed" and not csat["comments_more"]
    assert csat["all_comments"].startswith("/reports/satisfaction/comments/?start=2026-11-01")
    assert data["counts"]["rated"] == 3 and "rated" in data["drill_down"]
    by_agent = {row["key"]: row for row in data["breakdowns"]["agent"]}
    assert by_agent[str(agent.pk)]["csat_percent"] == 100.0
    assert "csat" in data["definitions"] and "workload" in data["definitions"]
    work = {row["agent"]: row for row in data["workload"]}
    assert work[agent.pk]["counts"] == {"assigned": 3, "resolved": 1, "replies": 1, "notes": 1}
    assert work[agent.pk]["open_load"] == {"assigned": 1, "in_progress": 0, "on_hold": 0}
    assert work[agent.pk]["first_response_median"] == 3600
    assert f"assignee={agent.pk}" in work[agent.pk]["drill_down"]["assigned"]
    assert work[dee.pk]["active"] is False


@pytest.mark.parametrize("count", [3, 30])
def test_the_summary_takes_the_same_queries_however_many_agents(
    count, api, manager, customer, category, django_assert_num_queries
):
    _agents_at_work(count, customer, category)
    client = api(manager)
    # As the report page (test_reports), less the filter form's two lists: the session and
    # user, the report with CSAT per week and workload (assigned, resolved, replies and notes,
    # open load, names), needs attention (three counts and a list), the newest comments
    expected = 2 + report_queries() + 5
    with travelled(at(30, 12), client), django_assert_num_queries(expected):
        response = client.get(api_url("report-summary"), QUERY)
    assert response.status_code == 200 and len(response.json()["workload"]) == count
