"""The agent ticket page's composer: "Send", "Send and resolve", "Send and put on hold"
(with what it waits for), one submit each; a refusal names the step and keeps the text."""

import pytest
from django.urls import reverse

from tickets import services, workflow
from tickets.models import Comment
from tickets.status import HoldKind, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def alex(client, agent):
    client.force_login(agent)
    return client


def reply(client, ticket, **data):
    return client.post(
        reverse("agent:ticket_reply", args=[ticket.pk]), {"version": ticket.version, **data}
    )


def test_the_composer_offers_the_moves_as_buttons(alex, make_ticket):
    ticket = make_ticket(Status.OPEN)

    page = alex.get(reverse("agent:ticket_detail", args=[ticket.pk])).content.decode()

    assert 'name="then" value="resolved"' in page and "Send and resolve" in page
    assert 'name="then" value="on_hold:customer"' in page
    assert 'name="then" value="on_hold:third_party"' in page


def test_send_and_resolve_is_one_submit(alex, make_ticket, agent):
    ticket = make_ticket(Status.OPEN)

    response = reply(alex, ticket, body="Reconnect, please: fixed.", then="resolved")

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Status.RESOLVED, agent)
    assert list(ticket.history.values_list("to_status", flat=True)) == [
        "open",
        "assigned",
        "in_progress",
        "resolved",
    ]
    followed = alex.get(response.url).content.decode()
    assert "the ticket is now resolved" in followed


def test_send_and_hold_on_a_third_party_from_the_page(alex, make_ticket):
    ticket = make_ticket(Status.IN_PROGRESS)

    reply(alex, ticket, body="Waiting for the vendor.", then="on_hold:third_party")

    ticket.refresh_from_db()
    assert (ticket.status, ticket.hold_kind) == (Status.ON_HOLD, HoldKind.THIRD_PARTY)


def test_a_refused_step_is_named_on_the_form_and_the_text_stays(alex, make_ticket):
    ticket = make_ticket(Status.OPEN)

    response = reply(alex, ticket, body="\u200b", then="resolved", note="")

    assert response.status_code == 400  # the resolution needs a visible note
    page = response.content.decode()
    assert "Resolve was refused" in page
    assert 'class="form-error"' in page
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and not Comment.objects.exists()


def test_a_stale_page_is_refused_with_409_and_nothing_written(alex, make_ticket, other_agent):
    ticket = make_ticket(Status.OPEN)
    seen = ticket.version
    services.ticket_take(ticket_id=ticket.pk, agent=other_agent)

    response = alex.post(
        reverse("agent:ticket_reply", args=[ticket.pk]),
        {"body": "Fixed it", "then": "resolved", "version": seen},
    )

    assert response.status_code == 409
    assert "Fixed it" in response.content.decode()
    assert not Comment.objects.exists()


def test_an_unreadable_move_is_a_form_error(alex, make_ticket):
    ticket = make_ticket(Status.IN_PROGRESS)

    response = reply(alex, ticket, body="Hi", then="on_hold:forever")

    assert response.status_code == 400 and not Comment.objects.exists()


def test_the_hold_form_records_what_it_waits_for(alex, make_ticket):
    ticket = make_ticket(Status.IN_PROGRESS)

    alex.post(
        reverse("agent:ticket_action", args=[ticket.pk]),
        {
            "action": "hold",
            "note": "Asked the vendor.",
            "hold_kind": "third_party",
            "version": ticket.version,
        },
    )

    ticket.refresh_from_db()
    assert (ticket.status, ticket.hold_kind) == (Status.ON_HOLD, HoldKind.THIRD_PARTY)
    page = alex.get(reverse("agent:ticket_detail", args=[ticket.pk])).content.decode()
    assert "On hold, waiting on a third party" in page


def test_the_customer_page_does_not_ask_for_a_reply_on_a_third_party_hold(
    client, make_ticket, agent, customer
):
    ticket = make_ticket(Status.IN_PROGRESS)
    workflow.transition(
        ticket_id=ticket.pk, to="on_hold", actor=agent, note="Vendor", hold_kind="third_party"
    )
    client.force_login(customer)

    page = client.get(reverse("portal:ticket_detail", args=[ticket.pk])).content.decode()

    assert "We are waiting on a third party" in page
    assert "We are waiting for your answer" not in page
