"""Automations: rules on elapsed time, run by beat (tickets.run_automations, every minute).

Candidates are found in the database through indexes (conditions.as_q: a status and a time
column, ticket_status_since_idx), oldest first, at most `batch` per automation per run, and
a run stops taking new work after `budget` seconds: a backlog is worked off over several
runs, never in one long transaction. Each ticket is then locked and tested again (it may
have changed since it was found), and the AutomationRun row for (automation, ticket, the
moment the ticket came to its status) is inserted under that lock before anything is done:
an automation fires at most once per ticket per stay in a status, even when two beat
processes run by mistake. A ticket that leaves the status and comes back (reopened, put on
hold again) may be acted on again.

The auto-close (Automation.Builtin.AUTO_CLOSE) is the first automation, seeded by migration
0035 with AUTO_CLOSE_RESOLVED_AFTER_DAYS; its task (tickets.auto_close_resolved) runs it
through services.tickets_auto_close, as before. Switched off, nothing closes by itself.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import services
from ..errors import NotPermitted
from ..models import Automation, AutomationRun, Ticket
from ..status import Status
from . import actions, conditions, triggers

if TYPE_CHECKING:
    from datetime import datetime

    from accounts.models import User

NEEDS_TIME = gettext_lazy("Give at least one elapsed-time condition: an automation runs on time.")
BUILTIN_SHAPE = gettext_lazy(
    "This automation closes resolved tickets after a number of whole days: change only the "
    "days (e.g. 7d), or switch it off."
)
# The column each elapsed-time condition reads, in the order they drive the search.
TIME_COLUMNS = {
    "time_in_status": "status_changed_at",
    "time_since_update": "updated_at",
    "time_since_creation": "created_at",
}


def candidates(automation: Automation, *, now: datetime, limit: int) -> list[int]:
    """Tickets that match in the database and have no run for their current stay, oldest
    first."""
    fired = AutomationRun.objects.filter(
        automation_id=automation.pk, ticket_id=OuterRef("pk"), key=OuterRef("status_changed_at")
    )
    timed = [c["field"] for c in automation.conditions if c["field"] in TIME_COLUMNS]
    order = TIME_COLUMNS[timed[0]] if timed else "pk"
    found = (
        Ticket.objects.filter(conditions.as_q(automation.conditions, now=now))
        .exclude(status=Status.CLOSED)  # final: nothing more happens to it
        .filter(~Exists(fired))
        .order_by(order, "pk")
        .values_list("pk", flat=True)
    )
    return list(found[:limit])


@transaction.atomic
def fire_once(automation: Automation, ticket_id: int) -> bool:
    """Lock the ticket, test it again, claim the (automation, ticket, stay) row, act.
    False if it no longer matches or this stay was already acted on."""
    ticket = Ticket.objects.select_for_update(of=("self",)).filter(pk=ticket_id).first()
    if ticket is None or ticket.status == Status.CLOSED:
        return False
    if not conditions.matches(automation.conditions, ticket):
        return False
    _run, created = AutomationRun.objects.get_or_create(
        automation=automation, ticket=ticket, key=ticket.status_changed_at
    )
    if not created:
        return False
    context = actions.Context(rule=automation.rule, author=automation.updated_by)
    done = [actions.do(ticket, action, context) for action in automation.actions]
    Automation.objects.filter(pk=automation.pk).update(
        last_fired_at=timezone.now(), fire_count=F("fire_count") + 1
    )
    triggers.log_firing(rule=automation.rule, ticket=ticket, done=done)
    return True


def run_one(automation: Automation, *, now: datetime, limit: int, deadline: float) -> int:
    fired = 0
    for ticket_id in candidates(automation, now=now, limit=limit):
        if time.monotonic() > deadline:
            break
        fired += fire_once(automation, ticket_id)
    return fired


def run_all(*, batch: int | None = None, budget: float | None = None) -> int:
    """Every enabled automation but the built-in ones (their own tasks run them), in order;
    returns how many times they fired."""
    batch = settings.AUTOMATION_BATCH if batch is None else batch
    budget = settings.AUTOMATION_BUDGET_SECONDS if budget is None else budget
    deadline = time.monotonic() + budget
    now = timezone.now()
    fired = 0
    for automation in Automation.objects.filter(enabled=True, builtin="").select_related(
        "updated_by"
    ):
        if time.monotonic() > deadline:
            break
        fired += run_one(automation, now=now, limit=batch, deadline=deadline)
    return fired


def auto_close_days() -> int | None:
    """The days after which resolved tickets close (None: switched off). Without its row
    (a database emptied by hand), the setting, as before there were automations."""
    row = Automation.objects.filter(builtin=Automation.Builtin.AUTO_CLOSE).first()
    if row is None:
        return settings.AUTO_CLOSE_RESOLVED_AFTER_DAYS
    if not row.enabled:
        return None
    return _days(row.conditions)


def _days(conditions_: list[dict]) -> int:
    value = next(c["value"] for c in conditions_ if c["field"] == "time_in_status")
    return conditions.minutes_of(value) // 1440


def auto_close() -> int:
    """The built-in automation: close resolved tickets after its days (the beat task)."""
    days = auto_close_days()
    if days is None:
        return 0
    row = Automation.objects.filter(builtin=Automation.Builtin.AUTO_CLOSE).first()
    closed = services.tickets_auto_close(older_than_days=days, rule=row.rule if row else "")
    if row is not None and closed:
        Automation.objects.filter(pk=row.pk).update(
            last_fired_at=timezone.now(), fire_count=F("fire_count") + closed
        )
    return closed


# --- Managers' writes -----------------------------------------------------------------------


def _check_builtin(automation: Automation, conditions_: list[dict], actions_: list[dict]) -> None:
    timed = [c for c in conditions_ if c["field"] == "time_in_status"]
    shaped = (
        len(conditions_) == 2
        and {"field": "status", "op": "is", "value": "resolved"} in conditions_
        and len(timed) == 1
        and str(timed[0]["value"]).endswith("d")
        and actions_ == automation.actions
    )
    if not shaped:
        raise ValidationError({"conditions": [BUILTIN_SHAPE]})


@transaction.atomic
def automation_save(
    *,
    by: User,
    name: str,
    conditions_: Any,
    actions_: Any,
    enabled: bool = True,
    automation: Automation | None = None,
) -> Automation:
    if not by.is_manager:
        raise NotPermitted()
    errors: dict[str, list[str]] = {}
    cleaned_conditions: list[dict] = []
    cleaned_actions: list[dict] = []
    try:
        cleaned_conditions = conditions.clean(conditions_, timed=True)
        if not any(c["field"] in TIME_COLUMNS for c in cleaned_conditions):
            errors["conditions"] = [str(NEEDS_TIME)]
    except ValidationError as error:
        errors["conditions"] = error.messages
    try:
        cleaned_actions = actions.clean(actions_)
    except ValidationError as error:
        errors["actions"] = error.messages
    if not str(name or "").strip():
        errors["name"] = [_("Give it a name.")]
    if not errors and automation is not None and automation.builtin:
        _check_builtin(automation, cleaned_conditions, cleaned_actions)
    if not errors and "\\u0000" in json.dumps([cleaned_conditions, cleaned_actions]):
        errors["actions"] = [str(triggers.NO_NUL)]
    if errors:
        raise ValidationError(errors)
    if automation is None:
        last = Automation.objects.aggregate(last=Max("position"))["last"]
        automation = Automation(position=0 if last is None else last + 1)
    automation.name = str(name).strip()
    automation.conditions = cleaned_conditions
    automation.actions = cleaned_actions
    automation.enabled = enabled
    automation.updated_by = by
    automation.updated_at = timezone.now()
    automation.full_clean()
    automation.save()
    return automation


def automation_switch(*, by: User, automation: Automation, enabled: bool) -> None:
    if not by.is_manager:
        raise NotPermitted()
    Automation.objects.filter(pk=automation.pk).update(enabled=enabled, updated_at=timezone.now())
