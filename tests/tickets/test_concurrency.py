"""Two agents act on one ticket at the same moment, on two real PostgreSQL connections.

Exactly one wins; the other is told the ticket changed, and nothing half-written remains.
"""

import itertools

import pytest

from tests.concurrency import race
from tickets import combined, services, workflow
from tickets.errors import InvalidTransition, TicketChanged
from tickets.models import Comment, Notification, Ticket
from tickets.status import Status

pytestmark = pytest.mark.django_db(transaction=True)


def assert_valid_chain(ticket: Ticket) -> None:
    rows = list(ticket.history.order_by("created_at", "id"))
    assert rows[0].from_status is None
    for before, after in itertools.pairwise(rows):
        assert after.from_status == before.to_status
    assert rows[-1].to_status == ticket.status


@pytest.mark.parametrize("round_", range(5))
def test_two_agents_taking_one_ticket_exactly_one_wins(
    round_, postgres, make_ticket, agent, other_agent
):
    ticket = make_ticket(Status.OPEN)
    seen = ticket.version
    results = race(
        lambda: services.ticket_take(ticket_id=ticket.pk, agent=agent, expected_version=seen),
        lambda: services.ticket_take(ticket_id=ticket.pk, agent=other_agent, expected_version=seen),
    )

    winners = [r for r in results if isinstance(r, Ticket)]
    losers = [r for r in results if isinstance(r, TicketChanged)]
    assert (len(winners), len(losers)) == (1, 1), results
    assert "changed" in losers[0].message
    ticket.refresh_from_db()
    assert ticket.status == Status.ASSIGNED
    assert ticket.assignee == winners[0].assignee
    assert ticket.history.count() == 2
    assert_valid_chain(ticket)


def test_without_a_version_the_later_take_is_still_told_the_ticket_changed(
    postgres, make_ticket, agent, other_agent
):
    ticket = make_ticket(Status.OPEN)
    results = race(
        lambda: services.ticket_take(ticket_id=ticket.pk, agent=agent),
        lambda: services.ticket_take(ticket_id=ticket.pk, agent=other_agent),
    )
    assert sorted(type(r).__name__ for r in results) == ["Ticket", "TicketChanged"]
    assert Ticket.objects.get(pk=ticket.pk).history.count() == 2


def test_eight_agents_resolving_and_holding_at_once_leave_one_valid_history(
    postgres, make_ticket, agent, manager
):
    ticket = make_ticket(Status.IN_PROGRESS)
    seen = ticket.version
    actions = [
        (
            lambda to=to, who=who: workflow.transition(
                ticket_id=ticket.pk, to=to, actor=who, note="Decided.", expected_version=seen
            )
        )
        for to in (Status.RESOLVED, Status.ON_HOLD)
        for who in (agent, manager, agent, manager)
    ]
    results = race(*actions)
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, TicketChanged) for r in results if isinstance(r, Exception))
    ticket.refresh_from_db()
    assert ticket.history.count() == 4  # created, assigned, in progress, and one winner
    assert_valid_chain(ticket)


@pytest.mark.parametrize("round_", range(3))
def test_two_agents_sending_and_resolving_one_unassigned_ticket_exactly_one_wins(
    round_, postgres, make_ticket, agent, other_agent
):
    ticket = make_ticket(Status.OPEN)
    seen = ticket.version

    def send_and_resolve(who):
        return lambda: combined.reply_and_move(
            ticket_id=ticket.pk,
            actor=who,
            body=f"Fixed by {who.display_name}.",
            target=Status.RESOLVED,
            expected_version=seen,
        )

    results = race(send_and_resolve(agent), send_and_resolve(other_agent))

    winners = [r for r in results if isinstance(r, combined.Moved)]
    losers = [r for r in results if isinstance(r, TicketChanged)]
    assert (len(winners), len(losers)) == (1, 1), results
    assert "changed" in losers[0].message
    ticket.refresh_from_db()
    winner = winners[0].comment.author
    assert (ticket.status, ticket.assignee) == (Status.RESOLVED, winner)
    assert ticket.history.count() == 4  # created, taken, started, resolved: the winner's
    assert_valid_chain(ticket)
    assert list(Comment.objects.filter(ticket=ticket).values_list("author", flat=True)) == [
        winner.pk
    ]
    resolved_mails = Notification.objects.filter(ticket=ticket, event=Notification.Event.RESOLVED)
    assert resolved_mails.count() == 1


def test_without_a_version_the_later_send_and_resolve_is_told_it_is_resolved_already(
    postgres, make_ticket, agent, other_agent
):
    ticket = make_ticket(Status.OPEN)

    results = race(
        *(
            lambda who=who: combined.reply_and_move(
                ticket_id=ticket.pk, actor=who, body="Fixed.", target=Status.RESOLVED
            )
            for who in (agent, other_agent)
        )
    )

    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], InvalidTransition), results
    assert Comment.objects.filter(ticket=ticket).count() == 1
    assert Ticket.objects.get(pk=ticket.pk).history.count() == 4
