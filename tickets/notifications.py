"""What to tell whom when something happens to a ticket.

Each function writes outbox rows (Notification) inside the caller's transaction and asks for
delivery once that transaction commits. Internal notes never produce a message.
"""

from __future__ import annotations

from smtplib import SMTPException
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from .models import Comment, Notification, StatusHistory, Ticket
from .status import Status

if TYPE_CHECKING:
    from accounts.models import User

Event = Notification.Event
State = Notification.State
# Sent even to people who opted out of e-mail: they need these to get their problem solved.
ESSENTIAL = frozenset({Event.RESOLVED, Event.ON_HOLD, Event.AUTO_CLOSED})


def _queue(
    event: Event,
    *,
    ticket: Ticket,
    recipient: User | None,
    history: StatusHistory | None = None,
    comment: Comment | None = None,
) -> Notification | None:
    if recipient is None or not recipient.is_active:
        return None
    if not recipient.notify_by_email and event not in ESSENTIAL:
        return None
    notification = Notification.objects.create(
        event=event, ticket=ticket, recipient=recipient, history=history, comment=comment
    )
    transaction.on_commit(lambda: _enqueue(notification.pk))
    return notification


def _enqueue(notification_id: int) -> None:
    from .tasks import enqueue_delivery

    enqueue_delivery(notification_id)


def ticket_created(ticket: Ticket) -> None:
    _queue(Event.RECEIVED, ticket=ticket, recipient=ticket.customer)


def status_changed(entry: StatusHistory) -> None:
    ticket = entry.ticket
    source, target = entry.from_status, entry.to_status
    if target == Status.RESOLVED:
        _queue(Event.RESOLVED, ticket=ticket, recipient=ticket.customer, history=entry)
    elif target == Status.ON_HOLD:
        _queue(Event.ON_HOLD, ticket=ticket, recipient=ticket.customer, history=entry)
    elif target == Status.ASSIGNED and entry.actor_id != ticket.assignee_id:
        _queue(Event.ASSIGNED, ticket=ticket, recipient=ticket.assignee, history=entry)
    elif (
        source == Status.RESOLVED
        and target == Status.IN_PROGRESS
        and entry.actor_id == ticket.customer_id
    ):
        _queue(Event.REOPENED, ticket=ticket, recipient=ticket.assignee, history=entry)
    elif target == Status.CLOSED and entry.actor_id is None:
        _queue(Event.AUTO_CLOSED, ticket=ticket, recipient=ticket.customer, history=entry)


def comment_added(comment: Comment) -> None:
    if comment.is_internal:
        return
    ticket = comment.ticket
    other_side = ticket.assignee if comment.author_id == ticket.customer_id else ticket.customer
    if other_side is not None and other_side.pk != comment.author_id:
        _queue(Event.REPLY, ticket=ticket, recipient=other_side, comment=comment)


def ticket_reassigned(ticket: Ticket) -> None:
    _queue(Event.ASSIGNED, ticket=ticket, recipient=ticket.assignee)


MAX_ATTEMPTS = 5


def ticket_link(*, ticket: Ticket, recipient: User) -> str:
    """The absolute address of the ticket's page for this recipient's role."""
    area = "agent/tickets" if recipient.is_agent else "tickets"
    return f"{settings.SITE_URL.rstrip('/')}/{area}/{ticket.pk}/"


def render(notification: Notification) -> EmailMessage:
    ticket = notification.ticket
    context = {
        "notification": notification,
        "event": notification.event,
        "ticket": ticket,
        "recipient": notification.recipient,
        "history": notification.history,
        "comment": notification.comment,
        "link": ticket_link(ticket=ticket, recipient=notification.recipient),
    }
    subject = f"[{ticket.reference}] {notification.get_event_display()}: {ticket.subject}"
    body = render_to_string("emails/notification.txt", context)
    return EmailMessage(
        subject=" ".join(subject.split())[:200],
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient.email],
        headers={"X-Helpdesk-Ticket": ticket.reference},
    )


def deliver(*, notification_id: int) -> bool:
    """Send one outbox row if it is still pending. Returns whether this call sent it.

    The row is claimed with a conditional UPDATE, so two workers handed the same id cannot
    both send it. A transient failure puts it back to pending (and re-raises for the task's
    retry); after MAX_ATTEMPTS it is marked failed for a person to look at in the admin.
    """
    claimed = Notification.objects.filter(pk=notification_id, state=State.PENDING).update(
        state=State.SENDING, claimed_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    notification = Notification.objects.select_related(
        "ticket", "recipient", "history", "comment"
    ).get(pk=notification_id)
    try:
        render(notification).send()
    except (SMTPException, OSError) as error:
        state = State.FAILED if notification.attempts >= MAX_ATTEMPTS else State.PENDING
        Notification.objects.filter(pk=notification_id).update(
            state=state, last_error=f"{type(error).__name__}: {error}"[:2000]
        )
        raise
    Notification.objects.filter(pk=notification_id).update(
        state=State.SENT, sent_at=timezone.now(), last_error=""
    )
    return True
