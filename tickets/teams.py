"""Teams: who belongs where, what each agent carries now, who may work a team's tickets, and
the writes managers and agents make to them (members, strategy, capacity, availability).

Assigning is tickets.routing's; every write here that could make room for a waiting ticket
asks routing to look again, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .errors import NotPermitted
from .models import Category, Team, TeamMembership, Ticket
from .status import STATUSES_WITH_ASSIGNEE, Status

if TYPE_CHECKING:
    from accounts.models import User

# What counts against an agent's capacity: every unfinished ticket they carry, on hold
# included — a held ticket comes back to them when the customer answers, and counting it
# keeps that return from pushing them over. Room is made by resolving, closing, unassigning
# or a reassignment.
CAPACITY_STATUSES = STATUSES_WITH_ASSIGNEE

NOT_STAFF = _("Only agents and managers can be members of a team.")
NAME_TAKEN = _("A team with this name exists already.")


# --- Reads -------------------------------------------------------------------------------


def may_work(*, ticket: Ticket, agent: User) -> bool:
    """Whether `agent` may be put on `ticket`: anyone, unless the ticket's team is restricted
    and they are not in it (managers may always). No query for a ticket of no team."""
    return may_work_team(team_id=ticket.team_id, agent=agent)


def may_work_team(*, team_id: int | None, agent: User) -> bool:
    """Whether `agent` may work tickets of the team (move them in or out, be put on them):
    any team but a restricted one they are not in; managers any."""
    if team_id is None or agent.is_manager:
        return True
    return not (
        Team.objects.filter(pk=team_id, restricted=True).exclude(memberships__agent=agent).exists()
    )


# Whether any team is restricted, kept in the shared cache so that the queue of a help desk
# with no restricted team (most) needs no team subquery. Forgotten by every team change
# and written again after it commits (team_save), read back from the database when
# missing; it expires anyway, so a change made around the services (a shell, a restore)
# counts within RESTRICTED_FLAG_SECONDS.
RESTRICTED_FLAG = "any-restricted"
RESTRICTED_FLAG_SECONDS = 300


def _flag_cache():
    return caches[settings.TEAMS_CACHE]


def any_restricted() -> bool:
    cached = _flag_cache().get(RESTRICTED_FLAG)
    if cached is not None:
        return bool(cached)
    found = Team.objects.filter(restricted=True).exists()
    # add, not set: a team change committed meanwhile has written the newer answer.
    _flag_cache().add(RESTRICTED_FLAG, int(found), RESTRICTED_FLAG_SECONDS)
    return found


def refresh_restricted_flag() -> None:
    """After a team change commits: the flag as the database says now."""
    remember_restricted_flag(Team.objects.filter(restricted=True).exists())


def forget_restricted_flag() -> None:
    _flag_cache().delete(RESTRICTED_FLAG)


def remember_restricted_flag(found: bool) -> None:
    _flag_cache().set(RESTRICTED_FLAG, int(found), RESTRICTED_FLAG_SECONDS)


def visible_tickets(user: User) -> Q:
    """For an agent who is not a manager: the tickets they may see — of no team, of a team
    that is not restricted, of their own teams, or assigned to them. No condition at all
    while no team is restricted."""
    if not any_restricted():
        return Q()
    hidden = Team.objects.filter(restricted=True).exclude(memberships__agent=user).values("pk")
    return Q(team__isnull=True) | ~Q(team_id__in=hidden) | Q(assignee=user)


def teams_of(user: User) -> QuerySet[Team]:
    return Team.objects.filter(memberships__agent=user)


def visible_teams(user: User) -> QuerySet[Team]:
    """The teams `user` may filter the queue by and read in the API: all for managers, the
    unrestricted ones and their own for agents."""
    teams = Team.objects.order_by("name", "id")
    if user.is_manager:
        return teams
    return teams.filter(Q(restricted=False) | Q(memberships__agent=user)).distinct()


@dataclass(frozen=True)
class Load:
    """What one agent carries now."""

    assigned: int = 0
    in_progress: int = 0
    on_hold: int = 0
    due_soon: int = 0  # of those, due within the SLA warning time or past due

    @property
    def counted(self) -> int:
        """What counts against their capacity (CAPACITY_STATUSES)."""
        return self.assigned + self.in_progress + self.on_hold


def loads(agent_ids: Iterable[int] | None = None) -> dict[int, Load]:
    """Each agent's load, in one query (agents with nothing are missing: Load())."""
    soon = timezone.now() + timedelta(minutes=settings.SLA_WARNING_MINUTES)
    tickets = Ticket.objects.filter(status__in=STATUSES_WITH_ASSIGNEE)
    if agent_ids is not None:
        tickets = tickets.filter(assignee_id__in=list(agent_ids))
    rows = (
        tickets.order_by()
        .values("assignee_id")
        .annotate(
            assigned=Count("pk", filter=Q(status=Status.ASSIGNED)),
            in_progress=Count("pk", filter=Q(status=Status.IN_PROGRESS)),
            on_hold=Count("pk", filter=Q(status=Status.ON_HOLD)),
            due_soon=Count("pk", filter=Q(sla_due_at__lte=soon)),
        )
    )
    return {
        row["assignee_id"]: Load(
            assigned=row["assigned"],
            in_progress=row["in_progress"],
            on_hold=row["on_hold"],
            due_soon=row["due_soon"],
        )
        for row in rows
    }


