"""API test helpers: a client per persona, files in a temporary folder, generous throttles."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from tickets import services
from tickets.status import Status

GENEROUS = {"anon": "100000/minute", "user": "100000/minute"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def generous_throttles(settings):
    """High rates and fresh counters in every test, so that no test trips over another's
    requests; test_throttling lowers the rates on purpose."""
    settings.CACHES = {
        **settings.CACHES,
        settings.API_THROTTLE_CACHE: {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"throttle-{uuid.uuid4().hex}",
        },
    }
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": GENEROUS}


def api_url(name: str, *args) -> str:
    return reverse(f"api:{name}", args=args)


def client_for(user=None) -> APIClient:
    """Signed in by session (as the browser is), or anonymous for None."""
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def api():
    return client_for


def upload(
    name: str = "screenshot.png", content: bytes = b"\x89PNG fake image"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


@pytest.fixture
def worked_ticket(make_ticket, customer, agent):
    """Carla's ticket in progress with Alex: a public reply with a file from her, an internal
    note with a file from him."""
    ticket = make_ticket(Status.IN_PROGRESS)
    reply = services.comment_add(
        ticket_id=ticket.pk,
        author=customer,
        body="Here is the error I get.",
        attachments=[upload("error.png")],
    )
    note = services.comment_add(
        ticket_id=ticket.pk,
        author=agent,
        body="Looks like the certificate expired; the customer must not see this.",
        internal=True,
        attachments=[upload("server-log.txt", b"secret log")],
    )
    ticket.refresh_from_db()
    ticket.public_file = reply.attachments.get()
    ticket.internal_file = note.attachments.get()
    return ticket
