"""Writes never wait for the broker: a request hands its notifications over within a short
budget, and what it could not hand over waits in the outbox for the relay.

On a redis-server of the test's own (`private_broker`), frozen with SIGSTOP: the kernel still
accepts the connection and the command, and nothing ever answers.
"""

import logging
import time
from datetime import timedelta

import pytest
from django.urls import reverse

from tickets import tasks
from tickets.models import Notification
from tickets.status import Status

pytestmark = pytest.mark.django_db(transaction=True)

BULK = 20
RESOLVED = Notification.Event.RESOLVED


@pytest.fixture
def worked_tickets(make_ticket):
    """BULK tickets in progress, their earlier notifications out of the way."""
    tickets = [make_ticket(Status.IN_PROGRESS) for _ in range(BULK)]
    Notification.objects.update(state=Notification.State.SENT)
    return tickets


def bulk_resolve(client, agent, tickets) -> float:
    """The agent resolves `tickets` in one bulk action; returns how long the request took."""
    client.force_login(agent)
    started = time.monotonic()
    response = client.post(
        reverse("agent:bulk"),
        {"tickets": [t.pk for t in tickets], "action": "resolve", "note": "Fixed the DNS."},
    )
    took = time.monotonic() - started
    assert response.status_code == 302
    return took


def resolved_rows():
    return Notification.objects.filter(event=RESOLVED)


def test_with_the_broker_up_every_notification_is_handed_over(
    private_broker, worked_tickets, client, agent, settings
):
    # Roomy: on a busy test machine one hand-over takes milliseconds, not the usual fraction.
    settings.ENQUEUE_BUDGET_SECONDS = 10
    queue = private_broker.client()
    queue.delete("celery")

    bulk_resolve(client, agent, worked_tickets)

    assert queue.llen("celery") == BULK
    assert resolved_rows().count() == BULK


def test_with_the_broker_frozen_a_bulk_resolve_tries_once_and_answers_at_once(
    private_broker, worked_tickets, client, agent, caplog
):
    with private_broker.frozen(), caplog.at_level(logging.DEBUG, logger="tickets.tasks"):
        took = bulk_resolve(client, agent, worked_tickets)

    assert took < 3, f"the bulk resolve waited {took:.1f}s for a frozen broker"
    assert {t.status for t in _fresh(worked_tickets)} == {Status.RESOLVED}
    assert set(resolved_rows().values_list("state", flat=True)) == {"pending"}
    tried = [r for r in caplog.records if r.getMessage().startswith("could not enqueue")]
    skipped = [r for r in caplog.records if r.getMessage().startswith("did not try")]
    assert (len(tried), len(skipped)) == (1, BULK - 1)


def test_after_a_failure_the_broker_is_tried_again_once_the_pause_is_over(
    private_broker, worked_tickets, client, agent, settings
):
    settings.ENQUEUE_PAUSE_SECONDS = 0.5
    queue = private_broker.client()
    first, second = worked_tickets[:1], worked_tickets[1:2]
    with private_broker.frozen():
        bulk_resolve(client, agent, first)
    queue.delete("celery")  # the frozen server took the command in and ran it on waking

    time.sleep(settings.ENQUEUE_PAUSE_SECONDS)
    bulk_resolve(client, agent, second)

    assert queue.llen("celery") == 1
    assert resolved_rows().get(ticket=first[0]).state == "pending"


def test_a_request_past_its_budget_leaves_the_rest_to_the_relay(
    private_broker, worked_tickets, client, agent, settings
):
    settings.ENQUEUE_BUDGET_SECONDS = 0  # spent before the first hand-over
    queue = private_broker.client()
    queue.delete("celery")

    bulk_resolve(client, agent, worked_tickets)
    assert queue.llen("celery") == 0

    # The relay (a beat job, not a request) hands over every row older than a minute.
    resolved_rows().update(created_at=resolved_rows().first().created_at - timedelta(minutes=5))
    assert tasks.relay_notifications() == BULK
    assert queue.llen("celery") == BULK


def _fresh(tickets):
    return [type(t).objects.get(pk=t.pk) for t in tickets]
