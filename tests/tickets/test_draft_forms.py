"""Which forms keep their text as a draft in the browser (static/js/drafts.js): the reply and
note boxes, and the reason typed for a workflow step, per person and ticket; a step done tells
the script the reason was used."""

from django.contrib.messages import get_messages
from django.urls import reverse

from tickets.status import Status


def test_the_reasons_of_workflow_steps_are_kept_as_drafts(client, agent, make_ticket):
    ticket = make_ticket(Status.IN_PROGRESS)
    client.force_login(agent)
    page = client.get(reverse("agent:ticket_detail", args=[ticket.pk])).content.decode()
    for action in ("hold", "resolve"):
        assert f'data-draft="action-{action}:{agent.pk}:{ticket.pk}"' in page
    assert f'data-draft="agent:{agent.pk}:{ticket.pk}"' in page


def test_the_customers_reopen_reason_is_kept_as_a_draft(client, customer, make_ticket):
    ticket = make_ticket(Status.RESOLVED)
    client.force_login(customer)
    page = client.get(reverse("portal:ticket_detail", args=[ticket.pk])).content.decode()
    assert f'data-draft="action-reopen:{customer.pk}:{ticket.pk}"' in page


def test_a_step_done_says_its_reason_was_used(client, agent, make_ticket):
    ticket = make_ticket(Status.IN_PROGRESS)
    client.force_login(agent)
    response = client.post(
        reverse("agent:ticket_action", args=[ticket.pk]),
        {"action": "resolve", "note": "Replaced the cable.", "version": ticket.version},
    )
    assert response.status_code == 302
    assert [m.extra_tags for m in get_messages(response.wsgi_request)] == ["draft-sent"]
