"""The managers' dashboard refreshes itself in the browser, under the site's
Content-Security-Policy, without a reload."""

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from accounts.services import user_create
from tickets import services

from .browsing import PASSWORD, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_dashboard_shows_a_new_ticket_without_a_reload(site, new_page):
    user_create(
        email="mia@example.com", display_name="Mia Manager", role=Role.MANAGER, password=PASSWORD
    )
    carla = user_create(email="carla@example.com", display_name="Carla Customer", password=None)
    page = new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    sign_in(page, "mia@example.com")
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Live dashboard")
    unassigned = page.locator('dd[data-value="unassigned"]')
    expect(unassigned).to_have_text("0")
    expect(page.get_by_text("Nothing waits for the help desk.")).to_be_visible()
    page.evaluate("window.loadedOnce = true")  # gone if the page reloads

    ticket = services.ticket_create(
        customer=carla, created_by=carla, subject="Printer jams", description="Again."
    )
    # The page asks again when it comes back into view (and every 30 seconds anyway).
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(unassigned).to_have_text("1")
    expect(page.locator('[data-value="today.arrivals"]')).to_have_text("1")
    oldest = page.get_by_role("link", name=ticket.reference)
    expect(oldest).to_be_visible()
    assert page.evaluate("window.loadedOnce") is True
    assert errors == []  # no script refused by the policy, no failed request
    oldest.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Printer jams")
