"""`/metrics` for Prometheus: django-prometheus's request metrics and the help desk's gauges.

Only for the addresses in METRICS_ALLOWED_IPS (single addresses or networks) or a request
with `Authorization: Bearer <METRICS_TOKEN>`; anyone else gets 404, as for a page that does
not exist. The gauges are computed at scrape time (tickets.gauges), never in a request of
anyone else's.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time

import redis
from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from tickets import gauges

from .celery import app as celery_app
from .security_log import client_ip

log = logging.getLogger(__name__)

CELERY_QUEUES = ("celery",)  # the Redis lists Celery's queues live in
GAUGES_KEY = "helpdesk-gauges"


def shared_figures() -> gauges.Figures:
    """The gauges, computed by whichever scrape first finds them older than
    METRICS_GAUGE_SECONDS: with several nodes scraped every few seconds the database counts
    once per period, not once per node and scrape. 0: computed at every scrape."""
    if settings.METRICS_GAUGE_SECONDS <= 0:
        return gauges.figures_read()
    cache = caches[settings.METRICS_CACHE]
    try:
        figures = cache.get(GAUGES_KEY)
    except Exception:  # Redis down: the scrape still answers, from the database
        log.warning("metrics: the cache did not answer")
        return gauges.figures_read()
    if figures is None:
        figures = gauges.figures_read()
        try:
            cache.set(GAUGES_KEY, figures, timeout=settings.METRICS_GAUGE_SECONDS)
        except Exception:
            log.warning("metrics: the cache did not answer")
    return figures


def allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.META.get("HTTP_AUTHORIZATION", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


def celery_queue_lengths() -> dict[str, int] | None:
    """The tasks waiting in each queue of a Redis broker; None without one or when it does
    not answer (the scrape goes on without them)."""
    url = celery_app.conf.broker_url or ""
    if not url.startswith(("redis://", "rediss://")):
        return None
    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        return {queue: int(client.llen(queue)) for queue in CELERY_QUEUES}
    except redis.RedisError:
        log.warning("metrics: the broker did not answer")
        return None
    finally:
        client.close()


class HelpdeskCollector:
    """The help desk's gauges, read afresh at each collection."""

    def collect(self):
        started = time.perf_counter()
        figures = shared_figures()
        yield GaugeMetricFamily(
            "helpdesk_outbox_backlog",
            "Notifications not yet handed to the mail server (pending or being sent).",
            value=figures.outbox_backlog,
        )
        yield GaugeMetricFamily(
            "helpdesk_outbox_oldest_age_seconds",
            "Age of the oldest notification not yet delivered (0 when none waits).",
            value=figures.outbox_oldest_age,
        )
        open_tickets = GaugeMetricFamily(
            "helpdesk_open_tickets", "Unfinished tickets per status.", labels=["status"]
        )
        for status, count in figures.open_tickets.items():
            open_tickets.add_metric([status], count)
        yield open_tickets
        yield GaugeMetricFamily(
            "helpdesk_sla_breaches_last_hour",
            "SLA targets breached within the last hour (breach alerts due in it).",
            value=figures.sla_breaches_last_hour,
        )
        yield GaugeMetricFamily(
            "helpdesk_report_snapshot_age_seconds",
            "Age of the stalest report snapshot still kept fresh (0 when there is none).",
            value=figures.report_snapshot_age,
        )
        if figures.inbound_last_message_age is not None:
            yield GaugeMetricFamily(
                "helpdesk_inbound_last_message_age_seconds",
                "Time since the newest inbound e-mail was received.",
                value=figures.inbound_last_message_age,
            )
        queues = celery_queue_lengths()
        if queues is not None:
            lengths = GaugeMetricFamily(
                "helpdesk_celery_queue_length", "Tasks waiting in the broker.", labels=["queue"]
            )
            for queue, length in queues.items():
                lengths.add_metric([queue], length)
            yield lengths
        yield GaugeMetricFamily(
            "helpdesk_gauges_seconds",
            "Time this scrape spent on the help desk's gauges (or fetching them shared).",
            value=time.perf_counter() - started,
        )


HELPDESK_REGISTRY = CollectorRegistry(auto_describe=False)
HELPDESK_REGISTRY.register(HelpdeskCollector())


def _process_registry() -> CollectorRegistry:
    """django-prometheus's metrics: this process's, or (gunicorn with several workers and
    PROMETHEUS_MULTIPROC_DIR set) every worker's, merged."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return registry
    return REGISTRY


def metrics(request: HttpRequest) -> HttpResponse:
    if request.method != "GET" or not allowed(request):
        # Plain, not the site's 404 page: ProbeMiddleware answers before sessions and users.
        return HttpResponseNotFound(b"", content_type="text/plain")
    body = generate_latest(_process_registry()) + generate_latest(HELPDESK_REGISTRY)
    response = HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
