"""A manager reads satisfaction and workload on the report and opens the tickets behind them."""

import os
import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from accounts.services import user_create
from tickets import services
from tickets.models import Category

from .browsing import PASSWORD, SCREENSHOTS, sign_in
from .histories import lived

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_satisfaction_and_workload_lead_to_their_tickets(site, new_page):
    category = Category.objects.create(name="VPN", description="Remote access")
    customer = user_create(email="carla@example.com", display_name="Carla", password=PASSWORD)
    alex = user_create(
        email="alex@example.com", display_name="Alex Agent", role=Role.AGENT, password=PASSWORD
    )
    dee = user_create(
        email="dee@example.com", display_name="Dee Departed", role=Role.AGENT, password=PASSWORD
    )
    user_create(
        email="mia@example.com", display_name="Mia Manager", role=Role.MANAGER, password=PASSWORD
    )
    now = timezone.now().replace(second=0, microsecond=0)
    lived(
        now - timedelta(days=4),
        customer,
        alex,
        category,
        resolve=True,
        reply="Looking into it",
        rating=(5, "Quick and kind."),
    )
    lived(
        now - timedelta(days=3),
        customer,
        alex,
        category,
        resolve=True,
        reply="Looking into it",
        rating=(4, ""),
    )
    lived(
        now - timedelta(days=2),
        customer,
        dee,
        category,
        resolve=True,
        reply="Looking into it",
        rating=(2, "Took two days."),
    )
    with time_machine.travel(now - timedelta(days=1), tick=False):
        waiting = services.ticket_create(
            customer=customer, created_by=customer, subject="Mail", description="Bounced"
        )
        services.ticket_take(ticket_id=waiting.pk, agent=alex)
    type(dee).objects.filter(pk=dee.pk).update(is_active=False)

    page = new_page()
    sign_in(page, "mia@example.com")
    page.goto("/reports/")
    csat = page.locator('[data-csat="overall"]')
    expect(csat).to_contain_text("66.7")
    expect(page.locator(".csat-comments li")).to_have_count(2)
    workload = page.locator('[data-table="workload"]')
    expect(workload.locator("tr", has_text="Dee Departed")).to_contain_text("deactivated")
    if os.environ.get("SCREENSHOT_REPORT_SECTIONS"):
        page.locator('[data-section="csat"]').screenshot(path=SCREENSHOTS / "report-csat.png")
        workload.screenshot(path=SCREENSHOTS / "report-workload.png")

    csat.locator('a[data-figure="satisfied"]').click()
    expect(page).to_have_url(re.compile(r"/agent/.*figure=satisfied"))
    expect(page.locator("[data-drill-count]")).to_have_text("2")

    page.goto("/reports/")
    alex_row = page.locator('[data-table="workload"] tr', has_text="Alex Agent")
    expect(alex_row.locator('[data-count="assigned"]')).to_have_text("3")
    alex_row.locator('[data-load="assigned"] a').click()
    expect(page).to_have_url(re.compile(r"/agent/.*status=assigned"))
    expect(page.locator("table.tickets tbody tr")).to_have_count(1)
    expect(page.locator("table.tickets tbody")).to_contain_text("Mail")
