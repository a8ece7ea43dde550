"""A manager walks from a number on the report to the tickets behind it, in the browser."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from accounts.services import user_create
from tickets.models import Category

from .browsing import PASSWORD, sign_in
from .histories import lived

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_number_on_the_report_opens_exactly_its_tickets(site, new_page):
    category = Category.objects.create(name="VPN", description="Remote access")
    customer = user_create(email="carla@example.com", display_name="Carla", password=PASSWORD)
    agent = user_create(
        email="alex@example.com", display_name="Alex Agent", role=Role.AGENT, password=PASSWORD
    )
    user_create(
        email="mia@example.com", display_name="Mia Manager", role=Role.MANAGER, password=PASSWORD
    )
    now = timezone.now().replace(second=0, microsecond=0)
    for days_ago in (2, 3, 4):
        lived(now - timedelta(days=days_ago), customer, agent, category, resolve=True)
    lived(now - timedelta(days=1), customer, agent, category, resolve=False)

    page = new_page()
    sign_in(page, "mia@example.com")
    page.goto("/reports/")
    resolved = page.locator('.rates a[data-figure="resolved"]')
    expect(resolved).to_have_text("3")
    resolved.click()
    expect(page).to_have_url(re.compile(r"/agent/.*figure=resolved"))
    expect(page.locator("[data-drill-count]")).to_have_text("3")
    expect(page.locator("table.tickets tbody tr")).to_have_count(3)

    # The agent's row of the breakdown: 4 reported, 3 resolved.
    page.goto("/reports/")
    row = page.locator("#by-agent ~ .table-wrap tr", has_text="Alex Agent")
    row.get_by_role("link", name="4", exact=True).click()
    expect(page.locator("[data-drill-count]")).to_have_text("4")
    expect(page.locator("table.tickets tbody tr")).to_have_count(4)
