"""What happens to each ticket: a walk through `tickets.workflow.RULES` from open to the final
status its age makes likely, each step taken by someone the rule grants it to, with a note
where the rule asks for a reason, timed to fit between the report and now."""

from __future__ import annotations

import functools
import math
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings

from tickets import workflow
from tickets.models import Category, Ticket
from tickets.status import Priority, Status
from tickets.workflow import RULES, Actor, Grant, Rule

from .content import IMPACT, REASONS, REMARKS, TRIED, WHEN, Service
from .conversation import plan_messages
from .people import Cast, person
from .plans import COMMENTS, DAY, HOUR, MINUTE, Change, TicketPlan

MIN_AGE = 30 * MINUTE  # the newest ticket is half an hour old


MAX_STEPS = 12  # a status history longer than this heads straight for its target


STOP_AT_TARGET = 0.8  # chance that a walk ends the first time it reaches its target


DETOUR = 0.15  # how much less likely a step is when it leads away from the target


S = Status


PRIORITY_WEIGHTS = {Priority.LOW: 20, Priority.NORMAL: 50, Priority.HIGH: 22, Priority.URGENT: 8}


@dataclass(frozen=True)
class WorkflowMap:
    """RULES as a graph: where each status may go, and how far each status is from another."""

    outgoing: dict[Status, tuple[Status, ...]]
    distance: dict[tuple[Status, Status], int]

    @classmethod
    def from_rules(cls, rules: dict[tuple[Status, Status], Rule]) -> WorkflowMap:
        outgoing = {status: tuple(t for s, t in rules if s == status) for status in Status}
        distance: dict[tuple[Status, Status], int] = {}
        for start in Status:
            seen, queue = {start: 0}, deque([start])
            while queue:
                here = queue.popleft()
                for there in outgoing[here]:
                    if there not in seen:
                        seen[there] = seen[here] + 1
                        queue.append(there)
            distance.update(((start, end), steps) for end, steps in seen.items())
        return cls(outgoing, distance)

    def reaches(self, source: Status, target: Status) -> bool:
        return (source, target) in self.distance


# How likely each way out of a status is, before steering towards the ticket's final status.
STEP_WEIGHTS: dict[tuple[Status, Status], float] = {
    (S.OPEN, S.ASSIGNED): 92,
    (S.OPEN, S.CLOSED): 8,
    (S.ASSIGNED, S.IN_PROGRESS): 88,
    (S.ASSIGNED, S.OPEN): 6,
    (S.ASSIGNED, S.CLOSED): 6,
    (S.IN_PROGRESS, S.RESOLVED): 62,
    (S.IN_PROGRESS, S.ON_HOLD): 30,
    (S.IN_PROGRESS, S.CLOSED): 8,
    (S.ON_HOLD, S.IN_PROGRESS): 60,
    (S.ON_HOLD, S.RESOLVED): 30,
    (S.ON_HOLD, S.CLOSED): 10,
    (S.RESOLVED, S.CLOSED): 82,
    (S.RESOLVED, S.IN_PROGRESS): 18,
}


def walk(rng: random.Random, flow: WorkflowMap, target: Status) -> list[tuple[Status, Status]]:
    """A random path open → … → target along RULES, never straying where target is lost."""
    state, path = S.OPEN, []
    while True:
        options = [nxt for nxt in flow.outgoing[state] if flow.reaches(nxt, target)]
        if state == target and (
            not options or len(path) >= MAX_STEPS or rng.random() < STOP_AT_TARGET
        ):
            return path
        if len(path) >= MAX_STEPS:
            nxt = min(options, key=lambda status: flow.distance[status, target])
        else:
            here = flow.distance[state, target]
            weights = [
                STEP_WEIGHTS.get((state, option), 1.0)
                * (DETOUR if flow.distance[option, target] > here else 1.0)
                for option in options
            ]
            nxt = rng.choices(options, weights)[0]
        path.append((state, nxt))
        state = nxt


# Which final status a ticket has, by how old it is: old tickets are mostly done.
AGE_BANDS: list[tuple[float, dict[Status, float]]] = [
    (
        1 * DAY,
        {S.OPEN: 35, S.ASSIGNED: 20, S.IN_PROGRESS: 25, S.ON_HOLD: 5, S.RESOLVED: 10, S.CLOSED: 5},
    ),
    (
        7 * DAY,
        {S.OPEN: 8, S.ASSIGNED: 8, S.IN_PROGRESS: 20, S.ON_HOLD: 14, S.RESOLVED: 25, S.CLOSED: 25},
    ),
    (
        math.inf,
        {S.OPEN: 0.5, S.ASSIGNED: 0.5, S.IN_PROGRESS: 3, S.ON_HOLD: 4, S.RESOLVED: 1, S.CLOSED: 91},
    ),
]


