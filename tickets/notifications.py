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

from . import followers, mail_thread
from .delivery import builds
from .models import Comment, Notification, SlaAlert, StatusHistory, Ticket, format_reference
from .status import Status

if TYPE_CHECKING:
    from accounts.models import User

log = logging.getLogger(__name__)
Event = Notification.Event
State = Notification.State
# Sent even to people who opted out of e-mail: they need these to get their problem solved
# (or asked for them one by one, as a report digest).
ESSENTIAL = frozenset(
    {Event.RESOLVED, Event.ON_HOLD, Event.AUTO_CLOSED, Event.CLOSED}
    | {Event.SLA_WARNING, Event.SLA_BREACH}
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
    return _write(
        event=event,
        ticket=ticket,
        recipient=recipient,
        history=history,
        comment=comment,
        sla_alert=sla_alert,
        detail=detail or {},
    )


def _write(**fields) -> Notification:
    notification = Notification.objects.create(**fields)
    transaction.on_commit(lambda: _enqueue(notification.pk))
    return notification


def _enqueue(notification_id: int) -> None:
    from .tasks import enqueue_delivery

    enqueue_delivery(notification_id)


def account_event(event: Event, *, recipient: User, detail: dict | None = None) -> None:
    """A message about `recipient`'s account (Notification.ACCOUNT_EVENTS), through the same
    outbox; accounts.mails writes it when it is sent."""
    _queue(event, ticket=None, recipient=recipient, detail=detail)


def address_event(event: Event, *, address: str, detail: dict) -> Notification:
    """A message to an address that has no account (Notification.ADDRESS_EVENTS)."""
    return _write(event=event, ticket=None, recipient=None, address=address, detail=detail)


def report_digest(*, recipient: User, detail: dict) -> Notification | None:
    """A manager's report digest for one period (tickets.reports.digests writes the row and
    builds the message when it is sent)."""
    return _queue(Event.REPORT_DIGEST, ticket=None, recipient=recipient, detail=detail)


def ticket_created(ticket: Ticket, *, acknowledge: bool = True, detail: dict | None = None) -> None:
    """The customer hears that the ticket arrived (unless `acknowledge` is off: an automatic
    answer to an e-mail over the per-sender cap); `detail` is what the mail adds to it."""
    if acknowledge:
        _queue(Event.RECEIVED, ticket=ticket, recipient=ticket.customer, detail=detail)


def tells_customer_side(target: Status | str | None) -> bool:
    """Whether a change to `target` by staff sends the customer side a message."""
    return target in (Status.RESOLVED, Status.ON_HOLD, Status.CLOSED)


def status_changed(entry: StatusHistory, *, comment: Comment | None = None) -> None:
    """`comment`: a reply sent with the change in one move (tickets.combined). Its own reply
    message was not written; the customer's message about the change carries it."""
    ticket = entry.ticket
    source, target = entry.from_status, entry.to_status
    if target == Status.RESOLVED:
        _to_customer_side(Event.RESOLVED, ticket=ticket, history=entry, comment=comment)
    elif target == Status.ON_HOLD:
        _to_customer_side(Event.ON_HOLD, ticket=ticket, history=entry, comment=comment)
    elif target == Status.ASSIGNED and entry.actor_id != ticket.assignee_id:
        _queue(Event.ASSIGNED, ticket=ticket, recipient=ticket.assignee, history=entry)
    elif (
        source == Status.RESOLVED
        and target == Status.IN_PROGRESS
        and entry.actor_id == ticket.customer_id
    ):
        _queue(Event.REOPENED, ticket=ticket, recipient=ticket.assignee, history=entry)
    elif target == Status.CLOSED and entry.actor_id is None:
        _to_customer_side(Event.AUTO_CLOSED, ticket=ticket, history=entry)
    elif target == Status.CLOSED and entry.actor_id != ticket.customer_id:
        _to_customer_side(Event.CLOSED, ticket=ticket, history=entry, comment=comment)


def _to_customer_side(
    event: Event,
    *,
    ticket: Ticket,
    history: StatusHistory | None = None,
    comment: Comment | None = None,
) -> None:
    """The customer and the ticket's followers (tickets.followers), except the comment's
    author. What is essential to the customer is not to a follower who opted out."""
    for recipient in followers.recipients(ticket):
        if comment is not None and recipient.pk == comment.author_id:
            continue
        if recipient.pk != ticket.customer_id and not recipient.notify_by_email:
            continue
        _queue(event, ticket=ticket, recipient=recipient, history=history, comment=comment)


def comment_added(comment: Comment) -> None:
    """A public reply goes to the other side: staff's to the customer and the followers; the
    customer's or a follower's to the assignee, and to the rest of the customer's side."""
    if comment.is_internal:
        return
    ticket = comment.ticket
    _to_customer_side(Event.REPLY, ticket=ticket, comment=comment)
    assignee = ticket.assignee
    from_customer_side = not comment.author.is_agent
    if from_customer_side and assignee is not None and assignee.pk != comment.author_id:
        _queue(Event.REPLY, ticket=ticket, recipient=assignee, comment=comment)


def ticket_reassigned(ticket: Ticket) -> None:
    _queue(Event.ASSIGNED, ticket=ticket, recipient=ticket.assignee)


def rule_message(
    *, ticket: Ticket, recipients: list[User], subject: str, body: str, rule: str
) -> int:
    """A trigger's or automation's message (its text already rendered) to each recipient;
    returns how many were written (opted-out and deactivated people get none)."""
    written = 0
    for recipient in {r.pk: r for r in recipients}.values():
        detail = {"subject": subject, "body": body, "rule": rule}
        if _queue(Event.RULE_MESSAGE, ticket=ticket, recipient=recipient, detail=detail):
            written += 1
    return written


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
    Event.ON_HOLD: _("We need your reply"),  # waiting for the customer; else ON_HOLD_ELSEWHERE
    Event.RESOLVED: _("Resolved"),
    Event.REOPENED: _("Reopened by the customer"),
    Event.AUTO_CLOSED: _("Closed"),
    Event.CLOSED: _("Closed"),
    Event.REPLY: _("New reply"),
    Event.SLA_WARNING: _("SLA due soon"),
    Event.SLA_BREACH: _("SLA breached"),
    Event.RULE_MESSAGE: _("Message"),  # its rule's own subject, when it has one
}


