"""Triggers in the browser: a manager writes a trigger on its page, tries it on a ticket,
saves it, and the next ticket a customer reports is acted on without anyone clicking."""

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from accounts.services import user_create
from tickets.models import Category, Ticket

from .browsing import PASSWORD, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_manager_creates_a_trigger_and_the_next_ticket_is_acted_on(site, new_page):
    Category.objects.create(name="VPN", description="Remote access")
    for email, name, role in [
        ("mia@example.com", "Mia Manager", Role.MANAGER),
        ("carla@example.com", "Carla Customer", Role.CUSTOMER),
    ]:
        user_create(email=email, display_name=name, role=role, password=PASSWORD)

    carla = new_page()
    sign_in(carla, "carla@example.com")
    carla.get_by_role("link", name="Report a problem").first.click()
    carla.get_by_label("Subject").fill("Total outage of the VPN")
    carla.get_by_label("Affected service").select_option(label="VPN")
    carla.get_by_label("What happened?").fill("Nobody can connect.")
    carla.get_by_role("button", name="Send").click()
    first = Ticket.objects.get()

    mia = new_page()
    sign_in(mia, "mia@example.com")
    mia.get_by_role("link", name="Rules", exact=True).click()
    mia.get_by_role("link", name="New trigger").click()
    mia.get_by_label("Name").fill("VPN outages are urgent")
    mia.get_by_label("When").select_option(label="A ticket is created")
    mia.get_by_label("Condition 1").select_option(label="Service")
    mia.get_by_label("Test 1").select_option(label="is")
    mia.get_by_label("Value 1").fill("VPN")
    mia.get_by_label("Condition 2").select_option(label="Subject")
    mia.get_by_label("Test 2").select_option(label="contains any of")
    mia.get_by_label("Value 2").fill("outage, down")
    mia.get_by_label("Action 1").select_option(label="Set the priority")
    mia.locator("#id_a1_priority").select_option(label="Urgent")
    mia.get_by_label("Action 2").select_option(label="Add an internal note")
    mia.locator("#id_a2_text").fill("Outage: tell the network team.")
    mia.get_by_label("Ticket to test on").fill(first.reference)
    mia.get_by_role("button", name="Test on the ticket").click()
    result = mia.get_by_role("region", name="Test result")
    expect(result).to_contain_text("It would:")
    expect(result).to_contain_text("Set the priority: urgent")
    expect(result).to_contain_text("Nothing was saved")
    mia.get_by_role("button", name="Save").click()
    expect(mia.get_by_role("heading", name="VPN outages are urgent")).to_be_visible()
    first.refresh_from_db()
    assert first.priority == "normal"  # the test changed nothing

    carla.goto("/tickets/new/")
    carla.get_by_label("Subject").fill("VPN down again")
    carla.get_by_label("Affected service").select_option(label="VPN")
    carla.get_by_label("What happened?").fill("Since noon.")
    carla.get_by_role("button", name="Send").click()

    second = Ticket.objects.exclude(pk=first.pk).get()
    mia.goto(f"/agent/tickets/{second.pk}/")
    expect(mia.get_by_text("Outage: tell the network team.")).to_be_visible()
    assert second.priority == "urgent"
    mia.get_by_role("link", name="Rules", exact=True).click()
    expect(mia.locator("table.tickets tbody tr").first).to_contain_text("1")
