"""Delivery against a real SMTP server (aiosmtpd) that fails the way real ones do.

The clock is the app's (time_machine): a "ten-minute outage" is ten minutes of beat's relay
runs, one per travelled minute, not ten minutes of waiting. Only the slow server costs real
time: EMAIL_TIMEOUT is half a second here and the server answers in one.
"""

from datetime import timedelta
from itertools import pairwise

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Role
from accounts.services import user_create
from tests.smtp import free_port
from tickets import services, tasks
from tickets.models import DeliveryPause, Notification, NotificationAttempt

TIMEOUT = 0.5  # EMAIL_TIMEOUT in these tests; the slow server takes twice as long
UNKNOWN_USER = "550 5.1.1 <ghost@example.com>: Recipient address rejected: User unknown"
AUTH_REQUIRED = "530 5.7.0 Authentication required"
TRY_LATER = "451 4.3.0 Mailbox temporarily unavailable, try again later"


@pytest.fixture
def smtp(mail_server, settings):
    """start(**behaviour) → a real SMTP server that Django's mail now goes to."""

    def start(**behaviour):
        server, port = mail_server(**behaviour)
        point_mail_at(settings, port)
        return server

    return start


def point_mail_at(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, TIMEOUT
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def report(category, django_capture_on_commit_callbacks):
    """report(customers) → one ticket reported by each; returns their "received" rows, each
    handed to delivery once its ticket commits, as in production."""

    def run(customers) -> list[Notification]:
        with django_capture_on_commit_callbacks(execute=True):
            tickets = [
                services.ticket_create(
                    customer=customer,
                    created_by=customer,
                    subject=f"Printer {number} jams",
                    description="Paper everywhere.",
                    category=category,
                )
                for number, customer in enumerate(customers)
            ]
        return list(Notification.objects.filter(ticket__in=tickets).order_by("pk"))

    return run


def customers(count: int) -> list:
    return [
        user_create(
            email=f"customer{n}@example.com",
            display_name=f"Customer {n}",
            role=Role.CUSTOMER,
            password=None,
        )
        for n in range(count)
    ]


def relay_every_minute(clock, *, minutes: int, before_each=None, until=None) -> int:
    """Beat's relay, once a minute for up to `minutes`; returns the minute it stopped."""
    for minute in range(1, minutes + 1):
        clock.shift(timedelta(minutes=1))
        if before_each:
            before_each(minute)
        tasks.relay_notifications()
        if until and until():
            return minute
    return minutes


def all_sent() -> bool:
    return not Notification.objects.exclude(state="sent").exists()


def outcomes(row: Notification) -> list[str]:
    return list(row.attempt_log.values_list("outcome", flat=True))


def test_a_ten_minute_outage_delays_every_mail_and_then_delivers_each_once(smtp, clock, report):
    server = smtp(data_reply=TRY_LATER)
    rows = report(customers(30))
    assert {row.state for row in Notification.objects.all()} == {"pending"}
    assert server.accepted == []

    def outage_ends_after_ten_minutes(minute: int) -> None:
        if minute == 10:
            server.data_reply = None

    finished = relay_every_minute(
        clock, minutes=60, before_each=outage_ends_after_ten_minutes, until=all_sent
    )

    assert all_sent()
    assert finished <= 25  # within a retry interval or two of the end of the outage
    assert server.copies() == {row.message_id: 1 for row in rows}  # each once, none lost
    for row in rows:
        log = list(row.attempt_log.order_by("started_at"))
        assert [a.outcome for a in log[:-1]] == ["temporary"] * (len(log) - 1)
        assert log[-1].outcome == "sent"
        assert 3 <= len(log) - 1 <= 5, "retried with growing waits, not every minute"
        assert log[0].answer == TRY_LATER
        # Never handed over again while it waited: each wait at least 0.8 x 1, 2, 4 ... min.
        for number, (before, after) in enumerate(pairwise(log), start=1):
            assert after.started_at - before.started_at >= timedelta(
                minutes=0.8 * 2 ** (number - 1)
            )


def test_a_recipient_refused_for_good_fails_at_once_and_the_others_are_delivered(
    smtp, clock, report, customer, neighbour
):
    ghost = user_create(
        email="ghost@example.com", display_name="Gone", role=Role.CUSTOMER, password=None
    )
    server = smtp(refuse={"ghost@example.com": UNKNOWN_USER})

    rows = report([customer, ghost, neighbour])

    states = dict(Notification.objects.values_list("recipient__email", "state"))
    assert states == {customer.email: "sent", ghost.email: "failed", neighbour.email: "sent"}
    failed = Notification.objects.get(recipient=ghost)
    assert failed.last_error == UNKNOWN_USER  # the server's own answer
    assert (failed.attempts, outcomes(failed)) == (1, ["permanent"])
    assert server.recipients() == sorted([customer.email, neighbour.email])
    assert not DeliveryPause.objects.filter(until__isnull=False).exists()

    relay_every_minute(clock, minutes=90)  # a failed row is left for a person to look at
    assert Notification.objects.get(recipient=ghost).state == "failed"
    assert len(server.accepted) == 2 and len(rows) == 3


def test_a_server_refusing_us_pauses_delivery_and_everything_goes_out_once_it_works(
    smtp, clock, report, caplog
):
    server = smtp(mail_reply=AUTH_REQUIRED)
    rows = report(customers(5))

    pause = DeliveryPause.objects.get()
    assert pause.until == timezone.now() + timedelta(minutes=1) and pause.reason == AUTH_REQUIRED
    assert "mail delivery paused" in caplog.text
    assert server.mail_commands == 1  # the others waited for the pause instead of trying
    assert set(Notification.objects.values_list("state", "attempts")) == {("pending", 0)}
    assert NotificationAttempt.objects.get().outcome == "paused"

    # Still refused after the first pause: the next one is twice as long.
    relay_every_minute(clock, minutes=1)
    assert server.mail_commands == 2
    assert DeliveryPause.objects.get().until == timezone.now() + timedelta(minutes=2)
    relay_every_minute(clock, minutes=1)
    assert server.mail_commands == 2  # paused: the relay hands nothing over

    server.mail_reply = None  # the credentials work again
    relay_every_minute(clock, minutes=5, until=all_sent)

    assert all_sent()
    assert server.copies() == {row.message_id: 1 for row in rows}
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}  # not charged
    assert DeliveryPause.objects.get().until is None
    assert "mail delivery resumed" in caplog.text


