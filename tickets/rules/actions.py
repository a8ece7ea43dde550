"""What a rule may do to a ticket, stored as JSON: [{"type": …, …}, …].

Each action goes through the services and the workflow as the system (actor None), with the
rule named in what is recorded ("trigger:4" in StatusHistory.rule and FieldChange.rule). One
refused action (a transition the workflow forbids, a follower who cannot follow) is refused
alone: it is undone to its savepoint and logged, and the rule's other actions stand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.identity import normalize_email

from .. import followers, macros, notifications, routing, services, versions, workflow
from ..errors import TicketError
from ..limits import MESSAGE_MAX_LENGTH
from ..models import Team, Ticket
from ..queries import active_agents
from ..status import Priority, Status

if TYPE_CHECKING:
    from accounts.models import User

MAX_ACTIONS = 10
RECIPIENTS = ("customer", "assignee", "managers", "team")
# Where a rule may move a ticket; whether it may now is the workflow's to say.
TARGETS = (Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED)

NOT_A_LIST = gettext_lazy("Actions are a list of {type, …}; give at least one.")
TOO_MANY = gettext_lazy("At most %(n)s actions.")
UNKNOWN_TYPE = gettext_lazy("Unknown action “%(type)s”. Choose one of: %(types)s.")
BAD_PRIORITY = gettext_lazy("Choose a priority: %(choices)s.")
NO_SUCH_TEAM = gettext_lazy("There is no team with id %(value)s.")
NO_SUCH_AGENT = gettext_lazy("There is no active agent with id %(value)s.")
BAD_EMAIL = gettext_lazy("Give the e-mail address of a customer.")
BAD_RECIPIENT = gettext_lazy("Send it to one of: %(choices)s.")
NEEDS_TEXT = gettext_lazy("Write the text (at most %(n)s characters).")
BAD_TARGET = gettext_lazy("Move it to one of: %(choices)s.")
NO_TEAM_TO_TELL = gettext_lazy("The ticket has no team to tell.")
NOBODY_TO_TELL = gettext_lazy("Nobody to send it to.")
NOT_WHILE_WORKED = gettext_lazy("A rule assigns only an open ticket; reassigning is for a manager.")
NO_AUTHOR = gettext_lazy("A note needs the manager who saved the rule; save it again.")
NO_SUCH_CUSTOMER = gettext_lazy("No customer has the address %(email)s.")


@dataclass(frozen=True)
class Context:
    """What an action needs besides the ticket: the rule's name for the records, and who
    wrote it (the author of the internal notes it adds)."""

    rule: str
    author: User | None


def _text(value: Any, *, limit: int = MESSAGE_MAX_LENGTH) -> str:
    text = str(value or "").strip()
    if not text or len(text) > limit:
        raise ValidationError(NEEDS_TEXT % {"n": limit})
    return text


def _clean_priority(action: dict) -> dict:
    if action.get("value") not in Priority.values:
        raise ValidationError(BAD_PRIORITY % {"choices": ", ".join(Priority.values)})
    return {"value": action["value"]}


def _pk(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _clean_team(action: dict) -> dict:
    pk = _pk(action.get("value"))
    if pk is None or not Team.objects.filter(pk=pk).exists():
        raise ValidationError(NO_SUCH_TEAM % {"value": action.get("value")})
    return {"value": pk}


def _clean_agent(action: dict) -> dict:
    pk = _pk(action.get("value"))
    if pk is None or not active_agents().filter(pk=pk).exists():
        raise ValidationError(NO_SUCH_AGENT % {"value": action.get("value")})
    return {"value": pk}


def _clean_follower(action: dict) -> dict:
    try:
        email = normalize_email(str(action.get("value") or ""))
    except ValidationError:
        raise ValidationError(BAD_EMAIL) from None
    if "@" not in email:
        raise ValidationError(BAD_EMAIL)
    return {"value": email}


def _clean_notify(action: dict) -> dict:
    if action.get("to") not in RECIPIENTS:
        raise ValidationError(BAD_RECIPIENT % {"choices": ", ".join(RECIPIENTS)})
    return {
        "to": action["to"],
        "subject": _text(action.get("subject"), limit=200),
        "body": _text(action.get("body")),
    }


def _clean_note(action: dict) -> dict:
    return {"body": _text(action.get("body"))}


def _clean_transition(action: dict) -> dict:
    if action.get("to") not in TARGETS:
        raise ValidationError(BAD_TARGET % {"choices": ", ".join(TARGETS)})
    note = str(action.get("note") or "").strip()
    if len(note) > MESSAGE_MAX_LENGTH:
        raise ValidationError(NEEDS_TEXT % {"n": MESSAGE_MAX_LENGTH})
    return {"to": action["to"], "note": note}


# --- Doing --------------------------------------------------------------------------------


def _set_priority(ticket: Ticket, action: dict, context: Context) -> str:
    changed = services.ticket_update_locked(
        ticket=ticket, actor=None, priority=action["value"], rule=context.rule
    )
    label = Priority(action["value"]).label
    if not changed:
        return ""
    return _("Priority set to %(priority)s.") % {"priority": label}


def _assign_team(ticket: Ticket, action: dict, context: Context) -> str:
    team = Team.objects.filter(pk=action["value"]).first()
    if team is None:
        raise TicketError(NO_SUCH_TEAM % {"value": action["value"]})
    if ticket.team_id == team.pk:
        return ""
    ticket.team = team
    ticket.save(update_fields=["team", *versions.bump(ticket, public=False)])
    words = _("Team set to %(team)s.") % {"team": team.name}
    # An open ticket is offered to its new team's members now, as on arrival.
    if routing.offer_locked(ticket=ticket) is not None:
        words += " " + _("Assigned automatically to %(agent)s.") % {
            "agent": ticket.assignee.display_name
        }
    return words


def _assign_agent(ticket: Ticket, action: dict, context: Context) -> str:
    agent = active_agents().filter(pk=action["value"]).first()
    if agent is None:
        raise TicketError(NO_SUCH_AGENT % {"value": action["value"]})
    if ticket.assignee_id == agent.pk:
        return ""
    if ticket.status != Status.OPEN:
        raise TicketError(NOT_WHILE_WORKED)
    workflow.transition_locked(
        ticket=ticket,
        to=Status.ASSIGNED,
        actor=None,
        assignee=agent,
        action="auto_assign",
        note=_("Assigned by the rule."),
        rule=context.rule,
    )
    return _("Assigned to %(agent)s.") % {"agent": agent.display_name}


def _add_follower(ticket: Ticket, action: dict, context: Context) -> str:
    from accounts.models import User

    user = User.objects.filter(email=action["value"]).first()
    if user is None:
        raise TicketError(NO_SUCH_CUSTOMER % {"email": action["value"]})
    _row, created = followers.follower_add(ticket_id=ticket.pk, user=user, added_by=None)
    if not created:
        return ""
    return _("%(email)s follows the ticket.") % {"email": user.email}


def recipients_of(ticket: Ticket, to: str) -> list[User]:
    from accounts.models import Role, User

    if to == "customer":
        return [ticket.customer]
    if to == "assignee":
        return [ticket.assignee] if ticket.assignee_id else []
    if to == "managers":
        return list(User.objects.filter(role=Role.MANAGER, is_active=True).order_by("pk"))
    if ticket.team_id is None:
        raise TicketError(NO_TEAM_TO_TELL)
    return list(active_agents().filter(team_memberships__team_id=ticket.team_id).order_by("pk"))


def _notify(ticket: Ticket, action: dict, context: Context) -> str:
    people = recipients_of(ticket, action["to"])
    if not people:
        raise TicketError(NOBODY_TO_TELL)
    subject = macros.macro_render(body=action["subject"], ticket=ticket, agent=ticket.assignee)
    body = macros.macro_render(body=action["body"], ticket=ticket, agent=ticket.assignee)
    written = notifications.rule_message(
        ticket=ticket, recipients=people, subject=subject, body=body, rule=context.rule
    )
    return _("Message “%(subject)s” to %(to)s (%(n)s sent).") % {
        "subject": subject,
        "to": action["to"],
        "n": written,
    }


def _add_note(ticket: Ticket, action: dict, context: Context) -> str:
    if context.author is None:
        raise TicketError(NO_AUTHOR)
    body = macros.macro_render(body=action["body"], ticket=ticket, agent=ticket.assignee)
    services.comment_add_locked(ticket=ticket, author=context.author, body=body, internal=True)
    return _("Internal note added.")


def _transition(ticket: Ticket, action: dict, context: Context) -> str:
    note = macros.macro_render(body=action["note"], ticket=ticket, agent=ticket.assignee)
    workflow.transition_locked(
        ticket=ticket, to=action["to"], actor=None, note=note, rule=context.rule
    )
    return _("Moved to %(status)s.") % {"status": Status(action["to"]).label}


@dataclass(frozen=True)
class Kind:
    name: str
    label: Any
    clean: Callable[[dict], dict]
    do: Callable[[Ticket, dict, Context], str]  # what it did in words ("" if nothing)


KINDS: dict[str, Kind] = {
    k.name: k
    for k in [
        Kind("set_priority", gettext_lazy("Set the priority"), _clean_priority, _set_priority),
        Kind("assign_team", gettext_lazy("Give it to a team"), _clean_team, _assign_team),
        Kind("assign_agent", gettext_lazy("Assign to an agent"), _clean_agent, _assign_agent),
        Kind("add_follower", gettext_lazy("Add a follower"), _clean_follower, _add_follower),
        Kind("notify", gettext_lazy("Send a message"), _clean_notify, _notify),
        Kind("add_note", gettext_lazy("Add an internal note"), _clean_note, _add_note),
        Kind("transition", gettext_lazy("Move the ticket"), _clean_transition, _transition),
    ]
}


def clean(actions: Any) -> list[dict]:
    """The actions as stored, or ValidationError naming each bad one by its number."""
    if not isinstance(actions, list) or not actions:
        raise ValidationError(NOT_A_LIST)
    if not all(isinstance(a, dict) for a in actions):
        raise ValidationError(NOT_A_LIST)
    if len(actions) > MAX_ACTIONS:
        raise ValidationError(TOO_MANY % {"n": MAX_ACTIONS})
    cleaned, errors = [], []
    for number, action in enumerate(actions, start=1):
        kind = KINDS.get(action.get("type")) if isinstance(action.get("type"), str) else None
        try:
            if kind is None:
                raise ValidationError(
                    UNKNOWN_TYPE % {"type": action.get("type"), "types": ", ".join(KINDS)}
                )
            cleaned.append({"type": kind.name, **kind.clean(action)})
        except ValidationError as error:
            errors.append(
                _("Action %(n)s: %(error)s") % {"n": number, "error": " ".join(error.messages)}
            )
    if errors:
        raise ValidationError(errors)
    return cleaned


@dataclass(frozen=True)
class Done:
    action: dict
    words: str  # what it did ("" if nothing needed doing)
    refused: str = ""  # why it was refused


def do(ticket: Ticket, action: dict, context: Context) -> Done:
    """One action on the locked ticket, in a savepoint: refused alone if refused."""
    kind = KINDS[action["type"]]
    try:
        with transaction.atomic():
            return Done(action, kind.do(ticket, action, context))
    except (TicketError, ValidationError) as error:
        ticket.refresh_from_db()  # what the savepoint undid is undone in memory too
        reason = error.message if isinstance(error, TicketError) else " ".join(error.messages)
        return Done(action, "", refused=str(reason))


def describe(action: dict) -> str:
    """The action in words, for lists and the dry run."""
    kind = KINDS[action["type"]]
    detail = {
        "set_priority": lambda: str(action.get("value")),
        "assign_team": lambda: _name(Team, action.get("value")),
        "assign_agent": lambda: _agent_name(action.get("value")),
        "add_follower": lambda: str(action.get("value")),
        "notify": lambda: f"{action.get('to')}: “{action.get('subject')}”",
        "add_note": lambda: f"“{action.get('body', '')[:60]}”",
        "transition": lambda: str(action.get("to")),
    }[kind.name]()
    return f"{kind.label}: {detail}"


def _name(model, pk) -> str:
    found = model.objects.filter(pk=pk).first()
    return str(found) if found else f"#{pk}"


def _agent_name(pk) -> str:
    from accounts.models import User

    found = User.objects.filter(pk=pk).first()
    return found.display_name if found else f"#{pk}"
