"""The findings of the second review that answered 500, each answered 4xx or 200 now, and a
500 under /api/ (should one ever happen) answered in the API's JSON with the request id."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tickets.api import views as api_views
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

MOMENT = datetime(2031, 3, 4, 10, tzinfo=UTC)
# str.isdigit() says yes to these, int() says no.
NOT_QUITE_DIGITS = ["²", "①", "HD-²", "³⁰¹", "#²", "\u00b2\u00b3"]


def signed_in(user, *, api: bool = False) -> Client:
    client = APIClient() if api else Client()
    client.force_login(user)
    client.raise_request_exception = False
    return client


def read(response) -> bytes:
    """The whole body: a CSV is streamed, and a failure half-way would only show here."""
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("q", NOT_QUITE_DIGITS)
@pytest.mark.parametrize("who", ["customer", "agent"])
def test_a_search_for_digits_of_another_kind_is_a_search(who, q, request, make_ticket):
    make_ticket(subject="Printer ² jams")
    response = signed_in(request.getfixturevalue(who), api=True).get(
        reverse("api:ticket-list"), {"q": q}
    )
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("q", NOT_QUITE_DIGITS)
def test_the_queue_searches_for_digits_of_another_kind(q, agent, make_ticket):
    make_ticket()
    response = signed_in(agent).get(reverse("agent:queue"), {"q": q})
    assert response.status_code == 200


def test_a_reference_in_ascii_digits_still_finds_its_ticket(agent, make_ticket):
    ticket = make_ticket(subject="Printer jams")
    make_ticket(subject="VPN")
    response = signed_in(agent, api=True).get(reverse("api:ticket-list"), {"q": ticket.reference})
    assert [row["id"] for row in response.json()["results"]] == [ticket.pk]


@pytest.mark.parametrize("q", ["nul\x00", "\x00"])
def test_a_nul_byte_in_a_search_is_refused(q, agent):
    # PostgreSQL cannot store or compare text with NUL in it.
    assert signed_in(agent).get(reverse("agent:queue"), {"q": q}).status_code == 400
    response = signed_in(agent, api=True).get(reverse("api:ticket-list"), {"q": q})
    assert response.status_code == 400
    assert "q" in response.json()["errors"]


@pytest.mark.postgres
@pytest.mark.parametrize("q", ["²", "a\x00b", "HD-²", "&|!:*()'\"", "\u200b"])
def test_odd_searches_on_postgresql(q, postgres, agent, customer, make_ticket):
    make_ticket()
    for who in (agent, customer):
        response = signed_in(who, api=True).get(reverse("api:ticket-list"), {"q": q})
        assert response.status_code in (200, 400), response.content
    assert signed_in(agent).get(reverse("agent:queue"), {"q": q}).status_code in (200, 400)


@pytest.mark.parametrize("cursor", ["garbage", "\u00b2", "x" * 400])
def test_a_cursor_the_queue_did_not_give_out_is_refused(cursor, agent, make_ticket):
    make_ticket()
    response = signed_in(agent).get(
        reverse("agent:queue"), {"cursor": cursor, "view": "all", "sort": "updated"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["cursor"]
    # The rest of what was asked stays in force: the first page of that view, in that order.
    assert (response.context["filters"].view, response.context["filters"].sort) == (
        "all",
        "updated",
    )
    assert len(response.context["page"].tickets) == 1
    response = signed_in(agent, api=True).get(reverse("api:ticket-list"), {"cursor": cursor})
    assert "cursor" in response.json()["errors"]


REPORT_URLS = [
    ("reports:report", ()),
    ("reports:summary_csv", ()),
    ("reports:tickets_csv", ()),
    ("reports:chart", ("weekly",)),
    ("reports:chart", ("backlog",)),
    ("api:report-summary", ()),
]
BAD_DAYS = [
    {"end": "9999-12-31"},
    {"start": "9999-12-31", "end": "9999-12-31"},
    {"start": "0001-01-01"},
    {"end": "0001-01-01"},
    {"start": "1999-12-31", "end": "2000-01-10"},
    {"end": "2101-01-01"},
    {"start": "2031-02-30"},
    {"start": "\u0662\u0660\u0663\u0661-\u0660\u0661-\u0660\u0661"},  # Arabic-Indic digits
    {"start": "2031-1-5"},
    {"start": "20310105"},
    {"start": "2031-01-05\x00"},
    {"start": "2011-01-01", "end": "2031-01-01"},  # twenty years
    {"start": "2020-01-01"},  # eleven years to today
]


@pytest.mark.parametrize(("name", "args"), REPORT_URLS)
@pytest.mark.parametrize("query", BAD_DAYS)
def test_an_unusable_report_day_is_a_400(name, args, query, manager):
    with time_machine.travel(MOMENT, tick=False):
        client = signed_in(manager, api=name.startswith("api:"))
        response = client.get(reverse(name, args=args), query)
        assert response.status_code == 400, read(response)[:300]
        if name.startswith("api:"):
            assert set(response.json()["errors"]) & {"start", "end"}


@pytest.mark.parametrize(("name", "args"), REPORT_URLS)
def test_the_first_and_last_years_and_ten_years_are_fine(name, args, manager):
    with time_machine.travel(MOMENT, tick=False):
        client = signed_in(manager, api=name.startswith("api:"))
        for query in (
            {"start": "2000-01-01", "end": "2009-12-31"},
            {"start": "2091-01-02", "end": "2100-12-31"},
            {"start": "2021-03-06"},
        ):
            response = client.get(reverse(name, args=args), query)
            body = read(response)
            assert response.status_code in (200, 202), (query, body[:300])


def test_the_page_and_the_api_give_the_same_reason(manager):
    with time_machine.travel(MOMENT, tick=False):
        for query, field in [
            ({"end": "9999-12-31"}, "end"),
            ({"start": "2031-02-30"}, "start"),
            ({"start": "2001-01-01"}, "start"),
            ({"start": "2031-03-02", "end": "2031-03-01"}, "end"),
        ]:
            page = signed_in(manager).get(reverse("reports:report"), query)
            api = signed_in(manager, api=True).get(reverse("api:report-summary"), query)
            [reason] = api.json()["errors"][field]
            assert page.context["form"].errors[field] == [reason]


# --- A 500 under /api/ -------------------------------------------------------------------


@pytest.fixture
def broken_me(monkeypatch):
    def fail(self, request):
        raise RuntimeError("a bug, with secret details")

    monkeypatch.setattr(api_views.MeView, "get", fail)


def test_a_server_error_under_the_api_is_json_with_the_request_id(broken_me, customer):
    client = signed_in(customer, api=True)
    response = client.get(reverse("api:me"), HTTP_X_REQUEST_ID="trace-12345678")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "server_error"
    assert body["request_id"] == "trace-12345678" == response["X-Request-ID"]
    assert "secret" not in response.content.decode()


def test_a_server_error_on_a_page_is_still_the_page(monkeypatch, customer):
    def fail(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(Ticket.objects, "filter", fail)
    response = signed_in(customer).get(reverse("portal:ticket_list"))
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
