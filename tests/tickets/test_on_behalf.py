"""An agent reports a ticket for a customer who phoned: an existing customer is found by
address, a new one gets an account; the history says who reported it."""

import pytest
from django.urls import reverse

from accounts.models import Role, User
from tickets import timeline
from tickets.models import Notification, Ticket

URL = reverse("agent:ticket_new")


def report(client, **fields):
    data = {
        "customer_email": "carla@example.com",
        "customer_name": "",
        "subject": "Phone: printer on floor 2 is offline",
        "priority": "urgent",
        "description": "Called at 9:10, the whole floor cannot print.",
        **fields,
    }
    return client.post(URL, data)


def test_an_agent_reports_for_a_known_customer(
    client, agent, customer, django_assert_max_num_queries
):
    client.force_login(agent)
    with django_assert_max_num_queries(12):
        assert client.get(URL).status_code == 200
    response = report(client, customer_email="CARLA@example.com")
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("agent:ticket_detail", args=[ticket.pk])
    assert (ticket.customer, ticket.priority, ticket.status) == (customer, "urgent", "open")
    assert Notification.objects.filter(ticket=ticket, recipient=customer).exists()
    agents_view = timeline.for_ticket(ticket=ticket, viewer=agent)[0].text
    customers_view = timeline.for_ticket(ticket=ticket, viewer=customer)[0].text
    assert agents_view == "You reported it for the customer"
    assert customers_view == f"Reported for you by {agent.display_name}"


def test_a_new_customer_gets_an_account_without_a_password(client, agent):
    client.force_login(agent)
    report(client, customer_email="walk.in@example.org", customer_name="Walter In")
    walter = User.objects.get(email="walk.in@example.org")
    assert (walter.display_name, walter.role, walter.has_usable_password()) == (
        "Walter In",
        Role.CUSTOMER,
        False,
    )
    assert Ticket.objects.get().customer == walter


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("alex@example.com", b"belongs to a member of staff"),
        ("not an address", b"Enter a valid email address."),
        ("", b"This field is required."),
    ],
)
def test_a_ticket_for_no_customer_is_refused_and_nothing_is_written(client, agent, email, message):
    client.force_login(agent)
    users = User.objects.count()
    response = report(client, customer_email=email)
    assert response.status_code == 400
    assert message in response.content
    assert not Ticket.objects.exists()
    assert User.objects.count() == users


def test_the_customers_ticket_page_prefills_the_form(client, agent, make_ticket):
    ticket = make_ticket()
    client.force_login(agent)
    page = client.get(reverse("agent:ticket_detail", args=[ticket.pk])).content.decode()
    link = f"{URL}?customer={ticket.customer_id}"
    assert link in page
    assert 'value="carla@example.com"' in client.get(link).content.decode()
    # Anything but a customer's id prefills nothing.
    assert "carla@example.com" not in client.get(f"{URL}?customer=abc").content.decode()


def test_customers_cannot_report_for_others(client, customer):
    client.force_login(customer)
    assert client.get(URL).status_code == 404
    assert report(client, customer_email="someone@example.org").status_code == 404
    assert not Ticket.objects.exists()
