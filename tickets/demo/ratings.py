"""The demo's satisfaction ratings: some customers rate their resolved tickets, mostly well,
as in a help desk that works; what they write is a few stock sentences per score."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db.models import OuterRef, Subquery

from tickets.models import Rating, Ticket, TicketMetrics
from tickets.status import Status

RATED_SHARE = 0.35
# Scores 1 to 5, with how often each is given.
SCORE_WEIGHTS = (6, 7, 12, 30, 45)
WORDS = {
    1: ["Nobody read what I wrote.", "Took far too long and it is still not right."],
    2: ["Fixed in the end, after too many questions."],
    3: ["It works again.", ""],
    4: ["Quick and friendly.", "", ""],
    5: ["Thank you, solved in minutes!", "Great help, very clear.", "", ""],
}
BATCH = 5000


def rate_some(rng: random.Random, *, now: datetime) -> int:
    """Ratings for about RATED_SHARE of the resolved and closed tickets that have none, given
    within two days of the resolution; the tickets' metrics carry the score as
    services.rating_add leaves it. Returns how many were made."""
    done = Ticket.objects.filter(
        status__in=[Status.RESOLVED, Status.CLOSED], resolved_at__isnull=False, rating__isnull=True
    ).values_list("pk", "customer_id", "resolved_at")
    made = 0
    batch: list[Rating] = []
    for pk, customer_id, resolved_at in done.iterator(chunk_size=BATCH):
        if rng.random() >= RATED_SHARE:
            continue
        score = rng.choices(range(1, 6), weights=SCORE_WEIGHTS)[0]
        given = min(resolved_at + timedelta(minutes=rng.uniform(5, 2880)), now)
        batch.append(
            Rating(
                ticket_id=pk,
                customer_id=customer_id,
                score=score,
                comment=rng.choice(WORDS[score]),
                created_at=given,
            )
        )
        if len(batch) == BATCH:
            made += len(Rating.objects.bulk_create(batch))
            batch = []
    made += len(Rating.objects.bulk_create(batch))
    score = Rating.objects.filter(ticket_id=OuterRef("ticket_id")).values("score")[:1]
    TicketMetrics.objects.filter(ticket__rating__isnull=False, rating__isnull=True).update(
        rating=Subquery(score)
    )
    return made
