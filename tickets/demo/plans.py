"""A ticket's life in memory: its status changes and its messages, timed in seconds after it
was reported. The story and the conversation write plans; rows turns them into rows."""

from __future__ import annotations

from dataclasses import dataclass, field

from tickets.models import Category
from tickets.status import Priority, Status

from .content import Service

COMMENTS = (1, 6)  # how many comments a ticket gets, at least and at most


MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0


@dataclass(slots=True)
class Change:
    """One StatusHistory row in memory; `at` is seconds after the ticket was reported."""

    source: Status | None
    target: Status
    actor: int | None
    assignee: int | None
    note: str
    at: float
    fixed: bool = False  # a scheduled change (auto-close): its delay is not scaled


@dataclass(slots=True)
class Message:
    """One Comment row in memory."""

    author: int
    body: str
    internal: bool
    at: float


@dataclass
class TicketPlan:
    customer: int
    category: Category
    service: Service
    priority: Priority
    subject: str
    description: str
    age: float  # seconds between reporting and now
    changes: list[Change] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