ON_HOLD_ELSEWHERE = _("Waiting on a third party")


def subject_of(notification: Notification) -> str:
    history = notification.history
    if notification.event == Event.RULE_MESSAGE and notification.detail.get("subject"):
        return str(notification.detail["subject"])
    if notification.event == Event.ON_HOLD and history and history.waits_on_third_party:
        return str(ON_HOLD_ELSEWHERE)
    return str(SUBJECTS[notification.event])


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


def _also_said(notification: Notification) -> str:
    """The reply sent with a status change in one move, where the change's own note (which
    the mail quotes) says something else: the customer reads each text once."""
    comment = notification.comment
    if notification.event == Event.REPLY or comment is None or comment.is_internal:
        return ""
    return "" if comment.body.strip() == note_for(notification).strip() else comment.body


@builds(*Notification.ACCOUNT_EVENTS)
def render_account_mail(notification: Notification) -> EmailMultiAlternatives:
    from accounts import mails

    return mails.render(notification)


@builds(*SUBJECTS)
def render(notification: Notification) -> EmailMultiAlternatives:
    """The e-mail for one outbox row about a ticket: plain text with an HTML alternative.
    It opens with the reply marker when the help desk reads mail. (The delivery engine adds
    the Message-ID, the reply address and the headers that thread it by ticket.)"""
    ticket = notification.ticket
    subject = f"[{ticket.reference}] {subject_of(notification)}: {ticket.subject}"
    context = {
        "subject": subject,
        "event": notification.event,
        "ticket": ticket,
        "recipient": notification.recipient,
        # A follower hears what the customer hears, told as someone who follows the ticket.
        "follows": not notification.recipient.is_agent
        and notification.recipient_id != ticket.customer_id,
        "history": notification.history,
        "note": note_for(notification),
        "comment": notification.comment,
        "third_party": bool(notification.history and notification.history.waits_on_third_party),
        "also_said": _also_said(notification),
        "alert": notification.sla_alert,
        "reply_marker": mail_thread.REPLY_MARKER if settings.INBOUND_ADDRESS else "",
        "continued": format_reference(ticket.follow_up_to_id),
        "detail": notification.detail,
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
        headers={"X-Helpdesk-Ticket": ticket.reference},
    )
    message.attach_alternative(html, "text/html")
    return message
