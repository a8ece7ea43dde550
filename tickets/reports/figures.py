"""Which tickets stand behind each number of the report, written once.

Each condition is a Q over TicketMetrics; `prefix` ("metrics__") puts the same condition on
Ticket, which is how the agent queue shows exactly the tickets behind a number (drill-down).
Outcomes still running are judged at `as_of`, the moment the report is read: a target whose
due time has passed is breached even before the ticket's clock was last refreshed.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..status import ACTIVE_STATUSES, Status
from .filters import REPORTED_BASIS, day_bounds


def _q(prefix: str, **lookups) -> Q:
    return Q(**{f"{prefix}{name}": value for name, value in lookups.items()})


def reported_between(start: date, end: date, *, prefix: str = "") -> Q:
    since, until = day_bounds(start, end)
    return _q(prefix, created_at__gte=since, created_at__lt=until)


def resolved_between(start: date, end: date, *, prefix: str = "") -> Q:
    since, until = day_bounds(start, end)
    return _q(prefix, final_resolved_at__gte=since, final_resolved_at__lt=until)


def judged_set(start: date, end: date, basis: str, *, prefix: str = "") -> Q:
    """The tickets the resolution SLA judges: those resolved for good in the range, or every
    ticket reported in the range (an unresolved one once it is past its target)."""
    if basis == REPORTED_BASIS:
        return reported_between(start, end, prefix=prefix)
    return resolved_between(start, end, prefix=prefix)


def resolution_set(start: date, end: date, basis: str, *, prefix: str = "") -> Q:
    """The tickets the resolution figures count."""
    if basis == REPORTED_BASIS:
        return reported_between(start, end, prefix=prefix) & _q(
            prefix, final_resolved_at__isnull=False
        )
    return resolved_between(start, end, prefix=prefix)


def _breached(target: str, as_of: datetime, prefix: str) -> Q:
    return _q(prefix, **{f"{target}_met": False}) | _q(
        prefix, **{f"{target}_met__isnull": True, f"{target}_due_at__lt": as_of}
    )


def _decided(target: str, as_of: datetime, prefix: str) -> Q:
    return _q(prefix, **{f"{target}_met": True}) | _breached(target, as_of, prefix)


def held(prefix: str = "") -> Q:
    """Was on hold at some time (or is now)."""
    return _q(prefix, on_hold_seconds__gt=0) | _q(prefix, on_hold_since__isnull=False)


# A rating of this many stars or more counts as satisfied (CSAT: the share of 4s and 5s).
SATISFIED_SCORE = 4

# The figures a number can stand for: (label, which range it counts in, condition).
# "reported": among the tickets reported in the range; "resolution": among those the
# resolution figures count (by the report's basis); "judged": those the resolution SLA judges.
FIGURES = {
    "reported": (_("Reported"), "reported", lambda as_of, p: Q()),
    "responded": (
        _("First response given"),
        "reported",
        lambda as_of, p: _q(p, first_response_at__isnull=False),
    ),
    "response_met": (
        _("First response within SLA"),
        "reported",
        lambda as_of, p: _q(p, response_met=True),
    ),
    "response_breached": (
        _("First response SLA breached"),
        "reported",
        lambda as_of, p: _breached("response", as_of, p),
    ),
    "response_decided": (
        _("First response SLA decided"),
        "reported",
        lambda as_of, p: _decided("response", as_of, p),
    ),
    "held": (_("Were on hold"), "reported", lambda as_of, p: held(p)),
    "resolved": (_("Resolved"), "resolution", lambda as_of, p: Q()),
    "reopened": (_("Reopened"), "resolution", lambda as_of, p: _q(p, reopen_count__gt=0)),
    # Satisfaction: the ratings of the tickets the resolution figures count (by the basis).
    "rated": (
        _("Rated by the customer"),
        "resolution",
        lambda as_of, p: _q(p, rating__isnull=False),
    ),
    "satisfied": (
        _("Rated 4 or 5 stars"),
        "resolution",
        lambda as_of, p: _q(p, rating__gte=SATISFIED_SCORE),
    ),
    "resolution_met": (
        _("Resolution within SLA"),
        "judged",
        lambda as_of, p: _q(p, resolution_met=True),
    ),
    "resolution_breached": (
        _("Resolution SLA breached"),
        "judged",
        lambda as_of, p: _breached("resolution", as_of, p),
    ),
    "resolution_decided": (
        _("Resolution SLA decided"),
        "judged",
        lambda as_of, p: _decided("resolution", as_of, p),
    ),
}


def figure(name: str, *, as_of: datetime, prefix: str = "") -> Q:
    """The condition of one figure, without its range."""
    return FIGURES[name][2](as_of, prefix)


def in_range(name: str, start: date, end: date, basis: str, *, prefix: str = "") -> Q:
    """The range condition a figure counts in."""
    kind = FIGURES[name][1]
    if kind == "reported":
        return reported_between(start, end, prefix=prefix)
    if kind == "judged":
        return judged_set(start, end, basis, prefix=prefix)
    return resolution_set(start, end, basis, prefix=prefix)


# --- Needs attention: unfinished tickets a manager should look at now ------------------------

ATTENTION = {
    "breached": _("Past due"),
    "soon": _("About to breach"),
    "reopened_twice": _("Reopened twice or more"),
    "waiting": _("Waiting on the customer for long"),
}


# The reasons for attention read from the ticket itself; the others from its metrics row.
ON_TICKET = {"breached", "soon"}


def attention(name: str, *, now: datetime, prefix: str = "") -> Q:
    """An unfinished ticket that needs attention for this reason (Ticket fields; `prefix`
    reaches the ticket's metrics)."""
    active = Q(status__in=ACTIVE_STATUSES)
    if name == "breached":
        return active & Q(sla_due_at__lte=now)
    if name == "soon":
        soon = now + timedelta(minutes=settings.SLA_WARNING_MINUTES)
        return active & Q(sla_due_at__gt=now, sla_due_at__lte=soon)
    if name == "reopened_twice":
        return active & _q(prefix, reopen_count__gte=2)
    if name == "waiting":
        since = now - timedelta(days=settings.REPORT_WAITING_DAYS)
        return Q(status=Status.ON_HOLD) & _q(prefix, on_hold_since__lte=since)
    raise KeyError(name)
