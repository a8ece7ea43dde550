"""Fill the database with a believable help desk: demo logins, services and tickets.

    python manage.py seed_demo                    # 300 tickets
    python manage.py seed_demo --tickets 100000   # a big queue, in a few minutes
    python manage.py seed_demo --if-empty         # only when there are no tickets yet

Every ticket gets a life story that the workflow could have written: its status history is
a walk through `tickets.workflow.RULES` (each change made by someone the rule grants it to,
with a note where the rule asks for a reason), its conversation is interleaved with that
history, and its denormalised fields (assignee, resolved_at, closed_at, first_response_at,
updated_at, version) agree with both.

Everything is computed in memory first and written in batches, one transaction each: the
services would be far too slow for a million tickets, and Ticket.save() refuses new tickets
that are not open. On PostgreSQL, worker processes plan and encode the batches while the main
process loads them with COPY (a million tickets in minutes); elsewhere bulk_create writes
them. No notifications are written and no mail is sent.

    python manage.py seed_demo --tickets 1000000 --agents 300 --comments 3-10   # bench data
"""

from __future__ import annotations

import math
import multiprocessing
import os
import random
import sys
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from accounts.models import Role, User
from tickets import bulk_copy, metrics
from tickets.models import Category, Comment, SlaPolicy, StatusHistory, Ticket, TicketMetrics
from tickets.sla import BusinessCalendar
from tickets.status import Priority, Status
from tickets.workflow import RULES, Actor, Grant, Rule

DEMO_PASSWORD = "helpdesk-demo"  # noqa: S105 (printed for everyone: demo data only)
MANAGER_EMAIL = "manager@example.com"
AGENT_COUNT = 5
COMMENTS = (1, 6)  # how many comments a ticket gets, at least and at most
MIN_CUSTOMERS = 40
TICKETS_PER_CUSTOMER = 20
DEFAULT_TICKETS = 300
DEFAULT_BATCH = 1000
HISTORY_DAYS = 90
VACUUM_FROM = 10_000
BULK_TABLES = [
    "tickets_ticket",
    "tickets_statushistory",
    "tickets_comment",
    "tickets_ticketmetrics",
]
TICKETS_PER_DAY = 1000  # beyond 90 days' worth, spread over more days, as a help desk grows

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0
MIN_AGE = 30 * MINUTE  # the newest ticket is half an hour old
MAX_STEPS = 12  # a status history longer than this heads straight for its target
STOP_AT_TARGET = 0.8  # chance that a walk ends the first time it reaches its target
DETOUR = 0.15  # how much less likely a step is when it leads away from the target
SYSTEM_REPLY_NOTE = "The customer replied."  # what comment_add's automatic resume writes

S = Status


# --- People ---------------------------------------------------------------------------------

MANAGER_NAME = "Dana Whitfield"
AGENT_NAMES = ["Alex Morgan", "Priya Natarajan", "Jonas Weber", "Fatima Okafor", "Lucas Ferreira"]
FIRST_NAMES = (  # noqa: SIM905 (a word list reads better as text)
    "Anna Ben Chloe David Elena Farid Grace Hiro Ines Jakob Kira Liam Maya Noah Olga Pavel "
    "Quinn Rosa Samir Tara Umar Vera Wen Ximena Yusuf Zoe Amir Beatriz Carlos Dilara Emil "
    "Freya Gabriel Hannah Ivan Julia Kofi Lena Mateo Nina"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Schneider Novak Okonkwo Lindqvist Moreau Tanaka Rossi Kowalski Haddad Jensen Silva "
    "Fischer Petrov Nguyen Murphy Andersson Costa Yilmaz Brennan Kaur Dubois Horvat Larsen "
    "Mendes Sato Weber Zimmermann Ortiz Popescu Varga Becker Khan Lopez Meyer Nakamura "
    "Olsen Russo Svensson Torres Wagner"
).split()


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
        User(email=email, display_name=name, role=role, password=password)
        for email, name, role in wanted
        if email not in existing
    ]
    User.objects.bulk_create(missing, batch_size=DEFAULT_BATCH)
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


# --- Affected services and what goes wrong with them ---------------------------------------


