"""Every main page, photographed at desktop and phone widths and checked with axe-core.

A desk furnished like the demo (seed_demo) plus two tickets with a whole conversation, so the
pictures look like a day at work. The screenshots land in var/screenshots/ (a developer opens
them to look at the pages); the desktop ones of the portal, queue, agent ticket and report are
also written to docs/screenshots/ for the README.

axe runs on each page at both widths and in the dark theme: no serious or critical violation
may remain. The rest (moderate, minor) are written to var/screenshots/axe.txt.
"""

import io
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from tickets import services, workflow
from tickets.demo.people import DEMO_PASSWORD
from tickets.models import Category
from tickets.status import Priority, Status

from .browsing import (
    BLOCKING_IMPACTS,
    DESKTOP,
    DOCS_SCREENSHOTS,
    PHONE,
    SCREENSHOTS,
    axe_violations,
    describe,
    screenshot,
    sign_in,
)

# Sequences start again at 1, so the pictures show the same references on every run.
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True, reset_sequences=True),
]
README_HEIGHT = 1400  # the top of the page, at most this tall

CUSTOMER, AGENT, MANAGER = "customer1@example.com", "agent1@example.com", "manager@example.com"
# The README shows these four, at desktop width.
FOR_THE_README = {
    "my-tickets": "portal",
    "queue": "queue",
    "agent-ticket": "ticket",
    "report": "report",
}


def at(moment, step):
    """Do `step` as if it were `moment` (the clock stands still while it runs)."""
    with time_machine.travel(moment, tick=False):
        return step()


def furnish() -> dict[str, int]:
    """The demo desk, and two of customer1's tickets with a conversation each."""
    call_command("seed_demo", tickets=150, no_progress=True, stdout=io.StringIO())
    ben = User.objects.get(email=CUSTOMER)
    alex = User.objects.get(email=AGENT)
    now = timezone.now().replace(second=0, microsecond=0)
    day = timedelta(days=1)

    wifi = at(
        now - 3 * day,
        lambda: services.ticket_create(
            customer=ben,
            created_by=ben,
            subject="Laptop will not join the office Wi-Fi",
            description=(
                "Since Monday my laptop does not connect to the office Wi-Fi. At home it works. "
                "I restarted it twice."
            ),
            category=Category.objects.get(name="Laptop & hardware"),
            attachments=[SimpleUploadedFile("wlan-report.txt", b"netsh wlan show wlanreport")],
        ),
    )
    steps = [
        (timedelta(minutes=25), lambda: services.ticket_take(ticket_id=wifi.pk, agent=alex)),
        (
            timedelta(minutes=26),
            lambda: workflow.transition(ticket_id=wifi.pk, to=Status.IN_PROGRESS, actor=alex),
        ),
        (
            timedelta(minutes=31),
            lambda: workflow.transition(
                ticket_id=wifi.pk,
                to=Status.ON_HOLD,
                actor=alex,
                note="Which message does the laptop show when it fails to connect?",
            ),
        ),
        (
            timedelta(hours=22),
            lambda: services.comment_add(
                ticket_id=wifi.pk,
                author=ben,
                body="It says “Can't connect to this network”. The report is attached.",
                attachments=[SimpleUploadedFile("wifi-error.txt", b"Can't connect")],
            ),
        ),
        (
            timedelta(hours=22, minutes=20),
            lambda: services.comment_add(
                ticket_id=wifi.pk,
                author=alex,
                internal=True,
                body="The laptop's network certificate expired on Friday; re-issued it in Intune.",
            ),
        ),
        (
            timedelta(hours=22, minutes=40),
            lambda: workflow.transition(
                ticket_id=wifi.pk,
                to=Status.RESOLVED,
                actor=alex,
                note=(
                    "Your laptop's network certificate had expired. We issued a new one: "
                    "restart the laptop once and it connects again."
                ),
            ),
        ),
    ]
    for offset, step in steps:
        at(now - 3 * day + offset, step)

    drive = at(
        now - day,
        lambda: services.ticket_create(
            customer=ben,
            created_by=ben,
            subject="Shared drive asks for my password every morning",
            description="Every morning the S: drive asks for my password again.",
            category=Category.objects.get(name="Accounts & passwords"),
            priority=Priority.HIGH,
        ),
    )
    steps = [
        (timedelta(minutes=12), lambda: services.ticket_take(ticket_id=drive.pk, agent=alex)),
        (
            timedelta(minutes=13),
            lambda: workflow.transition(ticket_id=drive.pk, to=Status.IN_PROGRESS, actor=alex),
        ),
        (
            timedelta(minutes=20),
            lambda: services.comment_add(
                ticket_id=drive.pk,
                author=alex,
                body="Does it happen on the office network, over the VPN, or both?",
            ),
        ),
        (
            timedelta(hours=2),
            lambda: services.comment_add(
                ticket_id=drive.pk, author=ben, body="Both. It started after the last update."
            ),
        ),
        (
            timedelta(hours=2, minutes=30),
            lambda: services.comment_add(
                ticket_id=drive.pk,
                author=alex,
                internal=True,
                body="Cached credentials are cleared at logoff by the new policy. Ask Jonas.",
            ),
        ),
    ]
    for offset, step in steps:
        at(now - day + offset, step)
    return {"wifi": wifi.pk, "drive": drive.pk}


