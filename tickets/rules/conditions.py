"""The conditions a rule may test, stored as JSON: [{"field": …, "op": …, "value": …}, …].

All of a rule's conditions must hold. Each field has its operators and a value checked by
`clean()` when the rule is saved, with an error that says what is wrong; a rule that was
saved is never refused later (a deleted service or team simply never matches).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import Category, Channel, Team, Ticket
from ..status import STATUSES_WITH_ASSIGNEE, HoldKind, Priority, Status

MAX_CONDITIONS = 20
MAX_WORDS = 20

IS, IS_NOT = "is", "is_not"
CONTAINS_ANY, CONTAINS_NONE = "contains_any", "contains_none"
SET, NOT_SET = "set", "not_set"
AT_LEAST = "at_least"

OP_LABELS = {
    IS: _("is"),
    IS_NOT: _("is not"),
    CONTAINS_ANY: _("contains any of"),
    CONTAINS_NONE: _("contains none of"),
    SET: _("is someone"),
    NOT_SET: _("is nobody"),
    AT_LEAST: _("at least"),
}

NOT_A_LIST = _("Conditions are a list of {field, op, value}.")
TOO_MANY = _("At most %(n)s conditions.")
UNKNOWN_FIELD = _("Unknown condition “%(field)s”. Choose one of: %(fields)s.")
UNKNOWN_OP = _("“%(op)s” does not go with %(field)s; use one of: %(ops)s.")
BAD_CHOICE = _("%(field)s cannot be “%(value)s”; choose one of: %(choices)s.")
NO_SUCH_SERVICE = _("There is no service with id %(value)s.")
NO_SUCH_TEAM = _("There is no team with id %(value)s.")
BAD_DOMAIN = _("Give a domain such as example.com.")
NO_WORDS = _("Give at least one word (at most %(n)s), separated by commas.")
BAD_DURATION = _("Give a time such as 15m, 12h or 3d (at most 365d).")
TIME_ONLY_IN_AUTOMATIONS = _("Elapsed time is for automations, not triggers.")


@dataclass(frozen=True)
class Field:
    name: str
    label: Any
    ops: tuple[str, ...]
    clean: Callable[[Any], Any]  # the stored value, or ValidationError
    test: Callable[[Ticket, str, Any], bool]  # on a ticket in memory
    timed: bool = False  # elapsed time: automations only


def _choice(label, choices) -> Callable[[Any], str]:
    def clean(value: Any) -> str:
        if value not in choices:
            raise ValidationError(
                BAD_CHOICE % {"field": label, "value": value, "choices": ", ".join(choices)}
            )
        return value

    return clean


def _id_of(model, message) -> Callable[[Any], int]:
    def clean(value: Any) -> int:
        try:
            pk = int(value)
        except (TypeError, ValueError):
            raise ValidationError(message % {"value": value}) from None
        if isinstance(value, bool) or not model.objects.filter(pk=pk).exists():
            raise ValidationError(message % {"value": value})
        return pk

    return clean


_DOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9-]+(\.[a-z0-9-]+)+$")


def _domain(value: Any) -> str:
    domain = str(value or "").strip().lower().lstrip("@")
    if not _DOMAIN.match(domain):
        raise ValidationError(BAD_DOMAIN)
    return domain


def words_of(value: Any) -> list[str]:
    if isinstance(value, list):
        value = ",".join(str(v) for v in value)
    return [w.strip().lower() for w in str(value or "").split(",") if w.strip()]


def _words(value: Any) -> str:
    words = words_of(value)
    if not words or len(words) > MAX_WORDS or any(len(w) > 100 for w in words):
        raise ValidationError(NO_WORDS % {"n": MAX_WORDS})
    return ", ".join(words)


_DURATION = re.compile(r"^\s*(\d{1,6})\s*([mhd])\s*$")
UNIT = {"m": 1, "h": 60, "d": 1440}


def minutes_of(value: str) -> int:
    number, unit = _DURATION.match(value).groups()
    return int(number) * UNIT[unit]


def _duration(value: Any) -> str:
    match = _DURATION.match(str(value or ""))
    if not match or not 1 <= minutes_of(str(value)) <= 365 * 1440:
        raise ValidationError(BAD_DURATION)
    number, unit = match.groups()
    return f"{int(number)}{unit}"


def _is(actual: Any, op: str, value: Any) -> bool:
    return (actual == value) if op == IS else (actual != value)


def _domain_of(ticket: Ticket) -> str:
    return ticket.customer.email.rpartition("@")[2].lower()


def _subject_has(ticket: Ticket, op: str, value: str) -> bool:
    subject = ticket.subject.lower()
    found = any(re.search(rf"\b{re.escape(w)}\b", subject) for w in words_of(value))
    return found if op == CONTAINS_ANY else not found


def _elapsed(attribute: str) -> Callable[[Ticket, str, Any], bool]:
    def test(ticket: Ticket, op: str, value: str) -> bool:
        since = getattr(ticket, attribute)
        return since is not None and timezone.now() - since >= timedelta(minutes=minutes_of(value))

    return test


FIELDS: dict[str, Field] = {
    f.name: f
    for f in [
        Field(
            "channel",
            _("Channel"),
            (IS, IS_NOT),
            _choice(_("Channel"), Channel.values),
            lambda t, op, v: _is(t.channel, op, v),
        ),
        Field(
            "service",
            _("Service"),
            (IS, IS_NOT),
            _id_of(Category, NO_SUCH_SERVICE),
            lambda t, op, v: _is(t.category_id, op, v),
        ),
        Field(
            "priority",
            _("Priority"),
            (IS, IS_NOT),
            _choice(_("Priority"), Priority.values),
            lambda t, op, v: _is(t.priority, op, v),
        ),
        Field(
            "status",
            _("Status"),
            (IS, IS_NOT),
            _choice(_("Status"), Status.values),
            lambda t, op, v: _is(t.status, op, v),
        ),
        Field(
            "hold_kind",
            _("On hold for"),
            (IS, IS_NOT),
            _choice(_("On hold for"), HoldKind.values),
            lambda t, op, v: _is(t.hold_kind, op, v),
        ),
        Field(
            "customer_domain",
            _("Customer's e-mail domain"),
            (IS, IS_NOT),
            _domain,
            lambda t, op, v: _is(_domain_of(t), op, v),
        ),
        Field(
            "subject",
            _("Subject"),
            (CONTAINS_ANY, CONTAINS_NONE),
            _words,
            _subject_has,
        ),
        Field(
            "assignee",
            _("Assignee"),
            (SET, NOT_SET),
            lambda v: None,
            lambda t, op, v: (t.assignee_id is not None) == (op == SET),
        ),
        Field(
            "team",
            _("Team"),
            (IS, IS_NOT),
            _id_of(Team, NO_SUCH_TEAM),
            lambda t, op, v: _is(t.team_id, op, v),
        ),
        Field(
            "time_in_status",
            _("Time in its status"),
            (AT_LEAST,),
            _duration,
            _elapsed("status_changed_at"),
            timed=True,
        ),
        Field(
            "time_since_update",
            _("Time since the last update"),
            (AT_LEAST,),
            _duration,
            _elapsed("updated_at"),
            timed=True,
        ),
        Field(
            "time_since_creation",
            _("Time since it was created"),
            (AT_LEAST,),
            _duration,
            _elapsed("created_at"),
            timed=True,
        ),
    ]
}


def clean(conditions: Any, *, timed: bool) -> list[dict]:
    """The conditions as stored, or ValidationError listing each bad one by its number.
    `timed`: elapsed-time conditions are allowed (automations)."""
    if not isinstance(conditions, list) or not all(isinstance(c, dict) for c in conditions):
        raise ValidationError(NOT_A_LIST)
    if len(conditions) > MAX_CONDITIONS:
        raise ValidationError(TOO_MANY % {"n": MAX_CONDITIONS})
    cleaned, errors = [], []
    for number, condition in enumerate(conditions, start=1):
        try:
            cleaned.append(_clean_one(condition, timed=timed))
        except ValidationError as error:
            errors.append(
                _("Condition %(n)s: %(error)s") % {"n": number, "error": " ".join(error.messages)}
            )
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_one(condition: dict, *, timed: bool) -> dict:
    name = condition.get("field")
    field = FIELDS.get(name) if isinstance(name, str) else None
    if field is None or (field.timed and not timed):
        if field is not None:
            raise ValidationError(TIME_ONLY_IN_AUTOMATIONS)
        allowed = [n for n, f in FIELDS.items() if timed or not f.timed]
        raise ValidationError(UNKNOWN_FIELD % {"field": name, "fields": ", ".join(allowed)})
    op = condition.get("op")
    if op not in field.ops:
        raise ValidationError(
            UNKNOWN_OP % {"op": op, "field": field.label, "ops": ", ".join(field.ops)}
        )
    value = field.clean(condition.get("value"))
    return {"field": name, "op": op, "value": value}


@dataclass(frozen=True)
class Checked:
    """One condition tested on one ticket, for the dry run."""

    condition: dict
    matched: bool

    @property
    def sentence(self) -> str:
        return describe(self.condition)


def check(conditions: list[dict], ticket: Ticket) -> list[Checked]:
    return [Checked(c, FIELDS[c["field"]].test(ticket, c["op"], c["value"])) for c in conditions]


def matches(conditions: list[dict], ticket: Ticket) -> bool:
    return all(FIELDS[c["field"]].test(ticket, c["op"], c["value"]) for c in conditions)


def describe(condition: dict) -> str:
    field = FIELDS[condition["field"]]
    value = condition.get("value")
    if condition["op"] in (SET, NOT_SET):
        return f"{field.label} {OP_LABELS[condition['op']]}"
    return f"{field.label} {OP_LABELS[condition['op']]} {value}"


# --- In the database (automations: candidates found through indexes) ---------------------

_COLUMN = {
    "time_in_status": "status_changed_at",
    "time_since_update": "updated_at",
    "time_since_creation": "created_at",
}
UNASSIGNABLE = [s for s in Status.values if s not in STATUSES_WITH_ASSIGNEE]
_PLAIN = {
    "channel": "channel",
    "service": "category_id",
    "priority": "priority",
    "status": "status",
    "hold_kind": "hold_kind",
    "team": "team_id",
}


def as_q(conditions: list[dict], *, now: datetime) -> Q:
    """The conditions as a filter on Ticket, to find candidates without reading every row
    (the status and time columns are indexed; the rest narrows what those find)."""
    q = Q()
    for c in conditions:
        name, op, value = c["field"], c["op"], c.get("value")
        if name in _COLUMN:
            q &= Q(**{f"{_COLUMN[name]}__lte": now - timedelta(minutes=minutes_of(value))})
        elif name in _PLAIN:
            one = Q(**{_PLAIN[name]: value})
            q &= one if op == IS else ~one
        elif name == "assignee" and op == NOT_SET:
            # Only these statuses may have nobody (ticket_worked_has_assignee): said, so
            # that the status index narrows the search.
            q &= Q(assignee__isnull=True, status__in=UNASSIGNABLE)
        elif name == "assignee":
            q &= Q(assignee__isnull=False)
        elif name == "customer_domain":
            one = Q(customer__email__iendswith="@" + value)
            q &= one if op == IS else ~one
        # subject words are tested in Python on the few candidates
    return q
