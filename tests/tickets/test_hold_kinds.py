"""Two kinds of hold: waiting for the customer (asked; their reply resumes work; the SLA clock
stops) and waiting on a third party (told; their reply does not resume it; the clock stops as
the policy says). Figures worked out by hand in the comments."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from tickets import metrics, notifications, services, timeline, workflow
from tickets.errors import HoldKindInvalid
from tickets.models import Notification, SlaPolicy, StatusHistory, TicketMetrics
from tickets.reports import ReportFilters, aggregates
from tickets.status import HoldKind, Status

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3600.0
ONE_DAY = timedelta(days=1)
WAITING = "The VPN vendor is checking their gateway."


def at(hour: float) -> datetime:
    """Tuesday 3 November 2026 in Berlin (calendar hours: the day of the week does not
    matter)."""
    return datetime(2026, 11, 3, int(hour), int(hour % 1 * 60), tzinfo=BERLIN)


def policy(*, pause_on_third_party: bool) -> SlaPolicy:
    # 1 h to the first answer, 8 h to the resolution, around the clock.
    return SlaPolicy(
        priority="normal",
        first_response_minutes=60,
        resolution_minutes=8 * 60,
        counting=SlaPolicy.Counting.CALENDAR,
        pause_on_third_party=pause_on_third_party,
    )


def rows(kind: str | None, *, resolved_at: float | None = None) -> list[StatusHistory]:
    """Reported 9:00, taken 9:10, started 9:20, on hold (`kind`) at 10:00, maybe resolved."""
    steps = [
        (None, Status.OPEN, 9, None),
        (Status.OPEN, Status.ASSIGNED, 9 + 10 / 60, None),
        (Status.ASSIGNED, Status.IN_PROGRESS, 9 + 20 / 60, None),
        (Status.IN_PROGRESS, Status.ON_HOLD, 10, kind),
    ]
    if resolved_at is not None:
        steps.append((Status.ON_HOLD, Status.RESOLVED, resolved_at, None))
    return [
        StatusHistory(from_status=s, to_status=t, created_at=at(h), hold_kind=k)
        for s, t, h, k in steps
    ]


def clock(kind, *, pauses: bool, now: float, resolved_at: float | None = None):
    return metrics.measure(
        created_at=at(9),
        status=Status.RESOLVED if resolved_at else Status.ON_HOLD,
        history=rows(kind, resolved_at=resolved_at),
        first_staff_reply_at=at(9.5),
        policy=policy(pause_on_third_party=pauses),
        calendar=None,
        now=at(now),
    )


def test_a_third_party_hold_under_a_policy_that_does_not_pause_keeps_the_clock_running():
    # 9:00 + 8 h = 17:00, the hold from 10:00 counting.
    measured = clock(HoldKind.THIRD_PARTY, pauses=False, now=12)
    assert measured.resolution_due_at == at(17)
    assert measured.sla_due_at == at(17)


@pytest.mark.parametrize(
    ("kind", "pauses"),
    [
        (HoldKind.THIRD_PARTY, True),
        (HoldKind.CUSTOMER, False),  # waiting for the customer always stops the clock
        (HoldKind.CUSTOMER, True),
        (None, False),  # a hold from before there were kinds waited for the customer
    ],
)
def test_a_hold_that_pauses_leaves_no_due_time(kind, pauses):
    measured = clock(kind, pauses=pauses, now=12)
    assert measured.resolution_due_at is None
    assert measured.response_met is True  # answered at 9:30, within the hour


def test_resolved_after_a_third_party_hold_is_judged_by_the_policy():
    # On hold 10:00 → resolved 18:00. Not pausing: 9 h counted > 8 h, missed. Pausing:
    # 1 h counted (9:00 → 10:00), met.
    assert clock(HoldKind.THIRD_PARTY, pauses=False, now=19, resolved_at=18).resolution_met is False
    assert clock(HoldKind.THIRD_PARTY, pauses=True, now=19, resolved_at=18).resolution_met is True


def test_time_on_hold_counts_every_kind():
    # The report's "time on hold": 10:00 → 18:00 = 8 h, whatever it waited for.
    for kind in HoldKind:
        measured = clock(kind, pauses=False, now=19, resolved_at=18)
        assert measured.on_hold_seconds == 8 * HOUR


# --- Through the services ---------------------------------------------------------------------


def hold(ticket, actor, kind=None):
    workflow.transition(
        ticket_id=ticket.pk, to=Status.ON_HOLD, actor=actor, note=WAITING, hold_kind=kind
    )
    ticket.refresh_from_db()


def test_the_kind_is_recorded_with_the_change_and_on_the_ticket(make_ticket, agent):
    ticket = make_ticket(Status.IN_PROGRESS)

    hold(ticket, agent, HoldKind.THIRD_PARTY)

    assert ticket.hold_kind == HoldKind.THIRD_PARTY
    assert ticket.history.get(to_status=Status.ON_HOLD).hold_kind == HoldKind.THIRD_PARTY
    workflow.transition(ticket_id=ticket.pk, to=Status.IN_PROGRESS, actor=agent)
    ticket.refresh_from_db()
    assert ticket.hold_kind is None


def test_a_hold_waits_for_the_customer_unless_told_otherwise(make_ticket, agent):
    ticket = make_ticket(Status.IN_PROGRESS)

    hold(ticket, agent)

    assert ticket.history.get(to_status=Status.ON_HOLD).hold_kind == HoldKind.CUSTOMER


@pytest.mark.parametrize(("to", "kind"), [(Status.RESOLVED, "customer"), (Status.ON_HOLD, "x")])
def test_a_kind_with_another_step_or_an_unknown_kind_is_refused(make_ticket, agent, to, kind):
    ticket = make_ticket(Status.IN_PROGRESS)

    with pytest.raises(HoldKindInvalid):
        workflow.transition(ticket_id=ticket.pk, to=to, actor=agent, note="Done.", hold_kind=kind)

    assert ticket.history.count() == 3


def test_the_customers_reply_resumes_a_hold_waiting_for_them(make_ticket, agent, customer):
    ticket = make_ticket(Status.IN_PROGRESS)
    hold(ticket, agent, HoldKind.CUSTOMER)

    services.comment_add(ticket_id=ticket.pk, author=customer, body="Version 5.2")

    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS


def test_the_customers_reply_does_not_resume_a_hold_on_a_third_party(make_ticket, agent, customer):
    ticket = make_ticket(Status.IN_PROGRESS)
    hold(ticket, agent, HoldKind.THIRD_PARTY)

    services.comment_add(ticket_id=ticket.pk, author=customer, body="Any news?")

    ticket.refresh_from_db()
    assert (ticket.status, ticket.hold_kind) == (Status.ON_HOLD, HoldKind.THIRD_PARTY)
    # the assignee still hears of the reply
    assert Notification.objects.filter(
        ticket=ticket, event=Notification.Event.REPLY, recipient=agent
    ).exists()


def test_the_timeline_and_the_mail_say_what_it_waits_for(make_ticket, agent, customer):
    ticket = make_ticket(Status.IN_PROGRESS)
    hold(ticket, agent, HoldKind.THIRD_PARTY)
    entry = ticket.history.get(to_status=Status.ON_HOLD)

    assert timeline.describe(entry, viewer=customer).text == "On hold, waiting on a third party"
    mail = notifications.render(
        Notification.objects.get(ticket=ticket, event=Notification.Event.ON_HOLD)
    )
    assert mail.subject.startswith(f"[{ticket.reference}] Waiting on a third party:")
    assert "waiting on a third party" in mail.body
    assert "Reply on the ticket page" not in mail.body


def test_a_hold_for_the_customer_asks_them_to_reply(make_ticket, agent, customer):
    ticket = make_ticket(Status.IN_PROGRESS)
    hold(ticket, agent, HoldKind.CUSTOMER)
    entry = ticket.history.get(to_status=Status.ON_HOLD)

    assert timeline.describe(entry, viewer=customer).text == "On hold, waiting for your reply"
    mail = notifications.render(
        Notification.objects.get(ticket=ticket, event=Notification.Event.ON_HOLD)
    )
    assert "We need your reply" in mail.subject
    assert "Reply on the ticket page" in mail.body


def test_the_stored_clock_runs_on_a_third_party_hold_under_a_policy_that_says_so(
    make_ticket, customer, agent, category
):
    SlaPolicy.objects.update_or_create(
        priority="normal",
        defaults={
            "first_response_minutes": 60,
            "resolution_minutes": 8 * 60,
            "counting": SlaPolicy.Counting.CALENDAR,
            "pause_on_third_party": False,
        },
    )
    with time_machine.travel(at(9), tick=False):
        ticket = services.ticket_create(
            customer=customer, created_by=customer, subject="VPN", description="Drops"
        )
    with time_machine.travel(at(9.5), tick=False):
        services.ticket_take(ticket_id=ticket.pk, agent=agent)
        workflow.transition(ticket_id=ticket.pk, to=Status.IN_PROGRESS, actor=agent)
        services.comment_add(ticket_id=ticket.pk, author=agent, body="Looking")  # answered
    with time_machine.travel(at(10), tick=False):
        hold(ticket, agent, HoldKind.THIRD_PARTY)
    assert ticket.sla_due_at == at(17)  # 9:00 + 8 h, the hold counting

    SlaPolicy.objects.filter(priority="normal").update(pause_on_third_party=True)
    metrics.refresh(ticket_ids=[ticket.pk], now=at(11))
    ticket.refresh_from_db()
    assert ticket.sla_due_at is None  # paused
    assert TicketMetrics.objects.get(ticket=ticket).on_hold_since == at(10)


def test_the_report_counts_holds_by_kind(make_ticket, agent):
    first, second = make_ticket(Status.IN_PROGRESS), make_ticket(Status.IN_PROGRESS)
    hold(first, agent, HoldKind.THIRD_PARTY)
    hold(second, agent, HoldKind.CUSTOMER)
    workflow.transition(ticket_id=second.pk, to=Status.IN_PROGRESS, actor=agent)
    hold(second, agent, HoldKind.THIRD_PARTY)
    day = first.created_at.date()

    report = aggregates.build(ReportFilters(start=day - ONE_DAY, end=day + ONE_DAY))

    assert report.holds_by_kind == {"customer": 1, "third_party": 2}
    assert report.holds_by_kind_shown == [
        ("customer", "Waiting for the customer", 1),
        ("third_party", "Waiting on a third party", 2),
    ]


def test_the_summary_csv_and_the_api_count_holds_by_kind(client, make_ticket, agent, manager):
    ticket = make_ticket(Status.IN_PROGRESS)
    hold(ticket, agent, HoldKind.THIRD_PARTY)
    day = ticket.created_at.date()
    query = {"start": (day - ONE_DAY).isoformat(), "end": (day + ONE_DAY).isoformat()}
    client.force_login(manager)

    response = client.get(reverse("reports:summary_csv"), query)
    csv = b"".join(response.streaming_content).decode()
    api = client.get(reverse("api:report-summary"), query).json()

    assert "holds_by_kind:customer,0," in csv and "holds_by_kind:third_party,1," in csv
    assert api["holds_by_kind"] == {"customer": 0, "third_party": 1}


def test_the_queue_labels_what_a_ticket_on_hold_waits_for(client, make_ticket, agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    hold(ticket, agent, HoldKind.THIRD_PARTY)
    client.force_login(agent)

    page = client.get(reverse("agent:queue"), {"view": "all"}).content.decode()

    assert 'class="hold-kind hold-third_party"' in page
