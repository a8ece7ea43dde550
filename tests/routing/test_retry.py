"""The periodic retry: waiting tickets are offered again when the change that should have
made room was missed (a worker that died after its commit, a capacity changed around the
services); bounded in size and time; two beat processes at once overfill nobody."""

from collections import Counter

import pytest
from django.conf import settings

from accounts.models import User
from tests.concurrency import race
from tickets import routing, tasks, teams
from tickets.models import Team, Ticket
from tickets.status import Status


def waiting_behind_a_full_agent(*, make_team, category, agent, manager, report, count):
    """`count` tickets waiting in Alex's team, Alex at capacity 0; then room made for them
    around the services (no offer made): only the retry can assign them now."""
    make_team(members=[agent], category=category, capacity=10)
    teams.capacity_set(agent=agent, capacity=0, by=manager)
    tickets = [report(category, subject=f"VPN {n}") for n in range(count)]
    User.objects.filter(pk=agent.pk).update(capacity=None)  # missed: nobody offered
    return tickets


@pytest.mark.django_db
def test_the_retry_assigns_what_a_missed_change_left_waiting(
    make_team, category, agent, manager, report
):
    tickets = waiting_behind_a_full_agent(
        make_team=make_team, category=category, agent=agent, manager=manager, report=report, count=3
    )
    assert Ticket.objects.filter(status=Status.OPEN).count() == 3
    assert routing.retry_waiting() == 3
    assert {t.assignee_id for t in Ticket.objects.filter(pk__in=[t.pk for t in tickets])} == {
        agent.pk
    }


@pytest.mark.django_db
def test_the_retry_is_bounded_in_size(make_team, category, agent, manager, report):
    waiting_behind_a_full_agent(
        make_team=make_team, category=category, agent=agent, manager=manager, report=report, count=5
    )
    assert routing.retry_waiting(limit=2) == 2
    assert Ticket.objects.filter(status=Status.OPEN).count() == 3
    assert routing.retry_waiting(limit=2) == 2  # the next run goes on


@pytest.mark.django_db
def test_the_retry_is_bounded_in_time(make_team, category, agent, manager, report):
    waiting_behind_a_full_agent(
        make_team=make_team, category=category, agent=agent, manager=manager, report=report, count=2
    )
    assert routing.retry_waiting(seconds=0) == 0  # its time is up before the first team
    assert Ticket.objects.filter(status=Status.OPEN).count() == 2


@pytest.mark.django_db
def test_the_retry_leaves_teams_without_routing_alone(make_team, category, agent, report):
    make_team(members=[agent], category=category, strategy=Team.Strategy.OFF)
    report(category)
    assert routing.retry_waiting() == 0
    assert Ticket.objects.filter(status=Status.OPEN).count() == 1


@pytest.mark.django_db
def test_the_retry_never_overfills_an_agent(make_team, category, agent, manager, report):
    waiting_behind_a_full_agent(
        make_team=make_team, category=category, agent=agent, manager=manager, report=report, count=4
    )
    teams.capacity_set(agent=agent, capacity=0, by=manager)
    User.objects.filter(pk=agent.pk).update(capacity=2)
    assert routing.retry_waiting() == 2
    assert Ticket.objects.filter(assignee=agent).count() == 2


@pytest.mark.django_db
def test_the_beat_task_runs_the_retry_every_two_minutes(
    make_team, category, agent, manager, report
):
    waiting_behind_a_full_agent(
        make_team=make_team, category=category, agent=agent, manager=manager, report=report, count=1
    )
    entry = settings.CELERY_BEAT_SCHEDULE["retry-routing"]
    assert entry["task"] == tasks.routing_retry.name
    assert tasks.routing_retry.delay().get() == 1


@pytest.mark.django_db(transaction=True)
def test_two_beat_processes_retrying_at_once_overfill_nobody(
    postgres, make_team, make_agent, category, manager, report
):
    people = [make_agent() for _ in range(3)]
    make_team(members=people, category=category, capacity=10)
    for person in people:
        teams.capacity_set(agent=person, capacity=0, by=manager)
    for n in range(12):
        report(category, subject=f"VPN {n}")
    User.objects.filter(pk__in=[p.pk for p in people]).update(capacity=3)  # missed

    results = race(routing.retry_waiting, routing.retry_waiting)

    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 9
    per_agent = Counter(Ticket.objects.exclude(assignee=None).values_list("assignee_id", flat=True))
    assert sorted(per_agent.values()) == [3, 3, 3]
    assert Ticket.objects.filter(status=Status.OPEN).count() == 3
