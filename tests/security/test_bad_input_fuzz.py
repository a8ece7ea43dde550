"""No query string makes a list or a report answer 5xx: every parameter of every list page,
list endpoint and report, fuzzed with arbitrary Unicode (NUL, digits of other scripts, huge
numbers, far dates), as each role that may open it."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from tickets import services
from tickets.status import Status

pytestmark = pytest.mark.django_db

MOMENT = datetime(2031, 3, 4, 10, tzinfo=UTC)

QUEUE = ["view", "q", "status", "priority", "category", "assignee", "sla", "sort", "cursor"]
REPORT = ["start", "end", "agent", "category", "priority"]

# (url name, its parameters, the roles that may open it, API or page)
ENDPOINTS = [
    ("agent:queue", QUEUE, ("agent", "manager")),
    ("portal:ticket_list", ["show", "page"], ("customer",)),
    ("api:ticket-list", [*QUEUE, "page_size"], ("customer", "agent", "manager")),
    ("api:ticket-comments", ["cursor", "page_size"], ("customer", "agent", "manager")),
    ("reports:report", REPORT, ("manager",)),
    ("reports:summary_csv", REPORT, ("manager",)),
    ("reports:tickets_csv", REPORT, ("manager",)),
    ("api:report-summary", REPORT, ("manager",)),
]
CASES = [(name, params, role) for name, params, roles in ENDPOINTS for role in roles]

# What has broken parsers before, mixed with anything at all (lone surrogates cannot be sent
# in a URL: a browser or the test client encodes text as UTF-8 first).
TRICKY = st.sampled_from(
    [
        "²",
        "①",
        "HD-²",
        "³⁰¹",
        "٣",
        "\uff11\uff12",
        "\x00",
        "a\x00b",
        "9999-12-31",
        "0001-01-01",
        "2031-02-30",
        "\u0662\u0660\u0663\u0661-\u0660\u0661-\u0660\u0661",
        "99999-01-01",
        "-1",
        "0",
        "1e999",
        "NaN",
        str(2**63),
        str(2**64 + 1),
        "9" * 5000,
        "#" + "9" * 30,
        "HD-" + "9" * 18,
        "\u200b",
        "\ufeff=1",
        "%",
        "'\"<>&",
    ]
)
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
NUMBER_LIKE = st.text(st.characters(categories=("N",)), min_size=1, max_size=6)
REFERENCE_LIKE = st.sampled_from(["HD-", "#", "hd-", " "]).flatmap(
    lambda prefix: NUMBER_LIKE.map(lambda digits: prefix + digits)
)
ANY_DAY = st.dates().map(lambda day: day.isoformat())
HUGE = st.integers(min_value=-(10**30), max_value=10**30).map(str)
VALUES = st.one_of(TRICKY, NUMBER_LIKE, REFERENCE_LIKE, ANY_DAY, HUGE, ANY_TEXT)


@pytest.fixture
def people(customer, agent, manager):
    return {"customer": customer, "agent": agent, "manager": manager}


@pytest.fixture
def ticket(make_ticket):
    return make_ticket(Status.IN_PROGRESS)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "params", "role"), CASES)
def test_no_query_string_makes_a_server_error(name, params, role, people, ticket):
    with time_machine.travel(MOMENT, tick=False):
        client = APIClient() if name.startswith("api:") else Client()
        client.force_login(people[role])
        client.raise_request_exception = False
        args = [ticket.pk] if name == "api:ticket-comments" else []
        url = reverse(name, args=args)
        services.comment_add(ticket_id=ticket.pk, author=people["agent"], body="Checked.")

        def no_server_error(query: dict) -> None:
            response = client.get(url, query)
            # A CSV is streamed: a failure half-way would only show while reading it.
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert response.status_code < 500, (query, body[:500])
            if name.startswith("api:") and response.status_code == 400:
                assert response.json()["code"] == "invalid"

        for param in params:
            one_parameter(param, no_server_error)
        # And a few of them together.
        several = st.dictionaries(st.sampled_from(params), VALUES, min_size=2)
        given(query=several)(FUZZ_SETTINGS(no_server_error))()


FUZZ_SETTINGS = settings(
    max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)


# Tried on every parameter before anything random: each made a 500 once.
KNOWN_BREAKERS = ["²", "HD-①", "\x00", "9999-12-31", "0001-01-01", str(2**64)]


def one_parameter(param: str, check) -> None:
    test = FUZZ_SETTINGS(lambda value: check({param: value}))
    for value in KNOWN_BREAKERS:
        test = example(value=value)(test)
    given(value=VALUES)(test)()
