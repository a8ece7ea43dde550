from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def ago(value: datetime | None) -> str:
    """'3 hours ago', 'in 2 days': one unit, short enough for a dense table."""
    if not value:
        return ""
    if value > timezone.now():
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
