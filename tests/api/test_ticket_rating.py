"""The ticket's API representation carries the customer's rating for staff and for the
customer who gave it; null for a follower; another customer never sees the ticket at all."""

import pytest

from tickets import followers, services
from tickets.status import Status

from .conftest import api_url


@pytest.fixture
def rated(make_ticket, customer):
    ticket = make_ticket(Status.RESOLVED)
    services.rating_add(ticket_id=ticket.pk, customer=customer, score=2, comment="Took a week")
    return ticket


@pytest.mark.parametrize("who", ["agent", "manager", "customer"])
def test_staff_and_the_rating_customer_read_the_rating(api, request, who, rated):
    response = api(request.getfixturevalue(who)).get(api_url("ticket-detail", rated.pk))
    assert response.status_code == 200
    rating = response.json()["rating"]
    assert (rating["score"], rating["comment"]) == (2, "Took a week")
    assert rating["created_at"]


def test_a_follower_reads_the_ticket_but_not_the_rating(api, follower, agent, rated):
    followers.follower_add(ticket_id=rated.pk, user=follower, added_by=agent)
    response = api(follower).get(api_url("ticket-detail", rated.pk))
    assert response.status_code == 200
    assert response.json()["rating"] is None


def test_another_customer_never_sees_the_ticket_or_its_rating(api, neighbour, rated):
    response = api(neighbour).get(api_url("ticket-detail", rated.pk))
    assert response.status_code == 404
    assert "Took a week" not in response.content.decode()


def test_an_unrated_ticket_has_a_null_rating(api, agent, make_ticket):
    response = api(agent).get(api_url("ticket-detail", make_ticket(Status.RESOLVED).pk))
    assert response.json()["rating"] is None


def test_a_list_row_carries_no_rating(api, agent, rated):
    (row,) = api(agent).get(api_url("ticket-list"), {"view": "all"}).json()["results"]
    assert "rating" not in row


def test_the_rating_costs_the_detail_no_query(api, agent, rated, django_assert_num_queries):
    client = api(agent)
    # session, user, the ticket (+customer, assignee, category, rating)
    with django_assert_num_queries(3):
        client.get(api_url("ticket-detail", rated.pk))


def test_the_schema_documents_the_rating(api, agent):
    schema = api(agent).get(api_url("schema"), {"format": "json"}).json()
    detail = schema["components"]["schemas"]["TicketDetail"]["properties"]["rating"]
    assert detail.get("nullable") or "oneOf" in detail or "allOf" in detail
    rating = schema["components"]["schemas"]["Rating"]["properties"]
    assert set(rating) == {"score", "comment", "created_at"}
