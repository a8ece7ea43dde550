"""The delivery engine's rules, one at a time: what an SMTP failure means, how long a row
waits, when it is given up, what a worker that died or hit its time limit counts as, and what
operators can do. (tests/tickets/test_delivery_smtp.py plays whole stories against a real
server.)"""

import os
import ssl
import subprocess
import sys
from datetime import timedelta
from smtplib import (
    SMTPAuthenticationError,
    SMTPDataError,
    SMTPRecipientsRefused,
    SMTPSenderRefused,
    SMTPServerDisconnected,
)
from unittest import mock

import pytest
import time_machine
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail
from django.core.checks import run_checks
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tickets import delivery, tasks
from tickets.delivery import Kind
from tickets.models import DeliveryPause, Notification, NotificationAttempt

SEND = "django.core.mail.backends.locmem.EmailBackend.send_messages"


@pytest.fixture
def row(make_ticket, django_capture_on_commit_callbacks) -> Notification:
    """A "received" row written and committed, never handed to a worker."""
    with django_capture_on_commit_callbacks(execute=False):
        make_ticket()
    return Notification.objects.get()


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def fresh(row: Notification) -> Notification:
    row.refresh_from_db()
    return row


def attempt_once(row: Notification, error: BaseException) -> bool:
    with mock.patch(SEND, side_effect=error):
        return delivery.deliver(notification_id=row.pk)


# --- What a failure means ------------------------------------------------------------


@given(code=st.integers(400, 599), text=st.binary(max_size=40))
def test_a_recipients_reply_code_decides_between_retry_failure_and_pause(code, text):
    verdict = delivery.classify(SMTPRecipientsRefused({"a@example.com": (code, text)}))
    if code in delivery.SERVER_CODES:
        assert verdict.kind is Kind.SERVER
    else:
        assert verdict.kind is (Kind.PERMANENT if code >= 500 else Kind.TEMPORARY)
    assert verdict.answer.startswith(str(code))


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (SMTPDataError(451, b"4.3.0 try later"), Kind.TEMPORARY),
        (SMTPDataError(554, b"5.6.0 content refused"), Kind.PERMANENT),
        (SMTPAuthenticationError(535, b"5.7.8 bad credentials"), Kind.SERVER),
        (SMTPSenderRefused(530, b"5.7.0 auth required", "helpdesk@localhost"), Kind.SERVER),
        (SMTPSenderRefused(553, b"5.7.1 not yours", "helpdesk@localhost"), Kind.SERVER),
        (SMTPSenderRefused(451, b"4.7.1 greylisted", "helpdesk@localhost"), Kind.TEMPORARY),
        (ssl.SSLError("certificate verify failed"), Kind.SERVER),
        (ConnectionRefusedError(111, "Connection refused"), Kind.SERVER),
        (TimeoutError("timed out"), Kind.TEMPORARY),
        (SMTPServerDisconnected("Connection unexpectedly closed"), Kind.TEMPORARY),
        (ConnectionResetError(104, "reset"), Kind.TEMPORARY),
        (SoftTimeLimitExceeded(), Kind.TEMPORARY),
    ],
)
def test_each_kind_of_failure_is_a_retry_a_failure_or_a_pause(error, kind):
    assert delivery.classify(error).kind is kind


@given(attempts=st.integers(1, 200))
def test_waits_double_up_to_an_hour_with_a_little_jitter(attempts):
    wait = delivery.retry_delay(attempts=attempts)
    plain = min(timedelta(minutes=2 ** min(attempts - 1, 20)), timedelta(hours=1))
    assert plain * 0.8 <= wait <= plain * 1.2


# --- A row's life ----------------------------------------------------------------------


def test_a_temporary_failure_waits_for_its_time_and_the_relay_leaves_it_alone(row, clock):
    assert attempt_once(row, SMTPDataError(451, b"4.3.0 try later")) is False
    row = fresh(row)
    assert (row.state, row.attempts, row.last_error) == ("pending", 1, "451 4.3.0 try later")
    assert row.failing_since == timezone.now()
    wait = row.next_attempt_at - timezone.now()
    assert timedelta(seconds=48) <= wait <= timedelta(seconds=72)

    clock.shift(wait - timedelta(seconds=1))
    assert delivery.owed(older_than=timedelta(minutes=1)) == []  # waiting, not owed
    assert delivery.deliver(notification_id=row.pk) is False  # a stray task sends nothing
    assert fresh(row).attempts == 1

    clock.shift(timedelta(seconds=1))
    assert delivery.owed(older_than=timedelta(minutes=1)) == [row.pk]
    assert tasks.relay_notifications() == 1
    row = fresh(row)
    assert (row.state, row.attempts, row.failing_since, len(mail.outbox)) == ("sent", 2, None, 1)
    assert [a.outcome for a in row.attempt_log.all()] == ["temporary", "sent"]


