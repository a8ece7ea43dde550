"""Two versions of every ticket: the full one staff work with, and the customer's.

Staff see everything, so every change moves `version` and `updated_at`. The customer sees
only public activity (status changes, public replies and their files, the priority, service
and agent shown on their page), so only that moves `public_version` and `public_updated_at`:
an internal note leaves what the customer sees (version, ETag, last update, list order)
exactly as it was, and the customer's next action, sent with the version they saw, is not
refused as stale for a change they cannot see.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from .errors import TicketChanged
from .models import Ticket

if TYPE_CHECKING:
    from accounts.models import User


def sees_everything(user: User | None) -> bool:
    """Staff and the system work with the full version; anyone else with the public one."""
    return user is None or user.is_agent


def seen_by(ticket: Ticket, user: User | None) -> int:
    """The version `user` sees and sends back with a change."""
    return ticket.version if sees_everything(user) else ticket.public_version


def updated_at_seen_by(ticket: Ticket, user: User | None) -> datetime:
    """The ticket's "last update" as `user` sees it."""
    return ticket.updated_at if sees_everything(user) else ticket.public_updated_at


def updated_field_for(user: User | None) -> str:
    """The field behind `user`'s "recently updated" order."""
    return "updated_at" if sees_everything(user) else "public_updated_at"


def lock(
    *,
    ticket_id: int,
    user: User | None,
    expected_version: int | None,
    replying_since: datetime | None = None,
) -> Ticket:
    """The ticket's row, locked for this transaction; TicketChanged if `user` acted on a
    version (as seen_by gives it) that is no longer current. The one check of staleness.

    `replying_since`: the caller only adds a plain reply (no status change with it), written
    on the page `user` loaded when the ticket's last update was at that moment. Such a reply
    cannot conflict with comments added since (a customer answering meanwhile), so only a
    status or field change since refuses it; it still does, since what the page showed (the
    status, who works on it) may be what the reply was written for."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
    if expected_version is None or seen_by(ticket, user) == expected_version:
        return ticket
    from . import changes  # here: it imports this module

    fresh = changes.with_latest(Ticket.objects.filter(pk=ticket_id), viewer=user).first()
    if replying_since is not None and not changes.status_or_fields_since(fresh, replying_since):
        return ticket
    raise TicketChanged.after(changes.latest(fresh), viewer=user)


def touch_fields(*, public: bool) -> list[str]:
    fields = ["updated_at", "version"]
    return [*fields, "public_updated_at", "public_version"] if public else fields


def bump(ticket: Ticket, *, public: bool, now: datetime | None = None) -> list[str]:
    """Mark a change in memory: staff's version always, the customer's if they can see it.
    Returns the fields to save."""
    now = now or timezone.now()
    ticket.updated_at = now
    ticket.version += 1
    if public:
        ticket.public_updated_at = now
        ticket.public_version += 1
    return touch_fields(public=public)
