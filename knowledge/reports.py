"""The deflection report: what readers looked for and did not find, how often suggestions
spared a ticket, which articles help, which agents link, and which grow old while read.

A self-service attempt counts as submitted when its customer opened a ticket within
SUBMIT_WINDOW after the attempt started; otherwise the customer left without one (deflected).

The report covers a range of days read as the ticket reports read theirs
(tickets.reports.filters: the same days, bounds, default and errors).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import timezone

from tickets.models import Ticket
from tickets.reports.filters import day_bounds

from .models import (
    Article,
    ArticleFeedback,
    ArticleLink,
    ArticleStatus,
    SearchEvent,
    SelfServiceAttempt,
)

SUBMIT_WINDOW = timedelta(hours=2)
STALE_AFTER = timedelta(days=180)
TOP = 15
CSV_TOP = 1000  # the download lists more of each table than the page


def attempts_with_outcome(since: datetime, until: datetime):
    submitted = Ticket.objects.filter(
        customer=OuterRef("customer"),
        created_at__gte=OuterRef("started_at"),
        created_at__lte=OuterRef("started_at") + SUBMIT_WINDOW,
    )
    return SelfServiceAttempt.objects.filter(
        started_at__gte=since, started_at__lt=until, suggestions_shown__gt=0
    ).annotate(submitted=Exists(submitted))


def deflection(since: datetime, until: datetime) -> dict[str, object]:
    counts = attempts_with_outcome(since, until).aggregate(
        total=Count("pk"),
        deflected=Count("pk", filter=Q(submitted=False)),
        viewed=Count("pk", filter=Q(articles_viewed__gt=0)),
        viewed_and_left=Count("pk", filter=Q(articles_viewed__gt=0, submitted=False)),
    )
    total = counts["total"]
    counts["rate"] = 100 * counts["deflected"] / total if total else None
    return counts


def deflection_report(
    *, start: date, end: date, now: datetime | None = None, top: int = TOP
) -> dict[str, object]:
    """The report for the days `start` to `end` (both included, the help desk's time zone).
    Stale articles: not updated for STALE_AFTER by the range's end (or now) and read in it."""
    now = now or timezone.now()
    since, until = day_bounds(start, end)
    no_results = (
        SearchEvent.objects.filter(created_at__gte=since, created_at__lt=until, results=0)
        .annotate(words=Lower("query"))
        .values("words")
        .annotate(times=Count("pk"))
        .order_by("-times", "words")[:top]
    )
    feedback = (
        ArticleFeedback.objects.filter(created_at__gte=since, created_at__lt=until)
        .values("article__title", "article__slug", "article_id")
        .annotate(
            yes=Count("pk", filter=Q(helpful=True)),
            no=Count("pk", filter=Q(helpful=False)),
        )
        .order_by("-no", "-yes", "article__title")[:top]
    )
    linked = (
        ArticleLink.objects.filter(created_at__gte=since, created_at__lt=until)
        .values("article__title", "article__slug", "article_id")
        .annotate(times=Count("pk"))
        .order_by("-times", "article__title")[:top]
    )
    read_in_range = Q(views__created_at__gte=since, views__created_at__lt=until)
    stale = (
        Article.objects.filter(
            status=ArticleStatus.PUBLISHED, updated_at__lt=min(until, now) - STALE_AFTER
        )
        .annotate(recent_views=Count("views", filter=read_in_range))
        .filter(recent_views__gt=0)
        .defer("body_markdown", "body_html", "body_text", "search_vector")
        .order_by("-recent_views", "updated_at")[:top]
    )
    return {
        "start": start,
        "end": end,
        "window_hours": int(SUBMIT_WINDOW.total_seconds() // 3600),
        "stale_days": STALE_AFTER.days,
        "deflection": deflection(since, until),
        "no_results": list(no_results),
        "feedback": list(feedback),
        "linked": list(linked),
        "stale": list(stale),
    }


CSV_HEADER = ["section", "item", "value", "more"]


def csv_rows(report: dict[str, object]) -> Iterator[list]:
    """The report as rows of CSV_HEADER: the deflection figures, then each table's rows."""
    yield CSV_HEADER
    yield ["range", "first_day", report["start"].isoformat(), ""]
    yield ["range", "last_day", report["end"].isoformat(), ""]
    figures = report["deflection"]
    rate = figures["rate"]
    yield ["deflection", "offered_articles", figures["total"], ""]
    yield ["deflection", "left_without_ticket", figures["deflected"], ""]
    yield ["deflection", "rate_percent", "" if rate is None else f"{rate:.1f}", ""]
    yield ["deflection", "read_an_article", figures["viewed"], ""]
    yield ["deflection", "read_then_left", figures["viewed_and_left"], ""]
    for row in report["no_results"]:
        yield ["search_without_result", row["words"], row["times"], ""]
    for row in report["feedback"]:
        yield ["helpful_yes_no", row["article__title"], row["yes"], row["no"]]
    for row in report["linked"]:
        yield ["linked_in_replies", row["article__title"], row["times"], ""]
    for article in report["stale"]:
        yield ["stale_but_read", article.title, article.recent_views, article.updated_at.date()]
