"""The rules written once: which request is the API's, the 429 page, service errors on a
form, and the ticket a person may see."""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import RequestFactory

from helpdesk.forms import add_service_errors
from helpdesk.http import is_api, too_many_requests
from tickets import queries


def test_is_api_knows_the_api_by_its_path():
    factory = RequestFactory()
    assert is_api(factory.get("/api/v1/tickets/"))
    assert not is_api(factory.get("/agent/tickets/"))
    assert not is_api(factory.get("/apiary/"))


def test_the_429_page_says_when_to_come_back(db):
    request = RequestFactory().get("/accounts/signup/")
    response = too_many_requests(
        request,
        template="registration/throttled.html",
        retry_after=61,
        context={"what": "Creating accounts"},
    )
    assert response.status_code == 429 and response["Retry-After"] == "61"
    assert b"Try again in 2 minutes" in response.content


class Named(forms.Form):
    name = forms.CharField()


def test_service_errors_land_on_their_field_or_the_form():
    form = Named({"name": "x"})
    form.is_valid()
    add_service_errors(form, ValidationError({"name": "Taken.", "other": "Odd."}))
    assert form.errors == {"name": ["Taken."], "__all__": ["Odd."]}
    unkeyed = Named({"name": "x"})
    unkeyed.is_valid()
    add_service_errors(unkeyed, ValidationError("Too weak."), unkeyed_field="name")
    assert unkeyed.errors == {"name": ["Too weak."]}


def test_a_ticket_is_visible_to_its_customer_and_staff_and_404_to_others(
    make_ticket, customer, neighbour, agent
):
    ticket = make_ticket()
    for user in (customer, agent):
        assert queries.ticket_visible_or_404(user=user, pk=ticket.pk) == ticket
    for user, pk in ((neighbour, ticket.pk), (agent, ticket.pk + 1000)):
        with pytest.raises(Http404):
            queries.ticket_visible_or_404(user=user, pk=pk)
