"""A provider posting mail to us: only with our secret and its signature, then like any mail."""

import base64
import hashlib
import hmac

import pytest
from django.urls import reverse

from tickets.models import InboundMessage, Ticket

from .conftest import mail

SIGNING_KEY = "mailgun-signing-key"
SECRET = "provider:s3cret-webhook-password"


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}


def basic(credentials: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(credentials.encode()).decode()}


def mailgun_form(raw: bytes, *, key: str = SIGNING_KEY) -> dict[str, str]:
    timestamp, token = "1764590000", "a" * 50
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256)
    return {
        "body-mime": raw.decode(),
        "timestamp": timestamp,
        "token": token,
        "signature": signature.hexdigest(),
        "recipient": "support@helpdesk.example",
        "sender": "carla@example.com",
    }


@pytest.mark.django_db
def test_a_signed_mailgun_post_with_our_secret_makes_a_ticket(client, customer):
    url = reverse("inbound_mailgun")

    response = client.post(url, mailgun_form(mail(subject="From Mailgun")), **basic(SECRET))

    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.subject == "From Mailgun" and ticket.customer == customer
    assert InboundMessage.objects.get().source == InboundMessage.Source.WEBHOOK


@pytest.mark.django_db
def test_the_same_mail_posted_twice_makes_one_ticket(client, customer):
    form = mailgun_form(mail())
    for _ in range(2):
        client.post(reverse("inbound_mailgun"), form, **basic(SECRET))

    assert Ticket.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("credentials", "key"),
    [
        (None, SIGNING_KEY),
        ("provider:wrong", SIGNING_KEY),
        (SECRET, "someone-elses-key"),
    ],
)
def test_a_post_without_our_secret_or_the_signature_makes_nothing(client, credentials, key):
    headers = basic(credentials) if credentials else {}

    response = client.post(reverse("inbound_mailgun"), mailgun_form(mail(), key=key), **headers)

    assert response.status_code in {400, 403}
    assert Ticket.objects.count() == 0
    assert InboundMessage.objects.count() == 0


@pytest.mark.django_db
def test_with_no_secret_configured_nothing_gets_in(client, settings):
    from helpdesk import settings as configured

    settings.ANYMAIL = configured.ANYMAIL  # the defaults: secrets nobody knows

    response = client.post(reverse("inbound_mailgun"), mailgun_form(mail()), **basic(SECRET))

    assert response.status_code in {400, 403}
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_a_postmark_post_with_our_secret_makes_a_ticket(client, customer):
    payload = {
        "FromFull": {"Email": "carla@example.com", "Name": "Carla Customer"},
        "ToFull": [{"Email": "support@helpdesk.example", "Name": ""}],
        "Subject": "From Postmark",
        "MessageID": "22c74902-a0c1-4511-804f-341342852c90",
        "TextBody": "The printer is on fire.",
        "Headers": [{"Name": "Message-ID", "Value": "<pm-1@mail.example.com>"}],
    }

    response = client.post(
        reverse("inbound_postmark"), payload, content_type="application/json", **basic(SECRET)
    )

    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.subject == "From Postmark"
    assert ticket.description == "The printer is on fire."


@pytest.mark.django_db
def test_a_managers_session_is_no_secret(client, manager):
    client.force_login(manager)

    response = client.post(reverse("inbound_mailgun"), mailgun_form(mail()))

    assert response.status_code == 400
    assert Ticket.objects.count() == 0
