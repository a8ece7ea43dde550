"""Triggers: run when a ticket is created or updated through the services.

The services call `run_locked()` at their end, on the ticket row they locked, in their
transaction (ticket_create before routing offers the ticket, so that a trigger may choose
its team or agent). Enabled triggers of the event are tried in `position` order; each whose
conditions hold does its actions (tickets.rules.actions) as the system.

Loops are impossible by construction: the actions call the services' locked variants, which
never start triggers themselves. After a pass that changed the ticket the triggers not yet
fired are tried again (a change may make another match), each firing at most once per
update, for at most MAX_PASSES passes; one still matching then is not fired, and its log
says so (RuleLog STOPPED).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..errors import NotPermitted
from ..models import RuleLog, Ticket, Trigger
from . import actions, conditions

if TYPE_CHECKING:
    from accounts.models import User

CREATED = Trigger.Event.CREATED
UPDATED = Trigger.Event.UPDATED
MAX_PASSES = 3
NO_NUL = gettext_lazy("Text cannot contain a NUL character.")
STOPPED_WORDS = gettext_lazy(
    "Matched again after %(n)s passes of the triggers over one update: not fired, so that "
    "rules cannot loop."
)


def enabled(event: str) -> list[Trigger]:
    return list(
        Trigger.objects.filter(enabled=True, event=event)
        .select_related("updated_by")
        .order_by("position", "id")
    )


def run_locked(*, ticket: Ticket, event: str) -> list[RuleLog]:
    """Fire the matching triggers of `event` on `ticket` (its row locked by the caller).
    Returns the log rows written."""
    triggers = enabled(event)
    if not triggers:
        return []
    fired: set[int] = set()
    logs: list[RuleLog] = []
    for number in range(1, MAX_PASSES + 2):
        changed = False
        for trigger in triggers:
            if trigger.pk in fired or not conditions.matches(trigger.conditions, ticket):
                continue
            if number > MAX_PASSES:
                logs.append(
                    _log(
                        trigger.rule,
                        ticket,
                        RuleLog.Outcome.STOPPED,
                        STOPPED_WORDS % {"n": MAX_PASSES},
                    )
                )
                continue
            fired.add(trigger.pk)
            done, written = fire(trigger, ticket)
            logs.extend(written)
            changed |= any(d.words for d in done)
        if not changed:
            break
    return logs


def fire(trigger: Trigger, ticket: Ticket) -> tuple[list[actions.Done], list[RuleLog]]:
    context = actions.Context(rule=trigger.rule, author=trigger.updated_by)
    done = [actions.do(ticket, action, context) for action in trigger.actions]
    now = timezone.now()
    Trigger.objects.filter(pk=trigger.pk).update(last_fired_at=now, fire_count=F("fire_count") + 1)
    return done, log_firing(rule=trigger.rule, ticket=ticket, done=done)


def log_firing(*, rule: str, ticket: Ticket, done: list[actions.Done]) -> list[RuleLog]:
    said = " ".join(d.words for d in done if d.words) or _("Nothing needed changing.")
    rows = [_log(rule, ticket, RuleLog.Outcome.FIRED, said)]
    rows += [
        _log(
            rule,
            ticket,
            RuleLog.Outcome.REFUSED,
            _("%(action)s — refused: %(reason)s")
            % {"action": actions.describe(d.action), "reason": d.refused},
        )
        for d in done
        if d.refused
    ]
    return rows


def _log(rule: str, ticket: Ticket, outcome: str, detail: str) -> RuleLog:
    return RuleLog.objects.create(rule=rule, ticket=ticket, outcome=outcome, detail=detail)


# --- Dry run --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DryRun:
    ticket: Ticket
    checked: list[conditions.Checked]
    would_do: list[str]  # the actions in words, if every condition holds

    @property
    def matches(self) -> bool:
        return all(c.matched for c in self.checked)


def dry_run(*, conditions_: list[dict], actions_: list[dict], ticket: Ticket) -> DryRun:
    """Which conditions hold on `ticket` now and what the rule would do; nothing is written."""
    return DryRun(
        ticket=ticket,
        checked=conditions.check(conditions_, ticket),
        would_do=[actions.describe(a) for a in actions_],
    )


# --- Managers' writes -----------------------------------------------------------------------


def _manager(by: User) -> None:
    if not by.is_manager:
        raise NotPermitted()


@transaction.atomic
def trigger_save(
    *,
    by: User,
    name: str,
    event: str,
    conditions_: Any,
    actions_: Any,
    enabled: bool = True,
    trigger: Trigger | None = None,
) -> Trigger:
    """Create a trigger (last in order) or change one; its conditions and actions are
    checked first, each error said by field."""
    _manager(by)
    errors: dict[str, list[str]] = {}
    try:
        cleaned_conditions = conditions.clean(conditions_, timed=False)
    except ValidationError as error:
        errors["conditions"] = error.messages
    try:
        cleaned_actions = actions.clean(actions_)
    except ValidationError as error:
        errors["actions"] = error.messages
    if event not in Trigger.Event.values:
        errors["event"] = [_("Choose when it runs: created or updated.")]
    if not str(name or "").strip():
        errors["name"] = [_("Give it a name.")]
    if not errors and "\\u0000" in json.dumps([cleaned_conditions, cleaned_actions]):
        errors["actions"] = [NO_NUL]  # PostgreSQL's JSON cannot keep it
    if errors:
        raise ValidationError(errors)
    if trigger is None:
        last = Trigger.objects.aggregate(last=Max("position"))["last"]
        trigger = Trigger(position=0 if last is None else last + 1)
    trigger.name = str(name).strip()
    trigger.event = event
    trigger.conditions = cleaned_conditions
    trigger.actions = cleaned_actions
    trigger.enabled = enabled
    trigger.updated_by = by
    trigger.updated_at = timezone.now()
    trigger.full_clean()
    trigger.save()
    return trigger


@transaction.atomic
def trigger_move(*, by: User, trigger: Trigger, up: bool) -> None:
    """Swap a trigger with its neighbour above or below in the order."""
    _manager(by)
    ordered = list(Trigger.objects.select_for_update().order_by("position", "id"))
    index = next(i for i, t in enumerate(ordered) if t.pk == trigger.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(ordered):
        return
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, row in enumerate(ordered):
        if row.position != position:
            row.position = position
            row.save(update_fields=["position"])


def trigger_switch(*, by: User, trigger: Trigger, enabled: bool) -> None:
    _manager(by)
    Trigger.objects.filter(pk=trigger.pk).update(enabled=enabled, updated_at=timezone.now())


def logs_of(rule: str, *, limit: int = 50) -> QuerySet[RuleLog]:
    return RuleLog.objects.filter(rule=rule).order_by("-created_at", "-id")[:limit]