@dataclass(frozen=True)
class Service:
    name: str
    description: str
    problems: tuple[tuple[str, str], ...]  # (subject, first sentence of the description)
    fixes: tuple[str, ...]  # resolution notes


SERVICES = [
    Service(
        "E-mail",
        "Mailboxes, calendars and shared inboxes",
        (
            (
                "Outlook keeps asking for my password",
                "Outlook asks for my password every few minutes, even right after I enter it.",
            ),
            (
                "Shared mailbox disappeared",
                "The team's shared mailbox is gone from my folder list.",
            ),
            (
                "Mails to a customer bounce",
                "Everything I send to one of our customers comes back as undeliverable.",
            ),
            (
                "Calendar invitations not arriving",
                "Colleagues say they invited me, but the invitations never show up.",
            ),
            (
                "Mailbox full warning",
                "I get a warning that my mailbox is almost full and cannot send any more.",
            ),
            (
                "Out-of-office reply does not work",
                "I set up my out-of-office reply but nobody receives it.",
            ),
        ),
        (
            "Cleared the cached credentials and re-created the Outlook profile.",
            "Re-added the shared mailbox permission; it syncs again.",
            "The recipient's domain had us on a block list; they removed the entry.",
            "Archived old mail and raised the mailbox quota to 100 GB.",
        ),
    ),
    Service(
        "VPN",
        "Remote access from home and on the road",
        (
            (
                "VPN drops every few minutes",
                "The VPN connection drops every few minutes and I have to reconnect.",
            ),
            (
                "Cannot connect to the VPN from the hotel",
                "On the hotel Wi-Fi the VPN client just says 'connecting' forever.",
            ),
            ("VPN certificate expired", "The VPN client says my certificate has expired."),
            (
                "VPN very slow",
                "With the VPN on, every file on the network drive takes ages to open.",
            ),
            (
                "No access to the intranet over VPN",
                "I'm connected to the VPN but the intranet pages do not load.",
            ),
        ),
        (
            "Re-issued the VPN certificate and pushed the new profile.",
            "Switched the client to TCP 443, which the hotel network allows.",
            "Moved the user to the nearer VPN gateway; throughput is back to normal.",
            "Added the missing intranet route to the VPN profile.",
        ),
    ),
    Service(
        "Laptop & hardware",
        "Laptops, docks, screens, keyboards and phones",
        (
            (
                "Laptop does not start",
                "My laptop shows the logo and then switches itself off again.",
            ),
            (
                "Docking station: external screens stay black",
                "When I plug into the docking station the two screens stay black.",
            ),
            (
                "Battery drains within an hour",
                "The battery goes from full to empty in about an hour.",
            ),
            ("Keyboard missing keys", "Two keys came off my laptop keyboard."),
            ("Request: second monitor", "I would like a second monitor for my desk."),
            (
                "Laptop very slow after update",
                "Since the last update the laptop takes minutes to open anything.",
            ),
        ),
        (
            "Replaced the mainboard under warranty; the laptop boots again.",
            "Updated the dock firmware and display drivers.",
            "Swapped the battery; runtime is back to about eight hours.",
            "Delivered and set up the second monitor at the desk.",
            "Rolled back the faulty driver update and blocked it for this model.",
        ),
    ),
    Service(
        "Printing",
        "Office printers and scanners",
        (
            (
                "Printer on 3rd floor shows offline",
                "The printer next to the kitchen on the 3rd floor is offline for everyone.",
            ),
            (
                "Print jobs stuck in the queue",
                "My print jobs just sit in the queue and never print.",
            ),
            ("Scanner does not send to e-mail", "Scan to e-mail fails with 'SMTP error'."),
            ("Prints come out blank", "Every page comes out of the printer completely blank."),
            (
                "Cannot add the new printer",
                "I can't find the new colour printer in the list of printers.",
            ),
        ),
        (
            "Renewed the printer's DHCP reservation; it is back online.",
            "Restarted the print spooler on the print server and cleared the stuck jobs.",
            "Updated the scanner's SMTP settings to the new relay.",
            "Replaced the toner cartridge, which had its seal still on.",
            "Deployed the printer to the user's laptop through the management console.",
        ),
    ),
    Service(
        "Accounts & passwords",
        "Sign-in, passwords, multi-factor authentication and access rights",
        (
            ("Account locked", "My account is locked and I can't sign in anywhere."),
            (
                "New phone: authenticator app codes missing",
                "I got a new phone and my authenticator app has no codes.",
            ),
            (
                "Need access to the finance share",
                "I need read access to the finance share for the quarterly report.",
            ),
            (
                "Password reset e-mail never arrives",
                "I asked for a password reset but the e-mail never comes.",
            ),
            (
                "New starter needs an account",
                "A new colleague starts on Monday and needs an account and a laptop.",
            ),
        ),
        (
            "Unlocked the account and reset the password; the user signed in.",
            "Reset the MFA registration; the user enrolled the new phone.",
            "Added the user to the finance-readers group after the manager's approval.",
            "The reset mails were caught by a spam rule; fixed the rule and resent.",
            "Created the account and prepared the laptop for the start date.",
        ),
    ),
    Service(
        "Billing",
        "Invoices, payments and subscriptions",
        (
            (
                "Invoice shows the wrong VAT number",
                "Our latest invoice has an old VAT number on it.",
            ),
            (
                "Charged twice this month",
                "Our card was charged twice for this month's subscription.",
            ),
            (
                "Need a copy of last year's invoices",
                "Our auditor asks for copies of all invoices from last year.",
            ),
            ("Change the billing address", "We moved offices; please change the billing address."),
            (
                "Payment failed but card is valid",
                "The portal says our payment failed, but the card works elsewhere.",
            ),
        ),
        (
            "Corrected the VAT number and re-issued the invoice.",
            "Refunded the duplicate charge; it shows on the statement in 3-5 days.",
            "Sent a ZIP with all invoices from last year.",
            "Updated the billing address for future invoices.",
            "The bank flagged the payment as unusual; it went through on retry.",
        ),
    ),
    Service(
        "Website",
        "The public website and the customer portal",
        (
            (
                "Contact form returns an error",
                "Sending the contact form on the website shows 'Something went wrong'.",
            ),
            (
                "Broken link on the pricing page",
                "The 'Download price list' link on the pricing page gives a 404.",
            ),
            (
                "Portal login loops back to sign-in",
                "After signing in to the portal I land on the sign-in page again.",
            ),
            (
                "Website very slow this morning",
                "Every page on the website takes 10+ seconds to load.",
            ),
            (
                "Typo on the About page",
                "There is a typo in the second paragraph of the About page.",
            ),
        ),
        (
            "Fixed the form's mail relay setting; submissions arrive again.",
            "Restored the price list file and fixed the link.",
            "Cleared the stale session cookies domain setting; login works.",
            "Scaled up the web servers and purged the CDN cache.",
            "Corrected the typo and published the page.",
        ),
    ),
]

