"""Ranges a manager picks with one click: the last 7, 30 or 90 days, this month, last month,
this quarter, counted from today in the help desk's time zone. Each is cut to the days a
report accepts (filters.parse_day), so a preset is always a range the report can show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .filters import FIRST_YEAR, LAST_YEAR, first_of, zone

EARLIEST, LATEST = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)


@dataclass(frozen=True)
class Preset:
    name: str
    label: str
    start: date
    end: date  # inclusive


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def report_presets(*, now: datetime | None = None) -> list[Preset]:
    """The presets as of `now` (default: the current moment), in the order a page shows them.
    A preset wholly outside the years a report accepts is left out; one partly outside is cut."""
    today = (now or timezone.now()).astimezone(zone()).date()
    last_month_end = _month_start(today) - timedelta(days=1)
    ranges = [
        ("last_7", _("Last 7 days"), first_of(days=7, ending=today), today),
        ("last_30", _("Last 30 days"), first_of(days=30, ending=today), today),
        ("last_90", _("Last 90 days"), first_of(days=90, ending=today), today),
        ("this_month", _("This month"), _month_start(today), today),
        ("last_month", _("Last month"), _month_start(last_month_end), last_month_end),
        ("this_quarter", _("This quarter"), _quarter_start(today), today),
    ]
    return [
        Preset(name=name, label=str(label), start=max(start, EARLIEST), end=min(end, LATEST))
        for name, label, start, end in ranges
        if start <= LATEST and end >= EARLIEST
    ]


@dataclass(frozen=True)
class PresetLink:
    preset: Preset
    query: str  # the page's query string with this preset's range, the other filters kept
    current: bool  # the range shown now


def preset_links(
    *, params: QueryDict, shown: tuple[date, date] | None, now: datetime | None = None
) -> list[PresetLink]:
    """A link per preset: the same filters (agent, service, priority, basis) over its range."""
    links = []
    for preset in report_presets(now=now):
        query = params.copy()
        query["start"], query["end"] = preset.start.isoformat(), preset.end.isoformat()
        current = shown == (preset.start, preset.end)
        links.append(PresetLink(preset=preset, query=query.urlencode(), current=current))
    return links
