"""Nothing the customer sees moves for staff-only events: the customer's view of a ticket has
its own version, ETag and last update, moved by public activity only, and a customer's action
is never refused as stale for a change they cannot see."""

import itertools
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import travelled
from tickets import services, workflow
from tickets.models import Ticket
from tickets.status import Status

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def signed_in(client_class, user):
    client = client_class()
    client.force_login(user)
    return client


def staff_only(kind, ticket, agent):
    """The staff-only events: an internal note, and one with a file."""
    files = [SimpleUploadedFile("server.log", b"secret", "text/plain")] if kind == "file" else []
    services.comment_add(
        ticket_id=ticket.pk, author=agent, body="Internal only", internal=True, attachments=files
    )


def customers_view(pages, api, ticket) -> dict:
    """Everything the customer can read about the ticket, pages and API."""
    detail = api.get(reverse("api:ticket-detail", args=[ticket.pk]))
    return {
        "etag": detail["ETag"],
        "detail": detail.json(),
        "list": api.get(reverse("api:ticket-list"), {"view": "all", "sort": "updated"}).json(),
        "comments": api.get(reverse("api:ticket-comments", args=[ticket.pk])).json(),
        "files": api.get(reverse("api:ticket-attachments", args=[ticket.pk])).json(),
        "page": CSRF.sub("", pages.get(reverse("portal:ticket_detail", args=[ticket.pk])).text),
        "my_tickets": CSRF.sub("", pages.get(reverse("portal:ticket_list")).text),
    }


