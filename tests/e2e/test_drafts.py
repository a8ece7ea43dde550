"""A reply typed when the session has run out is not lost: sending it leads to the sign-in
page, and signing in again leads back to the ticket page (never to the POST-only reply URL),
with the text back in the box. Sent, the draft is forgotten."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from accounts.models import Role
from accounts.services import user_create
from tickets import services
from tickets.models import Category, Comment
from tickets.status import Status

from .browsing import PASSWORD, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ANSWER = "Please restart the VPN client and tell me what the log says."
RESTORED = "Your unsent text was restored"


def expire_session(page: Page) -> None:
    """What an expired session looks like to the browser: no session cookie any more."""
    page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)


def drafts_kept(page: Page) -> list[str]:
    return page.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('helpdesk:draft:'))"
        ".map(k => JSON.parse(localStorage.getItem(k)).text)"
    )


def wait_for_draft(page: Page) -> None:
    """Until the typed text is kept (drafts.js saves a quarter second after the last key).
    Polled from here: the page's CSP forbids the eval that wait_for_function needs."""
    for _attempt in range(50):
        if drafts_kept(page):
            return
        page.wait_for_timeout(100)
    raise AssertionError("no draft was kept")


def sign_in_again(page: Page, email: str) -> None:
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label(re.compile(r"^Password\W*$")).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def ticket(db):
    vpn = Category.objects.create(name="VPN", description="Remote access")
    carla = user_create(email="carla@example.com", display_name="Carla Customer", password=PASSWORD)
    alex = user_create(
        email="alex@example.com", display_name="Alex Agent", role=Role.AGENT, password=PASSWORD
    )
    ticket = services.ticket_create(
        customer=carla,
        created_by=carla,
        subject="VPN drops every few minutes",
        description="Since this morning.",
        category=vpn,
    )
    services.ticket_take(ticket_id=ticket.pk, agent=alex)
    return ticket


def test_an_agents_reply_survives_an_expired_session(site, new_page, ticket):
    page = new_page()
    sign_in(page, "alex@example.com")
    page.goto(f"/agent/tickets/{ticket.pk}/")
    page.get_by_role("textbox", name="Message").fill(ANSWER)
    wait_for_draft(page)

    expire_session(page)
    page.get_by_role("button", name="Send to Carla Customer").click()
    sign_in_again(page, "alex@example.com")

    expect(page).to_have_url(re.compile(rf"/agent/tickets/{ticket.pk}/$"))
    expect(page.get_by_role("textbox", name="Message")).to_have_value(ANSWER)
    expect(page.get_by_role("status").filter(has_text=RESTORED)).to_be_visible()
    assert not Comment.objects.filter(ticket=ticket).exists()

    # Sent now; the draft is gone, and a reload shows an empty box.
    page.get_by_role("button", name="Send to Carla Customer").click()
    expect(page.get_by_text("Reply sent to the customer")).to_be_visible()
    assert drafts_kept(page) == []
    page.reload()
    expect(page.get_by_role("textbox", name="Message")).to_have_value("")
    assert Comment.objects.get(ticket=ticket).body == ANSWER
    ticket.refresh_from_db()
    assert ticket.status == Status.ASSIGNED


def test_a_draft_survives_a_reload_and_can_be_discarded(site, new_page, ticket):
    page = new_page()
    sign_in(page, "alex@example.com")
    page.goto(f"/agent/tickets/{ticket.pk}/")
    page.get_by_role("textbox", name="Message").fill("Half a thought")
    wait_for_draft(page)

    page.reload()
    expect(page.get_by_role("textbox", name="Message")).to_have_value("Half a thought")
    page.get_by_role("button", name="Discard the draft").click()

    expect(page.get_by_role("textbox", name="Message")).to_have_value("")
    assert drafts_kept(page) == []


def test_a_customers_reply_survives_an_expired_session(site, new_page, ticket):
    page = new_page()
    sign_in(page, "carla@example.com")
    page.goto(f"/tickets/{ticket.pk}/")
    page.get_by_role("textbox", name="Your reply").fill("It dropped again at 10:14.")
    wait_for_draft(page)

    expire_session(page)
    page.get_by_role("button", name="Send reply").click()
    sign_in_again(page, "carla@example.com")

    expect(page).to_have_url(re.compile(rf"/tickets/{ticket.pk}/$"))
    expect(page.get_by_role("textbox", name="Your reply")).to_have_value(
        "It dropped again at 10:14."
    )
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Your reply has been sent.")).to_be_visible()
    assert drafts_kept(page) == []
