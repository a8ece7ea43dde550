"""Followers through the API: staff list, add and remove them; a follower reads and answers
the ticket they follow as the pages let them, and nothing else."""

import pytest

from tickets import followers
from tickets.models import TicketFollower
from tickets.status import Status

from .conftest import api_url, client_for


@pytest.fixture
def followed(worked_ticket, follower, agent):
    followers.follower_add(ticket_id=worked_ticket.pk, user=follower, added_by=agent)
    return worked_ticket


def test_staff_list_followers_with_who_added_them(followed, agent, follower):
    response = client_for(agent).get(api_url("ticket-followers", followed.pk))
    assert response.status_code == 200
    [row] = response.json()
    assert row["id"] == follower.pk and row["email"] == "fran@example.com"
    assert row["display_name"] == "Fran Follower"
    assert row["added_by"] == {"id": agent.pk, "display_name": "Alex Agent"}


def test_staff_add_a_follower_by_address_once(worked_ticket, follower, manager):
    url = api_url("ticket-followers", worked_ticket.pk)
    first = client_for(manager).post(url, {"email": "FRAN@example.com"}, format="json")
    again = client_for(manager).post(url, {"email": "fran@example.com"}, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == follower.pk
    assert TicketFollower.objects.count() == 1


@pytest.mark.parametrize(
    "email", ["nobody@example.com", "alex@example.com", "carla@example.com", "no address"]
)
def test_an_address_that_cannot_follow_is_a_400_naming_the_field(email, worked_ticket, agent):
    response = client_for(agent).post(
        api_url("ticket-followers", worked_ticket.pk), {"email": email}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "email" in response.json()["errors"]


def test_staff_remove_a_follower_and_a_second_time_is_404(followed, agent, follower):
    url = api_url("ticket-follower", followed.pk, follower.pk)
    assert client_for(agent).delete(url).status_code == 204
    assert client_for(agent).delete(url).status_code == 404
    assert not TicketFollower.objects.exists()


def test_following_a_closed_ticket_is_a_409(make_ticket, follower, agent):
    ticket = make_ticket(Status.CLOSED)
    response = client_for(agent).post(
        api_url("ticket-followers", ticket.pk), {"email": "fran@example.com"}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "ticket_closed"


@pytest.mark.parametrize(
    ("persona", "expected"), [("customer", 403), ("follower", 403), ("neighbour", 404)]
)
def test_followers_are_managed_by_staff_only(persona, expected, request, followed, follower):
    client = client_for(request.getfixturevalue(persona))
    listing = client.get(api_url("ticket-followers", followed.pk))
    adding = client.post(
        api_url("ticket-followers", followed.pk), {"email": "nick@example.com"}, format="json"
    )
    removing = client.delete(api_url("ticket-follower", followed.pk, follower.pk))
    assert [listing.status_code, adding.status_code, removing.status_code] == [expected] * 3
    assert TicketFollower.objects.count() == 1


def test_a_customers_list_includes_the_tickets_they_follow(followed, follower, make_ticket):
    own = make_ticket(Status.OPEN, customer=follower)
    make_ticket(Status.OPEN)  # another of Carla's, not followed
    response = client_for(follower).get(api_url("ticket-list"))
    assert {row["id"] for row in response.json()["results"]} == {own.pk, followed.pk}


def test_a_follower_reads_the_public_conversation_and_no_actions(followed, follower):
    client = client_for(follower)
    detail = client.get(api_url("ticket-detail", followed.pk)).json()
    assert detail["actions"] == []
    bodies = [
        c["body"] for c in client.get(api_url("ticket-comments", followed.pk)).json()["results"]
    ]
    assert bodies == ["Here is the error I get."]
    files = client.get(api_url("ticket-attachments", followed.pk)).json()["results"]
    assert [f["name"] for f in files] == ["error.png"]
    assert client.get(api_url("attachment-detail", followed.internal_file.pk)).status_code == 404


def test_a_follower_replies_and_is_refused_the_customers_steps(followed, follower):
    client = client_for(follower)
    reply = client.post(
        api_url("ticket-comments", followed.pk), {"body": "Same here."}, format="json"
    )
    assert reply.status_code == 201 and reply.json()["author"]["id"] == follower.pk
    note = client.post(
        api_url("ticket-comments", followed.pk), {"body": "x", "internal": True}, format="json"
    )
    assert note.status_code == 403
    withdraw = client.post(
        api_url("ticket-transitions", followed.pk),
        {"action": "withdraw", "note": "Not needed."},
        format="json",
    )
    assert withdraw.status_code == 403


@pytest.mark.parametrize("count", [1, 10])
def test_the_followers_list_costs_the_same_queries_however_many(
    count, worked_ticket, agent, django_assert_num_queries
):
    from accounts.services import user_create

    for i in range(count):
        user = user_create(email=f"f{i}@example.com", display_name=f"F {i}", password=None)
        followers.follower_add(ticket_id=worked_ticket.pk, user=user, added_by=agent)
    client = client_for(agent)
    # session, user, the ticket, the followers (+users, who added them)
    with django_assert_num_queries(4):
        response = client.get(api_url("ticket-followers", worked_ticket.pk))
    assert len(response.json()) == count
