"""Replays a help desk's day through the real services and compares the routing strategies.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench \\
        .venv/bin/python bench/routing_simulation.py [--seed 7] [--scale 1.0]

One team of 8 agents (capacity 4 each) gets the tickets of one service. Tickets arrive by the
hour as a Poisson process (a morning peak and an after-lunch one); each is started a few
minutes after it is assigned and resolved after a handling time drawn from a log-normal
distribution (median 50 minutes); one in six is put on hold for the customer half-way and
resumed by the customer's reply an hour or so later. Agents go away for lunch and a break or
two, one starts late and one leaves early. Every step is a service call (ticket_create,
workflow.transition, comment_add, teams.availability_set), so assignment happens exactly as
in production, under the same lock; the clock of the day is simulated (each step is taken in
the order of its simulated time), and everything is rolled back at the end.

Printed per strategy, from the simulated clock: how many tickets had to wait because every
available member was full and the longest queue; the time from arrival to assignment (median,
90th percentile); the load of the available agents between 09:00 and 17:00 (tickets counting
against capacity, sampled after every step: highest and lowest seen, and how far the most
distant agent was from the mean — the share of samples within ±1 and the 90th percentile);
and the spread of the day's assignments per agent.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import math
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DEBUG", "true")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402

from accounts.models import Availability, Role  # noqa: E402
from accounts.services import user_create  # noqa: E402
from tickets import services, teams, workflow  # noqa: E402
from tickets.models import Category, Team, Ticket  # noqa: E402
from tickets.status import Status  # noqa: E402

MINUTE = 1.0
HOUR = 60 * MINUTE
AGENTS = 8
CAPACITY = 4
# Tickets per hour, 00:00 to 23:00.
ARRIVALS = [0, 0, 0, 0, 0, 0, 1, 6, 18, 26, 24, 20, 12, 14, 22, 20, 16, 10, 5, 2, 1, 0, 0, 0]
HANDLING_MEDIAN = 50 * MINUTE
HANDLING_SIGMA = 0.7
HOLD_SHARE = 1 / 6
STEADY = (9 * HOUR, 17 * HOUR)
SETTLING = 30 * MINUTE


class Rollback(Exception):
    pass


@dataclass
class Day:
    """What one strategy did over the simulated day."""

    strategy: str
    tickets: int = 0
    waited: int = 0  # not assigned on arrival: every available member was full
    longest_queue: int = 0
    waits: list[float] = field(default_factory=list)  # minutes, arrival to assignment
    deviations: list[float] = field(default_factory=list)  # per sample: max |load - mean|
    at_assignment: list[float] = field(default_factory=list)  # the same, right after routing
    highest: int = 0
    lowest: int | None = None
    assignments: dict[int, int] = field(default_factory=dict)
    never_assigned: int = 0
    seconds: float = 0.0


def hhmm(minutes: float) -> str:
    return f"{int(minutes // 60):02}:{int(minutes % 60):02}"


def arrivals(rng: random.Random, scale: float) -> list[float]:
    times = []
    for hour, rate in enumerate(ARRIVALS):
        rate *= scale
        t = hour * HOUR
        while rate > 0:
            t += rng.expovariate(rate / HOUR)
            if t >= (hour + 1) * HOUR:
                break
            times.append(t)
    return times


def availability_changes(rng: random.Random, agents: list) -> list[tuple[float, object, str]]:
    """Lunch and a break or two for everyone; one starts at 10:00, one leaves at 15:00."""
    changes = []
    for agent in agents:
        lunch = rng.uniform(11.5 * HOUR, 13.5 * HOUR)
        changes += [(lunch, agent, "away"), (lunch + rng.uniform(30, 60), agent, "available")]
        for _ in range(rng.randint(1, 2)):
            pause = rng.uniform(8 * HOUR, 17 * HOUR)
            if abs(pause - lunch) > 90:
                changes += [
                    (pause, agent, "away"),
                    (pause + rng.uniform(10, 20), agent, "available"),
                ]
    changes += [(0.0, agents[-2], "off"), (10 * HOUR, agents[-2], "available")]
    changes += [(15 * HOUR, agents[-1], "off")]
    return changes


def simulate(strategy: str, *, seed: int, scale: float) -> Day:
    rng = random.Random(seed)  # the same day for every strategy
    day = Day(strategy=strategy)
    started = time.perf_counter()
    try:
        with transaction.atomic():
            _run(day, rng, strategy=strategy, scale=scale)
            raise Rollback
    except Rollback:
        pass
    day.seconds = time.perf_counter() - started
    return day


def _run(day: Day, rng: random.Random, *, strategy: str, scale: float) -> None:
    run = f"sim{rng.randrange(10**9)}"
    customer = user_create(
        email=f"{run}-customer@example.com", display_name="Sim Customer", role=Role.CUSTOMER
    )
    manager = user_create(
        email=f"{run}-manager@example.com", display_name="Sim Manager", role=Role.MANAGER
    )
    agents = [
        user_create(email=f"{run}-agent{n}@example.com", display_name=f"Agent {n}", role=Role.AGENT)
        for n in range(1, AGENTS + 1)
    ]
    team = teams.team_save(
        by=manager,
        name=f"{run} team",
        members=agents,
        strategy=strategy,
        default_capacity=CAPACITY,
        restricted=False,
    )
    category = Category.objects.create(name=f"{run} service", default_team=team)
    by_pk = {agent.pk: agent for agent in agents}
    day.assignments = dict.fromkeys(by_pk, 0)

    counter = itertools.count()
    events: list[tuple[float, int, str, object]] = []

    def at(moment: float, kind: str, payload: object) -> None:
        heapq.heappush(events, (moment, next(counter), kind, payload))

    for moment in arrivals(rng, scale):
        at(moment, "arrive", None)
    for moment, agent, state in availability_changes(rng, agents):
        at(moment, "availability", (agent, state))

    waiting: dict[int, float] = {}

    def settle(now: float) -> bool:
        """Note what routing assigned in the step just taken, and plan its work."""
        if not waiting:
            return False
        done = Ticket.objects.filter(pk__in=list(waiting)).exclude(status=Status.OPEN)
        assigned = False
        for pk, assignee_id in done.values_list("pk", "assignee_id"):
            assigned = True
            day.waits.append(now - waiting.pop(pk))
            day.assignments[assignee_id] += 1
            begin = now + rng.uniform(1, 5)
            handling = rng.lognormvariate(math.log(HANDLING_MEDIAN), HANDLING_SIGMA)
            at(begin, "start", pk)
            if rng.random() < HOLD_SHARE:
                hold = begin + handling * rng.uniform(0.3, 0.6)
                reply = hold + rng.lognormvariate(math.log(60), 0.6)
                at(hold, "hold", pk)
                at(reply, "reply", pk)
                at(reply + handling * 0.5, "resolve", pk)
            else:
                at(begin + handling, "resolve", pk)
        day.longest_queue = max(day.longest_queue, len(waiting))
        return assigned

    back_at: dict[int, float] = {}

    def sample(now: float, *, assigned: bool) -> None:
        if not STEADY[0] <= now <= STEADY[1]:
            return
        # Someone back from a break (or starting late) is levelled up by the next arrivals:
        # a transient, left out for SETTLING minutes.
        if any(now - moment < SETTLING for moment in back_at.values()):
            return
        available = [a.pk for a in agents if a.availability == Availability.AVAILABLE]
        if not available:
            return
        loads = teams.loads(available)
        counted = [loads.get(pk, teams.Load()).counted for pk in available]
        mean = statistics.fmean(counted)
        deviation = max(abs(c - mean) for c in counted)
        day.deviations.append(deviation)
        if assigned:
            day.at_assignment.append(deviation)
        day.highest = max(day.highest, max(counted))
        day.lowest = min(counted) if day.lowest is None else min(day.lowest, min(counted))

    while events:
        now, _seq, kind, payload = heapq.heappop(events)
        if kind == "arrive":
            ticket = services.ticket_create(
                customer=customer,
                subject=f"Ticket at {hhmm(now)}",
                description="Simulated.",
                created_by=customer,
                category=category,
            )
            day.tickets += 1
            waiting[ticket.pk] = now
            if Ticket.objects.filter(pk=ticket.pk, status=Status.OPEN).exists():
                day.waited += 1
        elif kind == "availability":
            agent, state = payload
            if state == Availability.AVAILABLE and agent.availability != state:
                back_at[agent.pk] = now
            teams.availability_set(agent=agent, availability=state)
        else:
            ticket = Ticket.objects.get(pk=payload)
            worker = by_pk[ticket.assignee_id]
            if kind == "start":
                workflow.transition(ticket_id=ticket.pk, to=Status.IN_PROGRESS, actor=worker)
            elif kind == "hold":
                workflow.transition(
                    ticket_id=ticket.pk, to=Status.ON_HOLD, actor=worker, note="Which version?"
                )
            elif kind == "reply":
                services.comment_add(ticket_id=ticket.pk, author=customer, body="Version 5.")
            elif kind == "resolve":
                workflow.transition(
                    ticket_id=ticket.pk, to=Status.RESOLVED, actor=worker, note="Fixed."
                )
        sample(now, assigned=settle(now))
    day.never_assigned = len(waiting)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def report(days: list[Day]) -> None:
    print(
        "| strategy | tickets | waited (all full) | longest queue | arrival → assignment "
        "median | p90 | load max / min | within ±1 of mean, every step | "
        "right after an assignment | farthest from mean, p90 | assignments per agent "
        "min–max (mean) | run |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for day in days:
        within = sum(d <= 1 for d in day.deviations) / max(len(day.deviations), 1)
        after = sum(d <= 1 for d in day.at_assignment) / max(len(day.at_assignment), 1)
        given = list(day.assignments.values())
        print(
            f"| {day.strategy.replace('_', ' ')} | {day.tickets} | {day.waited} | "
            f"{day.longest_queue} | {statistics.median(day.waits):.1f} min | "
            f"{percentile(day.waits, 0.9):.1f} min | {day.highest} / {day.lowest} | "
            f"{within:.0%} | {after:.0%} | {percentile(day.deviations, 0.9):.2f} | "
            f"{min(given)}–{max(given)} ({statistics.fmean(given):.1f}) | {day.seconds:.0f} s |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the arrivals")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/routing_simulation.py runs on PostgreSQL: set DATABASE_URL")
    strategies = [Team.Strategy.LEAST_LOADED, Team.Strategy.ROUND_ROBIN]
    days = [simulate(s, seed=args.seed, scale=args.scale) for s in strategies]
    print(
        f"{AGENTS} agents of capacity {CAPACITY}, {days[0].tickets} tickets over the day "
        f"(seed {args.seed}, arrivals ×{args.scale}); handling median "
        f"{HANDLING_MEDIAN:.0f} min, one in {round(1 / HOLD_SHARE)} on hold for the customer\n"
    )
    report(days)


if __name__ == "__main__":
    main()
