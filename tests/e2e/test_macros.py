"""An agent answers with a macro: search the picker, choose one, read the preview (the text in
the message box, what it will also do), edit, send with the macro's own "Send and …"."""

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from accounts.services import user_create
from tickets import macros, services
from tickets.models import Category, Comment, Macro
from tickets.status import Priority, Status

from .browsing import PASSWORD, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_agent_answers_and_resolves_with_a_macro(site, new_page):
    vpn = Category.objects.create(name="VPN", description="Remote access")
    mia = user_create(
        email="mia@example.com", display_name="Mia Manager", role=Role.MANAGER, password=PASSWORD
    )
    alex = user_create(
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
    services.ticket_take(ticket_id=ticket.pk, agent=alex)
    macros.macro_save(actor=mia, title="Password reset", body="Reset it here.", shared=True)
    certificate = macros.macro_save(
        actor=mia,
        title="Certificate re-issued",
        body="Hello {{ customer_first_name }}, {{ ticket_reference }}: {% debug %} done.",
        shared=True,
        set_priority=Priority.HIGH,
        target_status=Status.RESOLVED,
    )
    page = new_page()
    sign_in(page, "alex@example.com")
    page.goto(f"/agent/tickets/{ticket.pk}/")

    page.get_by_text("Insert a macro…").click()
    page.get_by_role("searchbox", name="Search macros").fill("certif")
    expect(page.get_by_role("link", name="Password reset")).to_be_hidden()
    page.get_by_role("link", name="Certificate re-issued").click()

    message = page.get_by_role("textbox", name="Message")
    expect(message).to_have_value(f"Hello Carla, {ticket.reference}: {{% debug %}} done.")
    preview = page.locator("[data-macro-preview]")
    expect(preview).to_contain_text("Set the priority to High.")
    expect(preview).to_contain_text("then move the ticket to Resolved")
    assert not Comment.objects.filter(ticket=ticket).exists()  # previewed, not sent

    message.fill(f"Hello Carla, {ticket.reference}: done, please reconnect.")
    preview.get_by_role("button", name="Send and resolve").click()

    expect(page.get_by_text("the ticket is now resolved")).to_be_visible()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.RESOLVED, Priority.HIGH)
    assert Comment.objects.get(ticket=ticket).body.endswith("done, please reconnect.")
    assert Macro.objects.get(pk=certificate.pk).usage_count == 1
