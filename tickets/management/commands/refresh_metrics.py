from django.core.management.base import BaseCommand
from tqdm import tqdm

from tickets import metrics
from tickets.models import Ticket
from tickets.status import ACTIVE_STATUSES


class Command(BaseCommand):
    help = (
        "Recompute every ticket's metrics and SLA due time from its history, e.g. after "
        "changing the SLA policies or the working calendar."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument("--active-only", action="store_true", help="only unfinished tickets")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, batch_size, active_only, no_progress, **options):
        tickets = Ticket.objects.all()
        if active_only:
            tickets = tickets.filter(status__in=ACTIVE_STATUSES)
        ids = list(tickets.order_by("pk").values_list("pk", flat=True))
        with tqdm(total=len(ids), unit="ticket", disable=True if no_progress else None) as bar:
            for start in range(0, len(ids), batch_size):
                batch = ids[start : start + batch_size]
                bar.update(metrics.refresh_in_batches(batch, batch_size=batch_size))
        self.stdout.write(self.style.SUCCESS(f"Recomputed the metrics of {len(ids)} tickets."))
