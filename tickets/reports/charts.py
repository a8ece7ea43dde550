"""The report's charts as SVG images (pygal): axis titles and category labels on each, and
the site's palette (static/css/helpdesk.css) in light and in dark mode. A chart is an <img>,
so the page's stylesheet does not reach inside it: the SVG carries its own stylesheet,
whose `prefers-color-scheme` rules follow the system setting as the page does."""

from __future__ import annotations

import math
import re
from datetime import date
from pathlib import Path

import pygal
from django.utils.formats import date_format
from django.utils.translation import gettext as _

# helpdesk.css, light: --text, --muted, --accent, --st-resolved, --st-in_progress, ...
LIGHT = pygal.style.Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1d2430",
    foreground_strong="#1d2430",
    foreground_subtle="#5b6575",
    colors=("#1f5fbf", "#067647", "#b54708", "#8a6d00", "#6941c6"),
    font_family="system-ui, sans-serif",
    label_font_size=14,
    major_label_font_size=14,
    legend_font_size=14,
    title_font_size=16,
)
# The dark theme's colours (helpdesk.css, prefers-color-scheme: dark), in the same order.
DARK_CSS = Path(__file__).with_name("chart_dark.css")

HEIGHT = 320
SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL | re.IGNORECASE)


def _integer_labels(values: list[int]) -> list[int]:
    """Whole numbers for a count axis, about five of them, from 0 past the largest count
    (pygal would otherwise mark 0.5 tickets)."""
    top = max(values, default=0)
    if top <= 0:
        return [0, 1]
    step = 10 ** max(0, math.floor(math.log10(top)) - 1)
    for factor in (1, 2, 5, 10, 20, 50):
        if top / (step * factor) <= 6:
            step *= factor
            break
    return list(range(0, top + step, step))


def _config(counts: list[int]) -> dict:
    return {
        "style": LIGHT,
        "css": ("file://style.css", "file://graph.css", f"file://{DARK_CSS}"),
        "js": [],
        "height": HEIGHT,
        "legend_at_bottom": True,
        "disable_xml_declaration": False,
        "show_y_guides": True,
        "title_font_size": 16,
        "y_labels": _integer_labels(counts),
        "print_values": False,
    }


def _svg(graph: pygal.graph.graph.Graph) -> str:
    # pygal writes a small script for interactive tooltips; an image never runs it, and the
    # Content-Security-Policy allows none: leave it out.
    return SCRIPT.sub("", graph.render(is_unicode=True))


def weekly_svg(weeks: list[tuple[date, int, int]]) -> str:
    """Reported and resolved tickets per week: one pair of bars per Monday."""
    counts = [n for _monday, created, resolved in weeks for n in (created, resolved)]
    graph = pygal.Bar(x_label_rotation=30, **_config(counts))
    graph.title = _("Reported and resolved per week")
    graph.x_title = _("Week starting")
    graph.y_title = _("Tickets")
    graph.x_labels = [date_format(monday, "j M") for monday, _c, _r in weeks]
    graph.add(_("Reported"), [created for _m, created, _r in weeks])
    graph.add(_("Resolved"), [resolved for _m, _c, resolved in weeks])
    return _svg(graph)


def backlog_svg(ages: list[tuple[str, int]]) -> str:
    """Unresolved tickets now by age: one bar per age bucket, each named on its axis."""
    counts = [count for _label, count in ages]
    graph = pygal.HorizontalBar(show_legend=False, **_config(counts))
    graph.title = _("Backlog by age")
    # On a horizontal chart pygal draws the x labels (the buckets) down the side.
    graph.x_title = _("Tickets not yet resolved")
    graph.y_title = _("Age since reported")
    graph.x_labels = [label for label, _count in ages]
    graph.add(_("Tickets"), counts)
    return _svg(graph)
