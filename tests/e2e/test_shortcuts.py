"""Keyboard shortcuts (static/js/keyboard.js): an agent goes through the queue with j/k,
opens a ticket with o, takes it with t, writes with r and sends with Ctrl+Enter; ? shows the
list; shortcuts do nothing while typing; select-all and Shift+click select for bulk actions."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Role
from accounts.services import user_create
from tickets import services
from tickets.models import Category, Comment, Ticket
from tickets.status import Status

from .browsing import PASSWORD, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SUBJECTS = ["Scanner sends empty PDFs", "Printer prints blank pages", "Toner low on floor 2"]


@pytest.fixture
def queue_of_three(db):
    printing = Category.objects.create(name="Printing", description="Printers and scanners")
    user_create(
        email="alex@example.com", display_name="Alex Agent", role=Role.AGENT, password=PASSWORD
    )
    carla = user_create(email="carla@example.com", display_name="Carla Customer")
    for subject in SUBJECTS:
        services.ticket_create(
            customer=carla,
            created_by=carla,
            subject=subject,
            description="Since this morning.",
            category=printing,
        )


def live_text(page: Page):
    return page.locator("[data-keyboard-status]")


def test_an_agent_opens_takes_answers_and_sends_with_shortcuts(site, new_page, queue_of_three):
    page = new_page()
    sign_in(page, "alex@example.com")
    page.goto("/agent/")
    rows = page.locator("table[data-queue] tbody tr")
    second = rows.nth(1).locator("td.ref a")
    reference = second.inner_text()

    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    page.keyboard.press("j")
    expect(second).to_be_focused()
    expect(rows.nth(1)).to_have_class(re.compile("kb-current"))
    expect(live_text(page)).to_contain_text(f"Row 2 of 3: {reference}")

    # "?" shows the list; Escape closes it.
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()

    # "/" goes to the search; typed there, "j" is a letter, not a move.
    page.keyboard.press("/")
    expect(page.locator("#id_q")).to_be_focused()
    page.keyboard.type("jk")
    expect(page.locator("#id_q")).to_have_value("jk")
    page.locator("#id_q").fill("")
    second.focus()

    page.keyboard.press("o")
    expect(page.get_by_role("heading", name=reference)).to_be_visible()
    page.wait_for_load_state("load")  # the shortcuts' script has run
    ticket = Ticket.objects.get(subject=page.locator("h1").inner_text().split(" ", 1)[1])

    page.keyboard.press("t")
    expect(page.locator(".ticket-head .badge")).to_have_text("Assigned")
    page.wait_for_load_state("load")

    page.keyboard.press("r")
    message = page.get_by_role("textbox", name="Message")
    expect(message).to_be_focused()
    expect(live_text(page)).to_contain_text("Writing a reply")
    page.keyboard.type("rtn are letters here, not shortcuts.")
    page.keyboard.press("Control+Enter")

    expect(page.get_by_text("Reply sent to the customer")).to_be_visible()
    page.wait_for_load_state("load")
    reply = Comment.objects.get(ticket=ticket)
    assert reply.body == "rtn are letters here, not shortcuts." and not reply.is_internal
    ticket.refresh_from_db()
    assert ticket.status == Status.ASSIGNED

    page.keyboard.press("n")
    expect(live_text(page)).to_contain_text("internal note")
    page.keyboard.type("Checked the fuser.")
    page.keyboard.press("Control+Enter")
    expect(page.get_by_text("Internal note saved.")).to_be_visible()
    assert Comment.objects.get(ticket=ticket, body="Checked the fuser.").is_internal


def test_select_all_and_shift_click_select_for_bulk_actions(site, new_page, queue_of_three):
    page = new_page()
    sign_in(page, "alex@example.com")
    page.goto("/agent/")
    boxes = page.locator("table[data-queue] tbody input[name=tickets]")

    select_all = page.get_by_role("checkbox", name="Select all tickets on this page")
    select_all.check()
    for index in range(3):
        expect(boxes.nth(index)).to_be_checked()
    expect(live_text(page)).to_contain_text("3 selected.")
    select_all.uncheck()
    for index in range(3):
        expect(boxes.nth(index)).not_to_be_checked()

    boxes.nth(0).click()
    boxes.nth(2).click(modifiers=["Shift"])
    for index in range(3):
        expect(boxes.nth(index)).to_be_checked()
    expect(select_all).to_be_checked()

    # x selects the current row (where the focus is) from the keyboard.
    boxes.nth(1).click()
    expect(select_all).not_to_be_checked()
    page.keyboard.press("x")
    expect(boxes.nth(1)).to_be_checked()
