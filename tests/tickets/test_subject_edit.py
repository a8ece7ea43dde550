"""Staff give a ticket a better subject; the change is in its history, old and new."""

import pytest
from django.urls import reverse

from tickets import timeline
from tickets.limits import SUBJECT_MAX_LENGTH
from tickets.models import FieldChange


def save_details(client, ticket, **fields):
    data = {
        "subject": ticket.subject,
        "priority": ticket.priority,
        "category": ticket.category_id or "",
        "version": ticket.version,
        **fields,
    }
    return client.post(reverse("agent:ticket_update", args=[ticket.pk]), data, follow=True)


def test_an_agent_renames_a_ticket_and_the_history_says_from_what(client, agent, make_ticket):
    ticket = make_ticket(subject="it doesnt work")
    client.force_login(agent)
    response = save_details(client, ticket, subject="  Outlook crashes on start  ")
    assert b"Ticket details saved." in response.content
    ticket.refresh_from_db()
    assert ticket.subject == "Outlook crashes on start"
    change = FieldChange.objects.get(ticket=ticket)
    assert (change.field, change.old_value, change.new_value, change.actor) == (
        "subject",
        "it doesnt work",
        "Outlook crashes on start",
        agent,
    )
    texts = [entry.text for entry in timeline.activity(ticket=ticket, viewer=agent)]
    assert "Subject changed from “it doesnt work” to “Outlook crashes on start”" in texts


@pytest.mark.parametrize("subject", ["", "   ", "x" * (SUBJECT_MAX_LENGTH + 1)])
def test_a_subject_that_cannot_be_kept_is_refused_and_nothing_changes(
    client, agent, make_ticket, subject
):
    ticket = make_ticket(subject="VPN drops")
    client.force_login(agent)
    response = save_details(client, ticket, subject=subject)
    assert response.status_code == 200
    assert b"Ticket details saved." not in response.content
    ticket.refresh_from_db()
    assert ticket.subject == "VPN drops"
    assert not FieldChange.objects.filter(ticket=ticket).exists()


def test_a_customer_cannot_rename_a_ticket(client, customer, make_ticket):
    ticket = make_ticket(subject="VPN drops")
    client.force_login(customer)
    response = save_details(client, ticket, subject="Something else")
    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.subject == "VPN drops"
