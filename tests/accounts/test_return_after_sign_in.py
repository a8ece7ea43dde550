"""A form sent after the session expired sends the browser to sign in, and back to the page
the form was on: never to the URL the form was sent to, which answers POST only (405)."""

from urllib.parse import parse_qs

import pytest
from django.urls import reverse

from tickets.status import Status

pytestmark = pytest.mark.django_db


def login_next(response) -> str:
    assert response.status_code == 302
    path, _sep, query = response["Location"].partition("?")
    assert path == reverse("login")
    return parse_qs(query)["next"][0]


def test_a_reply_sent_signed_out_comes_back_to_the_ticket_page(client, make_ticket):
    ticket = make_ticket(Status.IN_PROGRESS)
    page = reverse("agent:ticket_detail", args=[ticket.pk])

    response = client.post(
        reverse("agent:ticket_reply", args=[ticket.pk]),
        {"body": "typed"},
        HTTP_REFERER=f"http://testserver{page}?macro=3",
    )

    assert login_next(response) == f"{page}?macro=3"


def test_without_a_referer_the_page_above_the_form_is_used(client, make_ticket):
    ticket = make_ticket(Status.IN_PROGRESS)

    response = client.post(reverse("agent:ticket_reply", args=[ticket.pk]), {"body": "typed"})

    assert login_next(response) == reverse("agent:ticket_detail", args=[ticket.pk])


def test_the_customers_reply_comes_back_to_their_ticket(client, make_ticket):
    ticket = make_ticket(Status.IN_PROGRESS)

    response = client.post(reverse("portal:ticket_reply", args=[ticket.pk]), {"body": "typed"})

    assert login_next(response) == reverse("portal:ticket_detail", args=[ticket.pk])


def test_a_referer_on_another_site_is_not_followed(client, make_ticket):
    ticket = make_ticket(Status.IN_PROGRESS)

    response = client.post(
        reverse("agent:ticket_reply", args=[ticket.pk]),
        {"body": "typed"},
        HTTP_REFERER="https://evil.example/phish",
    )

    assert login_next(response) == reverse("agent:ticket_detail", args=[ticket.pk])


def test_a_page_still_comes_back_to_itself(client, make_ticket):
    response = client.get(reverse("agent:queue") + "?q=vpn")

    assert login_next(response) == reverse("agent:queue") + "?q=vpn"


def test_after_signing_in_the_agent_lands_on_the_ticket_page(client, make_ticket, agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    agent.set_password("pw-long-enough-1")
    agent.save()
    next_url = login_next(client.post(reverse("agent:ticket_reply", args=[ticket.pk]), {}))

    response = client.post(
        reverse("login") + f"?next={next_url}",
        {"username": agent.email, "password": "pw-long-enough-1", "next": next_url},
    )

    assert response.status_code == 302 and response["Location"] == next_url
    assert client.get(response["Location"]).status_code == 200
