"""Notifications are written as outbox rows with the change and handed over only after commit."""

import base64
import json

import pytest
from django.core import mail
from django.db import transaction

from tickets import delivery, notifications, services, workflow
from tickets.models import Notification
from tickets.status import Status

Event = Notification.Event


def events(ticket):
    return list(
        Notification.objects.filter(ticket=ticket)
        .order_by("id")
        .values_list("event", "recipient__email")
    )


def test_resolving_owes_the_customer_one_message_with_the_note(make_ticket, customer):
    ticket = make_ticket(Status.RESOLVED)
    resolved = Notification.objects.get(ticket=ticket, event=Event.RESOLVED)
    assert resolved.recipient == customer
    assert resolved.history.to_status == Status.RESOLVED
    message = notifications.render(resolved)
    assert ticket.reference in message.subject
    assert "Re-issued your VPN certificate." in message.body
    assert f"/tickets/{ticket.pk}/" in message.body and "/agent/" not in message.body


def test_the_life_of_a_ticket_owes_these_messages(
    make_ticket, customer, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(Status.ON_HOLD)
        services.comment_add(ticket_id=ticket.pk, author=agent, body="Checking.", internal=True)
        services.comment_add(ticket_id=ticket.pk, author=customer, body="Version 5.1.")
        workflow.transition(ticket_id=ticket.pk, to=Status.RESOLVED, actor=agent, note="Ok")
        workflow.transition(
            ticket_id=ticket.pk, to=Status.IN_PROGRESS, actor=customer, note="Broken again."
        )
    assert events(ticket) == [
        ("received", customer.email),
        ("on_hold", customer.email),
        ("reply", agent.email),
        ("resolved", customer.email),
        ("reopened", agent.email),
    ]
    assert set(Notification.objects.values_list("state", flat=True)) == {"sent"}
    assert len(mail.outbox) == 5
    assert not any("Checking." in m.body for m in mail.outbox)


def test_nothing_is_delivered_before_the_transaction_commits(
    make_ticket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_ticket(Status.RESOLVED)
    assert Notification.objects.filter(state="pending").count() == 2  # received, resolved
    assert mail.outbox == []
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 2
    assert Notification.objects.filter(state="sent").count() == 2


def test_a_rolled_back_change_owes_nothing(make_ticket, agent, django_capture_on_commit_callbacks):
    ticket = make_ticket(Status.IN_PROGRESS)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        workflow.transition(ticket_id=ticket.pk, to=Status.RESOLVED, actor=agent, note="Fixed")
        raise RuntimeError("something after the change failed")
    assert callbacks == []
    assert not Notification.objects.filter(ticket=ticket, event=Event.RESOLVED).exists()


def test_delivering_twice_sends_once(make_ticket, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        ticket = make_ticket(Status.RESOLVED)
    resolved = Notification.objects.get(ticket=ticket, event=Event.RESOLVED)
    assert delivery.deliver(notification_id=resolved.pk) is True
    assert delivery.deliver(notification_id=resolved.pk) is False
    assert len(mail.outbox) == 1


def test_opted_out_customers_still_get_the_essentials(make_ticket, customer):
    customer.notify_by_email = False
    customer.save()
    ticket = make_ticket(Status.RESOLVED)
    assert [event for event, _ in events(ticket)] == ["resolved"]


@pytest.mark.django_db(transaction=True)
def test_the_task_reaches_the_real_broker_only_after_commit(redis_broker, make_ticket, agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    redis_broker.delete("celery")
    with transaction.atomic():
        workflow.transition(ticket_id=ticket.pk, to=Status.RESOLVED, actor=agent, note="Ok")
        assert redis_broker.llen("celery") == 0
    assert redis_broker.llen("celery") == 1
    message = json.loads(redis_broker.lindex("celery", 0))
    resolved = Notification.objects.get(ticket=ticket, event=Event.RESOLVED)
    assert message["headers"]["task"] == "tickets.deliver_notification"
    args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
    assert args == [resolved.pk]  # an id, never a model object
    assert resolved.state == "pending"  # no worker here: it waits in the outbox and the queue


def test_beat_runs_every_periodic_job(settings):
    from helpdesk.celery import app

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled == {
        "tickets.relay_notifications",
        "tickets.auto_close_resolved",
        "tickets.sla_check",
        "tickets.refresh_report_snapshots",
        "tickets.sweep_orphaned_files",
        "tickets.fetch_inbound_mail",
        "tickets.send_report_digests",
        "tickets.run_automations",
        "tickets.routing_retry",
    }
    app.loader.import_default_modules()
    assert scheduled <= set(app.tasks)


def test_the_auto_close_task_closes_through_the_workflow(make_ticket, settings):
    from datetime import timedelta

    from django.utils import timezone

    from tickets import tasks
    from tickets.models import Ticket

    ticket = make_ticket(Status.RESOLVED)
    old = timezone.now() - timedelta(days=settings.AUTO_CLOSE_RESOLVED_AFTER_DAYS, hours=1)
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=old)
    assert tasks.auto_close_resolved.delay().get() == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and ticket.history.last().actor is None
