"""/api/v1/agents/ (managers: loads, capacity) and /api/v1/me/availability/ (staff): the
same rules and the same offers as the pages."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Availability
from tickets import services, teams
from tickets.models import Ticket
from tickets.status import Status

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_manager_sees_each_agents_load_capacity_and_teams(
    manager, agent, other_agent, make_team, category, report
):
    team = make_team(members=[agent], category=category, capacity=4)
    report(category)
    ticket = report(category)
    services.ticket_act(ticket_id=ticket.pk, action="start", actor=agent)
    rows = {row["id"]: row for row in api(manager).get("/api/v1/agents/").json()}
    assert rows[agent.pk] == {
        "id": agent.pk,
        "display_name": "Alex Agent",
        "role": "agent",
        "availability": "available",
        "capacity": None,
        "teams": [team.pk],
        "load": {"assigned": 1, "in_progress": 1, "on_hold": 0, "due_soon": 0},
    }
    assert rows[other_agent.pk]["load"] == {
        "assigned": 0,
        "in_progress": 0,
        "on_hold": 0,
        "due_soon": 0,
    }
    assert set(rows) == {agent.pk, other_agent.pk, manager.pk}


def test_the_agent_list_takes_the_same_queries_however_many_agents(
    manager, make_agent, make_team, django_assert_num_queries
):
    make_team(members=[make_agent() for _ in range(6)])
    # the agents, their teams, their loads
    with django_assert_num_queries(3):
        assert len(api(manager).get("/api/v1/agents/").json()) == 7  # and Mia


def test_raising_a_capacity_through_the_api_assigns_what_waits(
    manager, agent, make_team, category, report
):
    make_team(members=[agent], category=category, capacity=1)
    first, second = report(category), report(category)
    assert Ticket.objects.get(pk=second.pk).status == Status.OPEN
    response = api(manager).patch(f"/api/v1/agents/{agent.pk}/", {"capacity": 2}, format="json")
    assert response.status_code == 200
    assert response.json()["capacity"] == 2
    assert response.json()["load"]["assigned"] == 2
    assert Ticket.objects.get(pk=first.pk).assignee == agent


def test_null_capacity_goes_back_to_the_teams_default(manager, agent):
    teams.capacity_set(agent=agent, capacity=3, by=manager)
    response = api(manager).patch(f"/api/v1/agents/{agent.pk}/", {"capacity": None}, format="json")
    assert response.json()["capacity"] is None


@pytest.mark.parametrize(
    "body", [{"capacity": -1}, {"capacity": 1001}, {"capacity": "x"}, {}, {"capacity": 1, "x": 1}]
)
def test_bad_capacities_are_a_400_and_change_nothing(manager, agent, body):
    response = api(manager).patch(f"/api/v1/agents/{agent.pk}/", body, format="json")
    assert response.status_code == 400
    agent.refresh_from_db()
    assert agent.capacity is None


def test_a_customer_is_no_agent_to_set_a_capacity_for(manager, customer):
    response = api(manager).patch(f"/api/v1/agents/{customer.pk}/", {"capacity": 1}, format="json")
    assert response.status_code == 404


def test_going_away_pauses_assignment_and_coming_back_resumes_it(
    agent, make_team, category, report
):
    make_team(members=[agent], category=category)
    away = api(agent).put("/api/v1/me/availability/", {"availability": "away"}, format="json")
    assert away.status_code == 200 and away.json()["availability"] == "away"
    waiting = report(category)
    assert Ticket.objects.get(pk=waiting.pk).status == Status.OPEN
    back = api(agent).put("/api/v1/me/availability/", {"availability": "available"}, format="json")
    assert back.status_code == 200
    assert Ticket.objects.get(pk=waiting.pk).assignee == agent


def test_going_off_pauses_assignment(agent, make_team, category, report):
    make_team(members=[agent], category=category)
    api(agent).put("/api/v1/me/availability/", {"availability": "off"}, format="json")
    agent.refresh_from_db()
    assert agent.availability == Availability.OFF
    assert Ticket.objects.get(pk=report(category).pk).status == Status.OPEN


@pytest.mark.parametrize("body", [{"availability": "asleep"}, {}, {"availability": None}])
def test_a_bad_availability_is_a_400(agent, body):
    response = api(agent).put("/api/v1/me/availability/", body, format="json")
    assert response.status_code == 400
    agent.refresh_from_db()
    assert agent.availability == Availability.AVAILABLE
