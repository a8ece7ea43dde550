"""The report summary through the API: the page's numbers, for managers only."""

import pytest
import time_machine

from tests.api.conftest import api_url
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
