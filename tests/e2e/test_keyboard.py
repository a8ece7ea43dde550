"""An agent works the queue with the keyboard alone: no mouse, no clicks.

Tab and Shift+Tab move the focus, Space ticks a box, Enter follows a link or presses a
button, and the text is typed. Every stop on the way shows the focus ring.
"""

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Role
from accounts.services import user_create
from tickets import services
from tickets.models import Category, Comment, Ticket
from tickets.status import Status

from .browsing import PASSWORD, focus_ring, press_tab_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

FOCUS_COLOUR = "rgb(245, 183, 0)"  # --focus in helpdesk.css


def assert_focus_ring(page: Page, what: str) -> None:
    ring = focus_ring(page)
    assert ring["focusVisible"], (what, ring)
    assert ring["outlineStyle"] == "solid" and ring["outlineWidth"] >= 2, (what, ring)
    assert ring["outlineColor"] == FOCUS_COLOUR, (what, ring)


def test_an_agent_selects_opens_takes_and_answers_a_ticket_by_keyboard(site, new_page):
    printing = Category.objects.create(name="Printing", description="Printers and scanners")
    user_create(
        email="alex@example.com", display_name="Alex Agent", role=Role.AGENT, password=PASSWORD
    )
    carla = user_create(email="carla@example.com", display_name="Carla Customer")
    for subject in [
        "Scanner sends empty PDFs",
        "Printer on floor 3 prints blank pages",
        "Toner low on floor 2",
    ]:
        services.ticket_create(
            customer=carla,
            created_by=carla,
            subject=subject,
            description="Since this morning.",
            category=printing,
        )
    ticket = Ticket.objects.get(subject="Printer on floor 3 prints blank pages")
    page = new_page()

    # Sign in: the e-mail field has the focus when the page opens.
    page.goto("/accounts/login/")
    # autofocus applies once the page has settled: type only then, or the first keys are lost
    expect(page.get_by_label("E-mail address")).to_be_focused()
    page.keyboard.type("alex@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()

    # The first Tab reaches "Skip to content"; following it lands in the page's content.
    page.keyboard.press("Tab")
    assert focus_ring(page)["text"] == "Skip to content"
    assert_focus_ring(page, "skip link")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")

    # Tick the ticket's box, then open it from its reference.
    press_tab_until(page, f"#select-{ticket.pk}")
    assert_focus_ring(page, "the ticket's checkbox")
    page.keyboard.press("Space")
    expect(page.locator(f"#select-{ticket.pk}")).to_be_checked()
    page.keyboard.press("Tab")
    assert focus_ring(page)["text"] == ticket.reference
    assert_focus_ring(page, "the reference link")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=ticket.reference)).to_be_visible()

    # Take it.
    press_tab_until(page, "form:has(input[name=action][value=take]) button")
    assert_focus_ring(page, "Take")
    page.keyboard.press("Enter")
    expect(page.locator(".ticket-head .badge")).to_have_text("Assigned")

    # Write the reply, go past it to the internal-note button, come back past "Send and
    # resolve" to "Send", send.
    press_tab_until(page, "textarea[name=body]")
    assert_focus_ring(page, "the message box")
    page.keyboard.type("We replaced the fuser unit; please print a test page.")
    press_tab_until(page, "button[name=visibility][value=internal]")
    page.keyboard.press("Shift+Tab")
    assert focus_ring(page)["text"] == "Send and resolve"
    assert_focus_ring(page, "Send and resolve")
    page.keyboard.press("Shift+Tab")
    assert focus_ring(page)["text"] == "✉ Send to Carla Customer"
    assert_focus_ring(page, "Send to the customer")
    page.keyboard.press("Enter")

    expect(page.locator(".conversation")).to_contain_text("We replaced the fuser unit")
    ticket.refresh_from_db()
    assert ticket.status == Status.ASSIGNED and ticket.assignee.email == "alex@example.com"
    reply = Comment.objects.get(ticket=ticket)
    assert not reply.is_internal and reply.body.startswith("We replaced the fuser unit")
