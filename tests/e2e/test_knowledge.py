"""The knowledge base in a browser: an anonymous visitor searches and reads; a customer typing
"vpn drops" is offered the VPN article and leaves without writing (deflected); an agent links
an article in a reply and writes an article from a ticket. Photographs the help centre at
desktop and phone width, light and dark, with no serious accessibility problem."""

import re
import struct
import zlib

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from accounts.services import user_create
from knowledge import reports, services
from knowledge.models import Article, ArticleLink, Visibility
from tickets import services as ticket_services
from tickets.models import Category
from tickets.status import Status

from .browsing import (
    BLOCKING_IMPACTS,
    DESKTOP,
    DOCS_SCREENSHOTS,
    PASSWORD,
    PHONE,
    axe_violations,
    describe,
    screenshot,
    sign_in,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

VPN_TEXT = """If the VPN drops every hour, update your profile.

## Update the profile

1. Open the VPN client.
2. Choose **Settings → Profiles → Update**.
3. Reconnect.
"""


@pytest.fixture
def people_and_articles(site):
    vpn = Category.objects.create(name="VPN", description="Remote access")
    agent = user_create(
        email="alex@example.com", display_name="Alex Agent", role=Role.AGENT, password=PASSWORD
    )
    carla = user_create(email="carla@example.com", display_name="Carla Customer", password=PASSWORD)
    article = services.article_create(
        by=agent,
        title="VPN drops every few minutes",
        body_markdown=VPN_TEXT,
        category=vpn,
        tags="vpn, drops",
        publish=True,
    )
    services.article_create(
        by=agent,
        title="VPN gateway runbook",
        body_markdown="Restart vpn-gw-2.",
        category=vpn,
        visibility=Visibility.STAFF,
        publish=True,
    )
    return {"vpn": vpn, "agent": agent, "carla": carla, "article": article}


def test_an_anonymous_visitor_searches_and_reads_an_article(people_and_articles, new_page):
    blocking = {}
    for look, viewport, scheme in [
        ("desktop", DESKTOP, "light"),
        ("phone", PHONE, "light"),
        ("desktop-dark", DESKTOP, "dark"),
        ("phone-dark", PHONE, "dark"),
    ]:
        page = new_page(viewport=viewport, color_scheme=scheme)
        page.goto("/help/")
        expect(page.get_by_role("heading", level=1)).to_have_text("How can we help?")
        page.get_by_role("searchbox", name="Search the help centre").fill("vpn drops")
        page.get_by_role("button", name="Search").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("vpn drops")
        expect(page.locator("mark").first).to_be_visible()
        assert "runbook" not in page.content()
        page.get_by_role("link", name="VPN drops every few minutes").click()
        expect(page.get_by_role("heading", name="Update the profile")).to_be_visible()
        path = screenshot(page, f"help-article-{look}")
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path.replace(DOCS_SCREENSHOTS / f"help-article-{look}.png")
        violations = axe_violations(page, rules=["color-contrast"] if "dark" in look else None)
        serious = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        if serious:
            blocking[look] = describe(serious)
        page.get_by_role("button", name="Yes").click()
        expect(page.get_by_text("Thank you")).to_be_visible()
        page.goto("/help/")
        screenshot(page, f"help-home-{look}").replace(DOCS_SCREENSHOTS / f"help-{look}.png")
    assert not blocking, blocking
    assert people_and_articles["article"].feedback.filter(helpful=True).count() == 4


def test_a_customer_typing_vpn_drops_is_offered_the_article_and_leaves(
    people_and_articles, new_page
):
    page = new_page()
    sign_in(page, "carla@example.com")
    page.goto("/tickets/new/")
    page.get_by_label("Subject").press_sequentially("vpn drops", delay=30)
    suggestion = page.locator("[data-kb-suggestions]").get_by_role(
        "link", name="VPN drops every few minutes"
    )
    expect(suggestion).to_be_visible()
    suggestion.click()
    expect(page.get_by_role("heading", name="VPN drops every few minutes")).to_be_visible()
    page.goto("/tickets/")  # solved: back to her tickets, nothing sent

    from datetime import timedelta

    from django.utils import timezone

    figures = reports.deflection(
        timezone.now() - timedelta(days=1), timezone.now() + timedelta(days=1)
    )
    assert (figures["total"], figures["deflected"], figures["viewed_and_left"]) == (1, 1, 1)


def test_an_agent_links_an_article_and_writes_one_from_a_ticket(people_and_articles, new_page):
    carla, agent, vpn = (people_and_articles[k] for k in ("carla", "agent", "vpn"))
    ticket = ticket_services.ticket_create(
        customer=carla,
        created_by=carla,
        subject="VPN keeps disconnecting",
        description="Every hour.",
        category=vpn,
    )
    ticket_services.ticket_take(ticket_id=ticket.pk, agent=agent)
    page = new_page()
    sign_in(page, "alex@example.com")
    page.goto(f"/agent/tickets/{ticket.pk}/")
    composer = page.locator("[data-kb-composer]")
    composer.get_by_role("searchbox").fill("vpn drops")
    composer.get_by_role("button", name="Find").click()
    composer.get_by_role("button", name="Insert link").first.click()
    body = page.get_by_role("textbox", name="Message")
    expect(body).to_have_value(re.compile(r"/help/vpn-drops-every-few-minutes/"))
    expect(composer).not_to_contain_text("runbook")  # internal: never offered for a reply
    page.get_by_role("button", name=re.compile("^✉ Send to")).click()
    expect(page.get_by_role("status")).to_be_visible()
    assert ArticleLink.objects.filter(article=people_and_articles["article"]).count() == 1

    from tickets import workflow

    workflow.transition(ticket_id=ticket.pk, to=Status.IN_PROGRESS, actor=agent)
    workflow.transition(
        ticket_id=ticket.pk, to=Status.RESOLVED, actor=agent, note="Moved her to gateway 3."
    )
    page.goto(f"/agent/tickets/{ticket.pk}/")
    page.get_by_role("link", name="Create an article from this ticket").click()
    expect(page.get_by_label("Text")).to_have_value(re.compile("Moved her to gateway 3."))
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", name="VPN keeps disconnecting")).to_be_visible()
    assert Article.objects.get(source_ticket=ticket).status == "draft"


def png_pixel() -> bytes:
    """A real one-pixel PNG (a browser decodes it), written out chunk by chunk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x20\x60\xc0")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_an_agent_puts_an_image_in_an_article_that_readers_see(
    people_and_articles, new_page, tmp_path
):
    article = people_and_articles["article"]
    picture = tmp_path / "vpn-settings.png"
    picture.write_bytes(png_pixel())
    page = new_page()
    sign_in(page, "alex@example.com")
    page.goto(f"/help/staff/{article.pk}/edit/")
    page.get_by_label("Images").set_input_files(str(picture))
    page.get_by_role("button", name="Attach images").click()
    expect(page.get_by_text("vpn-settings.png")).to_be_visible()
    body = page.get_by_label("Text")
    body.focus()
    body.press("Control+End")
    page.get_by_role("button", name="Insert in the text").click()
    expect(body).to_have_value(re.compile(r"!\[vpn-settings\]\(/help/images/[0-9]+/\)"))
    page.get_by_role("button", name="Save and publish").click()
    expect(page.get_by_role("heading", name="VPN drops every few minutes")).to_be_visible()

    reader = new_page()
    reader.goto(f"/help/{article.slug}/")
    shown = reader.locator(".kb-body img[alt=vpn-settings]")
    expect(shown).to_be_visible()
    assert shown.evaluate("image => image.complete && image.naturalWidth") == 1
