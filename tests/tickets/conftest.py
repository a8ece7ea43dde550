"""Tickets lived step by step through the services, for the report tests."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tickets import reports, services, workflow
from tickets.status import Status

BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3600.0


def at(day: int, hour: float) -> datetime:
    """A moment in Berlin, November 2026 (Monday the 2nd is the first working day)."""
    return datetime(2026, 11, day, int(hour), int(hour % 1 * 60), tzinfo=BERLIN)


NOVEMBER = reports.ReportFilters(start=date(2026, 11, 1), end=date(2026, 11, 30))


@pytest.fixture
def life(customer, agent, category):
    """life(steps) → a ticket lived step by step at the given moments, through the services."""

    def run(*steps, priority="normal"):
        ticket = None
        for moment, step in steps:
            with time_machine.travel(moment, tick=False):
                if step == "report":
                    ticket = services.ticket_create(
                        customer=customer,
                        created_by=customer,
                        subject="Printer",
                        description="Jams",
                        category=category,
                        priority=priority,
                    )
                elif step == "take":
                    services.ticket_take(ticket_id=ticket.pk, agent=agent)
                elif step == "reply":
                    services.comment_add(ticket_id=ticket.pk, author=agent, body="On it")
                elif step == "customer":
                    services.comment_add(ticket_id=ticket.pk, author=customer, body="Answer")
                else:
                    actor = customer if step == "reopen" else agent
                    target = {
                        "start": Status.IN_PROGRESS,
                        "hold": Status.ON_HOLD,
                        "resolve": Status.RESOLVED,
                        "reopen": Status.IN_PROGRESS,
                    }[step]
                    workflow.transition(
                        ticket_id=ticket.pk, to=target, actor=actor, note="Because."
                    )
        return ticket

    return run


@pytest.fixture
def november(life):
    """Three tickets resolved in 2 h, 4 h and 10 h (one reopened, one with a day on hold),
    and one still open at the end of the range."""
    quick = life(
        (at(2, 9), "report"),
        (at(2, 9.5), "take"),
        (at(2, 10), "reply"),
        (at(2, 10.5), "start"),
        (at(2, 11), "resolve"),
    )
    held = life(
        (at(3, 9), "report"),
        (at(3, 9.25), "take"),
        (at(3, 9.5), "start"),
        (at(3, 10), "hold"),
        (at(4, 10), "customer"),
        (at(4, 11), "resolve"),
    )
    reopened = life(
        (at(5, 9), "report"),
        (at(5, 10), "take"),
        (at(5, 11), "start"),
        (at(5, 13), "resolve"),
        (at(6, 9), "reopen"),
        (at(6, 12), "resolve"),
    )
    still_open = life((at(27, 9), "report"), (at(27, 10), "take"))
    return quick, held, reopened, still_open


@pytest.fixture
def mia(client, manager):
    client.force_login(manager)
    return client


QUERY = {"start": "2026-11-01", "end": "2026-11-30"}
