from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts import time_zones
from tickets.status import HoldKind, Status

register = template.Library()
# Closer than this to now, a moment reads "just now" rather than "0 minutes ago".
JUST_NOW = timedelta(minutes=1)


@register.filter
def ago(value: datetime | None) -> str:
    """'3 hours ago', 'in 2 days', 'just now': one unit, short enough for a dense table."""
    if not value:
        return ""
    now = timezone.now()
    if abs(now - value) < JUST_NOW:
        return _("just now")
    if value > now:
        return _("in %(time)s") % {"time": timeuntil(value, depth=1)}
    return _("%(time)s ago") % {"time": timesince(value, depth=1)}


@register.filter
def hours(seconds: float | None) -> str:
    """Seconds as hours with one decimal ('—' when there is nothing to measure)."""
    if seconds is None:
        return "—"
    return _("%(h).1f h") % {"h": seconds / 3600}


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} %"


@register.filter
def get(mapping: dict, key: str):
    return mapping.get(key, "")


@register.filter
def is_closed(ticket) -> bool:
    """A closed ticket takes no more replies or changes."""
    return ticket.status == Status.CLOSED


@register.filter
def sla_paused(ticket) -> bool:
    """On hold, the service-level clock stops (metrics.refresh leaves no due time), unless
    the ticket waits on a third party under a policy whose clock keeps running."""
    return ticket.status == Status.ON_HOLD and ticket.sla_due_at is None


@register.filter
def waits_for_customer(ticket) -> bool:
    """On hold waiting for the customer: their reply puts it back to work."""
    return ticket.status == Status.ON_HOLD and ticket.hold_kind != HoldKind.THIRD_PARTY


# The design system's small pieces, written in Python: the queue shows each of them on every
# row, and a template include per cell costs more than the rest of the row.

PRIORITY_SIGNS = {"urgent": "▲▲", "high": "▲", "low": "▽"}


@register.simple_tag(takes_context=True)
def time_ago(context, when: datetime) -> str:
    """A moment as "3 hours ago"; on hover the exact time in the viewer's time zone (theirs
    or the help desk's), and for machines with its offset."""
    request = context.get("request")
    local = timezone.localtime(when, time_zones.zone_for(getattr(request, "user", None)))
    # The exact time as digits (year first: unambiguous in any language, and without the
    # locale machinery, which costs more than the rest of the queue's row).
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        local.isoformat(),
        local.strftime("%Y-%m-%d %H:%M %Z"),
        ago(when),
    )


@register.simple_tag
def priority_mark(priority: str, label: str) -> str:
    """The priority as a sign and a word: readable without colour."""
    return format_html(
        '<span class="priority priority-{}"><span aria-hidden="true">{}</span> {}</span>',
        priority,
        PRIORITY_SIGNS.get(priority, "•"),
        label,
    )


# What the queue says beside "On hold", by what the ticket waits for.
HOLD_KIND_SHORT = {
    HoldKind.CUSTOMER: _lazy("for customer"),
    HoldKind.THIRD_PARTY: _lazy("3rd party"),
}


@register.simple_tag
def hold_kind_label(ticket) -> str:
    """A small label after the status of a ticket on hold: what it waits for."""
    if ticket.status != Status.ON_HOLD:
        return ""
    kind = HoldKind(ticket.hold_kind or HoldKind.CUSTOMER)
    return format_html(
        '<span class="hold-kind hold-{}" title="{}">{}</span>',
        kind.value,
        kind.label,
        HOLD_KIND_SHORT[kind],
    )


@register.simple_tag
def status_badge(status: str, label: str) -> str:
    """One colour per status, and the status's name."""
    return format_html(
        '<span class="badge status-{}"><span class="badge-dot" aria-hidden="true"></span>{}</span>',
        status,
        label,
    )
