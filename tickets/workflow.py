"""The ticket workflow: the one table of allowed status changes, and the one door through it.

Every path that changes a status — pages, API, admin actions, bulk actions, periodic tasks —
calls `transition()`. It locks the ticket row, checks the rule, the actor's right and any
required reason, updates the timestamps, writes the StatusHistory row in the same transaction
and schedules notifications for after the commit.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.security_log import log_transition_refused

from . import metrics, notifications, routing, teams, versions
from .errors import (
    AssigneeInvalid,
    HoldKindInvalid,
    InvalidTransition,
    NoteAudienceFixed,
    ReasonRequired,
    TransitionNotAllowed,
    WorkflowError,
)
from .models import Comment, StatusHistory, Ticket
from .status import STATUSES_WITH_ASSIGNEE, HoldKind, Status
from .text import has_visible_text

if TYPE_CHECKING:
    from accounts.models import User

__all__ = [
    "ACTIONS",
    "RULES",
    "Action",
    "ActionSpec",
    "Actor",
    "Audience",
    "Rule",
    "Status",
    "available_actions",
    "note_audience",
    "transition",
]


class Actor(enum.StrEnum):
    """How a person stands to a ticket; the table grants rights to these, not to users."""

    CUSTOMER = "customer"  # the customer who reported this ticket
    AGENT = "agent"  # any agent or manager (taking a ticket for themselves)
    ASSIGNEE = "assignee"  # the agent or manager working this ticket
    MANAGER = "manager"
    SYSTEM = "system"  # automatic changes: a customer's reply, auto-close, rules


@dataclass(frozen=True)
class Grant:
    actor: Actor
    action: str
    reason_required: bool = False


@dataclass(frozen=True)
class Rule:
    source: Status
    target: Status
    grants: tuple[Grant, ...]

    def grants_for(self, actors: Iterable[Actor]) -> list[Grant]:
        actors = set(actors)
        return [grant for grant in self.grants if grant.actor in actors]


def _rules(sources: Iterable[Status], target: Status, *grants: Grant) -> list[Rule]:
    return [Rule(source, target, grants) for source in sources]


S = Status
# The workflow table of the README ("The workflow"), row for row. Nothing else decides what
# may happen.
RULES: dict[tuple[Status, Status], Rule] = {
    (rule.source, rule.target): rule
    for rule in [
        *_rules(
            [S.OPEN],
            S.ASSIGNED,
            Grant(Actor.AGENT, "take"),
            Grant(Actor.MANAGER, "assign"),
            Grant(Actor.SYSTEM, "auto_assign"),  # routing (tickets.routing)
        ),
        *_rules(
            [S.ASSIGNED],
            S.OPEN,
            Grant(Actor.ASSIGNEE, "unassign"),
            Grant(Actor.MANAGER, "unassign"),
        ),
        *_rules(
            [S.ASSIGNED],
            S.IN_PROGRESS,
            Grant(Actor.ASSIGNEE, "start"),
            Grant(Actor.MANAGER, "start"),
        ),
        *_rules(
            [S.IN_PROGRESS],
            S.ON_HOLD,
            Grant(Actor.ASSIGNEE, "hold", reason_required=True),
            Grant(Actor.MANAGER, "hold", reason_required=True),
        ),
        *_rules(
            [S.ON_HOLD],
            S.IN_PROGRESS,
            Grant(Actor.ASSIGNEE, "resume"),
            Grant(Actor.MANAGER, "resume"),
            Grant(Actor.SYSTEM, "resume"),
        ),
        *_rules(
            [S.IN_PROGRESS, S.ON_HOLD],
            S.RESOLVED,
            Grant(Actor.ASSIGNEE, "resolve", reason_required=True),
            Grant(Actor.MANAGER, "resolve", reason_required=True),
            # An automation ("waiting for the customer for 7 days → resolve"), with its note.
            Grant(Actor.SYSTEM, "auto_resolve", reason_required=True),
        ),
        *_rules(
            [S.RESOLVED],
            S.CLOSED,
            Grant(Actor.CUSTOMER, "confirm"),
            Grant(Actor.MANAGER, "close"),
            Grant(Actor.SYSTEM, "auto_close"),
        ),
        *_rules(
            [S.RESOLVED],
            S.IN_PROGRESS,
            Grant(Actor.CUSTOMER, "reopen", reason_required=True),
            Grant(Actor.ASSIGNEE, "reopen"),
            Grant(Actor.MANAGER, "reopen"),
            Grant(Actor.SYSTEM, "reopen"),  # the customer replied (services.comment_add)
        ),
        *_rules(
            [S.OPEN, S.ASSIGNED, S.IN_PROGRESS, S.ON_HOLD],
            S.CLOSED,
            Grant(Actor.CUSTOMER, "withdraw", reason_required=True),
            Grant(Actor.MANAGER, "close", reason_required=True),
        ),
    ]
}

# Reassigning changes who works a ticket, not its status, so it is not a row of RULES; it is
# still something a person may do to a ticket, offered beside the status changes.
REASSIGN_STATUSES = STATUSES_WITH_ASSIGNEE
REASSIGN = Grant(Actor.MANAGER, "reassign")


@dataclass(frozen=True)
class ActionSpec:
    """How pages and the API present one action; whether it is allowed is for RULES."""

    name: str
    label: str
    # The note's field: its label, and who reads what is written in it (note_audience()).
    note_label: str = _("Reason")
    note_public: bool = False  # the customer reads staff's note, always
    note_may_be_public: bool = True  # else staff only, unless the writer marks it public
    note_optional: bool = False  # the field is offered even where no reason is required
    confirm: bool = False  # asked for again before it happens
    destructive: bool = False
    primary: bool = False
    confirm_label: str | None = None  # the button that confirms, if not the label
    consequence: str = ""  # what confirming will do, said beside that button
    done: str = ""  # what the customer's page says once it is done, if more than "Done."
    assignee_label: str = ""  # done with a choice of agent, under this label
    bulk: bool = False  # offered in the queue's bulk form
    bulk_label: str | None = None  # there, if not under its label


def _told_to_customer(name: str, label: str, *, note_label: str) -> ActionSpec:
    """A worker's step whose note the customer reads: written in a form, offered in bulk."""
    return ActionSpec(name, label, note_label=note_label, note_public=True, confirm=True, bulk=True)


