"""What ties the mail about a ticket together, both ways.

Outbound (tickets.delivery), every message about a ticket refers to the thread's root id
(`<ticket-1042@our domain>`) and to the last message the recipient had from us about it, and
opens with the reply marker; inbound (tickets.inbound), those ids lead a reply back to its
ticket and the marker says where the reply ends and our quoted message begins.
"""

from __future__ import annotations

import re

from .models import InboundMessage, Notification, Ticket, message_domain

# The first line of every mail about a ticket. Mail clients quote it with what follows; the
# inbound side keeps only what was written above it (any dashes, any case, quoted or not).
REPLY_MARKER = "—— Reply above this line ——"
MARKER_LINE = re.compile(r"^[^\w\n]*reply above this line\b", re.IGNORECASE | re.MULTILINE)
ROOT_ID = re.compile(r"ticket-([0-9]{1,18})@(.+)", re.IGNORECASE)
# Header lines stay short: a Message-ID longer than this is not repeated in References.
LONGEST_ID = 250


def thread_id(ticket_id: int) -> str:
    """The id every message about one ticket refers to, so that mail clients thread them."""
    return f"<ticket-{ticket_id}@{message_domain()}>"


def ticket_id_of_root(message_id: str) -> int | None:
    """The ticket whose thread root `message_id` (without angle brackets) is, if it is one of
    ours: the domain must be ours too."""
    match = ROOT_ID.fullmatch(message_id.strip())
    if match is None or match[2].lower() != message_domain():
        return None
    return int(match[1])


def above_marker(text: str) -> str:
    """What was written above our reply marker (all of `text` when it has none)."""
    match = MARKER_LINE.search(text)
    return text if match is None else text[: match.start()]


def references(notification: Notification) -> list[str]:
    """The Message-IDs a notification about a ticket refers to, oldest first: the thread's
    root, the customer's own message that opened the ticket (for the customer), and the last
    message sent to the same person about the same ticket. The last one is what it answers."""
    ids = [thread_id(notification.ticket_id)]
    ticket: Ticket = notification.ticket
    if notification.recipient_id == ticket.customer_id:
        opening = (
            InboundMessage.objects.filter(
                ticket_id=ticket.pk, comment__isnull=True, state=InboundMessage.State.PROCESSED
            )
            .exclude(message_id="")
            .values_list("message_id", flat=True)
            .first()
        )
        if opening and len(opening) < LONGEST_ID:
            ids.append(f"<{opening}>")
    previous = (
        Notification.objects.filter(
            ticket_id=ticket.pk, recipient_id=notification.recipient_id, pk__lt=notification.pk
        )
        .exclude(state=Notification.State.FAILED)
        .order_by("-pk")
        .values_list("message_id", flat=True)
        .first()
    )
    if previous:
        ids.append(previous)
    return ids
