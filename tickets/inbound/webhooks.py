"""Mail that an e-mail provider posts to us (django-anymail's inbound webhooks, which check
the provider's signature and our basic-auth secret before anything reaches `receive()`)."""

from __future__ import annotations

from anymail.signals import AnymailInboundEvent
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from django.urls import path

from ..models import InboundMessage
from .service import receive

urlpatterns = [
    path("mailgun/", MailgunInboundWebhookView.as_view(), name="inbound_mailgun"),
    path("postmark/", PostmarkInboundWebhookView.as_view(), name="inbound_postmark"),
]


def received(sender, event: AnymailInboundEvent, esp_name: str, **kwargs) -> None:
    """Connected to anymail's `inbound` signal (TicketsConfig.ready). A database failure
    propagates, so the provider gets an error and delivers the message again later."""
    receive(event.message.as_bytes(), source=InboundMessage.Source.WEBHOOK)