# Every action, in the order the bulk form lists them.
ACTIONS: dict[str, ActionSpec] = {
    spec.name: spec
    for spec in [
        ActionSpec("take", _("Take"), primary=True, bulk=True, bulk_label=_("Assign to me")),
        ActionSpec(
            "assign",
            _("Assign"),
            assignee_label=_("Assign to"),
            bulk=True,
            bulk_label=_("Assign to…"),
        ),
        ActionSpec(
            "reassign",
            _("Reassign"),
            assignee_label=_("Reassign to"),
            confirm_label=_("Assign"),
            # Its note is kept with the reassignment, which the customer's timeline never shows.
            note_may_be_public=False,
        ),
        ActionSpec("start", _("Start work"), bulk=True),
        _told_to_customer("hold", _("Put on hold"), note_label=_("What are we waiting for?")),
        ActionSpec("resume", _("Resume"), bulk=True),
        _told_to_customer("resolve", _("Resolve"), note_label=_("Resolution")),
        ActionSpec("unassign", _("Unassign"), bulk=True),
        # The customer reads why the help desk closed their ticket (and is sent it).
        ActionSpec(
            "close",
            _("Close"),
            note_public=True,
            note_optional=True,
            confirm=True,
            destructive=True,
            bulk=True,
        ),
        ActionSpec(
            "confirm",
            _("Confirm the fix"),
            confirm=True,
            primary=True,
            confirm_label=_("Yes, close my ticket"),
            consequence=_(
                "The ticket will be closed. A closed ticket cannot be reopened; a new problem "
                "gets a new ticket."
            ),
            done=_("Thank you for confirming. The ticket is closed."),
            note_public=True,
        ),
        ActionSpec(
            "reopen",
            _("Reopen"),
            note_label=_("What is still wrong?"),
            consequence=_("The ticket goes back to the agent."),
            done=_("The ticket is reopened; the agent has been told."),
        ),
        ActionSpec(
            "withdraw",
            _("Withdraw"),
            note_label=_("Why? (required)"),
            confirm=True,
            destructive=True,
            confirm_label=_("Withdraw my ticket"),
            consequence=_("The ticket will be closed and nobody will work on it any more."),
            done=_("Your ticket is withdrawn and closed."),
            note_public=True,
        ),
        ActionSpec("auto_close", _("Close automatically"), note_public=True),
        ActionSpec("auto_assign", _("Assign automatically"), note_may_be_public=False),
        ActionSpec("auto_resolve", _("Resolve automatically"), note_public=True),
    ]
}

