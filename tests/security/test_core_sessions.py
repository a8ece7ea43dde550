"""Sessions end after SESSION_IDLE_TIMEOUT without a request (each request extends it) and
after SESSION_MAX_AGE whatever happens; reading pages does not rewrite the session each time."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.urls import reverse

from accounts.services import user_create

MINUTE = 60
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def timeouts(settings):
    settings.SESSION_IDLE_TIMEOUT = 30 * MINUTE
    settings.SESSION_MAX_AGE = 12 * 60 * MINUTE


@pytest.fixture
def start():
    return datetime.fromtimestamp(int(time.time()), tz=UTC)


def page(client):
    return client.get(reverse("portal:ticket_list"))


def signed_in(response) -> bool:
    return response.status_code == 200


def test_an_idle_session_is_signed_out_after_the_timeout(client, customer, start, caplog):
    with time_machine.travel(start, tick=False):
        client.force_login(customer)
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert signed_in(page(client))
    with time_machine.travel(start + timedelta(minutes=29 + 31), tick=False):
        response = page(client)
    assert response.status_code == 302 and reverse("login") in response.url
    # Signed out for good, not just for that one request.
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        assert page(client).status_code == 302
    expired = [
        r for r in caplog.records if getattr(r, "security", {}).get("event") == "session_expired"
    ]
    assert expired and expired[0].security["reason"] == "idle"
    assert expired[0].security["user_id"] == customer.pk


def test_each_request_extends_the_session(client, customer, start):
    with time_machine.travel(start, tick=False):
        client.force_login(customer)
    for minutes in (20, 40, 60, 80, 100):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert signed_in(page(client)), minutes


def test_a_session_ends_after_the_absolute_maximum_however_active(client, customer, start):
    with time_machine.travel(start, tick=False):
        client.force_login(customer)
    for minutes in range(20, 12 * 60, 20):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert signed_in(page(client)), minutes
    with time_machine.travel(start + timedelta(hours=12, minutes=5), tick=False):
        assert page(client).status_code == 302


def test_activity_is_written_at_most_once_a_minute(client, customer, start):
    with time_machine.travel(start, tick=False):
        client.force_login(customer)
    key = client.session.session_key

    def seen_at():
        return Session.objects.get(session_key=key).get_decoded()["hd_seen_at"]

    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        page(client)
    assert seen_at() == int(start.timestamp())
    with time_machine.travel(start + timedelta(seconds=90), tick=False):
        page(client)
    assert seen_at() == int(start.timestamp()) + 90


def test_the_session_cookie_ends_with_the_browser(client, db):
    user_create(email="dana@example.com", display_name="Dana", password=PASSWORD)
    response = client.post(reverse("login"), {"username": "dana@example.com", "password": PASSWORD})
    cookie = response.cookies["__Host-sessionid"]
    assert cookie.value and cookie["max-age"] == "" and cookie["expires"] == ""


def test_a_pages_own_polling_does_not_keep_an_idle_session_alive(client, agent, start):
    """A ticket left open polls every few seconds (static/js/presence.js); only a person's
    requests count as activity."""
    news = reverse("agent:queue_news")
    poll = {"since": start.isoformat()}
    with time_machine.travel(start, tick=False):
        client.force_login(agent)
    for minutes in (10, 20, 29):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get(news, poll, headers={"X-Helpdesk-Poll": "1"}).status_code == 200
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        response = client.get(news, poll, headers={"X-Helpdesk-Poll": "1"})
    assert response.status_code == 302 and reverse("login") in response.url