def test_temporary_failures_give_up_after_email_retry_hours(row, clock, settings):
    settings.EMAIL_RETRY_HOURS = 48
    attempt_once(row, SMTPDataError(421, b"4.7.0 busy"))
    clock.shift(timedelta(hours=47, minutes=59))
    attempt_once(fresh(row), SMTPDataError(421, b"4.7.0 busy"))
    assert fresh(row).state == "pending"
    clock.shift(fresh(row).next_attempt_at - timezone.now())
    assert attempt_once(fresh(row), SMTPDataError(421, b"4.7.0 busy")) is False
    row = fresh(row)
    assert row.state == "failed"
    assert row.last_error == "gave up after 3 attempt(s) over 48 hours; last: 421 4.7.0 busy"
    assert row.next_attempt_at is None and row.pk not in delivery.owed(older_than=timedelta(0))


def test_an_attempt_cut_by_the_time_limit_is_a_counted_temporary_failure(row):
    assert attempt_once(row, SoftTimeLimitExceeded()) is False
    row = fresh(row)
    assert (row.state, row.attempts, row.last_error) == ("pending", 1, delivery.TIMED_OUT)
    assert row.attempt_log.get().outcome == "temporary"


def test_a_claim_abandoned_by_a_dead_worker_is_taken_over_after_the_lease_and_counted(
    row, clock, settings
):
    Notification.objects.filter(pk=row.pk).update(
        state="sending", claimed_at=timezone.now(), attempts=1
    )
    clock.shift(timedelta(seconds=5))
    assert delivery.deliver(notification_id=row.pk) is False  # another worker is on it
    assert delivery.owed(older_than=timedelta(0)) == []

    clock.shift(timedelta(seconds=settings.NOTIFICATION_CLAIM_LEASE_SECONDS))
    assert delivery.owed(older_than=timedelta(0)) == [row.pk]
    assert delivery.deliver(notification_id=row.pk) is True
    row = fresh(row)
    assert (row.state, row.attempts, len(mail.outbox)) == ("sent", 2, 1)
    assert [a.outcome for a in row.attempt_log.all()] == ["abandoned", "sent"]


def test_a_takeover_past_the_retry_budget_fails_the_row_without_sending(row, clock, settings):
    settings.EMAIL_RETRY_HOURS = 1
    started = timezone.now()
    Notification.objects.filter(pk=row.pk).update(
        state="sending", claimed_at=started, attempts=4, failing_since=started
    )
    clock.shift(timedelta(hours=1))
    assert delivery.deliver(notification_id=row.pk) is False
    row = fresh(row)
    assert (row.state, row.attempts, mail.outbox) == ("failed", 4, [])
    assert [a.outcome for a in row.attempt_log.all()] == ["abandoned", "expired"]


def test_a_refused_recipient_fails_at_once_with_the_servers_answer(row, customer):
    refused = SMTPRecipientsRefused({customer.email: (550, b"5.1.1 no such user")})
    assert attempt_once(row, refused) is False
    row = fresh(row)
    assert (row.state, row.last_error) == ("failed", "550 5.1.1 no such user")
    assert delivery.owed(older_than=timedelta(0)) == []


def test_a_message_that_cannot_be_written_fails_instead_of_looping(row):
    with mock.patch.dict(delivery._builders, {"received": mock.Mock(side_effect=KeyError("x"))}):
        assert delivery.deliver(notification_id=row.pk) is False
    assert fresh(row).state == "failed" and "not written" in fresh(row).last_error


# --- On the wire ------------------------------------------------------------------------


def test_every_attempt_carries_the_message_id_fixed_when_the_row_was_written(row, clock):
    assert row.message_id.startswith("<notification.") and row.message_id.endswith("@localhost>")
    attempt_once(row, SMTPDataError(451, b"later"))
    clock.shift(timedelta(hours=1))
    assert delivery.deliver(notification_id=row.pk) is True
    [message] = mail.outbox
    headers = message.message()
    assert headers["Message-ID"] == row.message_id
    thread = f"<ticket-{row.ticket_id}@localhost>"
    assert headers["References"] == headers["In-Reply-To"] == thread


def test_each_notification_has_its_own_message_id(make_ticket):
    make_ticket("resolved")
    ids = list(Notification.objects.values_list("message_id", flat=True))
    assert len(ids) == len(set(ids)) == 2


def test_the_message_id_domain_is_the_senders(row, settings):
    settings.DEFAULT_FROM_EMAIL = "Support <support@Help.Example.org>"
    assert delivery.compose(row).extra_headers["References"].endswith("@help.example.org>")


# --- The pause --------------------------------------------------------------------------


