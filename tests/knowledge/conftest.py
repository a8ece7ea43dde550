"""Articles of every visibility and status, written through the services by Alex (agent)."""

import uuid

import pytest
from django.test import Client

from knowledge import services
from knowledge.models import Visibility


@pytest.fixture(autouse=True)
def fresh_throttles(settings):
    """Rate counters of the test's own: suggestions are throttled per user and address."""
    settings.CACHES = {
        **settings.CACHES,
        settings.API_THROTTLE_CACHE: {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"kb-{uuid.uuid4().hex}",
        },
    }


@pytest.fixture
def write(agent, category):
    """write(title, **fields) → an article by Alex, published unless publish=False."""

    def make(title: str, **fields):
        fields.setdefault("body_markdown", f"How to deal with {title.lower()}.")
        fields.setdefault("category", category)
        fields.setdefault("publish", True)
        return services.article_create(by=agent, title=title, **fields)

    return make


@pytest.fixture
def library(write):
    """One article per visibility, all about the VPN, plus a draft and an archived one."""
    public = write(
        "VPN drops every few minutes",
        body_markdown="If the **VPN drops** every hour, update the profile.",
        tags="vpn, drops",
    )
    customers = write(
        "VPN for customers: download the client",
        body_markdown="Customers download the VPN client from the portal.",
        visibility=Visibility.CUSTOMERS,
    )
    staff = write(
        "VPN gateway runbook",
        body_markdown="Restart the VPN gateway vpn-gw-2 with the secret console.",
        visibility=Visibility.STAFF,
    )
    draft = write("VPN draft about drops", publish=False)
    archived = write("VPN archived about drops")
    services.article_archive(article_id=archived.pk, by=archived.created_by)
    return {
        "public": public,
        "customers": customers,
        "staff": staff,
        "draft": draft,
        "archived": archived,
    }


def signed_in(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def clients(customer, agent, manager):
    return {
        "anonymous": Client(),
        "customer": signed_in(customer),
        "agent": signed_in(agent),
        "manager": signed_in(manager),
    }
