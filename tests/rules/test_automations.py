"""Automations: rules on elapsed time. Each fires once per ticket and stay in a status,
even with two runs at once; runs are bounded; the auto-close is the first of them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.concurrency import race
from tickets import services, workflow
from tickets.models import (
    AutomationRun,
    Comment,
    Notification,
    RuleLog,
    StatusHistory,
    Ticket,
)
from tickets.rules import automations
from tickets.status import HoldKind, Priority, Status

from .conftest import in_status_since

pytestmark = pytest.mark.django_db

WAITING = [
    {"field": "status", "op": "is", "value": "on_hold"},
    {"field": "hold_kind", "op": "is", "value": "customer"},
]
REMIND = {
    "type": "notify",
    "to": "customer",
    "subject": "Still there?",
    "body": "Hello {{ customer_first_name }}, we wait for your answer on {{ ticket_reference }}.",
}


def _days_ago(n):
    return timezone.now() - timedelta(days=n)


def _reminders():
    return Notification.objects.filter(event=Notification.Event.RULE_MESSAGE)


def test_waiting_for_the_customer_3_days_reminds_once(make_automation, make_ticket, customer):
    make_automation(
        "Remind",
        conditions=[*WAITING, {"field": "time_in_status", "op": "at_least", "value": "3d"}],
        actions=[REMIND],
    )
    old, fresh = make_ticket(Status.ON_HOLD), make_ticket(Status.ON_HOLD)
    in_status_since(old, _days_ago(4))
    assert automations.run_all() == 1
    assert automations.run_all() == 0  # once
    reminder = _reminders().get()
    assert (reminder.ticket_id, reminder.recipient) == (old.pk, customer)
    assert reminder.detail["body"] == f"Hello Carla, we wait for your answer on {old.reference}."
    assert fresh.pk not in set(_reminders().values_list("ticket_id", flat=True))


def test_a_new_hold_after_a_reply_is_reminded_again(make_automation, make_ticket, customer, agent):
    make_automation(
        conditions=[*WAITING, {"field": "time_in_status", "op": "at_least", "value": "3d"}],
        actions=[REMIND],
    )
    ticket = make_ticket(Status.ON_HOLD)
    in_status_since(ticket, _days_ago(4))
    automations.run_all()
    services.comment_add(ticket_id=ticket.pk, author=customer, body="Version 2.1")
    workflow.transition(ticket_id=ticket.pk, to=Status.ON_HOLD, actor=agent, note="And the OS?")
    in_status_since(ticket, _days_ago(4))
    assert automations.run_all() == 1
    assert _reminders().count() == 2


def test_waiting_7_days_resolves_with_a_note_as_the_system(make_automation, make_ticket, customer):
    automation = make_automation(
        "Resolve",
        conditions=[*WAITING, {"field": "time_in_status", "op": "at_least", "value": "7d"}],
        actions=[
            {
                "type": "transition",
                "to": "resolved",
                "note": "No answer for 7 days, so we resolved it.",
            }
        ],
    )
    ticket = make_ticket(Status.ON_HOLD)
    in_status_since(ticket, _days_ago(8))
    automations.run_all()
    ticket.refresh_from_db()
    entry = ticket.history.last()
    assert ticket.status == Status.RESOLVED
    assert (entry.actor, entry.rule, entry.note_public) == (None, automation.rule, True)
    assert Notification.objects.filter(history=entry, recipient=customer, event="resolved").exists()


def test_third_party_holds_are_not_waiting_for_the_customer(make_automation, make_ticket, agent):
    make_automation(
        conditions=[*WAITING, {"field": "time_in_status", "op": "at_least", "value": "1m"}],
        actions=[REMIND],
    )
    ticket = make_ticket(Status.IN_PROGRESS)
    workflow.transition(
        ticket_id=ticket.pk,
        to=Status.ON_HOLD,
        actor=agent,
        note="ISP",
        hold_kind=HoldKind.THIRD_PARTY,
    )
    in_status_since(ticket, _days_ago(1))
    assert automations.run_all() == 0


def test_urgent_and_unassigned_for_15_minutes_tells_the_managers(
    make_automation, make_ticket, manager
):
    make_automation(
        "Urgent waits",
        conditions=[
            {"field": "priority", "op": "is", "value": "urgent"},
            {"field": "assignee", "op": "not_set"},
            {"field": "time_since_creation", "op": "at_least", "value": "15m"},
        ],
        actions=[
            {
                "type": "notify",
                "to": "managers",
                "subject": "Urgent waits",
                "body": "{{ ticket_reference }}",
            }
        ],
    )
    urgent = make_ticket(created_by=manager, priority=Priority.URGENT)
    make_ticket(created_by=manager, priority=Priority.URGENT)  # too new
    Ticket.objects.filter(pk=urgent.pk).update(created_at=timezone.now() - timedelta(minutes=20))
    assert automations.run_all() == 1
    assert list(_reminders().values_list("ticket_id", "recipient_id")) == [(urgent.pk, manager.pk)]


def test_a_refused_transition_is_logged_and_fires_once(make_automation, make_ticket):
    automation = make_automation(
        conditions=[
            {"field": "status", "op": "is", "value": "open"},
            {"field": "time_in_status", "op": "at_least", "value": "1d"},
        ],
        actions=[
            {"type": "transition", "to": "resolved", "note": "Stale"},
            {"type": "add_note", "body": "Stale."},
        ],
    )
    ticket = make_ticket()
    in_status_since(ticket, _days_ago(2))
    assert automations.run_all() == 1
    assert automations.run_all() == 0
    assert Ticket.objects.get(pk=ticket.pk).status == Status.OPEN
    assert RuleLog.objects.filter(rule=automation.rule, outcome="refused").count() == 1
    assert Comment.objects.filter(ticket=ticket, body="Stale.").count() == 1


def test_a_switched_off_automation_does_nothing(make_automation, make_ticket, manager):
    automation = make_automation(
        conditions=[*WAITING, {"field": "time_in_status", "op": "at_least", "value": "1d"}],
        actions=[REMIND],
    )
    automations.automation_switch(by=manager, automation=automation, enabled=False)
    ticket = make_ticket(Status.ON_HOLD)
    in_status_since(ticket, _days_ago(2))
    assert automations.run_all() == 0


def test_a_run_is_bounded_in_size(make_automation, make_ticket):
    make_automation(
        conditions=[*WAITING, {"field": "time_in_status", "op": "at_least", "value": "1d"}],
        actions=[REMIND],
    )
    tickets = [make_ticket(Status.ON_HOLD) for _ in range(3)]
    for ticket in tickets:
        in_status_since(ticket, _days_ago(2))
    assert automations.run_all(batch=2) == 2
    assert automations.run_all(batch=2) == 1


def test_a_run_past_its_time_budget_takes_no_new_work(make_automation, make_ticket):
    make_automation(
        conditions=[*WAITING, {"field": "time_in_status", "op": "at_least", "value": "1d"}],
        actions=[REMIND],
    )
    ticket = make_ticket(Status.ON_HOLD)
    in_status_since(ticket, _days_ago(2))
    assert automations.run_all(budget=-1) == 0
    assert automations.run_all() == 1


def test_an_automation_needs_an_elapsed_time(make_automation):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="elapsed-time"):
        make_automation(conditions=WAITING, actions=[REMIND])


# --- The auto-close, now an automation --------------------------------------------------------


def test_the_auto_close_is_the_first_automation(auto_close_row, settings):
    row = auto_close_row
    assert row.enabled
    assert {"field": "status", "op": "is", "value": "resolved"} in row.conditions
    assert automations.auto_close_days() == settings.AUTO_CLOSE_RESOLVED_AFTER_DAYS


def test_the_auto_close_task_closes_old_resolutions_naming_its_automation(
    make_ticket, auto_close_row
):
    from tickets.tasks import auto_close_resolved

    old, recent = make_ticket(Status.RESOLVED), make_ticket(Status.RESOLVED)
    Ticket.objects.filter(pk=old.pk).update(resolved_at=_days_ago(8))
    assert auto_close_resolved() == 1
    entry = StatusHistory.objects.filter(ticket=old).last()
    row = auto_close_row
    assert (entry.to_status, entry.actor, entry.rule) == (Status.CLOSED, None, row.rule)
    assert "7 days" in entry.note
    assert Ticket.objects.get(pk=recent.pk).status == Status.RESOLVED
    row.refresh_from_db()
    assert row.fire_count == 1


def test_switching_the_auto_close_off_stops_it(make_ticket, manager, auto_close_row):
    from tickets.tasks import auto_close_resolved

    row = auto_close_row
    automations.automation_switch(by=manager, automation=row, enabled=False)
    ticket = make_ticket(Status.RESOLVED)
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=_days_ago(30))
    assert auto_close_resolved() == 0


def test_the_auto_close_days_are_changed_on_its_automation(make_ticket, manager, auto_close_row):
    from django.core.exceptions import ValidationError

    row = auto_close_row
    days = [
        {"field": "status", "op": "is", "value": "resolved"},
        {"field": "time_in_status", "op": "at_least", "value": "3d"},
    ]
    automations.automation_save(
        by=manager, automation=row, name=row.name, conditions_=days, actions_=row.actions
    )
    assert automations.auto_close_days() == 3
    with pytest.raises(ValidationError, match="whole days"):
        automations.automation_save(
            by=manager,
            automation=row,
            name=row.name,
            conditions_=days,
            actions_=[{"type": "add_note", "body": "x"}],
        )


# --- Two runs at once ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_fire_once_per_ticket(postgres, make_automation, make_ticket):
    make_automation(
        conditions=[*WAITING, {"field": "time_in_status", "op": "at_least", "value": "1d"}],
        actions=[REMIND],
    )
    tickets = [make_ticket(Status.ON_HOLD) for _ in range(6)]
    for ticket in tickets:
        in_status_since(ticket, _days_ago(2))
    results = race(automations.run_all, automations.run_all)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 6
    assert AutomationRun.objects.count() == 6
    assert sorted(_reminders().values_list("ticket_id", flat=True)) == sorted(t.pk for t in tickets)
