"""Plans become rows: the Ticket with every denormalised field replayed from its history
(through `workflow.apply_effects`, as the services would have set them), its StatusHistory
and its Comments."""

from __future__ import annotations

from datetime import datetime, timedelta

from tickets import workflow
from tickets.models import Comment, StatusHistory, Ticket
from tickets.status import Status

from .people import Cast, person
from .plans import TicketPlan

S = Status


def build_ticket(plan: TicketPlan, created: datetime, cast: Cast) -> Ticket:
    """The Ticket row, its fields replayed from the plan: each status change through
    workflow.apply_effects (what transition() does), then what the comments set."""

    def when(offset: float) -> datetime:
        return created + timedelta(seconds=offset)

    ticket = Ticket(
        subject=plan.subject,
        description=plan.description,
        customer_id=plan.customer,
        category=plan.category,
        priority=plan.priority,
        status=S.OPEN,
        created_at=created,
        updated_at=created,
        public_updated_at=created,
    )
    for change in plan.changes[1:]:
        workflow.apply_effects(
            ticket,
            change.source,
            change.target,
            assignee=person(change.assignee),
            now=when(change.at),
        )
    # What comment_add sets: the first public staff reply, the customer's last reply, and a
    # new version and update time for each comment.
    staff = cast.staff
    first_response = next(
        (m.at for m in plan.messages if m.author in staff and not m.internal), None
    )
    customer_replied = max((m.at for m in plan.messages if m.author == plan.customer), default=None)
    ticket.first_response_at = None if first_response is None else when(first_response)
    ticket.customer_replied_at = None if customer_replied is None else when(customer_replied)
    if plan.messages:
        ticket.updated_at = max(ticket.updated_at, when(plan.messages[-1].at))
    ticket.version += len(plan.messages)
    # The customer's version moves with public replies only (tickets.versions).
    public = [m for m in plan.messages if not m.internal]
    if public:
        ticket.public_updated_at = max(ticket.public_updated_at, when(public[-1].at))
    ticket.public_version += len(public)
    return ticket


def build_rows(ticket: Ticket, plan: TicketPlan) -> tuple[list[StatusHistory], list[Comment]]:
    created = ticket.created_at
    history = [
        StatusHistory(
            ticket_id=ticket.pk,
            from_status=c.source,
            to_status=c.target,
            actor_id=c.actor,
            assignee_id=c.assignee,
            note=c.note,
            note_public=c.source is not None
            and workflow.default_note_public(
                source=c.source,
                target=c.target,
                by_customer=c.actor == plan.customer,
                by_system=c.actor is None,
            ),
            created_at=created + timedelta(seconds=c.at),
        )
        for c in plan.changes
    ]
    comments = [
        Comment(
            ticket_id=ticket.pk,
            author_id=m.author,
            body=m.body,
            is_internal=m.internal,
            created_at=created + timedelta(seconds=m.at),
        )
        for m in plan.messages
    ]
    return history, comments
