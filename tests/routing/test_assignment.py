"""Automatic assignment: a new ticket goes to the member of its team with most room, waits
when everyone is full, and is given out the moment someone makes room or comes back."""

import pytest

from accounts.models import Availability
from tickets import routing, services, teams, workflow
from tickets.errors import AssigneeInvalid
from tickets.models import Team, Ticket
from tickets.status import Status

pytestmark = pytest.mark.django_db


def _fresh(ticket):
    return Ticket.objects.get(pk=ticket.pk)


def _work(ticket, agent):
    workflow.transition(ticket_id=ticket.pk, to=Status.IN_PROGRESS, actor=agent)


def test_a_new_ticket_goes_to_the_team_member_with_most_room(
    make_team, category, agent, other_agent, report
):
    make_team(members=[agent, other_agent], category=category)
    first = _fresh(report(category))
    second = _fresh(report(category))
    assert first.status == second.status == Status.ASSIGNED
    assert {first.assignee, second.assignee} == {agent, other_agent}
    assert first.team_id == category.default_team_id


def test_the_history_names_the_system_and_the_rule_that_chose(make_team, category, agent, report):
    team = make_team(members=[agent], category=category)
    ticket = report(category)
    entry = ticket.history.get(to_status=Status.ASSIGNED)
    assert entry.actor is None
    assert entry.assignee == agent
    assert entry.rule == f"routing:least_loaded:team={team.pk}"
    assert "least loaded" in entry.note and "Network" in entry.note
    assert entry.note_public is False  # staff read why; the customer's timeline does not


def test_a_team_with_routing_off_leaves_tickets_to_people(make_team, category, agent, report):
    make_team(members=[agent], strategy=Team.Strategy.OFF, category=category)
    assert _fresh(report(category)).status == Status.OPEN


def test_a_ticket_of_no_team_waits_for_a_person(make_team, category, agent, report):
    make_team(members=[agent])
    assert _fresh(report(category)).status == Status.OPEN


def test_least_loaded_evens_out_the_load(make_team, category, make_agent, report):
    people = [make_agent() for _ in range(3)]
    make_team(members=people, category=category)
    for _ in range(9):
        report(category)
    loads = teams.loads()
    assert [loads[p.pk].assigned for p in people] == [3, 3, 3]


def test_round_robin_takes_turns_whatever_the_load(
    make_team, category, make_agent, report, customer
):
    a, b = make_agent(), make_agent()
    make_team(members=[a, b], strategy=Team.Strategy.ROUND_ROBIN, category=category)
    # b already carries two tickets taken by hand: round robin still alternates.
    for _ in range(2):
        ticket = services.ticket_create(
            customer=customer, subject="x", description="y", created_by=customer
        )
        services.ticket_take(ticket_id=ticket.pk, agent=b)
    order = [_fresh(report(category)).assignee for _ in range(4)]
    assert order[0] != order[1] and order[0] == order[2] and order[1] == order[3]


def test_nobody_is_given_more_than_their_capacity_the_rest_wait(
    make_team, category, agent, other_agent, report
):
    make_team(members=[agent, other_agent], capacity=2, category=category)
    tickets = [report(category) for _ in range(6)]
    loads = teams.loads()
    assert loads[agent.pk].counted == loads[other_agent.pk].counted == 2
    assert sum(_fresh(t).status == Status.OPEN for t in tickets) == 2


def test_an_agents_own_capacity_beats_the_teams_default(
    make_team, category, agent, other_agent, manager, report
):
    make_team(members=[agent, other_agent], capacity=1, category=category)
    teams.capacity_set(agent=agent, capacity=3, by=manager)
    for _ in range(5):
        report(category)
    loads = teams.loads()
    assert (loads[agent.pk].counted, loads[other_agent.pk].counted) == (3, 1)


def test_a_waiting_ticket_is_assigned_the_moment_someone_resolves_one(
    make_team, category, agent, report
):
    make_team(members=[agent], capacity=1, category=category)
    first, waiting = report(category), report(category)
    assert _fresh(waiting).status == Status.OPEN
    _work(first, agent)
    workflow.transition(ticket_id=first.pk, to=Status.RESOLVED, actor=agent, note="Fixed.")
    assert _fresh(waiting).assignee == agent


def test_a_ticket_on_hold_still_counts_so_its_return_never_overfills(
    make_team, category, agent, report
):
    make_team(members=[agent], capacity=1, category=category)
    first, waiting = report(category), report(category)
    _work(first, agent)
    workflow.transition(ticket_id=first.pk, to=Status.ON_HOLD, actor=agent, note="Which client?")
    assert _fresh(waiting).status == Status.OPEN
    workflow.transition(ticket_id=first.pk, to=Status.RESOLVED, actor=agent, note="Fixed.")
    assert _fresh(waiting).assignee == agent


