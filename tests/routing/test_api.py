"""/api/v1/teams/: staff read, managers write; tickets carry their team and filter by it."""

import pytest
from rest_framework.test import APIClient

from tickets.models import Team

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_manager_creates_and_changes_a_team(manager, agent, other_agent):
    created = api(manager).post(
        "/api/v1/teams/",
        {
            "name": "Network",
            "members": [agent.pk],
            "strategy": "least_loaded",
            "default_capacity": 4,
            "restricted": False,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    team_id = created.json()["id"]
    changed = api(manager).patch(
        f"/api/v1/teams/{team_id}/", {"members": [agent.pk, other_agent.pk]}, format="json"
    )
    assert changed.status_code == 200
    body = changed.json()
    assert [m["display_name"] for m in body["members"]] == ["Alex Agent", "Bo Agent"]
    assert body["members"][0]["load"] == {
        "assigned": 0,
        "in_progress": 0,
        "on_hold": 0,
        "due_soon": 0,
    }
    assert body["members"][0]["capacity"] == 4
    assert Team.objects.get().strategy == "least_loaded"


def test_an_agent_reads_teams_but_cannot_change_them(agent, make_team):
    team = make_team()
    assert api(agent).get("/api/v1/teams/").status_code == 200
    refused = api(agent).patch(f"/api/v1/teams/{team.pk}/", {"name": "X"}, format="json")
    assert refused.status_code == 403


def test_a_customer_finds_no_teams(customer, make_team):
    team = make_team()
    assert api(customer).get("/api/v1/teams/").status_code == 404
    assert api(customer).get(f"/api/v1/teams/{team.pk}/").status_code == 404


def test_an_agent_outside_a_restricted_team_does_not_see_it(agent, other_agent, make_team):
    secret = make_team("Secret", members=[other_agent], restricted=True)
    listed = [t["name"] for t in api(agent).get("/api/v1/teams/").json()]
    assert "Secret" not in listed
    assert api(agent).get(f"/api/v1/teams/{secret.pk}/").status_code == 404
    assert api(other_agent).get(f"/api/v1/teams/{secret.pk}/").status_code == 200


def test_bad_team_input_is_a_400_with_reasons(manager, make_team):
    make_team("Network")
    response = api(manager).post(
        "/api/v1/teams/",
        {
            "name": "network",
            "members": [999999],
            "strategy": "random",
            "default_capacity": 0,
            "restricted": "no",
            "colour": "red",
        },
        format="json",
    )
    assert response.status_code == 400
    # Shapes first: unknown fields and bad values are named together; the name and the
    # members are checked once the shape is right.
    assert set(response.json()["errors"]) == {
        "strategy",
        "default_capacity",
        "restricted",
        "colour",
    }


def test_tickets_carry_their_team_and_filter_by_it(agent, make_team, category, report):
    team = make_team(strategy=Team.Strategy.OFF, category=category)
    ticket = report(category)
    listed = api(agent).get("/api/v1/tickets/", {"view": "open", "team": team.pk}).json()
    assert [row["id"] for row in listed["results"]] == [ticket.pk]
    assert listed["results"][0]["team"] == team.pk


def test_a_restricted_teams_ticket_is_404_in_the_api_to_an_outsider(
    agent, other_agent, make_team, category, report
):
    make_team(members=[agent], restricted=True, strategy=Team.Strategy.OFF, category=category)
    ticket = report(category)
    assert api(other_agent).get(f"/api/v1/tickets/{ticket.pk}/").status_code == 404
    assert api(agent).get(f"/api/v1/tickets/{ticket.pk}/").status_code == 200
    taken = api(other_agent).post(f"/api/v1/tickets/{ticket.pk}/take/", {}, format="json")
    assert taken.status_code == 404


def test_the_team_list_takes_the_same_queries_however_many_teams(
    manager, make_team, make_agent, django_assert_num_queries
):
    for n in range(5):
        make_team(f"T{n}", members=[make_agent(), make_agent()])
    client = api(manager)
    with django_assert_num_queries(3):  # teams, their members, their services
        client.get("/api/v1/teams/")


def test_a_manager_gives_a_team_its_services_through_the_api(manager, make_team, category):
    team = make_team("Network")
    changed = api(manager).patch(
        f"/api/v1/teams/{team.pk}/", {"services": [category.pk]}, format="json"
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["services"] == [category.pk]
    category.refresh_from_db()
    assert category.default_team == team
    listed = api(manager).get("/api/v1/teams/").json()
    assert listed[0]["services"] == [category.pk]
    api(manager).patch(f"/api/v1/teams/{team.pk}/", {"name": "Net"}, format="json")
    category.refresh_from_db()
    assert category.default_team == team  # omitted: unchanged


@pytest.mark.parametrize("services", [[999999], ["x"], [0], "1"])
def test_unknown_services_are_a_400_and_change_nothing(manager, make_team, category, services):
    team = make_team("Network")
    response = api(manager).patch(
        f"/api/v1/teams/{team.pk}/", {"services": services}, format="json"
    )
    assert response.status_code == 400
    category.refresh_from_db()
    assert category.default_team is None