def test_nobody_listening_pauses_delivery_without_charging_the_row(settings, report, customer):
    point_mail_at(settings, free_port())
    [row] = report([customer])
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("pending", 0)
    assert "ConnectionRefusedError" in DeliveryPause.objects.get().reason
    assert row.next_attempt_at == DeliveryPause.objects.get().until


def test_a_server_slower_than_the_timeout_gets_a_bounded_number_of_copies_of_one_message(
    smtp, clock, report, customer, settings
):
    settings.EMAIL_RETRY_HOURS = 0.25
    server = smtp(delay=2 * TIMEOUT)
    [row] = report([customer])

    relay_every_minute(clock, minutes=60)
    server.settle()

    row.refresh_from_db()
    assert row.state == "failed" and row.last_error.startswith("gave up after")
    attempts = row.attempt_log.count()
    assert 3 <= attempts <= 6
    assert row.attempts == attempts
    # Each copy the server kept is the same message: a receiver drops all but one.
    assert server.copies() == {row.message_id: attempts}


def test_a_server_slow_for_a_while_delivers_with_one_message_id_on_every_copy(
    smtp, clock, report, customer
):
    server = smtp(delay=2 * TIMEOUT)
    [row] = report([customer])

    def speeds_up(minute: int) -> None:
        if row.attempt_log.count() == 2:
            server.delay = 0

    relay_every_minute(clock, minutes=30, before_each=speeds_up, until=all_sent)
    server.settle()
    relay_every_minute(clock, minutes=30)

    row.refresh_from_db()
    assert row.state == "sent"
    assert outcomes(row) == ["temporary", "temporary", "sent"]
    assert server.copies() == {row.message_id: 3}
    message = server.accepted[-1]
    assert message["References"] == message["In-Reply-To"] == f"<ticket-{row.ticket_id}@localhost>"


def test_a_slow_goodbye_after_the_message_was_accepted_does_not_send_it_again(
    smtp, clock, report, customer
):
    server = smtp(quit_delay=2 * TIMEOUT)
    [row] = report([customer])
    relay_every_minute(clock, minutes=10)
    row.refresh_from_db()
    assert (row.state, row.attempts, len(server.accepted)) == ("sent", 1, 1)
