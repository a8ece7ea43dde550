"""An agent answers and resolves an unassigned ticket from the queue in one go: open it, type
the answer, press "Send and resolve". Two clicks, one text, two page loads."""

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from accounts.services import user_create
from tickets import services
from tickets.models import Category, Notification, Ticket
from tickets.status import Status

from .browsing import PASSWORD, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ANSWER = "I re-issued your VPN certificate; please reconnect."


def test_open_type_send_and_resolve_is_two_clicks_one_text_two_page_loads(site, new_page):
    vpn = Category.objects.create(name="VPN", description="Remote access")
    agent = user_create(
        email="alex@example.com", display_name="Alex Agent", role=Role.AGENT, password=PASSWORD
    )
    carla = user_create(email="carla@example.com", display_name="Carla Customer")
    ticket = services.ticket_create(
        customer=carla,
        created_by=carla,
        subject="VPN drops every few minutes",
        description="Since this morning.",
        category=vpn,
    )
    page = new_page()
    sign_in(page, "alex@example.com")
    page.goto("/agent/")
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()

    loads, clicks, texts = [], 0, 0
    page.on("load", lambda loaded: loads.append(loaded.url))

    page.get_by_role("link", name=ticket.subject).click()
    clicks += 1
    page.get_by_role("textbox", name="Message").fill(ANSWER)
    texts += 1
    page.get_by_role("button", name="Send and resolve").click()
    clicks += 1
    expect(page.get_by_text("the ticket is now resolved")).to_be_visible()

    assert (clicks, texts, len(loads)) == (2, 1, 2), loads
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Status.RESOLVED, agent)
    assert list(ticket.history.values_list("to_status", flat=True)) == [
        "open",
        "assigned",
        "in_progress",
        "resolved",
    ]
    # Carla hears once: the resolution, carrying the answer.
    sent = Notification.objects.filter(ticket=ticket, recipient=carla).exclude(
        event=Notification.Event.RECEIVED
    )
    assert list(sent.values_list("event", flat=True)) == [Notification.Event.RESOLVED]
    assert Ticket.objects.get(pk=ticket.pk).resolved_at is not None