def final_status(rng: random.Random, age: float) -> Status:
    weights = next(w for limit, w in AGE_BANDS if age < limit)
    return rng.choices(list(weights), list(weights.values()))[0]


# (action, actor) → weight; unlisted grants weigh 1.
GRANT_WEIGHTS: dict[tuple[str, Actor], float] = {
    ("take", Actor.AGENT): 3,
    ("assign", Actor.MANAGER): 2,
    ("unassign", Actor.ASSIGNEE): 3,
    ("start", Actor.ASSIGNEE): 9,
    ("hold", Actor.ASSIGNEE): 9,
    ("resume", Actor.ASSIGNEE): 3,
    ("resume", Actor.SYSTEM): 6,
    ("resolve", Actor.ASSIGNEE): 9,
    ("confirm", Actor.CUSTOMER): 4,
    ("auto_close", Actor.SYSTEM): 5,
    ("reopen", Actor.CUSTOMER): 6,
    ("reopen", Actor.ASSIGNEE): 2,
    ("withdraw", Actor.CUSTOMER): 4,
}


# action → (shortest, longest) natural time since the previous change, in seconds.
GAPS: dict[str, tuple[float, float]] = {
    "take": (5 * MINUTE, 6 * HOUR),
    "assign": (5 * MINUTE, 8 * HOUR),
    "unassign": (10 * MINUTE, 1 * DAY),
    "start": (2 * MINUTE, 1 * DAY),
    "hold": (30 * MINUTE, 2 * DAY),
    "resume": (1 * HOUR, 3 * DAY),
    "resolve": (30 * MINUTE, 3 * DAY),
    "confirm": (10 * MINUTE, 3 * DAY),
    "close": (1 * HOUR, 5 * DAY),
    "reopen": (1 * HOUR, 5 * DAY),
    "withdraw": (10 * MINUTE, 3 * DAY),
}


TAKING = {"take", "assign"}  # the actions that name who takes the ticket
UNTIMED = datetime(2000, 1, 1, tzinfo=UTC)  # planning knows no dates yet: fit_to_age times it

DEFAULT_GAP = (10 * MINUTE, 1 * DAY)


REMARK_CHANCE = 0.3


def log_uniform(rng: random.Random, low: float, high: float) -> float:
    """Many short waits and a few long ones, as queues behave."""
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def possible(grant: Grant, rule: Rule, assignee: int | None, may_auto_close: bool) -> bool:
    if grant.actor == Actor.ASSIGNEE and assignee is None:
        return False
    if grant.action == "auto_assign":
        return False  # the demo's services have no teams, so nothing routes
    if grant.action == "auto_resolve":
        return False  # nor automations that resolve

    return not (grant.actor == Actor.SYSTEM and rule.target == S.CLOSED and not may_auto_close)


def choose_grant(
    rng: random.Random, rule: Rule, assignee: int | None, may_auto_close: bool
) -> Grant:
    grants = [g for g in rule.grants if possible(g, rule, assignee, may_auto_close)]
    weights = [GRANT_WEIGHTS.get((g.action, g.actor), 1.0) for g in grants]
    return rng.choices(grants, weights)[0]


@functools.cache
def system_note(action: str) -> str:
    """What the services write when the system takes this step (translated once)."""
    if action == "auto_close":
        return str(workflow.auto_close_note(settings.AUTO_CLOSE_RESOLVED_AFTER_DAYS))
    return str(workflow.CUSTOMER_REPLIED)  # comment_add resumes on a customer's reply


def note_for(rng: random.Random, grant: Grant, service: Service) -> str:
    if grant.actor == Actor.SYSTEM:
        return system_note(grant.action)
    if grant.action == "resolve":
        return rng.choice(service.fixes)
    if grant.reason_required:
        return rng.choice(REASONS.get(grant.action, ["See the conversation."]))
    remarks = REMARKS.get(grant.action)
    return rng.choice(remarks) if remarks and rng.random() < REMARK_CHANCE else ""


def gap_for(rng: random.Random, grant: Grant) -> tuple[float, bool]:
    """Natural delay before a change, and whether it is fixed (scheduled) or may stretch."""
    if grant.action == "auto_close":
        delay = settings.AUTO_CLOSE_RESOLVED_AFTER_DAYS * DAY + rng.uniform(5 * MINUTE, HOUR)
        return delay, True
    return log_uniform(rng, *GAPS.get(grant.action, DEFAULT_GAP)), False


@functools.cache
def _scratch() -> Ticket:
    """The one in-memory ticket each planned path is replayed on (a Ticket per plan would cost
    more than the rest of the planning)."""
    return Ticket()