def test_closing_a_ticket_makes_room(make_team, category, agent, manager, report):
    make_team(members=[agent], capacity=1, category=category)
    first, waiting = report(category), report(category)
    workflow.transition(ticket_id=first.pk, to=Status.CLOSED, actor=manager, note="Duplicate")
    assert _fresh(waiting).assignee == agent


def test_the_most_pressing_waiting_ticket_goes_first(make_team, category, agent, report, manager):
    make_team(members=[agent], capacity=1, category=category)
    first = report(category)
    normal = report(category, subject="normal")
    urgent = services.ticket_create(
        customer=first.customer,
        subject="urgent",
        description="Down",
        created_by=manager,
        category=category,
        priority="urgent",
    )
    _work(first, agent)
    workflow.transition(ticket_id=first.pk, to=Status.RESOLVED, actor=agent, note="Fixed.")
    assert _fresh(urgent).assignee == agent
    assert _fresh(normal).status == Status.OPEN


def test_an_agent_away_is_skipped_and_given_what_waits_when_back(
    make_team, category, agent, report
):
    make_team(members=[agent], category=category)
    teams.availability_set(agent=agent, availability=Availability.AWAY)
    ticket = report(category)
    assert _fresh(ticket).status == Status.OPEN
    teams.availability_set(agent=agent, availability=Availability.AVAILABLE)
    assert _fresh(ticket).assignee == agent


def test_an_agent_off_gets_nothing(make_team, category, agent, other_agent, report):
    make_team(members=[agent, other_agent], category=category)
    teams.availability_set(agent=agent, availability=Availability.OFF)
    assert {_fresh(report(category)).assignee for _ in range(3)} == {other_agent}


def test_a_deactivated_member_gets_nothing(make_team, category, agent, other_agent, report):
    make_team(members=[agent, other_agent], category=category)
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    assert {_fresh(report(category)).assignee for _ in range(2)} == {other_agent}


def test_an_unassigned_ticket_is_offered_to_someone_else(
    make_team, category, agent, other_agent, report
):
    make_team(members=[agent, other_agent], category=category)
    ticket = _fresh(report(category))
    first = ticket.assignee
    workflow.transition(ticket_id=ticket.pk, to=Status.OPEN, actor=first)
    ticket = _fresh(ticket)
    assert ticket.status == Status.ASSIGNED
    assert ticket.assignee != first


def test_an_unassigned_ticket_nobody_else_can_take_waits_rather_than_bouncing_back(
    make_team, category, agent, report
):
    make_team(members=[agent], category=category)
    ticket = report(category)
    workflow.transition(ticket_id=ticket.pk, to=Status.OPEN, actor=agent)
    assert _fresh(ticket).status == Status.OPEN


def test_adding_a_member_gives_them_what_waits(
    make_team, category, agent, other_agent, report, manager
):
    team = make_team(members=[agent], capacity=1, category=category)
    report(category)
    waiting = report(category)
    teams.team_save(
        by=manager,
        team=team,
        name=team.name,
        members=[agent, other_agent],
        strategy=team.strategy,
        default_capacity=1,
        restricted=False,
    )
    assert _fresh(waiting).assignee == other_agent


def test_reassigning_away_makes_room_for_a_waiting_ticket(
    make_team, category, agent, other_agent, manager, report
):
    make_team(members=[agent], capacity=1, category=category)
    first, waiting = report(category), report(category)
    services.ticket_assign(ticket_id=first.pk, assignee=other_agent, actor=manager)
    assert _fresh(waiting).assignee == agent


def test_routing_is_quiet_without_teams(category, report, django_assert_num_queries):
    ticket = report(category)
    with django_assert_num_queries(0):  # a ticket of no team costs routing no query
        assert routing.offer_locked(ticket=ticket) is None


def test_a_restricted_teams_ticket_cannot_go_to_an_outsider(
    make_team, category, agent, other_agent, manager, report
):
    make_team(members=[agent], restricted=True, strategy=Team.Strategy.OFF, category=category)
    ticket = report(category)
    with pytest.raises(AssigneeInvalid):
        services.ticket_assign(ticket_id=ticket.pk, assignee=other_agent, actor=manager)
    with pytest.raises(AssigneeInvalid):
        services.ticket_take(ticket_id=ticket.pk, agent=other_agent)
    services.ticket_assign(ticket_id=ticket.pk, assignee=agent, actor=manager)
    with pytest.raises(AssigneeInvalid):
        services.ticket_assign(ticket_id=ticket.pk, assignee=other_agent, actor=manager)
