"""Two agents on one ticket, each at their own computer (two browser contexts): each sees the
other viewing and typing within 5 seconds, and when one sends a reply the other is told "A
new reply arrived — Show it" without a reload; showing it keeps what they were typing. The
queue says how many tickets arrived since it was loaded."""

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Role
from accounts.services import user_create
from tickets import services
from tickets.models import Category
from tickets.status import Status

from .browsing import PASSWORD, screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SECONDS_5 = 5_000
DRAFT = "Bo's half-written answer about the certificate"


@pytest.fixture
def people(db):
    carla = user_create(email="carla@example.com", display_name="Carla Customer", password=PASSWORD)
    alex = user_create(
        email="alex@example.com", display_name="Alex Agent", role=Role.AGENT, password=PASSWORD
    )
    bo = user_create(
        email="bo@example.com", display_name="Bo Agent", role=Role.AGENT, password=PASSWORD
    )
    return carla, alex, bo


@pytest.fixture
def ticket(people):
    carla, alex, _bo = people
    ticket = services.ticket_create(
        customer=carla,
        created_by=carla,
        subject="VPN drops every few minutes",
        description="Since this morning.",
        category=Category.objects.create(name="VPN", description="Remote access"),
    )
    services.ticket_take(ticket_id=ticket.pk, agent=alex)
    return ticket


def live_status(page: Page):
    return page.locator("[data-live-viewers]")


def drafts_kept(page: Page) -> list[str]:
    return page.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('helpdesk:draft:'))"
        ".map(k => JSON.parse(localStorage.getItem(k)).text)"
    )


def test_a_colleague_viewing_typing_and_replying_is_seen_live(site, new_page, ticket):
    alex, bo = new_page(), new_page()
    sign_in(alex, "alex@example.com")
    sign_in(bo, "bo@example.com")
    alex.goto(f"/agent/tickets/{ticket.pk}/")
    bo.goto(f"/agent/tickets/{ticket.pk}/")

    expect(live_status(bo)).to_contain_text(
        "Alex Agent is also viewing this ticket.", timeout=SECONDS_5
    )
    expect(live_status(alex)).to_contain_text(
        "Bo Agent is also viewing this ticket.", timeout=SECONDS_5
    )

    bo.get_by_role("textbox", name="Message").fill(DRAFT)
    alex.get_by_role("textbox", name="Message").fill("Please restart the VPN client.")
    expect(live_status(bo)).to_contain_text("Alex Agent is typing a reply", timeout=SECONDS_5)
    screenshot(bo, "ticket-live-typing", full_page=False)

    alex.get_by_role("button", name="Send to Carla Customer").click()
    expect(alex.get_by_text("Reply sent to the customer")).to_be_visible()

    notice = bo.locator("[data-live-notice]")
    expect(notice).to_contain_text("A new reply arrived: Alex Agent replied", timeout=SECONDS_5)
    # Nothing was reloaded: Bo's text is in the box as he left it.
    expect(bo.get_by_role("textbox", name="Message")).to_have_value(DRAFT)
    screenshot(bo, "ticket-live-new-reply", full_page=False)

    notice.get_by_role("link", name="Show it").click()
    expect(bo.get_by_text("Please restart the VPN client.").first).to_be_visible()
    expect(bo.get_by_role("textbox", name="Message")).to_have_value(DRAFT)
    assert DRAFT in drafts_kept(bo)
    expect(bo.locator("[data-live-notice]")).to_be_hidden()

    # Alex leaves the ticket: his page says so as it goes, and Bo sees him gone at once (not
    # only when his presence runs out, 15 seconds later).
    expect(live_status(bo)).to_contain_text("Alex Agent is also viewing", timeout=SECONDS_5)
    alex.goto("/agent/")
    expect(live_status(bo)).to_be_hidden(timeout=SECONDS_5)


def test_a_stale_action_says_who_changed_what(site, new_page, ticket):
    alex, bo = new_page(), new_page()
    sign_in(alex, "alex@example.com")
    sign_in(bo, "bo@example.com")
    bo.goto(f"/agent/tickets/{ticket.pk}/")
    alex.goto(f"/agent/tickets/{ticket.pk}/")
    alex.get_by_role("button", name="Start work").click()
    expect(alex.get_by_text("updated")).to_be_visible()

    expect(bo.locator("[data-live-notice]")).to_contain_text(
        "The status changed: Alex Agent started work on it", timeout=SECONDS_5
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS


def test_the_queue_says_how_many_tickets_are_new(site, new_page, ticket, people):
    carla, _alex, _bo = people
    page = new_page()
    sign_in(page, "alex@example.com")
    page.goto("/agent/?view=all")
    for number in range(3):
        services.ticket_create(
            customer=carla,
            created_by=carla,
            subject=f"Printer jam number {number}",
            description="Paper everywhere.",
        )

    notice = page.locator("[data-live-notice]")
    expect(notice).to_contain_text("3 new tickets", timeout=SECONDS_5)
    notice.get_by_role("link", name="Show").click()
    expect(page.get_by_role("link", name="Printer jam number 2")).to_be_visible()
    expect(page.locator("[data-live-notice]")).to_be_hidden()
