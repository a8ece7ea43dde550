"""Tickets arriving at the same instant never overfill an agent: 50 tickets created in
parallel, each on its own PostgreSQL connection, against 5 agents of capacity 10."""

from collections import Counter

import pytest

from tests.concurrency import race
from tickets import services
from tickets.models import Ticket
from tickets.status import Status

pytestmark = pytest.mark.django_db(transaction=True)


def arrivals(count, *, customer, category):
    """`count` customers' tickets to report at the same instant (tests/concurrency.race)."""

    def arrive(n):
        return lambda: services.ticket_create(
            customer=customer,
            subject=f"VPN {n}",
            description="Down",
            created_by=customer,
            category=category,
        )

    return [arrive(n) for n in range(count)]


def test_fifty_tickets_at_once_fill_five_agents_exactly_to_capacity(
    postgres, make_team, make_agent, category, customer
):
    people = [make_agent() for _ in range(5)]
    make_team(members=people, capacity=10, category=category)

    results = race(*arrivals(50, customer=customer, category=category))

    assert all(isinstance(r, Ticket) for r in results), [
        r for r in results if not isinstance(r, Ticket)
    ]
    tickets = Ticket.objects.filter(pk__in=[r.pk for r in results])
    assert set(tickets.values_list("status", flat=True)) == {Status.ASSIGNED}
    per_agent = Counter(tickets.values_list("assignee_id", flat=True))
    assert sorted(per_agent.values()) == [10] * 5
    assert set(per_agent) == {p.pk for p in people}


def test_more_tickets_than_room_leave_the_rest_waiting_never_overfilling(
    postgres, make_team, make_agent, category, customer
):
    people = [make_agent() for _ in range(3)]
    make_team(members=people, capacity=4, category=category)

    results = race(*arrivals(20, customer=customer, category=category))
    assert all(isinstance(r, Ticket) for r in results)
    tickets = Ticket.objects.filter(pk__in=[r.pk for r in results])
    per_agent = Counter(tickets.exclude(assignee=None).values_list("assignee_id", flat=True))
    assert sorted(per_agent.values()) == [4, 4, 4]
    assert tickets.filter(status=Status.OPEN).count() == 8
