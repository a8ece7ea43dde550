"""Demo articles for seed_demo: a few per demo service, most public, some for customers only,
one internal runbook each; some resolved tickets answered with a link to one."""

from __future__ import annotations

import random

from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from accounts.models import STAFF_ROLES, User
from tickets.demo.content import SERVICES, Service
from tickets.models import Category, Comment, Ticket
from tickets.status import Status

from . import services
from .models import Article, Visibility

LINKED_TICKETS = 40

# The richest article: the one the demo's customers most often need.
VPN_DROPS = """If your VPN connection drops every few minutes or every hour, it is almost
always one of three things. Work through them in order.

## 1. Your VPN profile is out of date

1. Open the VPN client and choose **Settings → Profiles**.
2. Click **Update profile**. You need to be on the office network or connected once.
3. Reconnect.

## 2. Your certificate is about to expire

The client drops the connection when the certificate has less than a day left. Look at
**Settings → Certificate**: if the date is today or tomorrow, ask us for a new one.

## 3. Wi-Fi power saving

Laptops on battery switch the Wi-Fi card to power saving, which the VPN sees as a dropped
line. Plug in the charger, or turn off *Allow the computer to turn off this device to save
power* for the Wi-Fi adapter.

Still dropping? Report a problem and attach the file `vpn-client.log` from your Documents
folder.
"""


def _body(service: Service, description: str, fix: str) -> str:
    return "\n\n".join(
        [
            f"**What you see:** {description}",
            "## Try this first",
            "1. Sign out and in again, or restart the application.\n"
            "2. Restart your computer if it has been running for days.\n"
            f"3. Check the status page of **{service.name}** for a known outage.",
            "## What the help desk does",
            f"{fix} If the steps above do not help, report a problem and say which ones you "
            "tried: it saves a round trip.",
        ]
    )


def _runbook(service: Service) -> str:
    fixes = "\n".join(f"- {fix}" for fix in service.fixes)
    return (
        f"Internal notes for **{service.name}** tickets. Do not link this for customers.\n\n"
        f"## Fixes that worked\n\n{fixes}\n\n## Escalation\n\n"
        "Second level on call: see the rota in the team channel. Priority *urgent* only when "
        "more than one person is affected."
    )


def seed_articles(rng: random.Random) -> int:
    """Write the demo articles unless some exist; returns how many were written."""
    if Article.objects.exists():
        return 0
    author = User.objects.filter(role="manager").order_by("pk").first()
    if author is None:
        return 0
    written = 0
    for service in SERVICES:
        category = Category.objects.filter(name=service.name).first()
        for index, (subject, description) in enumerate(service.problems):
            fix = service.fixes[index % len(service.fixes)]
            body = VPN_DROPS if subject == "VPN drops every few minutes" else None
            services.article_create(
                by=author,
                title=subject,
                body_markdown=body or _body(service, description, fix),
                category=category,
                tags=", ".join([service.name.lower(), *subject.lower().split()[:2]]),
                visibility=Visibility.CUSTOMERS if index == 4 else Visibility.PUBLIC,
                publish=index != 5,  # one draft per service
            )
            written += 1
        services.article_create(
            by=author,
            title=f"{service.name}: runbook for agents",
            body_markdown=_runbook(service),
            category=category,
            tags=f"{service.name.lower()}, runbook, internal",
            visibility=Visibility.STAFF,
            publish=True,
        )
        written += 1
    _link_from_tickets(rng)
    return written


def _link_from_tickets(rng: random.Random) -> None:
    """Some resolved tickets' last public reply from staff ends with a link to the article on
    their subject (counted as an agent's link). The reply is amended, not added: the demo's
    conversations keep their shape (versions, first response, number of messages)."""
    articles = {a.title: a for a in Article.objects.filter(visibility=Visibility.PUBLIC)}
    tickets = list(
        Ticket.objects.filter(
            Q(status=Status.RESOLVED) | Q(status=Status.CLOSED), subject__in=list(articles)
        )
        .order_by("pk")
        .values_list("pk", "subject")[: LINKED_TICKETS * 3]
    )
    for ticket_id, subject in rng.sample(tickets, min(LINKED_TICKETS, len(tickets))):
        reply = (
            Comment.objects.filter(
                ticket_id=ticket_id, is_internal=False, author__role__in=STAFF_ROLES
            )
            .select_related("author")
            .order_by("-created_at", "-id")
            .first()
        )
        if reply is None:
            continue
        url = settings.SITE_URL.rstrip("/") + reverse("help:article", args=[articles[subject].slug])
        reply.body = f"{reply.body}\n\nFor next time, this article walks through it: {url}"
        Comment.objects.filter(pk=reply.pk).update(body=reply.body)
        services.links_record(comment=reply)
