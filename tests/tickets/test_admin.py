"""The admin shows tickets read-only and changes status only through the workflow service."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from tickets import tasks
from tickets.models import SlaPolicy, Ticket
from tickets.status import Priority, Status


@pytest.fixture
def admin_client(client, manager):
    client.force_login(manager)
    return client


def test_agents_and_customers_cannot_enter_the_admin(client, agent, customer):
    for user in (agent, customer):
        client.force_login(user)
        response = client.get(reverse("admin:index"))
        assert response.status_code == 302 and "login" in response.url


def test_the_ticket_page_shows_status_read_only(admin_client, make_ticket):
    ticket = make_ticket(Status.IN_PROGRESS)
    response = admin_client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk]))
    assert response.status_code == 200
    assert b'name="status"' not in response.content
    assert b"In progress" in response.content


def test_posting_a_status_to_the_admin_changes_nothing(admin_client, make_ticket):
    ticket = make_ticket(Status.IN_PROGRESS)
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    admin_client.post(url, {"status": "closed", "subject": "hijacked"})
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert (fresh.status, fresh.subject) == (Status.IN_PROGRESS, ticket.subject)


def test_the_close_action_goes_through_the_workflow(admin_client, make_ticket, manager):
    active = make_ticket(Status.IN_PROGRESS)
    done = make_ticket(Status.CLOSED)
    response = admin_client.post(
        reverse("admin:tickets_ticket_changelist"),
        {"action": "move_to_closed", "_selected_action": [active.pk, done.pk]},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    active.refresh_from_db()
    last = active.history.last()
    assert active.status == Status.CLOSED
    assert (last.actor, last.from_status) == (manager, "in_progress") and last.note
    assert any("1 ticket(s) moved" in m for m in messages)
    assert any(done.reference in m and "closed" in m for m in messages)


def test_tickets_cannot_be_added_or_deleted_in_the_admin(admin_client, make_ticket):
    ticket = make_ticket()
    assert admin_client.get(reverse("admin:tickets_ticket_add")).status_code == 403
    url = reverse("admin:tickets_ticket_delete", args=[ticket.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Ticket.objects.filter(pk=ticket.pk).exists()


@pytest.mark.parametrize("model", ["statushistory", "fieldchange", "notification", "attachment"])
def test_records_are_read_only_in_the_admin(admin_client, make_ticket, model):
    make_ticket(Status.RESOLVED)
    assert admin_client.get(reverse(f"admin:tickets_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:tickets_{model}_add")).status_code == 403


# --- SLA policies and the calendar: saving recomputes the due times --------------------------

MONDAY_MORNING = datetime(2031, 3, 3, 9, 30, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.fixture
def open_tickets(make_ticket):
    """Two unfinished tickets of normal priority and one of high, reported on a Monday."""
    with time_machine.travel(MONDAY_MORNING, tick=False):
        return [
            make_ticket(Status.OPEN),
            make_ticket(Status.IN_PROGRESS),
            make_ticket(Status.OPEN, priority=Priority.HIGH),
        ]


def due_times(tickets) -> list:
    return [Ticket.objects.get(pk=t.pk).sla_due_at for t in tickets]


def test_changing_a_policy_recomputes_the_due_times_of_its_tickets(
    client, manager, open_tickets, django_capture_on_commit_callbacks
):
    before = due_times(open_tickets)
    policy = SlaPolicy.objects.get(priority=Priority.NORMAL)
    url = reverse("admin:tickets_slapolicy_change", args=[policy.pk])
    with (
        time_machine.travel(MONDAY_MORNING + timedelta(minutes=5), tick=False),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        client.force_login(manager)  # a session of this (travelled) time
        response = client.post(
            url,
            {
                "priority": Priority.NORMAL,
                "first_response_minutes": 15,
                "resolution_minutes": policy.resolution_minutes * 2,
                "counting": SlaPolicy.Counting.CALENDAR,
            },
            follow=True,
        )
    assert len(callbacks) == 1
    assert any("being recomputed" in str(m) for m in response.context["messages"])
    after = due_times(open_tickets)
    assert after[0] == MONDAY_MORNING + timedelta(minutes=15)  # not yet answered
    assert after[1] != before[1]
    assert after[2] == before[2]  # another priority, another policy


def test_adding_a_holiday_recomputes_every_due_time(
    client, manager, open_tickets, django_capture_on_commit_callbacks
):
    before = due_times(open_tickets)
    with (
        time_machine.travel(MONDAY_MORNING + timedelta(minutes=5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.force_login(manager)
        response = client.post(
            reverse("admin:tickets_holiday_add"),
            {"date": MONDAY_MORNING.date().isoformat(), "name": "Spring day"},
            follow=True,
        )
    assert any("being recomputed" in str(m) for m in response.context["messages"])
    after = due_times(open_tickets)
    # Business hours: the clock now starts on Tuesday, so every target moves later.
    assert all(new > old for new, old in zip(after, before, strict=True))


def test_due_times_are_recomputed_by_this_process_when_the_broker_is_down(
    monkeypatch, open_tickets, django_capture_on_commit_callbacks
):
    def broker_down(*args):
        raise OSError("Connection refused")

    monkeypatch.setattr(tasks.refresh_due_times, "delay", broker_down)
    policy = SlaPolicy.objects.get(priority=Priority.HIGH)
    before = due_times(open_tickets)
    with (
        time_machine.travel(MONDAY_MORNING + timedelta(minutes=5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        SlaPolicy.objects.filter(pk=policy.pk).update(first_response_minutes=1)
        tasks.refresh_due_times_after_commit(priorities=[Priority.HIGH])
    after = due_times(open_tickets)
    assert after[:2] == before[:2]
    assert after[2] == MONDAY_MORNING + timedelta(minutes=1)