def test_while_paused_nothing_is_claimed_or_relayed(row, clock):
    assert attempt_once(row, SMTPAuthenticationError(535, b"5.7.8 bad credentials")) is False
    until = delivery.paused_until()
    assert until == timezone.now() + timedelta(minutes=1)
    assert fresh(row).attempts == 0
    clock.shift(timedelta(seconds=59))
    assert delivery.owed(older_than=timedelta(0)) == []
    assert delivery.deliver(notification_id=row.pk) is False and mail.outbox == []
    clock.shift(timedelta(seconds=1))
    assert delivery.owed(older_than=timedelta(0)) == [row.pk]


def test_server_wide_failures_in_a_row_pause_longer_up_to_a_quarter_hour(row, clock):
    waits = []
    for _ in range(7):
        attempt_once(fresh(row), ConnectionRefusedError(111, "refused"))
        waits.append(delivery.paused_until() - timezone.now())
        clock.shift(waits[-1])
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8, 15, 15, 15)]
    assert fresh(row).attempts == 0


# --- Operators --------------------------------------------------------------------------


def test_retry_now_sends_a_failed_row_with_a_fresh_budget(
    row, customer, django_capture_on_commit_callbacks
):
    attempt_once(row, SMTPRecipientsRefused({customer.email: (550, b"5.1.1 unknown")}))
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery.notifications_retry_now(notification_ids=[row.pk]) == 1
    row = fresh(row)
    assert (row.state, row.attempts, len(mail.outbox)) == ("sent", 1, 1)


def test_retry_now_ends_a_pause(row, django_capture_on_commit_callbacks):
    attempt_once(row, SMTPAuthenticationError(535, b"5.7.8 bad credentials"))
    with django_capture_on_commit_callbacks(execute=True):
        delivery.notifications_retry_now(notification_ids=[row.pk])
    assert delivery.paused_until() is None and fresh(row).state == "sent"


def test_give_up_fails_waiting_rows_and_leaves_sent_ones(
    make_ticket, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket("resolved")  # received and resolved, both sent
    sent = list(Notification.objects.values_list("pk", flat=True))
    waiting = Notification.objects.create(
        event="reply", ticket_id=Notification.objects.first().ticket_id, recipient=manager
    )
    ids = [*sent, waiting.pk]
    assert delivery.notifications_give_up(notification_ids=ids, by=manager.email) == 1
    assert fresh(waiting).state == "failed"
    assert fresh(waiting).last_error == f"given up by {manager.email}"
    assert set(Notification.objects.filter(pk__in=sent).values_list("state", flat=True)) == {"sent"}


def test_attempts_are_append_only(row):
    attempt_once(row, SMTPDataError(451, b"later"))
    attempt = NotificationAttempt.objects.get()
    with pytest.raises(Exception, match="append-only"):
        NotificationAttempt.objects.update(answer="rewritten")
    with pytest.raises(Exception, match="append-only"):
        attempt.delete()


def test_backlog_counts_by_kind_and_names_the_oldest_undelivered(row, clock, customer):
    written = row.created_at
    attempt_once(row, SMTPDataError(451, b"later"))
    clock.shift(timedelta(minutes=5))
    Notification.objects.create(event="received", ticket_id=row.ticket_id, recipient=customer)
    backlog = delivery.backlog()
    assert backlog.by_event == [
        {"event": "received", "label": "Ticket received", "pending": 1, "retrying": 1, "failed": 0}
    ]
    assert backlog.oldest_undelivered == written and backlog.paused_until is None
    assert DeliveryPause.objects.count() == 0


# --- Settings ---------------------------------------------------------------------------


def settings_value(name: str, **env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")}
    result = subprocess.run(
        [sys.executable, "-c", f"from django.conf import settings; print(settings.{name})"],
        env={**environment, "DJANGO_SETTINGS_MODULE": "helpdesk.settings", "DEBUG": "true", **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.strip()


def test_email_timeout_comes_from_its_variable_or_the_email_url():
    assert settings_value("EMAIL_TIMEOUT") == "30.0"
    url = "smtp+tls://u:p@mail.example.com:587/?timeout=12"
    assert settings_value("EMAIL_TIMEOUT", EMAIL_URL=url) == "12.0"
    assert settings_value("EMAIL_TIMEOUT", EMAIL_URL=url, EMAIL_TIMEOUT="7") == "7.0"
    assert settings_value("EMAIL_RETRY_HOURS") == "48.0"


def test_a_timeout_not_shorter_than_the_tasks_soft_limit_is_warned_about(settings):
    settings.EMAIL_TIMEOUT = settings.CELERY_TASK_SOFT_TIME_LIMIT
    assert "helpdesk.W002" in [message.id for message in run_checks()]
    settings.EMAIL_TIMEOUT = 30
    assert "helpdesk.W002" not in [message.id for message in run_checks()]
