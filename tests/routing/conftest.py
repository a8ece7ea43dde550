"""Teams for the routing tests, made through the services as a manager would."""

import pytest

from accounts.models import Role
from accounts.services import user_create
from tickets import services, teams
from tickets.models import Category, Team


@pytest.fixture
def make_team(manager):
    def make(
        name="Network",
        *,
        members=(),
        strategy=Team.Strategy.LEAST_LOADED,
        capacity=10,
        restricted=False,
        category=None,
    ):
        team = teams.team_save(
            by=manager,
            name=name,
            members=members,
            strategy=strategy,
            default_capacity=capacity,
            restricted=restricted,
        )
        if category is not None:
            Category.objects.filter(pk=category.pk).update(default_team=team)
            category.refresh_from_db()
        return team

    return make


@pytest.fixture
def make_agent(db):
    counter = iter(range(1, 10_000))

    def make(name=None):
        n = next(counter)
        return user_create(
            email=f"agent{n}@example.com",
            display_name=name or f"Agent {n:02}",
            role=Role.AGENT,
            password=None,
        )

    return make


@pytest.fixture
def report(customer):
    """report(category) → a new ticket from Carla about that service."""

    def make(category, subject="The VPN drops", **kwargs):
        return services.ticket_create(
            customer=customer,
            subject=subject,
            description="Every ten minutes.",
            created_by=customer,
            category=category,
            **kwargs,
        )

    return make
