"""Automatic assignment: which available agent of a ticket's team gets it, and when.

A ticket is offered when it arrives (services.ticket_create) and when it comes back to open
(an unassign); tickets left waiting because every member was full are offered again when
someone makes room — a ticket of theirs resolved, put on hold, closed or reassigned — or
comes back (availability), or a manager changes the team or a capacity (tickets.teams).
Each assignment goes through workflow.transition_locked as the system (actor None), with
the rule that chose in the history (`StatusHistory.rule`).

The decision reads loads that other transactions are about to change, so it is made under
one advisory lock held to the end of the transaction (helpdesk.locks.serialised): the next
decision waits for this one's commit and then counts it. One lock for all teams, not one per
team: an agent in two teams must not be filled from both at once, and a single lock cannot
deadlock with itself. Routing holds it for a few queries at the end of a transaction.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from helpdesk.locks import serialised

from . import teams, workflow
from .models import StatusHistory, Team, TeamMembership, Ticket, priority_rank
from .status import Status

if TYPE_CHECKING:
    from accounts.models import User

LOCK = "tickets.routing"


@dataclass(frozen=True)
class Candidate:
    """A member of the team who could be given a ticket now."""

    agent: User
    load: int  # tickets counting against their capacity (teams.CAPACITY_STATUSES)
    capacity: int
    team_turn_at: datetime | None  # when this team last gave them a ticket
    last_assigned_at: datetime | None  # when any team last did

    @property
    def spare(self) -> int:
        return self.capacity - self.load


def rule_name(team: Team) -> str:
    return f"routing:{team.strategy}:team={team.pk}"


def candidates(*, team: Team) -> list[Candidate]:
    """The team's active, available members with their load, in one query."""
    from accounts.models import STAFF_ROLES, Availability

    load = (
        Ticket.objects.filter(assignee_id=OuterRef("agent_id"), status__in=teams.CAPACITY_STATUSES)
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    last = (
        TeamMembership.objects.filter(agent_id=OuterRef("agent_id"))
        .order_by(F("last_assigned_at").desc(nulls_last=True))
        .values("last_assigned_at")[:1]
    )
    memberships = (
        TeamMembership.objects.filter(
            team=team,
            agent__is_active=True,
            agent__role__in=STAFF_ROLES,
            agent__availability=Availability.AVAILABLE,
        )
        .select_related("agent")
        .annotate(
            load=Coalesce(Subquery(load, output_field=IntegerField()), Value(0)),
            last_any=Subquery(last),
        )
    )
    return [
        Candidate(
            agent=m.agent,
            load=m.load,
            capacity=m.agent.capacity if m.agent.capacity is not None else team.default_capacity,
            team_turn_at=m.last_assigned_at,
            last_assigned_at=m.last_any,
        )
        for m in memberships
    ]


def _waited(moment: datetime | None) -> tuple[int, float]:
    """Sort key: never assigned first, then the longest ago."""
    return (0, 0.0) if moment is None else (1, moment.timestamp())


def pick(
    found: Iterable[Candidate], *, strategy: str, skip: Collection[int] = ()
) -> Candidate | None:
    """Who gets the next ticket. Nobody at capacity. Least loaded: the most spare capacity,
    then who waited longest since their last assignment. Round robin: whose turn in this
    team it is (longest since this team gave them one). Ties end on the agent's id."""
    room = [c for c in found if c.spare > 0 and c.agent.pk not in skip]
    if not room:
        return None
    if strategy == Team.Strategy.ROUND_ROBIN:
        return min(room, key=lambda c: (_waited(c.team_turn_at), c.agent.pk))
    return min(room, key=lambda c: (-c.spare, _waited(c.last_assigned_at), c.agent.pk))


def _assign(ticket: Ticket, team: Team, chosen: Candidate) -> StatusHistory:
    note = _(
        "Assigned automatically by the %(team)s team's %(strategy)s rule: %(agent)s had "
        "%(load)s of %(capacity)s tickets."
    ) % {
        "team": team.name,
        "strategy": team.get_strategy_display().lower(),
        "agent": chosen.agent.display_name,
        "load": chosen.load,
        "capacity": chosen.capacity,
    }
    return workflow.transition_locked(
        ticket=ticket,
        to=Status.ASSIGNED,
        actor=None,
        assignee=chosen.agent,
        action="auto_assign",
        note=note,
        rule=rule_name(team),
    )


def _routed_team(team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    return Team.objects.filter(pk=team_id).exclude(strategy=Team.Strategy.OFF).first()


def offer_locked(*, ticket: Ticket, skip_agent_id: int | None = None) -> StatusHistory | None:
    """Assign an open ticket (its row locked by the caller) to the member of its team the
    strategy picks; None if its team does not route or everyone is full (it waits).
    `skip_agent_id`: who just gave it back, not offered it again at once."""
    if ticket.status != Status.OPEN:
        return None
    team = _routed_team(ticket.team_id)
    if team is None:
        return None
    serialised(LOCK)
    skip = {skip_agent_id} if skip_agent_id else set()
    chosen = pick(candidates(team=team), strategy=team.strategy, skip=skip)
    if chosen is None:
        return None
    return _assign(ticket, team, chosen)


def waiting_filter() -> Q:
    """Tickets waiting for an agent (from Team: `tickets__status`)."""
    return Q(tickets__status=Status.OPEN)


def waiting(team_id: int):
    """A team's tickets waiting for an agent, the most pressing first."""
    return (
        Ticket.objects.filter(team_id=team_id, status=Status.OPEN)
        .annotate(rank=priority_rank())
        .order_by("rank", "created_at", "id")
    )


def drain(
    *,
    team_ids: Iterable[int],
    exclude_ticket_ids: Collection[int] = (),
    limit: int | None = None,
) -> int:
    """Give waiting tickets of these teams to members with room, until either runs out (or
    `limit` were given). Returns how many were assigned. A ticket another transaction holds
    is skipped (it is being changed; its own change offers it if it ends open)."""
    team_ids = sorted(set(team_ids))
    if not team_ids:
        return 0
    routed = list(
        Team.objects.filter(pk__in=team_ids).exclude(strategy=Team.Strategy.OFF).order_by("pk")
    )
    if not routed:
        return 0
    serialised(LOCK)
    assigned = 0
    for team in routed:
        found = candidates(team=team)
        while (chosen := pick(found, strategy=team.strategy)) is not None:
            if limit is not None and assigned >= limit:
                return assigned
            ticket = (
                waiting(team.pk)
                .exclude(pk__in=list(exclude_ticket_ids))
                .select_for_update(skip_locked=True, of=("self",))
                .first()
            )
            if ticket is None:
                break
            entry = _assign(ticket, team, chosen)
            assigned += 1
            found = [
                Candidate(
                    agent=c.agent,
                    load=c.load + 1,
                    capacity=c.capacity,
                    team_turn_at=entry.created_at,
                    last_assigned_at=entry.created_at,
                )
                if c is chosen
                else c
                for c in found
            ]
    return assigned


# The periodic retry's bounds: how many tickets one run assigns at most, and for how long it
# goes on to another team (each team's pass is one short transaction).
RETRY_BATCH = 200
RETRY_SECONDS = 30.0


def retry_waiting(*, limit: int = RETRY_BATCH, seconds: float = RETRY_SECONDS) -> int:
    """Offer what waits in automatically routed teams again (a beat task, tickets.tasks).

    Every change that makes room offers waiting tickets in its own transaction, so this
    finds work only when such a change was missed: a worker that died between its commit
    and the offer, a capacity or membership changed around the services (a shell, a
    restore). Bounded in size (`limit` tickets) and time (no new team after `seconds`).
    Two runs at once (two beat processes by mistake) are serialised by routing's lock and
    each counts the other's assignments: neither overfills anyone."""
    deadline = time.monotonic() + seconds
    team_ids = list(
        Team.objects.exclude(strategy=Team.Strategy.OFF)
        .filter(pk__in=Ticket.objects.filter(status=Status.OPEN).values("team_id"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    assigned = 0
    for team_id in team_ids:
        if assigned >= limit or time.monotonic() >= deadline:
            break
        with transaction.atomic():
            assigned += drain(team_ids=[team_id], limit=limit - assigned)
    return assigned


def agent_freed(*, agent_id: int, exclude_ticket_ids: Collection[int] = ()) -> int:
    """`agent` may have room now: offer them (and their teammates) what waits in their
    teams."""
    team_ids = (
        TeamMembership.objects.filter(agent_id=agent_id)
        .exclude(team__strategy=Team.Strategy.OFF)
        .values_list("team_id", flat=True)
    )
    return drain(team_ids=list(team_ids), exclude_ticket_ids=exclude_ticket_ids)


def after_transition(
    *, ticket: Ticket, entry: StatusHistory, previous_assignee_id: int | None
) -> None:
    """What routing does after any status change (workflow.transition_locked calls it)."""
    source, target = entry.from_status, entry.to_status
    if target == Status.ASSIGNED and ticket.team_id is not None:
        teams.membership_touch(
            team_id=ticket.team_id, agent_id=ticket.assignee_id, when=entry.created_at
        )
    if target == Status.OPEN and source is not None:
        offer_locked(ticket=ticket, skip_agent_id=previous_assignee_id)
    freed = (
        previous_assignee_id is not None
        and source in teams.CAPACITY_STATUSES
        and target not in teams.CAPACITY_STATUSES
    )
    if freed:
        agent_freed(agent_id=previous_assignee_id, exclude_ticket_ids={ticket.pk})