WHEN = [
    "It started this morning.",
    "It has been like this since Monday.",
    "It began right after the last update.",
    "It happens on and off, for about a week now.",
    "It started yesterday afternoon.",
]
TRIED = [
    "I already restarted the computer.",
    "I tried signing out and in again.",
    "I haven't changed anything on my side.",
    "A colleague has the same problem.",
    "",
]
IMPACT = {
    Priority.LOW: ["No rush, whenever you get to it.", "It's not urgent, just annoying."],
    Priority.NORMAL: ["I can work around it for now.", "It slows me down quite a bit."],
    Priority.HIGH: ["I can't do my work until this is fixed.", "My whole team is affected."],
    Priority.URGENT: ["We have a client deadline today!", "Nobody in the office can work."],
}
PRIORITY_WEIGHTS = {Priority.LOW: 20, Priority.NORMAL: 50, Priority.HIGH: 22, Priority.URGENT: 8}


def ensure_categories() -> list[tuple[Category, Service]]:
    pairs = []
    for service in SERVICES:
        category, _created = Category.objects.get_or_create(
            name=service.name, defaults={"description": service.description}
        )
        pairs.append((category, service))
    return pairs


# --- Walking the workflow table --------------------------------------------------------------


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


# --- Who makes each change, how long it takes, what they write -------------------------------

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
DEFAULT_GAP = (10 * MINUTE, 1 * DAY)

