"""A ticket's status history told in plain words, as the customer (or anyone) reads it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from .models import StatusHistory
from .status import Status

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class Entry:
    when: datetime
    status: str
    text: str
    note: str


def _who(user: User | None, viewer: User) -> str:
    if user is None:
        return _("The help desk")
    return _("You") if user.pk == viewer.pk else user.display_name


def describe(entry: StatusHistory, *, viewer: User) -> Entry:
    source, target = entry.from_status, entry.to_status
    actor = _who(entry.actor, viewer)
    by_viewer = entry.actor_id == viewer.pk
    assignee = entry.assignee.display_name if entry.assignee else ""
    note = entry.note
    if source is None:
        text = _("Ticket received")
    elif target == Status.ASSIGNED:
        text = _("Assigned to %(name)s") % {"name": assignee}
    elif target == Status.OPEN:
        text = _("Waiting for an agent again")
    elif source == Status.ASSIGNED and target == Status.IN_PROGRESS:
        text = _("%(name)s started working on it") % {"name": assignee}
    elif target == Status.ON_HOLD:
        text = _("On hold, waiting for your reply")
    elif source == Status.ON_HOLD and target == Status.IN_PROGRESS:
        text = _("Work resumed after your reply") if entry.actor is None else _("Work resumed")
        note = ""
    elif target == Status.RESOLVED:
        text = _("Resolved")
    elif source == Status.RESOLVED and target == Status.IN_PROGRESS:
        text = (
            _("You reopened the ticket")
            if by_viewer
            else _("Reopened by %(name)s") % {"name": actor}
        )
    elif target == Status.CLOSED and entry.actor is None:
        text = _("Closed automatically after the resolution was not disputed")
        note = ""
    elif target == Status.CLOSED and source == Status.RESOLVED:
        text = _("%(name)s confirmed the fix") % {"name": actor}
    elif target == Status.CLOSED and entry.actor_id == entry.ticket.customer_id:
        text = (
            _("You withdrew the ticket")
            if by_viewer
            else _("Withdrawn by %(name)s") % {"name": actor}
        )
    else:
        text = _("Closed by %(name)s") % {"name": actor}
    return Entry(when=entry.created_at, status=target, text=text, note=note)


def for_ticket(*, ticket, viewer: User) -> list[Entry]:
    rows = ticket.history.select_related("actor", "assignee").order_by("created_at", "id")
    return [describe(row, viewer=viewer) for row in rows]
