"""The help desk's own operating figures, read at each Prometheus scrape (helpdesk.metrics).

Each is one query answered from a small partial index, or from a small table, so that a scrape
stays a few milliseconds however many tickets there are (README, "Metrics"): the outbox's
unsent rows (notification_unsent_idx), unfinished tickets (ticket_active_status_prio_idx, an
index-only scan), breach alerts (sla_alert_breach_due_idx), snapshots (a table of one row per
report someone looks at), the newest inbound message (the index on received_at).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, Min
from django.utils import timezone

from .models import InboundMessage, Notification, ReportSnapshot, SlaAlert, Ticket
from .reports.snapshots import KEEP_REFRESHING
from .status import ACTIVE_STATUSES

SLA_BREACH_WINDOW = timedelta(hours=1)
UNSENT = [Notification.State.PENDING, Notification.State.SENDING]


@dataclass(frozen=True)
class Figures:
    outbox_backlog: int
    outbox_oldest_age: float  # seconds; 0 when nothing waits
    open_tickets: dict[str, int] = field(default_factory=dict)  # per unfinished status
    sla_breaches_last_hour: int = 0
    report_snapshot_age: float = 0.0  # seconds: the stalest snapshot still kept fresh
    inbound_last_message_age: float | None = None  # None: the e-mail channel is off


def _age(moment: datetime | None, now: datetime) -> float:
    return max((now - moment).total_seconds(), 0.0) if moment else 0.0


def inbound_channel_on() -> bool:
    return bool(settings.INBOUND_ADDRESS or settings.INBOUND_IMAP_URL)


def figures_read(*, now: datetime | None = None) -> Figures:
    now = now or timezone.now()
    outbox = Notification.objects.filter(state__in=UNSENT).aggregate(
        backlog=Count("*"), oldest=Min("created_at")
    )
    open_tickets = dict.fromkeys((str(status) for status in ACTIVE_STATUSES), 0)
    per_status = (
        Ticket.objects.filter(status__in=ACTIVE_STATUSES)
        .order_by()
        .values_list("status")
        .annotate(count=Count("*"))
    )
    open_tickets.update(dict(per_status))
    breaches = SlaAlert.objects.filter(
        kind=SlaAlert.Kind.BREACH, due_at__gt=now - SLA_BREACH_WINDOW, due_at__lte=now
    ).count()
    stalest = ReportSnapshot.objects.filter(
        requested_at__gte=now - KEEP_REFRESHING, computed_at__isnull=False
    ).aggregate(stalest=Min("computed_at"))["stalest"]
    inbound_age = None
    if inbound_channel_on():
        newest = InboundMessage.objects.aggregate(newest=Max("received_at"))["newest"]
        inbound_age = _age(newest, now)
    return Figures(
        outbox_backlog=outbox["backlog"],
        outbox_oldest_age=_age(outbox["oldest"], now),
        open_tickets=open_tickets,
        sla_breaches_last_hour=breaches,
        report_snapshot_age=_age(stalest, now),
        inbound_last_message_age=inbound_age,
    )
