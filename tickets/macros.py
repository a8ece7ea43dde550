"""Macros: canned responses an agent inserts in the composer, then reviews and sends.

A macro's text is data, never a template: its placeholders ({{ customer_first_name }} and the
few others of PLACEHOLDERS) are replaced by one regular expression over a fixed list, and
anything else — "{% load %}", "{{ settings.SECRET_KEY }}", a filter — stays as typed.

Who keeps which: managers the shared ones (no owner), each agent their own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import combined, services
from .models import Macro, Ticket
from .status import Priority, Status

if TYPE_CHECKING:
    from accounts.models import User

PICKER_SIZE = 50  # macros listed in the composer's picker; the search finds the rest
HOLD_KIND_NEEDS_HOLD = gettext_lazy("A kind of hold goes with “then move to: On hold”.")
SHARED_ARE_MANAGERS = gettext_lazy("Only managers keep shared macros.")


def _first_word(text: str) -> str:
    return text.split()[0] if text.split() else ""


# name → what it becomes on a ticket, written by an agent.
PLACEHOLDERS: dict[str, Callable[[Ticket, User], str]] = {
    "customer_first_name": lambda ticket, agent: _first_word(ticket.customer.display_name),
    "customer_name": lambda ticket, agent: ticket.customer.display_name,
    "ticket_reference": lambda ticket, agent: ticket.reference,
    "ticket_subject": lambda ticket, agent: ticket.subject,
    "agent_name": lambda ticket, agent: agent.display_name,
    "agent_first_name": lambda ticket, agent: _first_word(agent.display_name),
    "service": lambda ticket, agent: ticket.category.name if ticket.category_id else "",
}


def placeholder_help() -> str:
    names = ", ".join("{{ %s }}" % name for name in PLACEHOLDERS)  # noqa: UP031
    return _("Placeholders: %(names)s.") % {"names": names}


_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


def macro_render(*, body: str, ticket: Ticket, agent: User | None) -> str:
    """The text with each known placeholder replaced; everything else left as written.
    `agent` None (a rule's message to a ticket nobody works): the agent's names are empty."""

    def replace(match: re.Match) -> str:
        name = match.group(1)
        fill = PLACEHOLDERS.get(name)
        if fill is None:
            return match.group(0)
        if agent is None and name.startswith("agent_"):
            return ""
        return fill(ticket, agent)

    return _PLACEHOLDER.sub(replace, body)


# --- Reading ------------------------------------------------------------------------------


def macros_for(*, user: User, q: str = "") -> QuerySet[Macro]:
    """The macros `user` may use: the shared ones and their own, most used first."""
    found = Macro.objects.filter(Q(owner__isnull=True) | Q(owner=user))
    if q.strip():
        for word in q.split()[:5]:
            found = found.filter(Q(title__icontains=word) | Q(body__icontains=word))
    return found.order_by("-usage_count", "title", "id")


def macro_usable_or_404(*, user: User, pk: int) -> Macro:
    macro = macros_for(user=user).filter(pk=pk).first()
    if macro is None:
        raise Http404
    return macro


def may_edit(*, user: User, macro: Macro) -> bool:
    return user.is_manager if macro.is_shared else macro.owner_id == user.pk


def macro_editable_or_404(*, user: User, pk: int) -> Macro:
    macro = Macro.objects.filter(pk=pk).first()
    # Another agent's macro does not exist for this one; a shared one they only use.
    if macro is None or not may_edit(user=user, macro=macro):
        raise Http404
    return macro


@dataclass(frozen=True)
class Preview:
    """What applying a macro to a ticket puts in the composer and what it will also do."""

    macro: Macro
    body: str
    then: str  # the "Send and …" button it sends with ("" for "Send")
    then_label: str  # that button's label, "" if none
    effects: list[str]  # what sending will do, in words
    unavailable: str  # why its status change cannot be made on this ticket now, or ""


def macro_preview(*, macro: Macro, ticket: Ticket, agent: User) -> Preview:
    effects = []
    if macro.set_priority and macro.set_priority != ticket.priority:
        effects.append(
            _("Set the priority to %(priority)s.")
            % {"priority": Priority(macro.set_priority).label}
        )
    then, then_label, unavailable = "", "", ""
    if macro.target_status:
        moves = dict(combined.move_choices(ticket=ticket, user=agent))
        target = Status(macro.target_status)
        if target in moves:
            then, then_label = macro.then, moves[target]
            words = _("Send the reply, then move the ticket to %(status)s.") % {
                "status": target.label
            }
            if macro.hold_kind:
                words += " (" + str(macro.get_hold_kind_display()) + ")"
            effects.append(words)
        else:
            unavailable = _("It would move the ticket to %(status)s, which you cannot do now.") % {
                "status": target.label
            }
    return Preview(
        macro=macro,
        body=macro_render(body=macro.body, ticket=ticket, agent=agent),
        then=then,
        then_label=then_label,
        effects=effects,
        unavailable=unavailable,
    )


# --- Writing ------------------------------------------------------------------------------


def _check(*, macro: Macro, actor: User, shared: bool) -> None:
    if shared and not actor.is_manager:
        raise ValidationError(SHARED_ARE_MANAGERS)
    if macro.hold_kind and macro.target_status != Status.ON_HOLD:
        raise ValidationError({"hold_kind": HOLD_KIND_NEEDS_HOLD})


def macro_save(
    *,
    actor: User,
    title: str,
    body: str,
    shared: bool = False,
    set_priority: str = "",
    target_status: str = "",
    hold_kind: str = "",
    macro: Macro | None = None,
) -> Macro:
    """Create a macro (macro=None) or change one `actor` may edit. A shared one is a
    manager's; a personal one is the actor's own."""
    if macro is not None and not may_edit(user=actor, macro=macro):
        raise Http404
    if not actor.is_agent:
        raise Http404
    macro = macro or Macro()
    macro.title, macro.body = title, body
    macro.set_priority, macro.target_status, macro.hold_kind = (
        set_priority,
        target_status,
        hold_kind,
    )
    macro.owner = None if shared else (macro.owner or actor)
    _check(macro=macro, actor=actor, shared=macro.owner is None)
    macro.updated_at = timezone.now()
    macro.full_clean()
    macro.save()
    return macro


def macro_delete(*, actor: User, macro: Macro) -> None:
    if not may_edit(user=actor, macro=macro):
        raise Http404
    macro.delete()


def macro_used(*, macro_id: int) -> None:
    """Count one reply sent from the macro (in the database: two agents at once both count)."""
    Macro.objects.filter(pk=macro_id).update(usage_count=F("usage_count") + 1)


@transaction.atomic
def reply_from_macro(
    *, macro: Macro, ticket_id: int, actor: User, expected_version: int | None = None, **reply
) -> combined.Moved:
    """combined.reply_and_move, plus what the macro does besides (its priority) and its
    count, in the same transaction: all of it is written, or none. The priority is set first,
    while the ticket is still open to changes (a move may close it)."""
    if macro.set_priority:
        services.ticket_update(
            ticket_id=ticket_id,
            actor=actor,
            priority=macro.set_priority,
            expected_version=expected_version,
        )
        expected_version = None  # checked, and the row stays locked
    moved = combined.reply_and_move(
        ticket_id=ticket_id, actor=actor, expected_version=expected_version, **reply
    )
    macro_used(macro_id=macro.pk)
    return moved
