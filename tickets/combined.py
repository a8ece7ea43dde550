"""One submit does the whole move: a reply and the status changes it needs, in one transaction.

An agent answering an unassigned ticket takes it first; "Send and resolve" on it takes it,
starts work, sends the reply and resolves with the reply as the resolution note. Which steps,
and who may take them, come from the workflow's table (workflow.RULES and its grants); each
step goes through the workflow's one door and writes its own StatusHistory row. If any step is
refused, nothing is written and the error names the step.

The customer hears once: where the last step tells the customer side (a resolution, a hold) its
message carries the reply, and the reply's own message is not sent.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import notifications, services, uploads, versions, workflow
from .errors import (
    HoldKindInvalid,
    InvalidTransition,
    NotPermitted,
    TicketError,
    TransitionNotAllowed,
)
from .models import Comment, StatusHistory, Ticket
from .status import HoldKind, Status

if TYPE_CHECKING:
    from accounts.models import User

REPLY = "reply"
INTERNAL_DOES_NOT_MOVE = gettext_lazy(
    "An internal note does not change the status; send a public reply to move the ticket."
)
NOTE_GOES_WITH_A_MOVE = gettext_lazy(
    "A note goes with a change of status: choose one of the “Send and …” buttons."
)
# What the composer's choice says, by the step that ends the move.
MOVE_LABELS = {
    "take": gettext_lazy("Send and take it"),
    "start": gettext_lazy("Send and start work"),
    "resume": gettext_lazy("Send and resume"),
    "reopen": gettext_lazy("Send and reopen"),
    "hold": gettext_lazy("Send and put on hold"),
    "resolve": gettext_lazy("Send and resolve"),
    "unassign": gettext_lazy("Send and unassign"),
    "close": gettext_lazy("Send and close"),
}
# What an agent is offered; a manager is offered every target the table lets them reach.
AGENT_TARGETS = (Status.ON_HOLD, Status.RESOLVED)


@dataclass(frozen=True)
class Step:
    action: str  # the workflow's name of the step, or REPLY
    target: Status | None = None  # where the step takes the ticket; None for the reply

    @property
    def label(self) -> str:
        if self.action == REPLY:
            return _("Reply")
        return str(workflow.ACTIONS[self.action].label)


@dataclass(frozen=True)
class Moved:
    comment: Comment
    history: list[StatusHistory]


def _route(*, ticket: Ticket, user: User, target: Status) -> list[Step] | None:
    """The shortest run of steps the table lets `user` take from the ticket's status to
    `target` (None: none). Taking makes them the assignee for the steps after it; steps
    done with a choice of agent (assign) are not part of a move."""
    start = (Status(ticket.status), frozenset(workflow.actors_for(user, ticket)))
    queue: deque[tuple[tuple[Status, frozenset], list[Step]]] = deque([(start, [])])
    seen = {start}
    while queue:
        (status, actors), steps = queue.popleft()
        if status == target and steps:
            return steps
        for (source, to), rule in workflow.RULES.items():
            if source != status:
                continue
            grants = [
                g for g in rule.grants_for(actors) if not workflow.ACTIONS[g.action].assignee_label
            ]
            if not grants:
                continue
            action = grants[0].action
            after = set(actors)
            if action == "take":
                after.add(workflow.Actor.ASSIGNEE)
            elif to == Status.OPEN:
                after.discard(workflow.Actor.ASSIGNEE)
            state = (to, frozenset(after))
            if state not in seen:
                seen.add(state)
                queue.append((state, [*steps, Step(action, to)]))
    return None


def _says_it(step: Step) -> bool:
    """Whether the reply's text can be the step's note: a step that tells the customer
    something (resolve, hold) or offers a note (close)."""
    spec = workflow.ACTIONS[step.action]
    return spec.note_public or spec.note_optional


def plan(*, ticket: Ticket, user: User, public: bool, target: Status | str | None) -> list[Step]:
    """The steps of one move, in the workflow's order: what puts the agent on the ticket
    and to work (take, start) before the reply, and a last step that takes a note (resolve,
    hold, close) after it, with the reply as its note. Raises the WorkflowError that forbids
    it."""
    if target is None or target == "":
        if public and ticket.status == Status.OPEN and user.is_agent:
            return [Step("take", Status.ASSIGNED), Step(REPLY)]
        return [Step(REPLY)]
    try:
        target = Status(target)
    except ValueError:
        raise InvalidTransition(source=ticket.status, target=str(target)) from None
    if not public:
        raise ValidationError({"then": INTERNAL_DOES_NOT_MOVE})
    if target == ticket.status:
        raise InvalidTransition(source=ticket.status, target=target)
    route = _route(ticket=ticket, user=user, target=target)
    if route is None:
        raise TransitionNotAllowed(source=ticket.status, target=target)
    if _says_it(route[-1]):
        return [*route[:-1], Step(REPLY), route[-1]]
    return [*route, Step(REPLY)]


def move_choices(*, ticket: Ticket, user: User) -> list[tuple[Status, str]]:
    """The targets the composer offers `user` beside "Send", each with its label: for an
    agent a hold and the resolution, for a manager every status the table lets them reach."""
    if not user.is_agent or ticket.status == Status.CLOSED:
        return []
    targets = Status if user.is_manager else AGENT_TARGETS
    choices = []
    for target in targets:
        if target == ticket.status:
            continue
        route = _route(ticket=ticket, user=user, target=target)
        if route is not None:
            choices.append((target, str(MOVE_LABELS[route[-1].action])))
    return choices


def _refused(error: TicketError, step: Step) -> TicketError:
    """The same refusal (its code and HTTP status), saying which step refused."""
    error.step = step.action
    error.message = _("%(step)s was refused: %(reason)s") % {
        "step": step.label,
        "reason": error.message,
    }
    error.args = (error.message,)
    return error


@uploads.removed_on_failure()
@transaction.atomic
def reply_and_move(
    *,
    ticket_id: int,
    actor: User,
    body: str,
    public: bool = True,
    target: Status | str | None = None,
    note: str = "",
    hold_kind: HoldKind | str | None = None,
    attachments: Sequence[UploadedFile] = (),
    expected_version: int | None = None,
    seen_at: datetime | None = None,
) -> Moved:
    """Reply as staff and move the ticket to `target` (None: only what replying needs) in one
    transaction. The last step's note is `note`, or the reply if none is typed; `hold_kind`
    goes with a hold. Nothing is written if a step is refused.

    `seen_at`: the last update the page showed. A plain reply (no `target`) written on it is
    accepted when only comments came since (versions.lock); a move is refused on any change.
    """
    ticket = versions.lock(
        ticket_id=ticket_id,
        user=actor,
        expected_version=expected_version,
        replying_since=seen_at if not target else None,
    )
    if not actor.is_agent:
        raise NotPermitted()
    if hold_kind and target != Status.ON_HOLD:
        raise HoldKindInvalid()
    if note.strip() and not target:
        raise ValidationError({"note": NOTE_GOES_WITH_A_MOVE})
    steps = plan(ticket=ticket, user=actor, public=public, target=target)
    reply_at = next(i for i, step in enumerate(steps) if step.action == REPLY)
    last = steps[-1]
    # The last step's message to the customer carries the reply; else the reply's own does.
    carried = last.action != REPLY and notifications.tells_customer_side(last.target)
    comment: Comment | None = None
    history = []
    for index, step in enumerate(steps):
        try:
            if step.action == REPLY:
                comment = services.comment_add_locked(
                    ticket=ticket,
                    author=actor,
                    body=body,
                    internal=not public,
                    attachments=attachments,
                    notify=not carried,
                )
                continue
            after_reply = index > reply_at
            history.append(
                workflow.transition_locked(
                    ticket=ticket,
                    to=step.target,
                    actor=actor,
                    note=(note.strip() or body) if after_reply else "",
                    assignee=actor if step.action == "take" else None,
                    action=step.action,
                    hold_kind=hold_kind if step.target == Status.ON_HOLD else None,
                    comment=comment if after_reply and carried else None,
                )
            )
        except TicketError as error:
            raise _refused(error, step) from None
    services.rules_after_update(ticket=ticket)
    return Moved(comment=comment, history=history)  # type: ignore[arg-type]  # a plan replies
