"""What last happened to a ticket, said in a sentence: "Priya Agent resolved it 2 minutes ago".

A refused stale action says it (versions.lock), and the agent's ticket page is told it by the
presence endpoint when someone else changed the ticket meanwhile. The newest status change,
comment and field change are read in the ticket's own query (one JSON subquery each, on their
(ticket, created_at) indexes); `latest()` picks the newest of the three. Someone who does not
see everything (a customer) is told only of what they can see: never of an internal note.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.db.models import JSONField, OuterRef, QuerySet, Subquery
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from . import versions
from .models import Comment, FieldChange, StatusHistory, Ticket
from .status import Status
from .templatetags.helpdesk import ago

if TYPE_CHECKING:
    from accounts.models import User

KINDS = ("last_status", "last_comment", "last_field")


@dataclass(frozen=True)
class Change:
    kind: str  # "status", "comment" or "field"
    at: datetime
    actor_id: int | None
    actor: str  # display name; "" for the system
    from_status: str = ""
    to_status: str = ""
    assignee_id: int | None = None
    internal: bool = False
    field: str = ""

    @property
    def is_reply(self) -> bool:
        return self.kind == "comment" and not self.internal


def _newest(queryset: QuerySet, **fields) -> Subquery:
    rows = queryset.filter(ticket=OuterRef("pk")).order_by("-created_at", "-id")
    return Subquery(
        rows.values(json=JSONObject(at="created_at", **fields))[:1], output_field=JSONField()
    )


def with_latest(tickets: QuerySet[Ticket], *, viewer: User | None) -> QuerySet[Ticket]:
    """`tickets` annotated with their newest status change, comment and field change that
    `viewer` may know of (JSON objects, read by latest())."""
    comments = Comment.objects.all()
    fields = FieldChange.objects.all()
    if not versions.sees_everything(viewer):
        comments = comments.filter(is_internal=False)
        fields = fields.exclude(field=FieldChange.Field.TEAM)  # teams are staff's
    return tickets.annotate(
        last_status=_newest(
            StatusHistory.objects.all(),
            actor_id="actor_id",
            actor="actor__display_name",
            from_status="from_status",
            to_status="to_status",
            assignee_id="assignee_id",
        ),
        last_comment=_newest(
            comments, actor_id="author_id", actor="author__display_name", internal="is_internal"
        ),
        last_field=_newest(
            fields,
            actor_id="actor_id",
            actor="actor__display_name",
            field="field",
        ),
    )


def _when(value: str) -> datetime:
    moment = parse_datetime(value.replace(" ", "T"))
    if moment is None:  # never from the database; a safe answer all the same
        return timezone.now()
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


def _change(kind: str, data: dict | None) -> Change | None:
    if not data:
        return None
    return Change(
        kind=kind,
        at=_when(data["at"]),
        actor_id=data.get("actor_id"),
        actor=data.get("actor") or "",
        from_status=data.get("from_status") or "",
        to_status=data.get("to_status") or "",
        assignee_id=data.get("assignee_id"),
        internal=bool(data.get("internal")),
        field=data.get("field") or "",
    )


def latest(ticket: Ticket) -> Change | None:
    """The newest change of a ticket read through with_latest()."""
    found = [
        _change(kind, getattr(ticket, name, None))
        for kind, name in zip(("status", "comment", "field"), KINDS, strict=True)
    ]
    found = [change for change in found if change is not None]
    return max(found, key=lambda change: change.at, default=None)


def latest_of(*, ticket_id: int, viewer: User | None) -> Change | None:
    """One query: the newest change `viewer` may know of on the ticket."""
    ticket = with_latest(Ticket.objects.filter(pk=ticket_id), viewer=viewer).only("pk").first()
    return latest(ticket) if ticket is not None else None


def status_or_fields_since(ticket: Ticket, moment: datetime) -> bool:
    """Whether anything but a comment happened to a ticket (read through with_latest())
    after `moment`: a status change or a field change (assignee, priority, service,
    subject)."""
    for kind, name in (("status", "last_status"), ("field", "last_field")):
        change = _change(kind, getattr(ticket, name, None))
        if change is not None and change.at > moment:
            return True
    return False


def _what(change: Change) -> str:
    if change.kind == "comment":
        return _("added an internal note") if change.internal else _("replied")
    if change.kind == "field":
        return {
            FieldChange.Field.ASSIGNEE: _("reassigned it"),
            FieldChange.Field.PRIORITY: _("changed its priority"),
            FieldChange.Field.CATEGORY: _("changed its service"),
            FieldChange.Field.SUBJECT: _("changed its subject"),
            FieldChange.Field.TEAM: _("moved it to another team"),
        }.get(change.field, _("changed it"))
    source, target = change.from_status, change.to_status
    if target == Status.ASSIGNED:
        return _("took it") if change.actor_id == change.assignee_id else _("assigned it")
    if target == Status.IN_PROGRESS:
        if source == Status.ON_HOLD:
            return _("resumed it")
        if source == Status.RESOLVED:
            return _("reopened it")
        return _("started work on it")
    return {
        Status.OPEN: _("unassigned it") if source else _("reported it"),
        Status.ON_HOLD: _("put it on hold"),
        Status.RESOLVED: _("resolved it"),
        Status.CLOSED: _("closed it"),
    }.get(target, _("changed its status"))


def sentence(change: Change, *, viewer: User | None = None) -> str:
    """The change as one sentence, e.g. "Priya Agent resolved it 2 minutes ago"."""
    if change.actor_id is None:
        who = _("The help desk")
    elif viewer is not None and change.actor_id == viewer.pk:
        who = _("You")
    else:
        who = change.actor
    return _("%(who)s %(what)s %(when)s.") % {
        "who": who,
        "what": _what(change),
        "when": ago(change.at),
    }
