"""One ticket's life, as the three kinds of people live it in the browser.

A customer signs up and reports a problem with a file; an agent finds it, takes it, asks a
question; the customer answers; the agent resolves it; the customer follows the e-mail's link,
confirms and rates; a manager finds it in the report and its CSVs. Another customer who tries
the ticket's address meets the not-found page.
"""

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Role
from accounts.services import user_create
from tickets.models import Category, Ticket
from tickets.status import Status

from .browsing import PASSWORD, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CARLA = "carla@example.com"


def status_badge(page: Page):
    return page.locator(".ticket-head .badge")


def download(page: Page, link_name: str) -> tuple[str, str]:
    """Click a download link; the file's suggested name and its text."""
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    file = info.value
    return file.suggested_filename, Path(file.path()).read_text(encoding="utf-8-sig")


def test_a_ticket_from_sign_up_to_rating_report_and_csv(site, new_page, tmp_path):
    Category.objects.create(name="VPN", description="Remote access from home")
    Category.objects.create(name="E-mail", description="Mailboxes and calendars")
    user_create(
        email="alex@example.com", display_name="Alex Agent", role=Role.AGENT, password=PASSWORD
    )
    user_create(
        email="mia@example.com", display_name="Mia Manager", role=Role.MANAGER, password=PASSWORD
    )
    user_create(email="nick@example.com", display_name="Nick Neighbour", password=PASSWORD)
    trace = tmp_path / "vpn-trace.log"
    trace.write_text("09:14:02 tunnel down: peer timeout\n")

    # --- Carla signs up and reports the problem, with a log file ---------------------------
    carla = new_page()
    carla.goto("/")
    carla.get_by_role("link", name="Create an account").click()
    carla.get_by_label("E-mail address").fill(CARLA)
    carla.get_by_label("Your name").fill("Carla Customer")
    carla.get_by_role("button", name="Create account").click()
    expect(carla.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    # The link in the e-mail sets her first password; then she signs in.
    [welcome] = [m for m in site.mail if m.to == [CARLA]]
    link = re.search(r"https?://\S+/reset/\S+/", welcome.body).group(0)
    carla.goto(link)
    carla.get_by_label(re.compile(r"^New password\W*$")).fill(PASSWORD)
    carla.get_by_label("New password confirmation").fill(PASSWORD)
    carla.get_by_role("button", name="Set my password").click()
    sign_in(carla, CARLA)
    expect(carla.get_by_role("heading", name="My tickets")).to_be_visible()

    carla.get_by_role("link", name="Report a problem").first.click()
    carla.get_by_label("Subject").fill("VPN drops every few minutes")
    carla.get_by_label("Affected service").select_option(label="VPN")
    carla.get_by_label("Priority").select_option(label="High")
    carla.get_by_label("What happened?").fill("Since this morning the VPN disconnects.")
    carla.get_by_label("Attachments").set_input_files(trace)
    carla.get_by_role("button", name="Send").click()

    expect(carla.get_by_role("status")).to_contain_text("is open")
    expect(status_badge(carla)).to_have_text("Open")
    expect(carla.get_by_role("link", name="vpn-trace.log")).to_be_visible()
    reference = carla.locator(".ticket-head .reference").inner_text()
    ticket = Ticket.objects.get()
    assert reference == ticket.reference and ticket.customer.email == CARLA
    ticket_url = carla.url
    carla.get_by_role("link", name="My tickets").first.click()
    expect(carla.get_by_role("link", name=reference)).to_be_visible()

    # --- Alex finds it in the queue, takes it, starts, asks a question ---------------------
    alex = new_page()
    sign_in(alex, "alex@example.com")
    expect(alex.get_by_role("heading", name="Queue")).to_be_visible()
    alex.get_by_role("searchbox", name="Search").fill("disconnects")
    alex.get_by_role("searchbox", name="Search").press("Enter")
    rows = alex.locator("table.tickets tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Carla Customer")
    rows.first.get_by_role("link", name="VPN drops every few minutes").click()

    expect(alex.get_by_role("heading", name=re.compile(reference))).to_be_visible()
    name, content = download(alex, "vpn-trace.log")
    assert (name, content) == ("vpn-trace.log", "09:14:02 tunnel down: peer timeout\n")
    alex.get_by_role("button", name="Take").click()
    expect(status_badge(alex)).to_have_text("Assigned")
    alex.get_by_role("button", name="Start work").click()
    expect(status_badge(alex)).to_have_text("In progress")
    alex.locator("summary", has_text="Put on hold").click()
    alex.get_by_label("What are we waiting for?").fill("Which version of the VPN client is it?")
    alex.get_by_role("button", name="Put on hold", exact=True).click()
    expect(status_badge(alex)).to_have_text("On hold")

    # --- Carla answers; the ticket goes back to work ----------------------------------------
    carla.goto(ticket_url)
    expect(status_badge(carla)).to_have_text("On hold")
    expect(carla.locator(".timeline")).to_contain_text("Which version of the VPN client is it?")
    carla.get_by_label("Your reply").fill("It is version 5.1.")
    carla.get_by_role("button", name="Send reply").click()
    expect(carla.get_by_role("status")).to_contain_text("Your reply has been sent")
    expect(status_badge(carla)).to_have_text("In progress")
    expect(carla.locator(".timeline")).to_contain_text("Work resumed after your reply")

    # --- Alex resolves it -------------------------------------------------------------------
    alex.reload()
    expect(status_badge(alex)).to_have_text("In progress")
    expect(alex.locator(".conversation")).to_contain_text("It is version 5.1.")
    alex.locator("summary", has_text="Resolve").click()
    alex.get_by_label("Resolution (the customer reads this)").fill(
        "Version 5.1 had a keep-alive bug; please update to 5.2."
    )
    alex.get_by_role("button", name="Resolve", exact=True).click()
    expect(status_badge(alex)).to_have_text("Resolved")

    # --- Carla gets the mail, follows its link, confirms and rates --------------------------
    resolved = [m for m in site.mail if m.to == [CARLA] and "Resolved" in m.subject]
    assert len(resolved) == 1, [m.subject for m in site.mail]
    assert reference in resolved[0].subject
    assert "please update to 5.2" in resolved[0].body
    link = re.search(r"(\S+)#confirm\b", resolved[0].body).group(0)
    assert link == f"{ticket_url}#confirm"
    # A link in a mail client opens a new tab, with Carla still signed in.
    carla = carla.context.new_page()
    carla.goto(link)
    expect(status_badge(carla)).to_have_text("Resolved")
    expect(carla.get_by_role("heading", name="Did this fix your problem?")).to_be_visible()
    confirm = carla.locator("#confirm")
    expect(confirm).to_be_in_viewport()
    confirm.get_by_text("Confirm the fix").click()
    confirm.get_by_role("button", name="Yes, close my ticket").click()
    expect(carla.get_by_role("status")).to_contain_text("The ticket is closed")
    expect(status_badge(carla)).to_have_text("Closed")

    carla.get_by_label("5", exact=True).check()
    carla.get_by_label("Anything to add?").fill("Quick and clear, thank you.")
    carla.get_by_role("button", name="Send rating").click()
    expect(carla.get_by_role("status")).to_contain_text("Thank you for your rating")
    expect(carla.get_by_text("5 out of 5")).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and ticket.rating.score == 5

    # --- Mia sees it in the report and downloads both CSVs ----------------------------------
    mia = new_page()
    sign_in(mia, "mia@example.com")
    mia.get_by_role("link", name="Reports").click()
    expect(mia.get_by_text("1 ticket reported between")).to_be_visible()
    by_agent = mia.locator("section", has=mia.get_by_role("heading", name="By agent"))
    expect(by_agent.get_by_role("row", name=re.compile("Alex Agent"))).to_be_visible()

    name, summary = download(mia, "Summary CSV")
    assert name.startswith("helpdesk-summary-") and name.endswith(".csv")
    by_metric = {row[0]: row for row in csv.reader(io.StringIO(summary))}
    assert by_metric["tickets"][1] == "1" and by_metric["resolution"][1] == "1", summary
    name, tickets = download(mia, "Tickets CSV")
    assert name.startswith("helpdesk-tickets-") and name.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(tickets)))
    assert [row["reference"] for row in rows] == [reference], tickets

    # --- Nick, another customer, tries Carla's ticket ---------------------------------------
    nick = new_page()
    sign_in(nick, "nick@example.com")
    response = nick.goto(ticket_url)
    assert response.status == 404
    expect(nick.get_by_role("heading", name="Not found")).to_be_visible()
    expect(nick.get_by_text("VPN drops every few minutes")).to_have_count(0)
    nick.get_by_role("link", name="Back to my tickets").click()
    expect(nick.get_by_role("heading", name="My tickets")).to_be_visible()