BULK_ACTIONS = [spec for spec in ACTIONS.values() if spec.bulk]


@dataclass(frozen=True)
class Audience:
    """Who reads the note written with one action by one person."""

    public: bool  # by default, the customer reads it as well as staff
    choosable: bool  # the writer may mark it public instead (staff's staff-only notes)

    @property
    def name(self) -> str:
        return "customer" if self.public else "staff"


def note_audience(*, spec: ActionSpec, actor: Actor) -> Audience:
    """The rule for every note: a customer's own words (a reopen or withdraw reason) are read
    by both sides; staff's are for the customer where the action tells the customer something
    (a resolution, what we wait for), and otherwise for staff unless the writer marks them
    public (except where the customer never sees the record, as with a reassignment)."""
    if actor == Actor.CUSTOMER or spec.note_public:
        return Audience(public=True, choosable=False)
    return Audience(public=False, choosable=actor != Actor.SYSTEM and spec.note_may_be_public)


def note_is_public(*, spec: ActionSpec, actor: Actor, chosen: bool | None) -> bool:
    """Whether the note is for the customer: the default, or the writer's choice where the
    rule lets them choose; an impossible choice is refused, never quietly changed."""
    audience = note_audience(spec=spec, actor=actor)
    if chosen is None or chosen == audience.public:
        return audience.public
    if not audience.choosable:
        raise NoteAudienceFixed(public=audience.public)
    return chosen


def default_note_public(
    *, source: Status, target: Status, by_customer: bool, by_system: bool
) -> bool:
    """Who reads the note of a change made with no choice of audience (seed_demo's invented
    histories), by the table: as note_audience() has it for the one who made the change."""
    if by_customer:
        return True
    actors = {Actor.SYSTEM} if by_system else {Actor.AGENT, Actor.ASSIGNEE, Actor.MANAGER}
    grants = rule_for(source, target).grants_for(actors)
    if not grants:
        return False
    return note_audience(spec=ACTIONS[grants[0].action], actor=grants[0].actor).public


def bulk_note_audiences(*, user: User) -> list[tuple[ActionSpec, Audience]]:
    """Each bulk action with who reads its note, as the queue's bulk form says."""
    return [(spec, note_audience(spec=spec, actor=Actor.AGENT)) for spec in bulk_actions(user=user)]


@dataclass(frozen=True)
class Action:
    """An action one user may take on one ticket now: for buttons, forms and API hints."""

    spec: ActionSpec
    target: Status  # for reassign, the status the ticket keeps
    reason_required: bool
    audience: Audience  # who reads the note written with it

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def label(self) -> str:
        return str(self.spec.label)

    @property
    def asks_note(self) -> bool:
        """Whether a note field goes with it: a required one, or one its confirmation offers."""
        return self.reason_required or self.spec.note_optional

    @property
    def needs_form(self) -> bool:
        """Whether it opens a form to fill or confirm rather than happening at one click."""
        return self.spec.confirm or self.reason_required


