"""What is sent to whom for each event, what it says, and what it must never say."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tickets import delivery, notifications, services, workflow
from tickets.models import Notification, SlaAlert, Ticket
from tickets.status import Status

Event = Notification.Event
SECRET = "SECRET-NOTE-7731"


def only(event):
    [notification] = Notification.objects.filter(event=event)
    return notification


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def test_received_tells_the_customer_the_reference(make_ticket, customer):
    ticket = make_ticket()
    message = notifications.render(only(Event.RECEIVED))
    assert message.to == [customer.email]
    assert message.subject == f"[{ticket.reference}] We received your request: {ticket.subject}"
    assert ticket.reference in message.body and ticket.reference in html_of(message)


def test_assigned_tells_the_agent_with_a_link_to_the_agent_page(make_ticket, manager, other_agent):
    ticket = make_ticket()
    services.ticket_assign(ticket_id=ticket.pk, assignee=other_agent, actor=manager, note="VIP")
    message = notifications.render(only(Event.ASSIGNED))
    assert message.to == [other_agent.email]
    assert f"http://127.0.0.1:8000/agent/tickets/{ticket.pk}/" in message.body
    assert "VIP" in message.body


def test_taking_a_ticket_yourself_sends_you_nothing(make_ticket):
    make_ticket(Status.ASSIGNED)
    assert not Notification.objects.filter(event=Event.ASSIGNED).exists()


def test_on_hold_tells_the_customer_what_is_awaited(make_ticket, customer):
    ticket = make_ticket(Status.ON_HOLD)
    message = notifications.render(only(Event.ON_HOLD))
    assert message.to == [customer.email]
    assert "Which version of the client do you run?" in message.body
    assert f"/tickets/{ticket.pk}/" in message.body


def test_resolved_carries_the_note_and_links_to_confirm_or_reopen(make_ticket, customer):
    ticket = make_ticket(Status.RESOLVED)
    message = notifications.render(only(Event.RESOLVED))
    link = f"http://127.0.0.1:8000/tickets/{ticket.pk}/"
    assert message.to == [customer.email]
    assert "Re-issued your VPN certificate." in message.body
    assert f"{link}#confirm" in message.body and f"{link}#reopen" in message.body
    assert f'href="{link}#confirm"' in html_of(message)


def test_a_reply_goes_to_the_other_side(make_ticket, customer, agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    services.comment_add(ticket_id=ticket.pk, author=agent, body="Try the new client.")
    services.comment_add(ticket_id=ticket.pk, author=customer, body="That worked!")
    to_customer, to_agent = Notification.objects.filter(event=Event.REPLY).order_by("id")
    assert to_customer.recipient == customer and to_agent.recipient == agent
    assert "Try the new client." in notifications.render(to_customer).body
    assert "That worked!" in notifications.render(to_agent).body


def test_a_reopen_tells_the_assignee_why(make_ticket, customer, agent):
    ticket = make_ticket(Status.RESOLVED)
    workflow.transition(
        ticket_id=ticket.pk, to=Status.IN_PROGRESS, actor=customer, note="Still drops."
    )
    message = notifications.render(only(Event.REOPENED))
    assert message.to == [agent.email] and "Still drops." in message.body


def test_auto_close_tells_the_customer(make_ticket, customer):
    ticket = make_ticket(Status.RESOLVED)
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(days=8))
    services.tickets_auto_close(older_than_days=7)
    message = notifications.render(only(Event.AUTO_CLOSED))
    assert message.to == [customer.email] and ticket.reference in message.subject


TICKET_EVENTS = set(Event) - Notification.TICKETLESS_EVENTS


def test_no_internal_note_reaches_any_mail_of_any_kind(
    make_ticket, customer, agent, manager, other_agent, django_capture_on_commit_callbacks
):
    """Every kind of message about a ticket is sent in one story full of internal notes (and
    their files); none of them carries a word of the notes."""
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(Status.IN_PROGRESS)
        services.comment_add(ticket_id=ticket.pk, author=agent, body=SECRET, internal=True)
        services.ticket_assign(ticket_id=ticket.pk, assignee=other_agent, actor=manager)
        services.comment_add(ticket_id=ticket.pk, author=other_agent, body="Public answer")
        workflow.transition(
            ticket_id=ticket.pk, to=Status.ON_HOLD, actor=other_agent, note="Need a log"
        )
        services.comment_add(ticket_id=ticket.pk, author=customer, body="Here it is")
        services.comment_add(
            ticket_id=ticket.pk, author=manager, body=SECRET + " again", internal=True
        )
        workflow.transition(
            ticket_id=ticket.pk, to=Status.RESOLVED, actor=other_agent, note="Fixed"
        )
        workflow.transition(
            ticket_id=ticket.pk, to=Status.IN_PROGRESS, actor=customer, note="Still broken"
        )
        services.comment_add(ticket_id=ticket.pk, author=agent, body=SECRET * 2, internal=True)
        workflow.transition(
            ticket_id=ticket.pk, to=Status.RESOLVED, actor=other_agent, note="Fixed again"
        )
        for kind in SlaAlert.Kind:
            notifications.sla_alert(
                SlaAlert.objects.create(
                    ticket=ticket, target="resolution", kind=kind, due_at=timezone.now()
                )
            )
        Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(days=8))
        services.tickets_auto_close(older_than_days=7)
        notifications.rule_message(
            ticket=ticket,
            recipients=[ticket.customer, agent],
            subject="A reminder",
            body="We wait for your answer.",
            rule="automation:1",
        )
        duplicate = make_ticket(Status.IN_PROGRESS)
        services.comment_add(ticket_id=duplicate.pk, author=agent, body=SECRET, internal=True)
        workflow.transition(
            ticket_id=duplicate.pk, to=Status.CLOSED, actor=manager, note="A duplicate"
        )

    assert set(Notification.objects.values_list("event", flat=True)) == TICKET_EVENTS
    for row in Notification.objects.all():
        message = delivery.compose(row)
        assert SECRET not in message.subject + message.body + html_of(message), row.event
    assert len(mail.outbox) == Notification.objects.count()
    for message in mail.outbox:
        assert SECRET not in message.subject + message.body + html_of(message)


def test_markup_in_a_subject_is_escaped_in_the_html_mail(customer):
    ticket = services.ticket_create(
        customer=customer, created_by=customer, subject="<script>alert(1)</script>", description="x"
    )
    html = html_of(notifications.render(only(Event.RECEIVED)))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert ticket.subject in notifications.render(only(Event.RECEIVED)).subject


@pytest.mark.parametrize("source", [Status.IN_PROGRESS, Status.RESOLVED])
def test_a_customer_is_told_why_the_help_desk_closed_their_ticket(
    make_ticket, customer, manager, source, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(source)
        workflow.transition(
            ticket_id=ticket.pk,
            to=Status.CLOSED,
            actor=manager,
            note="Reported twice; we work on it in the other ticket.",
        )
    told = Notification.objects.get(event=Notification.Event.CLOSED)
    assert told.recipient == customer
    message = delivery.compose(told)
    assert "closed by the help desk" in message.body
    assert ("before it was resolved" in message.body) == (source != Status.RESOLVED)
    for text in (message.body, html_of(message)):
        assert "Reported twice; we work on it in the other ticket." in text
