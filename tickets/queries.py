"""Reads: what a user may see. Every page, API view, download and export starts here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from .models import Attachment, Comment, Ticket
from .status import Status

if TYPE_CHECKING:
    from accounts.models import User


def visible_to(user: User) -> QuerySet[Ticket]:
    """Tickets `user` may know exist: a customer's own, every ticket for staff, else none."""
    if not user.is_authenticated or not user.is_active:
        return Ticket.objects.none()
    if user.is_agent:
        return Ticket.objects.all()
    return Ticket.objects.filter(customer=user)


def customer_tickets(user: User, *, show: str = "open") -> QuerySet[Ticket]:
    """A customer's own tickets, latest activity first; show is open, closed or all."""
    tickets = visible_to(user).select_related("assignee").order_by("-updated_at", "-id")
    if show == "open":
        return tickets.exclude(status=Status.CLOSED)
    if show == "closed":
        return tickets.filter(status=Status.CLOSED)
    return tickets


def comments_visible_to(user: User, ticket: Ticket) -> QuerySet[Comment]:
    """The conversation as `user` may read it: internal notes only for staff."""
    comments = ticket.comments.select_related("author")
    return comments if user.is_agent else comments.filter(is_internal=False)


def attachments_visible_to(user: User) -> QuerySet[Attachment]:
    attachments = Attachment.objects.filter(ticket__in=visible_to(user))
    if user.is_agent:
        return attachments
    return attachments.exclude(comment__is_internal=True)