def actors_for(user: User | None, ticket: Ticket) -> set[Actor]:
    """The capacities in which `user` (None: the system) may act on `ticket`."""
    if user is None:
        return {Actor.SYSTEM}
    if not user.is_active:
        return set()
    actors: set[Actor] = set()
    if user.is_customer and ticket.customer_id == user.pk:
        actors.add(Actor.CUSTOMER)
    if user.is_agent:
        actors.add(Actor.AGENT)
        if ticket.assignee_id == user.pk:
            actors.add(Actor.ASSIGNEE)
    if user.is_manager:
        actors.add(Actor.MANAGER)
    return actors


def available_actions(*, user: User | None, ticket: Ticket) -> list[Action]:
    """What `user` may do to `ticket` now: the one list behind every page's buttons and the
    API's `actions`. In table order, those done with a choice of agent last (the pages draw
    them below the buttons)."""
    actors = actors_for(user, ticket)
    actions: list[Action] = []
    for (source, target), rule in RULES.items():
        if source != ticket.status:
            continue
        grants = rule.grants_for(actors)
        for name in dict.fromkeys(grant.action for grant in grants):
            named = [grant for grant in grants if grant.action == name]
            spec = ACTIONS[name]
            actions.append(
                Action(
                    spec=spec,
                    target=target,
                    reason_required=all(g.reason_required for g in named),
                    audience=note_audience(spec=spec, actor=named[0].actor),
                )
            )
    if may_reassign(user=user, ticket=ticket, actors=actors):
        spec = ACTIONS[REASSIGN.action]
        actions.append(
            Action(
                spec=spec,
                target=Status(ticket.status),
                reason_required=False,
                audience=note_audience(spec=spec, actor=REASSIGN.actor),
            )
        )
    return sorted(actions, key=lambda action: bool(action.spec.assignee_label))


def bulk_actions(*, user: User) -> list[ActionSpec]:
    """The actions the queue's bulk form offers `user`: those a person of their role may ever
    take on some ticket."""
    capacities = {Actor.AGENT, Actor.ASSIGNEE} if user.is_agent else set()
    if user.is_manager:
        capacities.add(Actor.MANAGER)
    granted = {g.action for rule in RULES.values() for g in rule.grants_for(capacities)}
    if REASSIGN.actor in capacities:
        granted.add(REASSIGN.action)
    return [spec for spec in BULK_ACTIONS if spec.name in granted]


def may_reassign(*, user: User | None, ticket: Ticket, actors: set[Actor] | None = None) -> bool:
    """Whether `user` may put another agent on `ticket` while keeping its status."""
    if actors is None:
        actors = actors_for(user, ticket)
    return ticket.status in REASSIGN_STATUSES and REASSIGN.actor in actors


def rule_for(source: str, target: str) -> Rule:
    try:
        return RULES[(Status(source), Status(target))]
    except (KeyError, ValueError):
        raise InvalidTransition(source=source, target=target) from None


# Each action's target: "resolve" → resolved, "hold" → on hold, …
ACTION_TARGETS = {grant.action: target for (_s, target), r in RULES.items() for grant in r.grants}


def check(
    *,
    ticket: Ticket,
    target: str,
    user: User | None,
    note: str,
    assignee: User | None,
    action: str | None = None,
) -> Grant:
    """Raise the specific WorkflowError that forbids this change, or return the grant.

    `action`, when given, must be what the table calls this step for this person: "start"
    does not resume a ticket on hold, even though both lead to in progress.
    """
    rule = rule_for(ticket.status, target)
    grants = _grants(rule, user=user, ticket=ticket, action=action)
    if not grants:
        raise TransitionNotAllowed(source=ticket.status, target=target)
    if all(g.reason_required for g in grants) and not has_visible_text(note):
        raise ReasonRequired(action=grants[0].action)
    if rule.source == Status.OPEN and rule.target == Status.ASSIGNED:
        # Taking or assigning: someone must end up on the ticket, and an agent only takes
        # tickets for themselves.
        if assignee is None or not assignee.is_active or not assignee.is_agent:
            raise AssigneeInvalid()
        if assignee != user and not any(g.actor in ASSIGN_OTHERS for g in grants):
            raise TransitionNotAllowed(source=ticket.status, target=target)
        if not teams.may_work(ticket=ticket, agent=assignee):
            raise AssigneeInvalid()
    return grants[0]


