"""/metrics for Prometheus (helpdesk.metrics, tickets.gauges): who may scrape, what it says."""

from datetime import timedelta
from ipaddress import ip_network

import pytest
from django.core.cache import caches
from django.db import connection
from django.utils import timezone

from helpdesk import metrics
from tickets import gauges
from tickets.models import InboundMessage, Notification, ReportSnapshot, SlaAlert
from tickets.status import Status

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests"


@pytest.fixture(autouse=True)
def metrics_settings(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_GAUGE_SECONDS = 0  # each test counts afresh
    settings.METRICS_ALLOWED_NETWORKS = [ip_network("10.0.0.0/8")]
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["helpdesk.example.com"]


def scrape(client, **extra):
    extra.setdefault("REMOTE_ADDR", "192.0.2.7")
    return client.get("/metrics", HTTP_HOST="10.1.2.3:8000", **extra)


def value(body: str, name: str) -> float:
    for line in body.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} not in the scrape")


def test_a_stranger_gets_404(client):
    assert scrape(client).status_code == 404


def test_a_wrong_token_gets_404(client):
    assert scrape(client, HTTP_AUTHORIZATION="Bearer wrong").status_code == 404


def test_a_forwarded_address_does_not_let_a_stranger_in(client):
    # No trusted proxy (API_NUM_PROXIES=0): X-Forwarded-For is the client's own word.
    assert scrape(client, HTTP_X_FORWARDED_FOR="10.0.0.5").status_code == 404


def test_a_signed_in_manager_is_no_scraper(client, manager):
    client.force_login(manager)
    assert scrape(client).status_code == 404


def test_the_token_lets_in(client):
    response = scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")


def test_an_allowed_network_lets_in_over_plain_http(client):
    response = scrape(client, REMOTE_ADDR="10.20.30.40")
    assert response.status_code == 200
    body = response.content.decode()
    assert "django_http_requests_total_by_method_total" in body  # django-prometheus
    assert "helpdesk_outbox_backlog" in body


def test_without_token_or_addresses_nobody_may_scrape(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    assert scrape(client, HTTP_AUTHORIZATION="Bearer ").status_code == 404
    assert scrape(client, REMOTE_ADDR="127.0.0.1").status_code == 404


def test_gauges_count_the_outbox_open_tickets_breaches_and_snapshots(client, make_ticket, settings):
    settings.INBOUND_ADDRESS = "support@example.com"
    now = timezone.now()
    make_ticket(Status.OPEN)
    make_ticket(Status.OPEN)
    on_hold = make_ticket(Status.ON_HOLD)
    make_ticket(Status.CLOSED)
    # Tickets made in the test's transaction: their notifications wait (on_commit never runs).
    unsent = Notification.objects.filter(state__in=gauges.UNSENT)
    Notification.objects.filter(pk=unsent.first().pk).update(created_at=now - timedelta(minutes=9))
    SlaAlert.objects.create(
        ticket=on_hold, target="response", kind="breach", due_at=now - timedelta(minutes=20)
    )
    SlaAlert.objects.create(
        ticket=on_hold, target="resolution", kind="breach", due_at=now - timedelta(hours=3)
    )
    ReportSnapshot.objects.create(
        key="k", filters={}, payload={}, computed_at=now - timedelta(minutes=4), requested_at=now
    )
    InboundMessage.objects.create(
        digest="d", source="imap", state="processed", received_at=now - timedelta(minutes=2)
    )

    body = scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()

    assert value(body, "helpdesk_outbox_backlog") == unsent.count() > 0
    assert value(body, "helpdesk_outbox_oldest_age_seconds") >= 9 * 60
    assert value(body, 'helpdesk_open_tickets{status="open"}') == 2
    assert value(body, 'helpdesk_open_tickets{status="on_hold"}') == 1
    assert value(body, 'helpdesk_open_tickets{status="in_progress"}') == 0
    assert "closed" not in body.split("helpdesk_open_tickets", 1)[1].split("# HELP")[0]
    assert value(body, "helpdesk_sla_breaches_last_hour") == 1
    assert value(body, "helpdesk_report_snapshot_age_seconds") >= 4 * 60
    assert value(body, "helpdesk_inbound_last_message_age_seconds") >= 2 * 60


def test_the_celery_queue_length_is_read_from_the_broker(client, private_broker):
    private_broker.client().rpush("celery", b"a", b"b", b"c")
    body = scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    assert value(body, 'helpdesk_celery_queue_length{queue="celery"}') == 3


def test_a_scrape_still_answers_when_the_broker_is_down(client, private_broker):
    private_broker.stop()
    response = scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert "helpdesk_celery_queue_length" not in response.content.decode()
    assert "helpdesk_open_tickets" in response.content.decode()


def test_gauges_are_computed_once_per_period_for_all_nodes(
    client, settings, django_assert_num_queries
):
    settings.METRICS_GAUGE_SECONDS = 60
    cache = caches[settings.METRICS_CACHE]
    cache.delete(metrics.GAUGES_KEY)
    with django_assert_num_queries(4):  # the gauges (inbound mail is off)
        assert scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    with django_assert_num_queries(0):  # another node's scrape, within the period
        body = scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    assert "helpdesk_open_tickets" in body
    cache.delete(metrics.GAUGES_KEY)


def test_the_gauges_take_one_query_each(django_assert_num_queries, settings):
    settings.INBOUND_ADDRESS = "support@example.com"
    # outbox count and oldest; open tickets per status; breaches in the hour; the stalest
    # snapshot kept fresh; the newest inbound message.
    with django_assert_num_queries(5):
        gauges.figures_read()


@pytest.mark.postgres
def test_each_gauge_query_is_answered_from_an_index(postgres, settings):
    """A million tickets must not mean a million rows read: with sequential scans ruled out,
    every gauge query still has a plan, and it names an index (no table is read in full)."""
    settings.INBOUND_ADDRESS = "support@example.com"
    plans = []

    with connection.execute_wrapper(
        lambda execute, sql, params, many, context: (
            plans.append((sql, params)) or execute(sql, params, many, context)
        )
    ):
        gauges.figures_read()
    assert len(plans) == 5
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql, params in plans:
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            if "tickets_reportsnapshot" in sql:
                continue  # one row per report someone looks at: small by design
            assert "Seq Scan" not in plan, plan
            assert "Index" in plan, plan
