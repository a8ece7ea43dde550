"""Customer satisfaction (CSAT): the share of 4 and 5 stars among the ratings of the tickets
the resolution figures count (reports.figures "rated" and "satisfied").

The counts overall and per agent, service and priority are figures like the others (one pass
with the rest, aggregates.COUNTED); here are the weekly trend and the customers' comments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncWeek

from ..models import Rating, TicketMetrics
from . import figures
from .filters import RESOLVED_BASIS, ReportFilters


def csat_percent(rated: int, satisfied: int) -> float | None:
    return satisfied / rated * 100 if rated else None


@dataclass(frozen=True)
class CsatWeek:
    monday: date
    rated: int
    satisfied: int

    @property
    def percent(self) -> float | None:
        return csat_percent(self.rated, self.satisfied)


def rated_tickets(filters: ReportFilters) -> QuerySet[TicketMetrics]:
    """The metrics rows of the rated tickets the report's CSAT counts (range, basis, slice)."""
    from .aggregates import sliced

    rows = TicketMetrics.objects.filter(
        figures.resolution_set(filters.start, filters.end, filters.basis), rating__isnull=False
    )
    return sliced(rows, filters)


def anchor(filters: ReportFilters) -> str:
    """The moment that puts a counted ticket in a week: its final resolution, or its report."""
    return "final_resolved_at" if filters.basis == RESOLVED_BASIS else "created_at"


def weekly(filters: ReportFilters) -> list[CsatWeek]:
    """Ratings and satisfied ratings in each week (Monday to Sunday) of the range: one query."""
    satisfied = Q(rating__gte=figures.SATISFIED_SCORE)
    rows = (
        rated_tickets(filters)
        .annotate(week=TruncWeek(anchor(filters), tzinfo=filters.zone))
        .values("week")
        .annotate(rated=Count("pk"), satisfied=Count("pk", filter=satisfied))
        .order_by()
    )

    def day(moment) -> date:
        return moment.date() if isinstance(moment, datetime) else moment

    by_week = {day(row["week"]): (row["rated"], row["satisfied"]) for row in rows}
    monday = filters.start - timedelta(days=filters.start.weekday())
    weeks = []
    while monday <= filters.end:
        weeks.append(CsatWeek(monday, *by_week.get(monday, (0, 0))))
        monday += timedelta(days=7)
    return weeks


def comments(filters: ReportFilters) -> QuerySet[Rating]:
    """The ratings with a comment of the tickets CSAT counts, newest first, with what a list
    shows (the ticket, its agent) in the same query."""
    return (
        Rating.objects.filter(ticket_id__in=rated_tickets(filters).values("ticket_id"))
        .exclude(comment="")
        .select_related("ticket", "ticket__assignee")
        .order_by("-created_at", "-pk")
    )


COMMENTS_SHOWN = 10  # on the report page; the rest on their own page, paginated
COMMENTS_PAGE_SIZE = 50


@dataclass(frozen=True)
class LatestComments:
    ratings: list[Rating]
    more: bool  # there are more than shown


def latest_comments(filters: ReportFilters, *, shown: int = COMMENTS_SHOWN) -> LatestComments:
    """The newest few comments, and whether there are more: one query."""
    ratings = list(comments(filters)[: shown + 1])
    return LatestComments(ratings=ratings[:shown], more=len(ratings) > shown)
