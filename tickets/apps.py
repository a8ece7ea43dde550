from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        # Registers the builders of the ticket messages with the delivery engine.
        from . import notifications  # noqa: F401
