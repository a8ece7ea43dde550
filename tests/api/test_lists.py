"""The ticket list (the queue's views, filters, search, keyset cursor), the conversation and
file lists, categories: what they return, and that each costs the same queries at any size."""

import pytest

from tickets import services
from tickets.models import Category
from tickets.status import Priority, Status

from .conftest import api_url, upload


@pytest.fixture
def alex(api, agent):
    return api(agent)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_views_and_filters_are_the_queues(alex, make_ticket, other_agent, category):
    fresh = make_ticket(Status.OPEN)
    mine = make_ticket(Status.IN_PROGRESS)
    held = make_ticket(Status.ON_HOLD)
    done = make_ticket(Status.RESOLVED)
    theirs = make_ticket(Status.OPEN, priority=Priority.HIGH)
    services.ticket_take(ticket_id=theirs.pk, agent=other_agent)
    email = Category.objects.create(name="E-mail")
    mail = make_ticket(Status.OPEN, category=email)
    url = api_url("ticket-list")
    assert set(ids(alex.get(url, {"view": "unassigned"}))) == {fresh.pk, mail.pk}
    assert set(ids(alex.get(url, {"view": "mine"}))) == {mine.pk, held.pk}
    assert ids(alex.get(url, {"view": "on_hold"})) == [held.pk]
    assert ids(alex.get(url, {"view": "resolved"})) == [done.pk]
    assert set(ids(alex.get(url))) == {fresh.pk, mine.pk, held.pk, theirs.pk, mail.pk}
    assert ids(alex.get(url, {"status": "assigned"})) == [theirs.pk]
    assert ids(alex.get(url, {"priority": "high"})) == [theirs.pk]
    assert ids(alex.get(url, {"category": email.pk})) == [mail.pk]
    assert ids(alex.get(url, {"assignee": other_agent.pk})) == [theirs.pk]
    assert ids(alex.get(url, {"category": 424242})) == []
    assert ids(alex.get(url, {"view": "on_hold", "sla": "paused"})) == [held.pk]


def test_search_finds_words_and_references(alex, make_ticket, agent):
    printer = make_ticket(subject="Printer on floor 3", description="It jams.")
    vpn = make_ticket(subject="VPN drops", description="Every few minutes.")
    services.comment_add(ticket_id=vpn.pk, author=agent, body="The firewall resets tunnels.")
    url = api_url("ticket-list")
    assert ids(alex.get(url, {"q": "printer"})) == [printer.pk]
    assert ids(alex.get(url, {"q": "firewall"})) == [vpn.pk]
    assert ids(alex.get(url, {"q": vpn.reference})) == [vpn.pk]


def test_a_customers_search_never_looks_into_internal_notes(api, customer, agent, make_ticket):

    ticket = make_ticket(Status.IN_PROGRESS)
    services.comment_add(ticket_id=ticket.pk, author=agent, body="zebra policy", internal=True)
    services.comment_add(ticket_id=ticket.pk, author=agent, body="Try the giraffe setting")
    carla = api(customer)
    assert ids(carla.get(api_url("ticket-list"), {"q": "giraffe", "view": "all"})) == [ticket.pk]
    assert ids(carla.get(api_url("ticket-list"), {"q": "zebra", "view": "all"})) == []
    assert ids(api(agent).get(api_url("ticket-list"), {"q": "zebra"})) == [ticket.pk]


def test_cursor_pages_cover_every_ticket_once_forwards_and_back(alex, make_ticket):
    made = {make_ticket(priority=p).pk for p in ["low", "high", "normal"] * 3 + ["low"]}
    pages, response = [], alex.get(api_url("ticket-list"), {"page_size": 4, "sort": "priority"})
    while True:
        pages.append(ids(response))
        link = response.json()["next"]
        if not link:
            break
        assert "page_size=4" in link and "sort=priority" in link
        response = alex.get(link)
    seen = [pk for page in pages for pk in page]
    assert len(seen) == len(made) == 10 and set(seen) == made
    assert [len(p) for p in pages] == [4, 4, 2]
    back = alex.get(response.json()["previous"])
    assert ids(back) == pages[1]
    assert alex.get(api_url("ticket-list"), {"page_size": 4}).json()["previous"] is None


def test_the_conversation_pages_by_cursor_oldest_first(alex, make_ticket, customer, agent):
    ticket = make_ticket(Status.IN_PROGRESS)
    for i in range(5):
        services.comment_add(ticket_id=ticket.pk, author=customer if i % 2 else agent, body=f"m{i}")
    first = alex.get(api_url("ticket-comments", ticket.pk), {"page_size": 3}).json()
    second = alex.get(first["next"]).json()
    bodies = [c["body"] for c in first["results"] + second["results"]]
    assert bodies == ["m0", "m1", "m2", "m3", "m4"] and second["next"] is None


def test_categories_list_every_service_with_its_state(alex, category):
    Category.objects.create(name="Old fax", is_active=False)
    rows = alex.get(api_url("category-list")).json()
    assert [(c["name"], c["is_active"]) for c in rows] == [("Old fax", False), ("VPN", True)]


# --- Query counts -------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 30])
def test_the_ticket_list_costs_the_same_queries_at_any_page_size(
    count, alex, make_ticket, django_assert_num_queries
):
    for i in range(count):
        make_ticket(Status.ASSIGNED if i % 2 else Status.OPEN)
    # session, user, the page of tickets (+customer, assignee, category, in one join)
    with django_assert_num_queries(3):
        response = alex.get(api_url("ticket-list"), {"page_size": 100})
    assert len(response.json()["results"]) == count


@pytest.mark.parametrize("count", [1, 20])
def test_the_conversation_costs_the_same_queries_however_long(
    count, alex, make_ticket, agent, customer, django_assert_num_queries
):
    ticket = make_ticket(Status.IN_PROGRESS)
    for i in range(count):
        services.comment_add(
            ticket_id=ticket.pk,
            author=agent if i % 2 else customer,
            body=f"m{i}",
            internal=bool(i % 2 and i % 3 == 1),
            attachments=[upload(f"f{i}.png")] if i % 4 == 0 else [],
        )
    # session, user, the ticket (visible_to), the page of comments (+authors), their files
    with django_assert_num_queries(5):
        response = alex.get(api_url("ticket-comments", ticket.pk), {"page_size": 100})
    assert len(response.json()["results"]) == count


@pytest.mark.parametrize("count", [1, 5])
def test_the_file_list_costs_the_same_queries_however_many(
    count, api, customer, make_ticket, django_assert_num_queries
):
    ticket = make_ticket(Status.IN_PROGRESS)
    services.comment_add(
        ticket_id=ticket.pk,
        author=customer,
        body="files",
        attachments=[upload(f"f{i}.png") for i in range(count)],
    )
    carla = api(customer)
    # session, user, the ticket (visible_to), the page of files
    with django_assert_num_queries(4):
        response = carla.get(api_url("ticket-attachments", ticket.pk))
    assert len(response.json()["results"]) == count


@pytest.mark.parametrize("count", [1, 10])
def test_categories_cost_the_same_queries_however_many(count, alex, django_assert_num_queries):
    Category.objects.bulk_create(Category(name=f"Service {i}") for i in range(count))
    # session, user, categories
    with django_assert_num_queries(3):
        response = alex.get(api_url("category-list"))
    assert len(response.json()) == count


def test_one_ticket_costs_few_queries(alex, make_ticket, django_assert_num_queries):
    ticket = make_ticket(Status.IN_PROGRESS)
    # session, user, the ticket (+customer, assignee, category)
    with django_assert_num_queries(3):
        alex.get(api_url("ticket-detail", ticket.pk))
