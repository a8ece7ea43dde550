"""The team pages (managers), the header's availability switch, the queue's "My teams" and
team filter, and the load shown in the manager's assignment dropdown."""

import pytest
from django.urls import reverse

from accounts.models import Availability
from tickets import services, teams
from tickets.models import Team, Ticket
from tickets.status import Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def mia(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def alex(client, agent):
    client.force_login(agent)
    return client


def test_a_manager_creates_a_team_from_the_page(mia, agent, other_agent):
    response = mia.post(
        reverse("agent:team_new"),
        {
            "name": "Network",
            "members": [agent.pk, other_agent.pk],
            "strategy": "least_loaded",
            "default_capacity": "5",
        },
    )
    team = Team.objects.get(name="Network")
    assert response.status_code == 302
    assert set(team.members.all()) == {agent, other_agent}
    assert (team.strategy, team.default_capacity, team.restricted) == ("least_loaded", 5, False)


def test_a_refused_team_form_keeps_what_was_typed(mia, make_team):
    make_team("Network")
    response = mia.post(
        reverse("agent:team_new"),
        {"name": "network", "strategy": "round_robin", "default_capacity": "0"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="network"' in page
    assert "greater than or equal to 1" in page


def test_a_duplicate_name_is_refused_on_the_form(mia, make_team):
    make_team("Network")
    response = mia.post(
        reverse("agent:team_new"),
        {"name": "NETWORK", "strategy": "off", "default_capacity": "3"},
    )
    assert response.status_code == 400
    assert "exists already" in response.content.decode()


def test_a_manager_edits_strategy_and_members(mia, make_team, agent, other_agent):
    team = make_team(members=[agent], strategy=Team.Strategy.OFF)
    response = mia.post(
        reverse("agent:team_detail", args=[team.pk]),
        {
            "name": "Network",
            "members": [other_agent.pk],
            "strategy": "round_robin",
            "default_capacity": "7",
            "restricted": "on",
        },
    )
    assert response.status_code == 302
    team.refresh_from_db()
    assert list(team.members.all()) == [other_agent]
    assert (team.strategy, team.default_capacity, team.restricted) == ("round_robin", 7, True)


def test_the_team_page_shows_each_members_load(mia, make_team, category, agent, report):
    make_team(members=[agent], category=category)
    ticket = report(category)
    services.ticket_act(ticket_id=ticket.pk, action="start", actor=agent)
    report(category)
    team = Team.objects.get()
    response = mia.get(reverse("agent:team_detail", args=[team.pk]))
    rows = {row.agent: row for row in response.context["rows"]}
    assert (rows[agent].load.assigned, rows[agent].load.in_progress) == (1, 1)
    assert rows[agent].spare == 8


@pytest.mark.parametrize("members", [1, 12])
def test_the_team_pages_take_the_same_queries_however_many_members(
    members, mia, make_team, make_agent, category, report, django_assert_num_queries
):
    team = make_team(members=[make_agent() for _ in range(members)], category=category)
    for _ in range(members):
        report(category)
    make_team("Billing", members=[make_agent()])
    # session, user, teams (+waiting count), their members, their services
    with django_assert_num_queries(5):
        mia.get(reverse("agent:teams"))
    # session, user, team, members, their loads, waiting count, the team's services, the
    # form's agents and services
    with django_assert_num_queries(9):
        mia.get(reverse("agent:team_detail", args=[team.pk]))


def test_a_manager_sets_an_agents_capacity_on_the_team_page(mia, make_team, agent):
    team = make_team(members=[agent])
    url = reverse("agent:agent_capacity", args=[team.pk, agent.pk])
    assert mia.post(url, {"capacity": "3"}).status_code == 302
    agent.refresh_from_db()
    assert agent.capacity == 3
    mia.post(url, {"capacity": ""})
    agent.refresh_from_db()
    assert agent.capacity is None
    mia.post(url, {"capacity": "-1"})
    agent.refresh_from_db()
    assert agent.capacity is None


def test_capacity_of_someone_not_in_the_team_is_404(mia, make_team, agent, other_agent):
    team = make_team(members=[agent])
    url = reverse("agent:agent_capacity", args=[team.pk, other_agent.pk])
    assert mia.post(url, {"capacity": "3"}).status_code == 404


def test_agents_never_reach_the_team_pages(alex, make_team):
    team = make_team()
    assert alex.get(reverse("agent:teams")).status_code == 404
    assert alex.get(reverse("agent:team_detail", args=[team.pk])).status_code == 404


def test_an_agent_sets_their_availability_from_the_header_without_javascript(alex, agent):
    page = alex.get(reverse("agent:queue")).content.decode()
    assert 'name="availability"' in page and reverse("agent:availability") in page
    response = alex.post(
        reverse("agent:availability"), {"availability": "away", "next": "/agent/?view=mine"}
    )
    assert response.status_code == 302 and response["Location"] == "/agent/?view=mine"
    agent.refresh_from_db()
    assert agent.availability == Availability.AWAY


def test_availability_goes_back_only_to_this_site(alex, agent):
    response = alex.post(
        reverse("agent:availability"), {"availability": "off", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("agent:queue")


def test_an_unknown_availability_changes_nothing(alex, agent):
    response = alex.post(reverse("agent:availability"), {"availability": "asleep"})
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.availability == Availability.AVAILABLE


def test_my_teams_shows_the_tickets_of_my_teams(alex, make_team, category, agent, report, customer):
    make_team(members=[agent], strategy=Team.Strategy.OFF, category=category)
    mine = report(category, subject="Team ticket")
    services.ticket_create(customer=customer, subject="Other", description="x", created_by=customer)
    response = alex.get(reverse("agent:queue"), {"view": "my_teams"})
    assert [t.pk for t in response.context["page"].tickets] == [mine.pk]


def test_the_queue_filters_by_team(alex, make_team, category, agent, report, customer):
    team = make_team(strategy=Team.Strategy.OFF, category=category)
    ticket = report(category)
    services.ticket_create(customer=customer, subject="Other", description="x", created_by=customer)
    response = alex.get(reverse("agent:queue"), {"view": "open", "team": team.pk})
    assert [t.pk for t in response.context["page"].tickets] == [ticket.pk]


def test_the_manager_sees_each_agents_load_in_the_assignment_dropdown(
    mia, make_ticket, agent, other_agent
):
    make_ticket(Status.IN_PROGRESS)  # Alex's
    open_ticket = make_ticket(Status.OPEN)
    page = mia.get(reverse("agent:ticket_detail", args=[open_ticket.pk])).content.decode()
    assert "Alex Agent — 0 assigned, 1 in progress, 0 on hold" in page
    assert "Bo Agent — 0 assigned, 0 in progress, 0 on hold" in page


def test_an_agent_away_is_marked_in_the_managers_dropdown(mia, make_ticket, agent):
    teams.availability_set(agent=agent, availability=Availability.AWAY)
    page = mia.get(reverse("agent:ticket_detail", args=[make_ticket().pk])).content.decode()
    assert "Alex Agent — 0 assigned, 0 in progress, 0 on hold (Away)" in page


# --- Restricted teams --------------------------------------------------------------------


def test_a_restricted_teams_ticket_is_404_to_agents_outside_it(
    client, make_team, category, agent, other_agent, manager, report
):
    make_team(members=[agent], restricted=True, strategy=Team.Strategy.OFF, category=category)
    ticket = report(category)
    url = reverse("agent:ticket_detail", args=[ticket.pk])
    for person, expected in ((agent, 200), (manager, 200), (other_agent, 404)):
        client.force_login(person)
        assert client.get(url).status_code == expected
    client.force_login(other_agent)
    queue = client.get(reverse("agent:queue"), {"view": "all"})
    assert ticket.pk not in [t.pk for t in queue.context["page"].tickets]
    take = reverse("agent:ticket_action", args=[ticket.pk])
    assert client.post(take, {"action": "take", "version": 1}).status_code == 404
    bulk = client.post(reverse("agent:bulk"), {"tickets": [ticket.pk], "action": "take"})
    assert bulk.status_code in (200, 302)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.OPEN


def test_the_team_filter_offers_an_agent_only_teams_they_may_see(
    alex, make_team, other_agent, agent
):
    make_team("Open team")
    make_team("Secret", members=[other_agent], restricted=True)
    make_team("Mine", members=[agent], restricted=True)
    choices = [
        label
        for _v, label in alex.get(reverse("agent:queue")).context["form"].fields["team"].choices
    ]
    assert choices[1:] == ["Mine", "Open team"]


def test_a_manager_gives_a_team_its_services_on_the_team_page(mia, make_team, category, report):
    other = make_team("Billing", category=category, strategy=Team.Strategy.OFF)
    network = make_team("Network", strategy=Team.Strategy.OFF)
    response = mia.post(
        reverse("agent:team_detail", args=[network.pk]),
        {
            "name": "Network",
            "services": [category.pk],
            "strategy": "off",
            "default_capacity": "10",
        },
    )
    assert response.status_code == 302
    category.refresh_from_db()
    assert category.default_team == network  # taken from Billing
    assert report(category).team == network
    page = mia.get(reverse("agent:teams")).content.decode()
    assert category.name in page
    unchecked = mia.post(
        reverse("agent:team_detail", args=[network.pk]),
        {"name": "Network", "strategy": "off", "default_capacity": "10"},
    )
    assert unchecked.status_code == 302
    category.refresh_from_db()
    assert category.default_team is None
    assert other.categories.count() == 0


def test_an_unknown_service_is_refused_on_the_team_form(mia, make_team):
    team = make_team("Network")
    response = mia.post(
        reverse("agent:team_detail", args=[team.pk]),
        {"name": "Network", "services": ["999999"], "strategy": "off", "default_capacity": "1"},
    )
    assert response.status_code == 400