# Who may put someone other than themselves on a ticket.
ASSIGN_OTHERS = (Actor.MANAGER, Actor.SYSTEM)


def _grants(rule: Rule, *, user: User | None, ticket: Ticket, action: str | None) -> list[Grant]:
    grants = rule.grants_for(actors_for(user, ticket))
    if action is not None:
        grants = [grant for grant in grants if grant.action == action]
    return grants


# In the queue's bulk form "Start work" and "Resume" mean the same to the person choosing
# (I work on it now): each does the other's move on a ticket where only the other applies.
BULK_SAME_MOVE = {"start": "resume", "resume": "start"}


def bulk_action_for(action: str, *, status: str) -> str:
    """The action a bulk choice of `action` takes on a ticket in `status`."""
    other = BULK_SAME_MOVE.get(action)
    if other is None or _named_from(action, status) or not _named_from(other, status):
        return action
    return other


def _named_from(action: str, status: str) -> bool:
    return any(
        rule.source == status and any(grant.action == action for grant in rule.grants)
        for rule in RULES.values()
    )


def reason_required(*, user: User, ticket: Ticket, action: str) -> bool:
    """Whether `user` taking `action` on `ticket` must give a reason (False where the step is
    not theirs at all: check() says why)."""
    target = ACTION_TARGETS.get(action)
    rule = RULES.get((Status(ticket.status), target)) if target else None
    if rule is None:
        return False
    grants = _grants(rule, user=user, ticket=ticket, action=action)
    return bool(grants) and all(grant.reason_required for grant in grants)


# What the system writes when it changes a status by itself.
CUSTOMER_REPLIED = _("The customer replied.")
CUSTOMER_REPLIED_AFTER_RESOLUTION = _(
    "The customer replied to the resolved ticket, so it is back in progress."
)


def auto_close_note(days: int) -> str:
    return _("Closed automatically %(days)s days after resolution.") % {"days": days}


def hold_kind_for(target: Status | str, hold_kind: HoldKind | str | None) -> HoldKind | None:
    """The kind a step records: a hold waits for the customer unless told otherwise; only a
    hold has a kind, and a kind that does not exist is refused."""
    if target != Status.ON_HOLD:
        if hold_kind:
            raise HoldKindInvalid()
        return None
    try:
        return HoldKind(hold_kind or HoldKind.CUSTOMER)
    except ValueError:
        raise HoldKindInvalid() from None


def apply_effects(
    ticket: Ticket,
    source: Status,
    target: Status,
    *,
    assignee: User | None,
    now: datetime,
    hold_kind: HoldKind | None = None,
) -> list[str]:
    """What the step source → target does to the ticket's own fields, in memory; returns the
    fields it changed. `assignee` is who takes the ticket when it becomes assigned;
    `hold_kind` what it waits for when it goes on hold.

    `transition()` saves what this changes; seed_demo replays its invented histories with it.
    """
    changed = ["status", *versions.touch_fields(public=True)]
    if target == Status.ASSIGNED and source == Status.OPEN:
        ticket.assignee = assignee
        changed.append("assignee")
    elif target == Status.OPEN:
        ticket.assignee = None
        changed.append("assignee")
    if target == Status.RESOLVED:
        ticket.resolved_at = now
        changed.append("resolved_at")
    elif source == Status.RESOLVED and target == Status.IN_PROGRESS:
        ticket.resolved_at = None
        changed.append("resolved_at")
    if target == Status.CLOSED:
        ticket.closed_at = now
        changed.append("closed_at")
    if ticket.hold_kind != hold_kind:
        ticket.hold_kind = hold_kind
        changed.append("hold_kind")
    ticket.status = target
    ticket.status_changed_at = now
    changed.append("status_changed_at")
    versions.bump(ticket, public=True, now=now)  # the customer sees every status
    return changed