@pytest.mark.parametrize("kind", ["note", "file"])
def test_a_staff_only_event_changes_nothing_the_customer_sees(kind, make_ticket, customer, agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    services.comment_add(ticket_id=ticket.pk, author=agent, body="Public answer")
    pages, api = signed_in(Client, customer), signed_in(APIClient, customer)
    alex = signed_in(APIClient, agent)
    later = timezone.now() + timedelta(hours=3)
    with travelled(later, pages, api, alex):
        before = customers_view(pages, api, ticket)
        staff_before = alex.get(reverse("api:ticket-detail", args=[ticket.pk]))
        staff_only(kind, ticket, agent)
        after = customers_view(pages, api, ticket)
        staff_after = alex.get(reverse("api:ticket-detail", args=[ticket.pk]))

    assert after == before  # ETag, version, last update, order, pages: all as they were
    # Staff work with the full version: for them the ticket did change.
    assert staff_after["ETag"] != staff_before["ETag"]
    assert staff_after.json()["updated_at"] != staff_before.json()["updated_at"]
    assert staff_after.json()["updated_at"] != after["detail"]["updated_at"]


@pytest.mark.parametrize("road", ["api", "page"])
def test_the_customers_action_with_the_version_seen_before_an_internal_note_succeeds(
    road, make_ticket, customer, agent
):
    ticket = make_ticket(Status.RESOLVED)
    seen = signed_in(APIClient, customer).get(reverse("api:ticket-detail", args=[ticket.pk]))
    staff_only("file", ticket, agent)
    response = reopen(road, ticket, customer, seen)
    assert response.status_code in (200, 302)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.IN_PROGRESS


@pytest.mark.parametrize("road", ["api", "page"])
def test_a_public_reply_still_makes_the_customers_version_stale(road, make_ticket, customer, agent):
    ticket = make_ticket(Status.RESOLVED)
    seen = signed_in(APIClient, customer).get(reverse("api:ticket-detail", args=[ticket.pk]))
    services.comment_add(ticket_id=ticket.pk, author=agent, body="Did it work?")
    response = reopen(road, ticket, customer, seen)
    assert response.status_code == 409
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED


def reopen(road, ticket, customer, seen):
    """The customer reopens with the version they saw (the ETag, or the page's hidden field)."""
    if road == "api":
        return signed_in(APIClient, customer).post(
            reverse("api:ticket-transitions", args=[ticket.pk]),
            {"action": "reopen", "note": "Still drops"},
            format="json",
            HTTP_IF_MATCH=seen["ETag"],
        )
    return signed_in(Client, customer).post(
        reverse("portal:ticket_action", args=[ticket.pk]),
        {"action": "reopen", "note": "Still drops", "version": seen.json()["version"]},
    )


def test_the_page_hands_the_customer_their_version_and_staff_theirs(make_ticket, customer, agent):
    ticket = make_ticket(Status.RESOLVED)
    staff_only("note", ticket, agent)
    ticket.refresh_from_db()
    assert ticket.public_version < ticket.version
    page = signed_in(Client, customer).get(reverse("portal:ticket_detail", args=[ticket.pk]))
    assert f'name="version" value="{ticket.public_version}"' in page.text
    assert f'name="version" value="{ticket.version}"' not in page.text
    staff = signed_in(Client, agent).get(reverse("agent:ticket_detail", args=[ticket.pk]))
    assert f'name="version" value="{ticket.version}"' in staff.text


def test_staff_are_still_refused_for_an_internal_note_they_did_not_see(
    make_ticket, agent, other_agent
):
    ticket = make_ticket(Status.IN_PROGRESS)
    services.comment_add(ticket_id=ticket.pk, author=other_agent, body="Careful", internal=True)
    response = signed_in(APIClient, agent).post(
        reverse("api:ticket-transitions", args=[ticket.pk]),
        {"action": "resolve", "note": "Fixed", "version": ticket.version},
        format="json",
    )
    assert response.status_code == 409 and response.json()["code"] == "ticket_changed"


@pytest.mark.parametrize(
    "change",
    ["status", "public reply", "priority", "reassign"],
)
def test_what_the_customer_can_see_moves_their_version(
    change, make_ticket, customer, agent, manager, other_agent
):
    ticket = make_ticket(Status.IN_PROGRESS)
    if change == "status":
        workflow.transition(ticket_id=ticket.pk, to=Status.ON_HOLD, actor=agent, note="?")
    elif change == "public reply":
        services.comment_add(ticket_id=ticket.pk, author=agent, body="Hello")
    elif change == "priority":  # shown on the customer's page
        services.ticket_update(ticket_id=ticket.pk, actor=agent, priority="high")
    else:  # the customer's page names their agent
        services.ticket_assign(ticket_id=ticket.pk, assignee=other_agent, actor=manager)
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.public_version == ticket.public_version + 1
    assert fresh.public_updated_at > ticket.public_updated_at


def test_the_customers_lists_are_ordered_by_what_they_can_see(make_ticket, customer, agent):
    start = timezone.now()
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        older = make_ticket(Status.IN_PROGRESS, subject="Older")
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        newer = make_ticket(Status.IN_PROGRESS, subject="Newer")
    with time_machine.travel(start + timedelta(hours=3), tick=False):
        staff_only("note", older, agent)
    mine = signed_in(APIClient, customer).get(
        reverse("api:ticket-list"), {"view": "all", "sort": "updated"}
    )
    assert [t["id"] for t in mine.json()["results"]] == [newer.pk, older.pk]
    page = signed_in(Client, customer).get(reverse("portal:ticket_list"))
    assert [t.pk for t in page.context["page"]] == [newer.pk, older.pk]
    # Staff see the note as the latest update.
    queue = signed_in(APIClient, agent).get(
        reverse("api:ticket-list"), {"view": "all", "sort": "updated"}
    )
    assert [t["id"] for t in queue.json()["results"]] == [older.pk, newer.pk]


def test_the_customers_updated_order_pages_by_cursor(make_ticket, customer, agent):
    start = timezone.now()
    tickets = []
    for hour in range(1, 6):
        with time_machine.travel(start + timedelta(hours=hour), tick=False):
            tickets.append(make_ticket(Status.IN_PROGRESS))
    with time_machine.travel(start + timedelta(hours=7), tick=False):
        staff_only("note", tickets[0], agent)
    api = signed_in(APIClient, customer)
    seen, url = [], reverse("api:ticket-list") + "?view=all&sort=updated&page_size=2"
    while url:
        page = api.get(url).json()
        seen += [t["id"] for t in page["results"]]
        url = page["next"]
    assert seen == [t.pk for t in reversed(tickets)]


@pytest.mark.parametrize("notes", [1, 5])
def test_the_customers_pages_and_api_cost_the_same_queries_with_internal_notes(
    notes, make_ticket, customer, agent, django_assert_num_queries
):
    ticket = make_ticket(Status.IN_PROGRESS)
    for _ in range(notes):
        staff_only("file", ticket, agent)
    pages, api = signed_in(Client, customer), signed_in(APIClient, customer)
    # session, user, count for the paginator, the page of tickets with their assignees, the
    # tickets she follows
    with django_assert_num_queries(5):
        pages.get(reverse("portal:ticket_list"))
    # session, user, the ticket (+customer, assignee, category)
    with django_assert_num_queries(3):
        api.get(reverse("api:ticket-detail", args=[ticket.pk]))
    # session, user, the page of tickets
    with django_assert_num_queries(3):
        api.get(reverse("api:ticket-list"), {"view": "all", "sort": "updated"})


# --- Ids ---------------------------------------------------------------------------------
# Comment and file ids come from sequences shared by every ticket of the help desk, and the
# customer sees no per-ticket numbering (no comment numbers, no history ids, and a version
# that staff-only events do not move). A gap between two ids on the customer's ticket is
# then what any reply anywhere leaves: it does not tell an internal note on their ticket.


def test_an_internal_note_looks_to_the_customer_like_a_reply_on_someone_elses_ticket(
    make_ticket, customer, neighbour, agent
):
    moment = timezone.now() + timedelta(hours=1)
    with time_machine.travel(moment, tick=False):
        noted = make_ticket(Status.IN_PROGRESS)
        plain = make_ticket(Status.IN_PROGRESS)
        elsewhere = make_ticket(Status.IN_PROGRESS, customer=neighbour)
        for ticket, between in [(noted, noted), (plain, elsewhere)]:
            services.comment_add(ticket_id=ticket.pk, author=customer, body="It drops")
            internal = between is noted
            author = agent if internal else neighbour
            services.comment_add(
                ticket_id=between.pk, author=author, body="In between", internal=internal
            )
            services.comment_add(ticket_id=ticket.pk, author=agent, body="Try again")
    api = signed_in(APIClient, customer)

    def seen(ticket):
        detail = api.get(reverse("api:ticket-detail", args=[ticket.pk]))
        comments = api.get(reverse("api:ticket-comments", args=[ticket.pk])).json()["results"]
        ids = [c["id"] for c in comments]
        body = detail.json()
        return {
            "gaps": [b - a for a, b in itertools.pairwise(ids)],
            "etag": detail["ETag"],
            "fields": {k: body[k] for k in ("version", "updated_at", "status", "actions")},
            "comment_keys": [sorted(c) for c in comments],
        }

    assert seen(noted) == seen(plain)
    assert "history" not in api.get(reverse("api:ticket-detail", args=[noted.pk])).json()
