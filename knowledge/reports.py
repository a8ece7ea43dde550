"""The deflection report: what readers looked for and did not find, how often suggestions
spared a ticket, which articles help, which agents link, and which grow old while read.

A self-service attempt counts as submitted when its customer opened a ticket within
SUBMIT_WINDOW after the attempt started; otherwise the customer left without one (deflected).
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import timezone

from tickets.models import Ticket

from .models import (
    Article,
    ArticleFeedback,
    ArticleLink,
    ArticleStatus,
    SearchEvent,
    SelfServiceAttempt,
)

PERIOD = timedelta(days=90)
SUBMIT_WINDOW = timedelta(hours=2)
STALE_AFTER = timedelta(days=180)
TOP = 15


def attempts_with_outcome(since):
    submitted = Ticket.objects.filter(
        customer=OuterRef("customer"),
        created_at__gte=OuterRef("started_at"),
        created_at__lte=OuterRef("started_at") + SUBMIT_WINDOW,
    )
    return SelfServiceAttempt.objects.filter(
        started_at__gte=since, suggestions_shown__gt=0
    ).annotate(submitted=Exists(submitted))


def deflection(since) -> dict[str, object]:
    counts = attempts_with_outcome(since).aggregate(
        total=Count("pk"),
        deflected=Count("pk", filter=Q(submitted=False)),
        viewed=Count("pk", filter=Q(articles_viewed__gt=0)),
        viewed_and_left=Count("pk", filter=Q(articles_viewed__gt=0, submitted=False)),
    )
    total = counts["total"]
    counts["rate"] = 100 * counts["deflected"] / total if total else None
    return counts


def deflection_report(*, now=None) -> dict[str, object]:
    now = now or timezone.now()
    since = now - PERIOD
    no_results = (
        SearchEvent.objects.filter(created_at__gte=since, results=0)
        .annotate(words=Lower("query"))
        .values("words")
        .annotate(times=Count("pk"))
        .order_by("-times", "words")[:TOP]
    )
    feedback = (
        ArticleFeedback.objects.filter(created_at__gte=since)
        .values("article__title", "article__slug", "article_id")
        .annotate(
            yes=Count("pk", filter=Q(helpful=True)),
            no=Count("pk", filter=Q(helpful=False)),
        )
        .order_by("-no", "-yes", "article__title")[:TOP]
    )
    linked = (
        ArticleLink.objects.filter(created_at__gte=since)
        .values("article__title", "article__slug", "article_id")
        .annotate(times=Count("pk"))
        .order_by("-times", "article__title")[:TOP]
    )
    stale = (
        Article.objects.filter(status=ArticleStatus.PUBLISHED, updated_at__lt=now - STALE_AFTER)
        .annotate(recent_views=Count("views", filter=Q(views__created_at__gte=since)))
        .filter(recent_views__gt=0)
        .order_by("-recent_views", "updated_at")[:TOP]
    )
    return {
        "period_days": PERIOD.days,
        "window_hours": int(SUBMIT_WINDOW.total_seconds() // 3600),
        "stale_days": STALE_AFTER.days,
        "deflection": deflection(since),
        "no_results": list(no_results),
        "feedback": list(feedback),
        "linked": list(linked),
        "stale": list(stale),
    }
