"""The queue for triage at 1440x900: at least 15 tickets above the fold, a long subject cut
short (whole on hover) instead of pushing columns off-screen, and on a phone a subject that is
one long address never makes the customer's page scroll sideways."""

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from accounts.services import user_create
from tickets import services
from tickets.models import Category

from .browsing import PASSWORD, PHONE, screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WIDE = {"width": 1440, "height": 900}
LONG_URL = "https://intranet.example.com/" + "very-long-path-segment-" * 7 + "index.html"


def fill_the_queue() -> int:
    """30 tickets of Carla's; the id of the one whose subject is a long address."""
    vpn = Category.objects.create(name="VPN")
    user_create(
        email="alex@example.com", display_name="Alex Agent", role=Role.AGENT, password=PASSWORD
    )
    carla = user_create(email="carla@example.com", display_name="Carla Customer", password=PASSWORD)
    made = [
        services.ticket_create(
            customer=carla,
            created_by=carla,
            subject=LONG_URL if n == 0 else f"VPN drops every few minutes, case {n}",
            description="Since this morning.",
            category=vpn,
        )
        for n in range(30)
    ]
    return made[0].pk


def rows_in_sight(page) -> int:
    return page.evaluate(
        """() => [...document.querySelectorAll('table[data-queue] tbody tr')].filter(row => {
            const box = row.getBoundingClientRect();
            return box.top >= 0 && box.bottom <= window.innerHeight;
        }).length"""
    )


def test_fifteen_tickets_fit_above_the_fold_and_a_long_subject_stays_in_its_column(site, new_page):
    fill_the_queue()
    page = new_page(viewport=WIDE)
    sign_in(page, "alex@example.com")
    page.goto("/agent/?view=all&sort=newest")
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()

    assert rows_in_sight(page) >= 15
    # Nothing wider than the window, whatever the subject.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    long_one = page.locator(f'td.subject a[title="{LONG_URL}"]')
    assert long_one.evaluate("a => a.scrollWidth > a.clientWidth")  # cut short, with "…"

    # The filters fold away and stay as the agent left them.
    filters = page.locator("details.toolbar-more")
    expect(filters).not_to_have_attribute("open", "")
    filters.locator("summary").click()
    page.reload()
    expect(page.locator("details.toolbar-more")).to_have_attribute("open", "")
    screenshot(page, "queue-triage", full_page=False)


def test_a_long_address_as_a_subject_never_scrolls_a_phone_sideways(site, new_page):
    long_one = fill_the_queue()
    page = new_page(viewport=PHONE)
    sign_in(page, "carla@example.com")
    for path in ["/tickets/", f"/tickets/{long_one}/"]:
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
