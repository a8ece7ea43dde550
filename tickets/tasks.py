"""Celery tasks: thin wrappers that take ids and call services."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction

from helpdesk import broker

from . import delivery, metrics, routing, sla_alerts, uploads
from .reports import digests as report_digests
from .reports import snapshots as report_snapshots
from .rules import automations

log = logging.getLogger(__name__)


# No broker-side retries: a failed attempt sets the row's next try, and the relay hands it
# over when that comes (tickets/delivery.py). The time limits are the global ones: the soft
# limit (CELERY_TASK_SOFT_TIME_LIMIT, above EMAIL_TIMEOUT) ends an attempt as a temporary
# failure; the hard one stops a worker stuck past that, and the row is taken over later.
@shared_task(name="tickets.deliver_notification", acks_late=True)
def deliver_notification(notification_id: int) -> bool:
    return delivery.deliver(notification_id=notification_id)


def enqueue_safely(task, *args, what: str, then: str) -> bool:
    """Hand work whose durable record is already committed to a worker. Never fails the
    request that asked, nor makes it wait: if the broker is down, slow, or this request has
    spent its budget (helpdesk.broker), `then` (a beat task) picks the record up.
    Returns whether the broker took it."""
    try:
        taken = broker.publish(task, *args)
    except Exception as error:  # the broker's errors vary by transport; none may fail a request
        log.warning("could not enqueue %s (%s); %s will", what, error, then)
        return False
    if not taken:
        log.debug("did not try to enqueue %s (broker paused or budget spent); %s will", what, then)
    return taken


def enqueue_delivery(notification_id: int) -> None:
    """Hand a committed outbox row to a worker (the relay sends it if the broker is down)."""
    what = f"notification {notification_id}"
    enqueue_safely(deliver_notification, notification_id, what=what, then="the relay")


@shared_task(name="tickets.relay_notifications", time_limit=120)
def relay_notifications() -> int:
    """Hand over outbox rows that were committed but never reached a worker (the broker was
    down at commit), whose retry time has come, or whose worker died mid-send."""
    owed = delivery.owed(older_than=timedelta(minutes=1))
    for notification_id in owed:
        enqueue_delivery(notification_id)
    return len(owed)


@shared_task(name="tickets.auto_close_resolved", time_limit=600)
def auto_close_resolved() -> int:
    return automations.auto_close()


@shared_task(name="tickets.run_automations", time_limit=300)
def run_automations() -> int:
    return automations.run_all()


@shared_task(name="tickets.routing_retry", time_limit=120)
def routing_retry() -> int:
    """Offer waiting tickets to agents with room, should an offer have been missed."""
    return routing.retry_waiting()


@shared_task(name="tickets.sla_check", time_limit=600)
def sla_check() -> int:
    return len(sla_alerts.check())


@shared_task(name="tickets.build_report_snapshot", time_limit=600, soft_time_limit=540)
def build_report_snapshot(key: str) -> bool:
    return report_snapshots.build(key=key)


@shared_task(name="tickets.refresh_report_snapshots", time_limit=120)
def refresh_report_snapshots() -> int:
    return report_snapshots.refresh_stale()


@shared_task(name="tickets.send_report_digests", time_limit=600)
def send_report_digests() -> int:
    return report_digests.send_due()


@shared_task(name="tickets.sweep_orphaned_files", time_limit=1800)
def sweep_orphaned_files() -> int:
    return len(uploads.sweep_orphans(older_than=timedelta(days=1)))


@shared_task(name="tickets.refresh_due_times", time_limit=1800)
def refresh_due_times(priorities: list[str] | None = None) -> int:
    return metrics.refresh_due_times(priorities=priorities)


def refresh_due_times_after_commit(*, priorities: list[str] | None = None) -> None:
    """An SLA policy or the calendar is changing: once that commits, recompute the unfinished
    tickets' due times in a worker. With the broker down this process does it, so that no
    ticket keeps a stale due time."""

    def enqueue() -> None:
        what = "the due-time refresh"
        if not enqueue_safely(refresh_due_times, priorities, what=what, then="this process"):
            metrics.refresh_due_times(priorities=priorities)

    transaction.on_commit(enqueue)


@shared_task(name="tickets.fetch_inbound_mail", time_limit=600, soft_time_limit=540)
def fetch_inbound_mail() -> int:
    """Receive what waits in the IMAP mailbox (INBOUND_IMAP_URL), if one is configured."""
    if not settings.INBOUND_IMAP_URL:
        return 0
    from .inbound import imap

    fetched = imap.fetch()
    if fetched.total:
        log.info("inbound mail: %s", fetched.counts)
    return fetched.total