@transaction.atomic
def transition(
    *,
    ticket_id: int,
    to: Status | str,
    actor: User | None,
    note: str = "",
    assignee: User | None = None,
    expected_version: int | None = None,
    action: str | None = None,
    note_public: bool | None = None,
    hold_kind: HoldKind | str | None = None,
) -> StatusHistory:
    """Move a ticket to `to` on behalf of `actor` (None: the system).

    `assignee` names who takes the ticket when it becomes assigned; `hold_kind` what a hold
    waits for (default: the customer). `expected_version` is the
    version the caller last saw (versions.seen_by: a customer's is the public one); if the
    ticket changed since, TicketChanged is raised and nothing is written. `note_public` is
    the writer's choice of who reads the note, where note_audience() lets them choose (None:
    the action's default).
    """
    ticket = versions.lock(ticket_id=ticket_id, user=actor, expected_version=expected_version)
    entry = transition_locked(
        ticket=ticket,
        to=to,
        actor=actor,
        note=note,
        assignee=assignee,
        action=action,
        note_public=note_public,
        hold_kind=hold_kind,
    )
    from .rules import triggers  # the rules act through this module

    triggers.run_locked(ticket=ticket, event=triggers.UPDATED)
    return entry


def transition_locked(
    *,
    ticket: Ticket,
    to: Status | str,
    actor: User | None,
    note: str = "",
    assignee: User | None = None,
    action: str | None = None,
    note_public: bool | None = None,
    hold_kind: HoldKind | str | None = None,
    comment: Comment | None = None,
    rule: str = "",
) -> StatusHistory:
    """`transition()` for a service that has already locked the ticket's row (select_for_update,
    in the caller's transaction) and checked its version. `comment`: the reply sent with this
    change in one move (tickets.combined), which its message to the customer carries. `rule`:
    the automatic rule that made the change (routing), kept in the history."""
    note = note.strip()
    try:
        grant = check(
            ticket=ticket, target=to, user=actor, note=note, assignee=assignee, action=action
        )
        public = note_is_public(spec=ACTIONS[grant.action], actor=grant.actor, chosen=note_public)
        kind = hold_kind_for(to, hold_kind)
    except WorkflowError as error:
        log_transition_refused(
            actor=actor,
            ticket_id=ticket.pk,
            from_status=ticket.status,
            to_status=to,
            reason=error.code,
        )
        raise

    now = timezone.now()
    source, target = Status(ticket.status), Status(to)
    previous_assignee_id = ticket.assignee_id
    changed = apply_effects(ticket, source, target, assignee=assignee, now=now, hold_kind=kind)
    ticket._workflow_may_save_status = True
    ticket.save(update_fields=changed)

    entry = StatusHistory.objects.create(
        ticket=ticket,
        from_status=source,
        to_status=target,
        actor=actor,
        assignee=ticket.assignee,
        note=note,
        note_public=public,
        hold_kind=kind,
        created_at=now,
        rule=rule,
    )
    notifications.status_changed(entry, comment=comment)
    metrics.refresh_one(ticket.pk)
    routing.after_transition(ticket=ticket, entry=entry, previous_assignee_id=previous_assignee_id)
    return entry


def record_creation(*, ticket: Ticket, actor: User) -> StatusHistory:
    """The first link of every ticket's chain: (nothing) → open. Called by ticket_create."""
    return StatusHistory.objects.create(
        ticket=ticket,
        from_status=None,
        to_status=Status.OPEN,
        actor=actor,
        created_at=ticket.created_at,
    )
