"""What to tell whom when something happens to a ticket.

Each function writes outbox rows (Notification) inside the caller's transaction and asks for
delivery once that transaction commits. Internal notes never produce a message.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.http import absolute_url

from .delivery import builds
from .models import Comment, Notification, SlaAlert, StatusHistory, Ticket
from .status import Status

if TYPE_CHECKING:
    from accounts.models import User

log = logging.getLogger(__name__)
Event = Notification.Event
State = Notification.State
# Sent even to people who opted out of e-mail: they need these to get their problem solved
# (or asked for them one by one, as a report digest).
ESSENTIAL = frozenset(
    {Event.RESOLVED, Event.ON_HOLD, Event.AUTO_CLOSED, Event.SLA_WARNING, Event.SLA_BREACH}
    | {Event.REPORT_DIGEST}
    | Notification.ACCOUNT_EVENTS
)


def _queue(
    event: Event,
    *,
    ticket: Ticket | None,
    recipient: User | None,
    history: StatusHistory | None = None,
    comment: Comment | None = None,
    sla_alert: SlaAlert | None = None,
    detail: dict | None = None,
) -> Notification | None:
    if recipient is None or not recipient.is_active:
        return None
    if not recipient.notify_by_email and event not in ESSENTIAL:
        return None
    notification = Notification.objects.create(
        event=event,
        ticket=ticket,
        recipient=recipient,
        history=history,
        comment=comment,
        sla_alert=sla_alert,
        detail=detail or {},
    )
    transaction.on_commit(lambda: _enqueue(notification.pk))
    return notification


def _enqueue(notification_id: int) -> None:
    from .tasks import enqueue_delivery

    enqueue_delivery(notification_id)


def account_event(event: Event, *, recipient: User, detail: dict | None = None) -> None:
    """A message about `recipient`'s account (Notification.ACCOUNT_EVENTS), through the same
    outbox; accounts.mails writes it when it is sent."""
    _queue(event, ticket=None, recipient=recipient, detail=detail)


def report_digest(*, recipient: User, detail: dict) -> Notification | None:
    """A manager's report digest for one period (tickets.reports.digests writes the row and
    builds the message when it is sent)."""
    return _queue(Event.REPORT_DIGEST, ticket=None, recipient=recipient, detail=detail)


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


def sla_alert(alert: SlaAlert) -> None:
    """The assignee and every manager hear that a target is due soon, or was missed."""
    from accounts.models import Role, User

    ticket = alert.ticket
    event = Event.SLA_BREACH if alert.kind == SlaAlert.Kind.BREACH else Event.SLA_WARNING
    recipients = {u.pk: u for u in User.objects.filter(role=Role.MANAGER, is_active=True)}
    if ticket.assignee is not None:
        recipients[ticket.assignee.pk] = ticket.assignee
    for recipient in recipients.values():
        _queue(event, ticket=ticket, recipient=recipient, sla_alert=alert)


SUBJECTS = {
    Event.RECEIVED: _("We received your request"),
    Event.ASSIGNED: _("Assigned to you"),
    Event.ON_HOLD: _("We need your reply"),
    Event.RESOLVED: _("Resolved"),
    Event.REOPENED: _("Reopened by the customer"),
    Event.AUTO_CLOSED: _("Closed"),
    Event.REPLY: _("New reply"),
    Event.SLA_WARNING: _("SLA due soon"),
    Event.SLA_BREACH: _("SLA breached"),
}


def ticket_link(*, ticket: Ticket, recipient: User) -> str:
    """The absolute address of the ticket's page for this recipient's role."""
    area = "agent" if recipient.is_agent else "portal"
    return absolute_url(reverse(f"{area}:ticket_detail", args=[ticket.pk]))


def note_for(notification: Notification) -> str:
    """The status change's note, if the recipient may read it: staff read every note, the
    customer only those meant for them (workflow.note_audience)."""
    history = notification.history
    if history is None or not (history.note_public or notification.recipient.is_agent):
        return ""
    return history.note


@builds(*Notification.ACCOUNT_EVENTS)
def render_account_mail(notification: Notification) -> EmailMultiAlternatives:
    from accounts import mails

    return mails.render(notification)


@builds(*SUBJECTS)
def render(notification: Notification) -> EmailMultiAlternatives:
    """The e-mail for one outbox row about a ticket: plain text with an HTML alternative.
    (The delivery engine adds the Message-ID and the headers that thread it by ticket.)"""
    ticket = notification.ticket
    subject = f"[{ticket.reference}] {SUBJECTS[notification.event]}: {ticket.subject}"
    context = {
        "subject": subject,
        "event": notification.event,
        "ticket": ticket,
        "recipient": notification.recipient,
        "history": notification.history,
        "note": note_for(notification),
        "comment": notification.comment,
        "alert": notification.sla_alert,
        "link": ticket_link(ticket=ticket, recipient=notification.recipient),
        "profile_link": absolute_url(reverse("profile")),
    }
    # Times in mails read in the help desk's own zone.
    with timezone.override(settings.HELPDESK_TIME_ZONE):
        text = render_to_string(f"emails/{notification.event}.txt", context)
        html = render_to_string(f"emails/{notification.event}.html", context)
    message = EmailMultiAlternatives(
        # Header values must be one line; a subject typed with line breaks is folded here.
        subject=" ".join(subject.split())[:250],
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient.email],
        headers={
            "X-Helpdesk-Ticket": ticket.reference,
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(html, "text/html")
    return message