def picture_for_the_readme(page, name: str) -> None:
    """docs/screenshots/<name>.png: the top of the page, at most README_HEIGHT tall."""
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = min(page.evaluate("document.documentElement.scrollHeight"), README_HEIGHT)
    page.screenshot(
        path=DOCS_SCREENSHOTS / f"{name}.png",
        full_page=True,
        clip={"x": 0, "y": 0, "width": DESKTOP["width"], "height": height},
        animations="disabled",
    )


# name → (who, path, the heading that shows the page is the right one, expected status)
def main_pages(tickets: dict[str, int]) -> dict[str, tuple]:
    return {
        "login": (None, "/accounts/login/", "Sign in", 200),
        "sign-up": (None, "/accounts/signup/", "Create an account", 200),
        "my-tickets": (CUSTOMER, "/tickets/", "My tickets", 200),
        "new-ticket": (CUSTOMER, "/tickets/new/", "Report a problem", 200),
        "customer-ticket": (
            CUSTOMER,
            f"/tickets/{tickets['wifi']}/",
            "Laptop will not join the office Wi-Fi",
            200,
        ),
        "profile": (CUSTOMER, "/accounts/profile/", "Your profile", 200),
        "not-found": (CUSTOMER, f"/tickets/{tickets['drive'] + 1000}/", "Not found", 404),
        "queue": (AGENT, "/agent/", "Queue", 200),
        "agent-ticket": (
            AGENT,
            f"/agent/tickets/{tickets['drive']}/",
            "Shared drive asks for my password every morning",
            200,
        ),
        "report": (MANAGER, "/reports/", "Resolution times and service levels", 200),
        "dashboard": (MANAGER, "/reports/dashboard/", "Live dashboard", 200),
        "digests": (MANAGER, "/reports/digests/", "Report digests by e-mail", 200),
    }


def test_every_main_page_is_photographed_and_has_no_serious_accessibility_problem(site, new_page):
    pages = main_pages(furnish())
    people = {}  # one browser context per person and look (width, theme)
    sessions = {}  # who → cookies: each person signs in once
    blocking, notes = {}, []
    for look, viewport, scheme in [
        ("desktop", DESKTOP, "light"),
        ("phone", PHONE, "light"),
        ("dark", DESKTOP, "dark"),
    ]:
        for name, (who, path, heading, status) in pages.items():
            key = (who, look)
            if key not in people:
                people[key] = new_page(
                    viewport=viewport, color_scheme=scheme, storage_state=sessions.get(who)
                )
                if who and who not in sessions:
                    sign_in(people[key], who, DEMO_PASSWORD)
                    sessions[who] = people[key].context.storage_state()
            page = people[key]
            response = page.goto(path)
            assert response.status == status, (name, response.status)
            expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
            page.evaluate("document.activeElement?.blur()")  # no autofocus ring in pictures

            screenshot(page, f"{name}-{look}")
            if look == "desktop" and name in FOR_THE_README:
                picture_for_the_readme(page, FOR_THE_README[name])
            # The dark theme changes colours only: contrast is what can break there.
            violations = axe_violations(page, rules=["color-contrast"] if look == "dark" else None)
            serious = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
            if serious:
                blocking[f"{name} ({look})"] = describe(serious)
            if violations:
                notes.append(f"== {name} ({look})\n{describe(violations)}")

    (SCREENSHOTS / "axe.txt").write_text("\n".join(notes) or "No violations.\n")
    assert not blocking, "\n\n".join(f"{page}:\n{text}" for page, text in blocking.items())
