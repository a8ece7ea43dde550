"""SLA alerting: warn before a ticket's response or resolution target is missed, and again
when it is (run by the `tickets.sla_check` beat task every five minutes)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import metrics, notifications
from .models import SlaAlert, Ticket, TicketMetrics
from .status import ACTIVE_STATUSES

REFRESH_BATCH = 1000


def check(*, now: datetime | None = None) -> list[SlaAlert]:
    """Warn before an SLA target is missed and again when it is, once each per ticket.

    Refreshes the clocks of the unfinished tickets whose next target falls within the
    warning window, then writes an SlaAlert (unique per ticket, target and kind) and its
    notifications for each target now due soon or past due.
    """
    now = now or timezone.now()
    horizon = now + timedelta(minutes=settings.SLA_WARNING_MINUTES)
    near = list(
        Ticket.objects.filter(status__in=ACTIVE_STATUSES, sla_due_at__lte=horizon).values_list(
            "pk", flat=True
        )
    )
    metrics.refresh_in_batches(near, batch_size=REFRESH_BATCH, now=now)
    alerts = []
    rows = TicketMetrics.objects.filter(
        Q(response_due_at__lte=horizon) | Q(resolution_due_at__lte=horizon),
        status__in=ACTIVE_STATUSES,
    ).select_related("ticket__assignee")
    for row in rows:
        for target, due in (
            (SlaAlert.Target.RESPONSE, row.response_due_at),
            (SlaAlert.Target.RESOLUTION, row.resolution_due_at),
        ):
            if due is None or due > horizon:
                continue
            kind = SlaAlert.Kind.BREACH if due <= now else SlaAlert.Kind.WARNING
            with transaction.atomic():
                alert, created = SlaAlert.objects.get_or_create(
                    ticket=row.ticket, target=target, kind=kind, defaults={"due_at": due}
                )
                if created:
                    notifications.sla_alert(alert)
                    alerts.append(alert)
    return alerts