# action → reasons, for the grants that require one.
REASONS: dict[str, list[str]] = {
    "hold": [
        "Waiting for the customer to send a screenshot of the error.",
        "Waiting for the replacement part from the supplier.",
        "Asked the customer which office and floor they are on.",
        "Waiting for the vendor to answer our support case.",
        "Customer is travelling until next week; will retry then.",
    ],
    "withdraw": [
        "It started working again on its own.",
        "A colleague already reported the same problem.",
        "Not needed any more, we found a workaround.",
        "Sorry, my mistake - everything is fine.",
    ],
    "close": [
        "Duplicate; we are tracking this in another ticket.",
        "No answer from the customer for three weeks.",
        "Out of scope for the help desk; forwarded to facilities.",
    ],
    "reopen": [
        "It's broken again since this morning.",
        "The fix only worked until the next restart.",
        "Still getting the same error, see my message.",
    ],
}
# action → notes sometimes left where none is required.
REMARKS: dict[str, list[str]] = {
    "assign": ["Please pick this up, it's blocking the team.", "You know this system best."],
    "unassign": [
        "Back to the queue: I'm out of office tomorrow.",
        "Wrong team; putting it back for triage.",
    ],
    "close": ["Customer confirmed the fix by phone."],
    "reopen": ["Monitoring shows the problem is back."],
}
REMARK_CHANCE = 0.3


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


def log_uniform(rng: random.Random, low: float, high: float) -> float:
    """Many short waits and a few long ones, as queues behave."""
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def possible(grant: Grant, rule: Rule, assignee: int | None, may_auto_close: bool) -> bool:
    if grant.actor == Actor.ASSIGNEE and assignee is None:
        return False
    return not (grant.actor == Actor.SYSTEM and rule.target == S.CLOSED and not may_auto_close)


def choose_grant(
    rng: random.Random, rule: Rule, assignee: int | None, may_auto_close: bool
) -> Grant:
    grants = [g for g in rule.grants if possible(g, rule, assignee, may_auto_close)]
    weights = [GRANT_WEIGHTS.get((g.action, g.actor), 1.0) for g in grants]
    return rng.choices(grants, weights)[0]


def note_for(rng: random.Random, grant: Grant, service: Service) -> str:
    if grant.actor == Actor.SYSTEM:
        if grant.action == "auto_close":
            days = settings.AUTO_CLOSE_RESOLVED_AFTER_DAYS
            return f"Closed automatically {days} days after resolution."
        return SYSTEM_REPLY_NOTE
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
        # What transition() does to the assignee.
        if source == S.OPEN and target == S.ASSIGNED:
            assignee = actor if grant.actor == Actor.AGENT else rng.choice(cast.agents)
        elif target == S.OPEN:
            assignee = None
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


# --- The conversation ------------------------------------------------------------------------

CUSTOMER_FOLLOW_UPS = [
    "Forgot to mention: it happens on my phone as well.",
    "Any news? It's still happening.",
    "Some more detail: the problem appeared right after the last update.",
    "A colleague in the same office has the same problem now.",
]
CUSTOMER_REPLIES = [
    "Thanks! The error says 'connection timed out'.",
    "Yes, it also happens in the office.",
    "I restarted as you suggested - still the same.",
    "Here is what you asked for: it started on Monday around 9.",
    "I tried that, it works for a while and then breaks again.",
]
CUSTOMER_THANKS = [
    "Works now, thank you!",
    "Great, thanks for the quick help.",
    "Looks good so far, I'll let you know if it comes back.",
]
STAFF_ACKS = [
    "Hi {customer}, thanks for reporting this. I'm looking into it now.",
    "Hi {customer}, I've picked this up and will get back to you today.",
    "Hi {customer}, sorry for the trouble - I'm on it.",
]
STAFF_QUESTIONS = [
    "Could you send me the exact error message and roughly when it happened?",
    "Does this also happen when you are in the office?",
    "Could you restart once and tell me if the problem is still there?",
    "Which device and operating system are you using?",
]
STAFF_UPDATES = [
    "Quick update: I can reproduce the problem and I'm testing a fix.",
    "I've asked our {service} specialists to have a look; I'll keep you posted.",
    "The fix is scheduled for tonight's maintenance window.",
]
STAFF_REMINDERS = [
    "Hi {customer}, just checking in - could you send the details when you have a moment?",
]
STAFF_NOTES = [
    "Looks like the same root cause as last week's {service} incident.",
    "Checked the logs: nothing unusual on the server side.",
    "Customer is on the priority list - keep them updated.",
    "Opened a case with the vendor.",
    "Known issue, workaround documented in the knowledge base.",
]
MANAGER_NOTES = [
    "Please keep an eye on this one, the customer escalated by phone.",
    "If this isn't solved by Friday, loop me in.",
]

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
    S.RESOLVED: [(1, CUSTOMER, False, CUSTOMER_THANKS)],
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


