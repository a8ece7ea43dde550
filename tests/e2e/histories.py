"""Tickets with a short past, written through the services at the moments given."""

from datetime import timedelta

import time_machine

from tickets import services, workflow
from tickets.status import Status


def lived(
    moment,
    customer,
    agent,
    category,
    *,
    resolve: bool,
    reply: str = "",
    rating: tuple[int, str] | None = None,
) -> None:
    """A ticket reported at `moment` and taken ten minutes later (with `reply` written to the
    customer, if given); if `resolve`, resolved an hour later and given `rating` (score,
    comment) by the customer."""
    with time_machine.travel(moment, tick=False):
        ticket = services.ticket_create(
            customer=customer,
            created_by=customer,
            subject="VPN drops",
            description="Every hour",
            category=category,
        )
    with time_machine.travel(moment + timedelta(minutes=10), tick=False):
        services.ticket_take(ticket_id=ticket.pk, agent=agent)
        if reply:
            services.comment_add(ticket_id=ticket.pk, author=agent, body=reply)
        workflow.transition(ticket_id=ticket.pk, to=Status.IN_PROGRESS, actor=agent)
    if not resolve:
        return
    with time_machine.travel(moment + timedelta(hours=1), tick=False):
        workflow.transition(
            ticket_id=ticket.pk, to=Status.RESOLVED, actor=agent, note="Fixed the tunnel."
        )
        if rating is not None:
            score, comment = rating
            services.rating_add(
                ticket_id=ticket.pk, customer=customer, score=score, comment=comment
            )
