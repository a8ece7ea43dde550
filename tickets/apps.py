from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from anymail.signals import inbound

        from .inbound import webhooks

        inbound.connect(webhooks.received, dispatch_uid="tickets.inbound.webhooks")