# --- One ticket, start to finish -------------------------------------------------------------


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


def build_ticket(plan: TicketPlan, created: datetime, cast: Cast) -> Ticket:
    """The Ticket row, with every denormalised field replayed from the plan."""
    resolved_at = closed_at = None
    for change in plan.changes:  # what transition() does to the timestamps
        if change.target == S.RESOLVED:
            resolved_at = change.at
        elif change.source == S.RESOLVED and change.target == S.IN_PROGRESS:
            resolved_at = None
        if change.target == S.CLOSED:
            closed_at = change.at
    staff = cast.staff
    first_response = next(
        (m.at for m in plan.messages if m.author in staff and not m.internal), None
    )
    customer_replied = max((m.at for m in plan.messages if m.author == plan.customer), default=None)
    last = plan.changes[-1]
    updated = max([last.at, *(m.at for m in plan.messages)])

    def when(offset: float | None) -> datetime | None:
        return None if offset is None else created + timedelta(seconds=offset)

    return Ticket(
        subject=plan.subject,
        description=plan.description,
        customer_id=plan.customer,
        assignee_id=last.assignee,
        category=plan.category,
        priority=plan.priority,
        status=last.target,
        created_at=created,
        updated_at=when(updated),
        first_response_at=when(first_response),
        customer_replied_at=when(customer_replied),
        resolved_at=when(resolved_at),
        closed_at=when(closed_at),
        version=len(plan.changes) + len(plan.messages),
    )


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
        rng = random.Random(self.seed * 1_000_003 + batch)
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


def write_batch(plans: Sequence[TicketPlan], now: datetime, cast: Cast) -> None:
    """Through the ORM, one transaction per batch (any database)."""
    with transaction.atomic():
        tickets = Ticket.objects.bulk_create(
            [build_ticket(p, now - timedelta(seconds=p.age), cast) for p in plans]
        )
        history: list[StatusHistory] = []
        comments: list[Comment] = []
        for ticket, plan in zip(tickets, plans, strict=True):
            rows, messages = build_rows(ticket, plan)
            history += rows
            comments += messages
        StatusHistory.objects.bulk_create(history)
        Comment.objects.bulk_create(comments)
        # The same clock the services keep: metrics for reports, SLA due times for the queue.
        metrics.refresh(ticket_ids=[t.pk for t in tickets], now=now)


COPIED = (Ticket, StatusHistory, Comment, TicketMetrics)
Encoded = dict[str, str]


