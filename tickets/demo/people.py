"""The demo logins (manager, agents, customers) and the services tickets are about."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.core.management.base import CommandError

from accounts.identity import skeleton
from accounts.models import Role, User
from tickets.models import Category

from .content import AGENT_NAMES, FIRST_NAMES, LAST_NAMES, MANAGER_NAME, SERVICES, Service

USER_BATCH = 1000


DEMO_PASSWORD = "helpdesk-demo"  # noqa: S105 (printed for everyone: demo data only)


MANAGER_EMAIL = "manager@example.com"


AGENT_COUNT = 5


MIN_CUSTOMERS = 40


TICKETS_PER_CUSTOMER = 20


@dataclass(frozen=True)
class Cast:
    """The demo people, by primary key."""

    manager: int
    agents: tuple[int, ...]
    customers: tuple[int, ...]
    first_names: dict[int, str]

    @property
    def staff(self) -> frozenset[int]:
        return frozenset((self.manager, *self.agents))


def customer_name(number: int) -> str:
    """A stable name for customerN: the same person on every run."""
    first = FIRST_NAMES[number % len(FIRST_NAMES)]
    last = LAST_NAMES[(number * 7 + number // len(FIRST_NAMES)) % len(LAST_NAMES)]
    return f"{first} {last}"


def agent_name(number: int) -> str:
    if number <= len(AGENT_NAMES):
        return AGENT_NAMES[number - 1]
    return customer_name(number * 13 + 7)


def demo_accounts(
    customer_count: int, agent_count: int = AGENT_COUNT
) -> list[tuple[str, str, Role]]:
    """(e-mail, display name, role) of every demo account, manager first."""
    accounts = [(MANAGER_EMAIL, MANAGER_NAME, Role.MANAGER)]
    accounts += [
        (f"agent{n}@example.com", agent_name(n), Role.AGENT) for n in range(1, agent_count + 1)
    ]
    accounts += [
        (f"customer{n}@example.com", customer_name(n), Role.CUSTOMER)
        for n in range(1, customer_count + 1)
    ]
    return accounts


def ensure_users(customer_count: int, agent_count: int = AGENT_COUNT) -> tuple[Cast, int]:
    """Create the demo accounts that are missing; return the cast and how many were new.

    Existing accounts (matched by e-mail) are reused as they are, password included.
    """
    wanted = demo_accounts(customer_count, agent_count)
    existing = {
        email: (role, active)
        for email, role, active in User.objects.filter(email__endswith="@example.com").values_list(
            "email", "role", "is_active"
        )
    }
    for email, _name, role in wanted:
        if email in existing and existing[email] != (role, True):
            found, active = existing[email]
            state = "an active" if active else "an inactive"
            raise CommandError(f"{email} exists as {state} {found}; expected an active {role}.")
    password = make_password(DEMO_PASSWORD)  # hashing is slow on purpose: do it once
    missing = [
        # bulk_create skips User.save(), which keeps the skeleton beside the address.
        User(
            email=email,
            email_skeleton=skeleton(email),
            display_name=name,
            role=role,
            password=password,
        )
        for email, name, role in wanted
        if email not in existing
    ]
    User.objects.bulk_create(missing, batch_size=USER_BATCH)
    rows = User.objects.filter(email__endswith="@example.com").values_list(
        "email", "pk", "display_name"
    )
    by_email = {email: (pk, name) for email, pk, name in rows}
    pk_of = [by_email[email][0] for email, _name, _role in wanted]
    cast = Cast(
        manager=pk_of[0],
        agents=tuple(pk_of[1 : 1 + agent_count]),
        customers=tuple(pk_of[1 + agent_count :]),
        first_names={pk: name.split()[0] for pk, name in by_email.values()},
    )
    return cast, len(missing)


def ensure_categories() -> list[tuple[Category, Service]]:
    pairs = []
    for service in SERVICES:
        category, _created = Category.objects.get_or_create(
            name=service.name, defaults={"description": service.description}
        )
        pairs.append((category, service))
    return pairs


@functools.cache
def person(pk: int | None) -> User | None:
    """A stand-in for the user `pk` (never loaded: only its key is read), so that the demo can
    hand people to workflow.apply_effects as the services do."""
    return None if pk is None else User(pk=pk)
