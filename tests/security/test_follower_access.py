"""The access matrix for a seventh person: Fran, who follows Carla's ticket.

Every URL of the site (the rows of test_access_matrix.ACCESS) is asked for by Fran twice:
with Carla's followed ticket behind its arguments, where she must be answered as Carla is
(except for what is Carla's own account, her API token), and with another ticket of Carla's
that Fran does not follow, where she must be answered as Nick, a stranger, is. A follower
sees exactly the ticket she follows and nothing else of the customer's.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tickets import followers, services

from .test_access_matrix import ACCESS, PERSONAS, ROUTES, outcome, url_for
from .test_access_matrix import world as world  # the fixture, for this module too

AS_CARLA = PERSONAS.index("customer")
AS_NICK = PERSONAS.index("neighbour")
# What Fran may not do although Carla may: Carla's own account.
NOT_LIKE_CARLA = {"accounts/profile/tokens/<int:pk>/revoke/": "404"}
# Routes whose arguments are a ticket or one of its files.
ABOUT_A_TICKET = [route for route in ROUTES if "<int:pk>" in route and "tokens/" not in route]


@pytest.fixture
def fran(world, follower, agent):
    objects, _people = world
    followers.follower_add(ticket_id=objects["ticket"].pk, user=follower, added_by=agent)
    return follower


def answers(user, routes: list[str], objects: dict) -> dict[str, str]:
    """Each route asked for by `user` in a session of its own (one of them signs out)."""
    got = {}
    for route in routes:
        client = Client()
        client.force_login(user)
        got[route] = outcome(getattr(client, ACCESS[route][0])(url_for(route, objects)))
    return got


def test_a_follower_is_let_in_where_the_customer_is_on_the_followed_ticket(world, fran):
    objects, _people = world
    got = answers(fran, sorted(ACCESS), objects)
    expected = {
        route: NOT_LIKE_CARLA.get(route, rule[1][AS_CARLA]) for route, rule in ACCESS.items()
    }
    wrong = {route: (got[route], expected[route]) for route in got if got[route] != expected[route]}
    assert not wrong, f"(Fran's answer, expected) per route: {wrong}"


def test_another_ticket_of_the_customer_is_as_closed_to_a_follower_as_to_a_stranger(
    world, fran, customer, make_ticket
):
    objects, _people = world
    other = make_ticket()
    reply = services.comment_add(
        ticket_id=other.pk,
        author=customer,
        body="Another log",
        attachments=[SimpleUploadedFile("other.log", b"x", "text/plain")],
    )
    elsewhere = {**objects, "ticket": other, "attachment": reply.attachments.get()}
    got = answers(fran, ABOUT_A_TICKET, elsewhere)
    expected = {route: ACCESS[route][1][AS_NICK] for route in ABOUT_A_TICKET}
    wrong = {route: (got[route], expected[route]) for route in got if got[route] != expected[route]}
    assert not wrong, f"(Fran's answer, expected) per route: {wrong}"
    assert ABOUT_A_TICKET  # the portal's, the agent's and the API's ticket routes