@dataclass(frozen=True)
class CopyJob:
    """A SeedJob for PostgreSQL's COPY: ticket keys reserved up front, metrics worked out in
    memory (the same `metrics_row` the services store), rows encoded as COPY text."""

    seed: SeedJob
    first_id: int
    policies: dict[str, SlaPolicy]
    calendar: BusinessCalendar

    def encode(self, batch: int, indexes: range) -> tuple[Encoded, list[Status]]:
        plans = self.seed.plans(batch, indexes)
        cast, now = self.seed.cast, self.seed.now
        rows: dict[type, list] = {model: [] for model in COPIED}
        for i, plan in zip(indexes, plans, strict=True):
            ticket = build_ticket(plan, now - timedelta(seconds=plan.age), cast)
            ticket.pk = self.first_id + i
            history, comments = build_rows(ticket, plan)
            row, ticket.sla_due_at = metrics.metrics_row(
                ticket,
                history=history,
                # build_ticket set it from the first public staff message, as the services do
                first_staff_reply_at=ticket.first_response_at,
                policies=self.policies,
                calendar=self.calendar,
                now=now,
            )
            rows[Ticket].append(ticket)
            rows[StatusHistory] += history
            rows[Comment] += comments
            rows[TicketMetrics].append(row)
        encoded = {
            model._meta.label: bulk_copy.encode_rows(
                objects, model, with_pk=model in (Ticket, TicketMetrics)
            )
            for model, objects in rows.items()
        }
        return encoded, [p.changes[-1].target for p in plans]

    @staticmethod
    def write(encoded: Encoded) -> None:
        with transaction.atomic():
            for model in COPIED:
                bulk_copy.copy_encoded(
                    model, encoded[model._meta.label], with_pk=model in (Ticket, TicketMetrics)
                )


# The job a forked worker plans from: set before the pool forks, so it is inherited, not pickled.
_copy_job: CopyJob | None = None


def _encode_in_worker(args: tuple[int, range]) -> tuple[Encoded, list[Status]]:
    assert _copy_job is not None  # noqa: S101 (set by copy_tickets before forking)
    return _copy_job.encode(*args)


def copy_tickets(
    job: SeedJob, batches: Sequence[range], *, workers: int, progress: Callable[[int], None]
) -> Counter[Status]:
    """Plan and encode batches in `workers` processes while this one COPYs them in."""
    global _copy_job
    _copy_job = CopyJob(
        seed=job,
        first_id=bulk_copy.reserve_ids(Ticket, len(job.ages)) if job.ages else 0,
        policies={p.priority: p for p in SlaPolicy.objects.all()},
        calendar=BusinessCalendar.load(),
    )
    statuses: Counter[Status] = Counter()
    work = list(enumerate(batches))
    try:
        if workers > 1 and len(work) > 1:
            if not connection.in_atomic_block:
                connection.close()  # the children must not share this process's connection
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for encoded, finals in pool.imap(_encode_in_worker, work):
                    CopyJob.write(encoded)
                    statuses.update(finals)
                    progress(len(finals))
        else:
            for args in work:
                encoded, finals = _copy_job.encode(*args)
                CopyJob.write(encoded)
                statuses.update(finals)
                progress(len(finals))
    finally:
        _copy_job = None
    return statuses


def parse_range(text: str) -> tuple[int, int]:
    """ "3-10" → (3, 10)."""
    low, _dash, high = text.partition("-")
    try:
        bounds = (int(low), int(high or low))
    except ValueError:
        raise CommandError(f"Expected a range like 3-10, not {text!r}.") from None
    if not 0 <= bounds[0] <= bounds[1]:
        raise CommandError(f"Expected 0 ≤ at least ≤ at most, not {text!r}.")
    return bounds


