"""A ticket's status history told in plain words, as the customer (or anyone) reads it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from .models import Category, FieldChange, StatusHistory, Team
from .status import HoldKind, Priority, Status

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class Entry:
    when: datetime
    status: str
    text: str
    note: str
    actor: str = ""
    staff_only: bool = False  # the note is for staff: said so beside it on staff's pages


def _who(user: User | None, viewer: User) -> str:
    if user is None:
        return _("The help desk")
    return _("You") if user.pk == viewer.pk else user.display_name


def describe(entry: StatusHistory, *, viewer: User) -> Entry:
    source, target = entry.from_status, entry.to_status
    actor = _who(entry.actor, viewer)
    by_viewer = entry.actor_id == viewer.pk
    assignee = entry.assignee.display_name if entry.assignee else ""
    # The customer reads only the notes meant for them (workflow.note_audience).
    note = entry.note if entry.note_public or viewer.is_agent else ""
    if source is None and entry.actor_id not in (None, entry.ticket.customer_id):
        if not viewer.is_agent:
            text = _("Reported for you by %(name)s") % {"name": actor}
        elif by_viewer:
            text = _("You reported it for the customer")
        else:
            text = _("Reported by %(name)s for the customer") % {"name": actor}
    elif source is None:
        text = _("Ticket received")
    elif target == Status.ASSIGNED:
        text = _("Assigned to %(name)s") % {"name": assignee}
    elif target == Status.OPEN:
        text = _("Waiting for an agent again")
    elif source == Status.ASSIGNED and target == Status.IN_PROGRESS:
        text = _("%(name)s started working on it") % {"name": assignee}
    elif target == Status.ON_HOLD and entry.hold_kind == HoldKind.THIRD_PARTY:
        text = _("On hold, waiting on a third party")
    elif target == Status.ON_HOLD:
        text = (
            _("On hold, waiting for the customer")
            if viewer.is_agent
            else _("On hold, waiting for your reply")
        )
    elif source == Status.ON_HOLD and target == Status.IN_PROGRESS:
        if entry.actor is not None:
            text = _("Work resumed")
        else:  # the system's note says only what the text says
            text = (
                _("Work resumed: the customer replied")
                if viewer.is_agent
                else _("Work resumed after your reply")
            )
            note = ""
    elif target == Status.RESOLVED:
        text = _("Resolved")
    elif source == Status.RESOLVED and target == Status.IN_PROGRESS and entry.actor is None:
        text = (
            _("Reopened: the customer replied")
            if viewer.is_agent
            else _("Reopened after your reply")
        )
        note = ""  # the system's note says only what the text says
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
    return Entry(
        when=entry.created_at,
        status=target,
        text=text,
        note=note,
        actor=actor,
        staff_only=bool(note) and not entry.note_public,
    )


def for_ticket(*, ticket, viewer: User) -> list[Entry]:
    rows = ticket.history.select_related("actor", "assignee").order_by("created_at", "id")
    return [describe(row, viewer=viewer) for row in rows]


FIELD_TEXT = {
    FieldChange.Field.ASSIGNEE: _("Reassigned from %(old)s to %(new)s"),
    FieldChange.Field.PRIORITY: _("Priority changed from %(old)s to %(new)s"),
    FieldChange.Field.CATEGORY: _("Service changed from %(old)s to %(new)s"),
    FieldChange.Field.SUBJECT: _("Subject changed from “%(old)s” to “%(new)s”"),
    FieldChange.Field.TEAM: _("Moved from team %(old)s to %(new)s"),
}


def activity(*, ticket, viewer: User) -> list[Entry]:
    """Status changes and recorded field changes, oldest first, as staff read them (the notes
    of field changes are for staff only)."""
    entries = for_ticket(ticket=ticket, viewer=viewer)
    changes = list(ticket.field_changes.select_related("actor").order_by("created_at", "id"))
    if not changes:
        return entries
    names = _display_names(changes)
    for change in changes:
        nobody = _("none") if change.field == FieldChange.Field.TEAM else _("nobody")
        old = names.get((change.field, change.old_value), nobody)
        new = names.get((change.field, change.new_value), nobody)
        entries.append(
            Entry(
                when=change.created_at,
                status="",
                text=FIELD_TEXT[change.field] % {"old": old, "new": new},
                note=change.note,
                actor=_who(change.actor, viewer),
                staff_only=bool(change.note),
            )
        )
    return sorted(entries, key=lambda entry: entry.when)


def _display_names(changes: list[FieldChange]) -> dict[tuple[str, str], str]:
    """(field, raw value) → what people call it: a user's or service's name, a priority."""
    from accounts.models import User

    raw = {f: set() for f in FieldChange.Field.values}
    for change in changes:
        raw[change.field].update(v for v in (change.old_value, change.new_value) if v)
    names: dict[tuple[str, str], str] = {
        (FieldChange.Field.PRIORITY, value): str(Priority(value).label)
        for value in raw[FieldChange.Field.PRIORITY]
        if value in Priority.values
    }
    names.update(((FieldChange.Field.SUBJECT, value), value) for value in raw["subject"])
    if ids := raw[FieldChange.Field.ASSIGNEE]:
        for pk, name in User.objects.filter(pk__in=ids).values_list("pk", "display_name"):
            names[(FieldChange.Field.ASSIGNEE, str(pk))] = name
    if ids := raw[FieldChange.Field.CATEGORY]:
        for pk, name in Category.objects.filter(pk__in=ids).values_list("pk", "name"):
            names[(FieldChange.Field.CATEGORY, str(pk))] = name
    if ids := raw[FieldChange.Field.TEAM]:
        for pk, name in Team.objects.filter(pk__in=ids).values_list("pk", "name"):
            names[(FieldChange.Field.TEAM, str(pk))] = name
    return names
