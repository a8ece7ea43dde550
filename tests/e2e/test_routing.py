"""Routing in the browser: a manager makes a team for a service on its page, a customer
reports a problem about that service, and the ticket is already in the team's agent's queue
— nobody clicked."""

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from accounts.services import user_create
from tickets.models import Category, Team

from .browsing import PASSWORD, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_reported_ticket_lands_with_the_right_teams_agent_without_a_click(site, new_page):
    vpn = Category.objects.create(name="VPN", description="Remote access")
    for email, name, role in [
        ("alex@example.com", "Alex Agent", Role.AGENT),
        ("bo@example.com", "Bo Agent", Role.AGENT),
        ("mia@example.com", "Mia Manager", Role.MANAGER),
        ("carla@example.com", "Carla Customer", Role.CUSTOMER),
    ]:
        user_create(email=email, display_name=name, role=role, password=PASSWORD)

    mia = new_page()
    sign_in(mia, "mia@example.com")
    mia.get_by_role("link", name="Teams", exact=True).click()
    mia.get_by_role("link", name="New team").click()
    mia.get_by_label("Name").fill("Network")
    mia.get_by_label("Alex Agent").check()
    mia.get_by_label("VPN", exact=True).check()  # the service whose tickets go to the team
    mia.get_by_label("Automatic assignment").select_option(label="Least loaded")
    mia.get_by_label("Default capacity").fill("5")
    mia.get_by_role("button", name="Save").click()
    expect(mia.get_by_role("heading", name="Network")).to_be_visible()
    vpn.refresh_from_db()
    assert vpn.default_team == Team.objects.get(name="Network")

    carla = new_page()
    sign_in(carla, "carla@example.com")
    carla.get_by_role("link", name="Report a problem").first.click()
    carla.get_by_label("Subject").fill("VPN drops every few minutes")
    carla.get_by_label("Affected service").select_option(label="VPN")
    carla.get_by_label("What happened?").fill("Since this morning.")
    carla.get_by_role("button", name="Send").click()
    expect(carla.locator(".ticket-head .badge")).to_have_text("Assigned")

    alex = new_page()
    sign_in(alex, "alex@example.com")
    alex.get_by_role("link", name="Mine", exact=True).click()
    row = alex.locator("table.tickets tbody tr")
    expect(row).to_have_count(1)
    row.first.get_by_role("link", name="VPN drops every few minutes").click()
    expect(alex.get_by_text("Assigned automatically by the Network team")).to_be_visible()

    bo = new_page()
    sign_in(bo, "bo@example.com")
    bo.get_by_role("link", name="Mine", exact=True).click()
    expect(bo.locator("table.tickets tbody tr")).to_have_count(0)

    mia.reload()
    expect(mia.locator("table.tickets tbody tr").first).to_contain_text("Alex Agent")