def load_label(agent: User, load: Load) -> str:
    """How the assignment dropdown names an agent for a manager: their load at a glance."""
    parts = [
        _("%(n)s assigned") % {"n": load.assigned},
        _("%(n)s in progress") % {"n": load.in_progress},
        _("%(n)s on hold") % {"n": load.on_hold},
    ]
    if load.due_soon:
        parts.append(_("%(n)s due soon") % {"n": load.due_soon})
    label = f"{agent.display_name} — {', '.join(str(p) for p in parts)}"
    if agent.availability != "available":
        label += f" ({agent.get_availability_display()})"
    return label


@dataclass(frozen=True)
class MemberRow:
    agent: User
    load: Load
    capacity: int  # their own, else the team's default
    own_capacity: bool

    @property
    def spare(self) -> int:
        return max(self.capacity - self.load.counted, 0)


def member_rows(team: Team) -> list[MemberRow]:
    """The team page's table: each member with their load and capacity (two queries)."""
    members = list(team.members.order_by("display_name", "id"))
    by_agent = loads(agent.pk for agent in members)
    return [
        MemberRow(
            agent=agent,
            load=by_agent.get(agent.pk, Load()),
            capacity=agent.capacity if agent.capacity is not None else team.default_capacity,
            own_capacity=agent.capacity is not None,
        )
        for agent in members
    ]


@dataclass(frozen=True)
class AgentRow:
    """An agent as a manager sees them: availability, capacity, load, teams."""

    agent: User
    load: Load

    @property
    def team_ids(self) -> list[int]:
        return [team.pk for team in self.agent.teams.all()]


def agent_rows(agents: QuerySet[User]) -> list[AgentRow]:
    """Each of `agents` with their load (three queries: the agents, their teams, the loads)."""
    agents = list(agents.prefetch_related(Prefetch("teams", Team.objects.order_by("name", "id"))))
    by_agent = loads(agent.pk for agent in agents)
    return [AgentRow(agent=agent, load=by_agent.get(agent.pk, Load())) for agent in agents]


# --- Writes ------------------------------------------------------------------------------


def _require_manager(user: User) -> None:
    if not (user.is_active and user.is_manager):
        raise NotPermitted()


@transaction.atomic
def team_save(
    *,
    by: User,
    name: str,
    members: Iterable[User],
    strategy: str,
    default_capacity: int,
    restricted: bool,
    team: Team | None = None,
    services: Iterable[Category] | None = None,
) -> Team:
    """Create a team (`team` None) or change one; a manager's. `services`: those whose new
    tickets go to this team (their default team), taken from any other team; None leaves
    them as they are. Waiting tickets are offered again at once: a new member, a new
    strategy or more capacity may make room."""
    from . import routing

    _require_manager(by)
    members = list(members)
    if any(not member.is_agent for member in members):
        raise ValidationError({"members": NOT_STAFF})
    team = team or Team()
    team.name = name.strip()
    team.strategy = strategy
    team.default_capacity = default_capacity
    team.restricted = restricted
    team.full_clean(validate_unique=False)
    if Team.objects.filter(name__iexact=team.name).exclude(pk=team.pk).exists():
        raise ValidationError({"name": NAME_TAKEN})
    team.save()
    team.members.set(members)
    if services is not None:
        chosen = [service.pk for service in services]
        Category.objects.filter(default_team=team).exclude(pk__in=chosen).update(default_team=None)
        Category.objects.filter(pk__in=chosen).update(default_team=team)
    # Forgotten now (read back from the database until this commits: right even if it rolls
    # back), written as the database says once it commits.
    forget_restricted_flag()
    transaction.on_commit(refresh_restricted_flag)
    routing.drain(team_ids=[team.pk])
    return team


@transaction.atomic
def capacity_set(*, agent: User, capacity: int | None, by: User) -> User:
    """A manager sets how many tickets `agent` works at once (None: their teams' default)."""
    from . import routing

    _require_manager(by)
    if not agent.is_agent:
        raise ValidationError({"capacity": NOT_STAFF})
    agent.capacity = capacity
    agent.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    agent.save(update_fields=["capacity"])
    routing.agent_freed(agent_id=agent.pk)
    return agent


@transaction.atomic
def availability_set(*, agent: User, availability: str) -> User:
    """An agent says whether they take new tickets now. Back to available, they are offered
    what waits in their teams at once."""
    from accounts.models import Availability

    from . import routing

    if not agent.is_agent:
        raise NotPermitted()
    if availability not in Availability.values:
        raise ValidationError({"availability": _("Choose available, away or off.")})
    if agent.availability == availability:
        return agent
    agent.availability = availability
    agent.save(update_fields=["availability"])
    if availability == Availability.AVAILABLE:
        routing.agent_freed(agent_id=agent.pk)
    return agent


def membership_touch(*, team_id: int, agent_id: int, when) -> None:
    """Remember when `agent` was last given a ticket of the team (round robin's turn)."""
    TeamMembership.objects.filter(team_id=team_id, agent_id=agent_id).update(last_assigned_at=when)