def history_days(count: int) -> int:
    """How far back the tickets go: 90 days, or more for big help desks (a million tickets
    at a thousand a day reach back almost three years)."""
    return max(HISTORY_DAYS, count // TICKETS_PER_DAY)


def chunks(items: Sequence[float], size: int) -> Iterable[range]:
    return (range(start, min(start + size, len(items))) for start in range(0, len(items), size))


class Command(BaseCommand):
    help = "Create demo accounts, services and tickets with consistent histories."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, default=DEFAULT_TICKETS, help="how many")
        parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
        parser.add_argument(
            "--batch-size", type=int, default=DEFAULT_BATCH, help="tickets per transaction"
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing if any ticket exists"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument(
            "--agents", type=int, default=AGENT_COUNT, help=f"agents (default {AGENT_COUNT})"
        )
        parser.add_argument(
            "--comments",
            default="{}-{}".format(*COMMENTS),
            help="comments per ticket, at least-at most (default %(default)s)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help="processes planning tickets on PostgreSQL (default: one per core)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count = int(options["tickets"])
        batch_size = int(options["batch_size"])
        agents = int(options["agents"])
        if count < 0 or batch_size < 1 or agents < 1 or options["workers"] < 1:
            raise CommandError("--tickets must be ≥ 0, --batch-size, --agents and --workers ≥ 1.")
        comments = parse_range(options["comments"])
        if options["if_empty"] and Ticket.objects.exists():
            self.stdout.write("Tickets already exist; seed_demo --if-empty did nothing.")
            emails = [email for email, _name, _role in demo_accounts(customer_count=2)]
            self.print_logins(User.objects.filter(email__in=emails))
            return
        rng = random.Random(options["seed"])
        cast, new_users = ensure_users(max(MIN_CUSTOMERS, count // TICKETS_PER_CUSTOMER), agents)
        services = ensure_categories()
        statuses = self.seed_tickets(
            rng,
            cast,
            services,
            count,
            batch_size,
            comments=comments,
            workers=int(options["workers"]),
            progress=not options["no_progress"],
        )
        if connection.vendor == "postgresql" and count >= VACUUM_FROM:
            # Fresh bulk data has no statistics and no visibility map yet: without them the
            # planner guesses and index-only scans read the table anyway.
            with connection.cursor() as cursor:
                # nosemgrep: helpdesk.raw-sql-formatted (the constant BULK_TABLES, not input)
                cursor.execute(f"VACUUM ANALYZE {', '.join(BULK_TABLES)}")
        self.report(cast, new_users, statuses)

    def seed_tickets(
        self,
        rng: random.Random,
        cast: Cast,
        services: Sequence[tuple[Category, Service]],
        count: int,
        batch_size: int,
        *,
        comments: tuple[int, int],
        workers: int,
        progress: bool,
    ) -> Counter[Status]:
        # Oldest first, so that ticket numbers grow with the reporting date.
        ages = sorted(
            (rng.uniform(MIN_AGE, history_days(count) * DAY) for _ in range(count)), reverse=True
        )
        job = SeedJob(
            cast=cast,
            services=services,
            ages=ages,
            targets=final_statuses(rng, ages),
            now=timezone.now(),
            comments=comments,
            seed=rng.randrange(2**32),
        )
        batches = list(chunks(ages, batch_size))
        bar = tqdm(total=count, unit="ticket", file=sys.stderr, disable=None if progress else True)
        with bar:
            if connection.vendor == "postgresql":
                return copy_tickets(job, batches, workers=workers, progress=bar.update)
            statuses: Counter[Status] = Counter()
            for batch, indexes in enumerate(batches):
                plans = job.plans(batch, indexes)
                write_batch(plans, job.now, cast)
                statuses.update(p.changes[-1].target for p in plans)
                bar.update(len(plans))
        return statuses

    def report(self, cast: Cast, new_users: int, statuses: Counter[Status]) -> None:
        total = sum(statuses.values())
        spread = ", ".join(f"{statuses[s]} {s.value}" for s in Status if statuses[s])
        self.stdout.write(self.style.SUCCESS(f"Created {total} tickets ({spread or 'none'})."))
        self.stdout.write(f"{new_users} new demo accounts.")
        shown = [cast.manager, *cast.agents[:AGENT_COUNT], *cast.customers[:2]]
        self.print_logins(User.objects.filter(pk__in=shown))
        if len(cast.agents) > AGENT_COUNT:
            more = len(cast.agents) - AGENT_COUNT
            self.stdout.write(f"  … and {more} more agents, agent{AGENT_COUNT + 1}@example.com on")
        if new_users < 1 + len(cast.agents) + len(cast.customers):
            self.stdout.write("(accounts that existed before keep their own password)")

    def print_logins(self, users) -> None:
        rows = users.values_list("role", "email", "display_name")
        if not rows:
            return
        self.stdout.write("Demo logins:")
        order = {Role.MANAGER: 0, Role.AGENT: 1, Role.CUSTOMER: 2}
        for role, email, name in sorted(rows, key=lambda r: (order[r[0]], r[1])):
            self.stdout.write(f"  {role:<9} {email:<24} {name}")
        self.stdout.write(f"Password for all demo accounts: {DEMO_PASSWORD}")
