"""What is written on each ticket, and when: messages placed in the stretches of its history
where each kind makes sense (a customer's reply before each automatic resume)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from tickets.status import Status

from .content import (
    CUSTOMER_FOLLOW_UPS,
    CUSTOMER_REPLIES,
    MANAGER_NOTES,
    STAFF_ACKS,
    STAFF_NOTES,
    STAFF_QUESTIONS,
    STAFF_REMINDERS,
    STAFF_UPDATES,
)
from .people import Cast
from .plans import COMMENTS, Change, Message, TicketPlan

S = Status


CUSTOMER, ASSIGNED_STAFF, ANY_AGENT, MANAGER = "customer", "assignee", "agent", "manager"


# status during a stretch of time → (weight, who writes, internal?, templates)
MessageKind = tuple[float, str, bool, list[str]]


MESSAGE_KINDS: dict[Status, list[MessageKind]] = {
    S.OPEN: [
        (3, CUSTOMER, False, CUSTOMER_FOLLOW_UPS),
        (1, ANY_AGENT, True, STAFF_NOTES),
        (1, ANY_AGENT, False, STAFF_QUESTIONS),
    ],
    S.ASSIGNED: [
        (3, ASSIGNED_STAFF, False, STAFF_QUESTIONS),
        (1, ASSIGNED_STAFF, True, STAFF_NOTES),
        (1, CUSTOMER, False, CUSTOMER_FOLLOW_UPS),
    ],
    S.IN_PROGRESS: [
        (3, ASSIGNED_STAFF, False, STAFF_QUESTIONS + STAFF_UPDATES),
        (3, CUSTOMER, False, CUSTOMER_REPLIES),
        (2, ASSIGNED_STAFF, True, STAFF_NOTES),
        (0.5, MANAGER, True, MANAGER_NOTES),
    ],
    # A customer's reply resumes a ticket on hold; those are placed with the resume itself.
    S.ON_HOLD: [
        (2, ASSIGNED_STAFF, False, STAFF_REMINDERS),
        (1, ASSIGNED_STAFF, True, STAFF_NOTES),
    ],
    # Nothing while resolved: a customer's reply there would have reopened the ticket.
}


ACK_CHANCE = 0.9  # a worked ticket usually starts with a public hello from its agent


@dataclass(frozen=True)
class Stretch:
    """The time between two changes (or the last change and now) in one status."""

    status: Status
    assignee: int | None
    start: float
    end: float


def stretches(changes: Sequence[Change], age: float) -> list[Stretch]:
    ends = [c.at for c in changes[1:]] + [age]
    return [
        Stretch(c.target, c.assignee, c.at, end)
        for c, end in zip(changes, ends, strict=True)
        if c.target != S.CLOSED and end > c.at
    ]


def author_of(rng: random.Random, who: str, stretch: Stretch, plan: TicketPlan, cast: Cast) -> int:
    if who == CUSTOMER:
        return plan.customer
    if who == MANAGER:
        return cast.manager
    if who == ASSIGNED_STAFF and stretch.assignee is not None:
        return stretch.assignee
    return rng.choice(cast.agents)


def write(rng: random.Random, templates: list[str], plan: TicketPlan, cast: Cast) -> str:
    return rng.choice(templates).format(
        customer=cast.first_names.get(plan.customer, "there"), service=plan.service.name
    )


def replies_that_resume(rng: random.Random, plan: TicketPlan, cast: Cast) -> list[Message]:
    """A customer's reply right before each system resume of a ticket on hold."""
    return [
        Message(
            plan.customer,
            write(rng, CUSTOMER_REPLIES, plan, cast),
            False,
            c.at - rng.uniform(0.05, 0.5),
        )
        for c in plan.changes
        if c.source == S.ON_HOLD and c.target == S.IN_PROGRESS and c.actor is None
    ]


def plan_messages(
    rng: random.Random, plan: TicketPlan, cast: Cast, comments: tuple[int, int] = COMMENTS
) -> list[Message]:
    """Comments (1-6 by default) placed in the stretches where each kind of message makes
    sense."""
    messages = replies_that_resume(rng, plan, cast)
    wanted = max(rng.randint(*comments), len(messages))
    spans = stretches(plan.changes, plan.age)
    worked = [s for s in spans if s.status in (S.ASSIGNED, S.IN_PROGRESS)]
    if worked and len(messages) < wanted and rng.random() < ACK_CHANCE:
        first = worked[0]
        at = first.start + (first.end - first.start) * rng.uniform(0.02, 0.3)
        author = author_of(rng, ASSIGNED_STAFF, first, plan, cast)
        messages.append(Message(author, write(rng, STAFF_ACKS, plan, cast), False, at))
    pool = [(span, kind) for span in spans for kind in MESSAGE_KINDS.get(span.status, [])]
    if pool and len(messages) < wanted:
        picks = rng.choices(pool, [kind[0] for _span, kind in pool], k=wanted - len(messages))
        for span, (_weight, who, internal, templates) in picks:
            author = author_of(rng, who, span, plan, cast)
            # Not in a stretch's last second: that is where a resuming reply goes.
            at = rng.uniform(span.start, max(span.start, span.end - 1.0))
            messages.append(Message(author, write(rng, templates, plan, cast), internal, at))
    messages.sort(key=lambda m: m.at)
    return messages
