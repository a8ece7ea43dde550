"""The admin shows tickets read-only and changes status only through the workflow service."""

import pytest
from django.urls import reverse

from tickets.models import Ticket
from tickets.status import Status


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
