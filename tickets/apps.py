from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from anymail.signals import inbound

        from helpdesk import broker

        # Registers the builders of the ticket messages with the delivery engine.
        from . import notifications  # noqa: F401
        from .inbound import webhooks
        from .reports import digest_mail  # noqa: F401

        inbound.connect(webhooks.received, dispatch_uid="tickets.inbound.webhooks")
        broker.prepare()