def plan_changes(
    rng: random.Random, path: Sequence[tuple[Status, Status]], plan: TicketPlan, cast: Cast
) -> list[Change]:
    """The history rows for `path`, with natural delays in `at` (fitted to the age later)."""
    auto_close_delay = settings.AUTO_CLOSE_RESOLVED_AFTER_DAYS * DAY + HOUR
    may_auto_close = plan.age > auto_close_delay + 2 * HOUR
    # Customers cannot choose urgent: an urgent ticket was reported by an agent (by phone).
    reporter = rng.choice(cast.agents) if plan.priority == Priority.URGENT else plan.customer
    changes = [Change(None, S.OPEN, reporter, None, "", 0.0)]
    assignee: int | None = None
    scratch = _scratch()  # who is on the ticket after each step, as transition() says
    scratch.status, scratch.assignee = S.OPEN, None
    for source, target in path:
        rule = RULES[(source, target)]
        grant = choose_grant(rng, rule, assignee, may_auto_close)
        actor = {
            Actor.CUSTOMER: plan.customer,
            Actor.ASSIGNEE: assignee,
            Actor.MANAGER: cast.manager,
            Actor.SYSTEM: None,
        }.get(grant.actor)
        if grant.actor == Actor.AGENT:
            actor = assignee or rng.choice(cast.agents)
        named = None  # who the step puts on the ticket, when it puts someone there
        if grant.action in TAKING:
            named = actor if grant.actor == Actor.AGENT else rng.choice(cast.agents)
        workflow.apply_effects(scratch, source, target, assignee=person(named), now=UNTIMED)
        assignee = scratch.assignee_id
        delay, fixed = gap_for(rng, grant)
        note = note_for(rng, grant, plan.service)
        changes.append(Change(source, target, actor, assignee, note, delay, fixed))
    return changes


def fit_to_age(rng: random.Random, changes: list[Change], age: float) -> None:
    """Turn delays into offsets so that the last change happens before now.

    A ticket left resolved must have been resolved less than the auto-close delay ago, or
    the system would have closed it: its idle tail is capped and the delays stretched.
    """
    flexible = sum(c.at for c in changes if not c.fixed)
    budget = age - sum(c.at for c in changes if c.fixed)
    tail_cap = math.inf
    if changes[-1].target == S.RESOLVED:
        limit = settings.AUTO_CLOSE_RESOLVED_AFTER_DAYS * DAY
        tail_cap = rng.uniform(min(30 * MINUTE, limit / 2), limit * 0.9)
    scale = 1.0
    if flexible > budget:
        scale = budget * rng.uniform(0.3, 0.9) / flexible
    elif flexible and budget - flexible > tail_cap:
        scale = (budget - tail_cap) / flexible
    clock = 0.0
    for change in changes[1:]:
        clock += change.at if change.fixed else max(1.0, change.at * scale)
        change.at = clock


def plan_ticket(
    rng: random.Random,
    flow: WorkflowMap,
    cast: Cast,
    services: Sequence[tuple[Category, Service]],
    age: float,
    target: Status,
    comments: tuple[int, int] = COMMENTS,
) -> TicketPlan:
    category, service = rng.choice(services)
    subject, detail = rng.choice(service.problems)
    priority = rng.choices(list(PRIORITY_WEIGHTS), list(PRIORITY_WEIGHTS.values()))[0]
    customer = rng.choice(cast.customers)
    sentences = [detail, rng.choice(WHEN), rng.choice(TRIED), rng.choice(IMPACT[priority])]
    signature = f"Thanks,\n{cast.first_names.get(customer, '')}"
    description = " ".join(s for s in sentences if s) + "\n\n" + signature
    plan = TicketPlan(customer, category, service, priority, subject, description, age)
    plan.changes = plan_changes(rng, walk(rng, flow, target), plan, cast)
    fit_to_age(rng, plan.changes, age)
    plan.messages = plan_messages(rng, plan, cast, comments)
    return plan


def final_statuses(rng: random.Random, ages: Sequence[float]) -> list[Status]:
    """One final status per ticket, by age; every status appears at least once."""
    statuses = [final_status(rng, age) for age in ages]
    if len(statuses) >= len(Status):
        for status, index in zip(
            Status, rng.sample(range(len(statuses)), len(Status)), strict=True
        ):
            statuses[index] = status
    return statuses


@dataclass(frozen=True)
class SeedJob:
    """Everything a batch of tickets is planned from; batch i always gets the same tickets."""

    cast: Cast
    services: Sequence[tuple[Category, Service]]
    ages: Sequence[float]  # oldest first
    targets: Sequence[Status]
    now: datetime
    comments: tuple[int, int]
    seed: int
    flow: WorkflowMap = field(default_factory=lambda: WorkflowMap.from_rules(RULES))

    def plans(self, batch: int, indexes: range) -> list[TicketPlan]:
        rng = random.Random(self.seed * 1_000_003 + batch)  # noqa: S311 (demo data)
        return [
            plan_ticket(
                rng,
                self.flow,
                self.cast,
                self.services,
                self.ages[i],
                self.targets[i],
                self.comments,
            )
            for i in indexes
        ]
