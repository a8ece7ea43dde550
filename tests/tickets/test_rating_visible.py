"""The customer's rating is seen by the people it concerns: staff on the agent's ticket page
and in the API, the customer who gave it; never a follower or another customer."""

import pytest
from django.test import Client
from django.urls import reverse

from tickets import followers, services
from tickets.status import Status

COMMENT = "Quick and kind <b>thanks</b>"


@pytest.fixture
def rated(make_ticket, customer):
    ticket = make_ticket(Status.RESOLVED)
    services.rating_add(ticket_id=ticket.pk, customer=customer, score=4, comment=COMMENT)
    return ticket


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def agent_page(user, ticket) -> str:
    response = signed_in(user).get(reverse("agent:ticket_detail", args=[ticket.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("who", ["agent", "manager"])
def test_staff_see_the_rating_and_comment_on_the_ticket_page(request, who, rated):
    page = agent_page(request.getfixturevalue(who), rated)
    assert "Customer&#x27;s rating" in page or "Customer's rating" in page
    assert 'data-score="4"' in page and "4 out of 5" in page
    assert "Quick and kind &lt;b&gt;thanks&lt;/b&gt;" in page  # the words, as text


def test_an_unrated_ticket_shows_no_rating_panel(agent, make_ticket):
    page = agent_page(agent, make_ticket(Status.RESOLVED))
    assert "rating-title" not in page


def test_the_customer_still_sees_their_rating_on_the_portal(customer, rated):
    page = signed_in(customer).get(reverse("portal:ticket_detail", args=[rated.pk]))
    assert "Your rating" in page.content.decode() and 'data-score="4"' in page.content.decode()


def test_a_follower_does_not_see_the_rating_on_the_portal(follower, agent, rated):
    followers.follower_add(ticket_id=rated.pk, user=follower, added_by=agent)
    page = signed_in(follower).get(reverse("portal:ticket_detail", args=[rated.pk]))
    assert page.status_code == 200
    assert (
        "data-score" not in page.content.decode() and "Quick and kind" not in page.content.decode()
    )


@pytest.mark.parametrize("rate", [False, True])
def test_the_rating_costs_the_agent_page_no_query(
    rate, agent, customer, make_ticket, django_assert_num_queries
):
    ticket = make_ticket(Status.RESOLVED)
    if rate:
        services.rating_add(ticket_id=ticket.pk, customer=customer, score=5)
    client = signed_in(agent)
    # session, user, ticket (+customer, assignee, service, and the rating: a one-to-one
    # join), followers, the e-mail that opened it, history, field changes, the customer's
    # other tickets, opening attachments, comments (none: no attachments to fetch), services,
    # the macros for the composer's picker, the teams for "Move to team"
    with django_assert_num_queries(13):
        client.get(reverse("agent:ticket_detail", args=[ticket.pk]))
