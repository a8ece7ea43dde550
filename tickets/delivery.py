"""Handing outbox rows (Notification) to the mail server, the way a mail server would.

- A row is claimed with a compare-and-set UPDATE, so two workers never send it at once; a
  claim older than the lease belongs to a worker that died mid-send and may be taken over
  (that lost attempt is counted).
- Each attempt ends one of three ways (`classify`): the recipient is refused for good (5xx):
  the row fails at once with the server's answer; something temporary (4xx, a timeout, a
  dropped connection): the row waits, twice as long after each try, and fails only when
  EMAIL_RETRY_HOURS have passed since it started failing; the server refuses *us*
  (credentials, TLS, nobody listening): delivery pauses for everyone (`DeliveryPause`),
  the row is not charged an attempt, and nothing is tried before the pause ends.
- Every message carries the row's Message-ID, the same on every attempt, so that a receiver
  can drop the duplicate of a mail whose acceptance never reached us; a message about a
  ticket refers to the ticket's thread and carries its reply address (mail_thread).
- Waiting rows are picked up by the relay (`owed`, every minute), never by a timer in the
  broker.

What a message says is built per event by the function registered with `builds`.
"""

from __future__ import annotations

import logging
import secrets
import socket
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from smtplib import (
    SMTPAuthenticationError,
    SMTPConnectError,
    SMTPException,
    SMTPHeloError,
    SMTPNotSupportedError,
    SMTPRecipientsRefused,
    SMTPResponseException,
    SMTPSenderRefused,
)

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Count, F, Min, Q
from django.utils import timezone

from . import mail_thread
from .models import DeliveryPause, Notification, NotificationAttempt

log = logging.getLogger(__name__)
State = Notification.State
Outcome = NotificationAttempt.Outcome

# Waits between temporary failures: 1, 2, 4 … minutes, at most an hour (± a fifth, so that
# rows failed together do not come back together).
RETRY_FIRST = timedelta(minutes=1)
RETRY_LONGEST = timedelta(hours=1)
# Pauses after server-wide failures in a row: 1, 2, 4 … minutes, at most a quarter of an hour.
PAUSE_FIRST = timedelta(minutes=1)
PAUSE_LONGEST = timedelta(minutes=15)
# SMTP replies about us, not the recipient: authentication required or failed.
SERVER_CODES = frozenset({530, 534, 535, 538})
NEVER_FINISHED = "no answer: the worker stopped before the attempt finished"
TIMED_OUT = "no answer within the delivery task's time limit"

# Where a row stands, as operators count and filter it (the admin uses these too).
UNDELIVERED = Q(state__in=[State.PENDING, State.SENDING])
RETRYING = Q(state=State.PENDING, next_attempt_at__isnull=False)  # waiting for its next try

Builder = Callable[[Notification], EmailMessage]
_builders: dict[str, Builder] = {}


def builds(*events: str) -> Callable[[Builder], Builder]:
    """Register the function that writes the message for these events."""

    def register(builder: Builder) -> Builder:
        for event in events:
            _builders[str(event)] = builder
        return builder

    return register


def compose(notification: Notification) -> EmailMessage:
    """The message for a row, with the headers that make delivery idempotent and threaded,
    and that tell other robots not to answer it."""
    message = _builders[notification.event](notification)
    headers = message.extra_headers
    headers["Message-ID"] = notification.message_id
    # Every message we send is automatic: auto-responders must not answer it (RFC 3834).
    headers["Auto-Submitted"] = "auto-replied"
    if notification.ticket_id is not None:
        headers.update(thread_headers(notification))
    return message


def thread_headers(notification: Notification) -> dict[str, str]:
    """References and In-Reply-To that thread a ticket's mail (mail_thread.references), and
    the ticket's own reply address when the help desk reads mail."""
    # Imported here: the inbound package imports the services, which import this module.
    from .inbound.addresses import reply_address

    references = mail_thread.references(notification)
    headers = {"References": " ".join(references), "In-Reply-To": references[-1]}
    if address := reply_address(notification.ticket_id):
        headers["Reply-To"] = address
    return headers


class Kind(Enum):
    TEMPORARY = "temporary"  # try this row again later
    PERMANENT = "permanent"  # this row will never go through
    SERVER = "server"  # nothing will go through: pause everyone


@dataclass(frozen=True)
class Verdict:
    kind: Kind
    answer: str  # the server's reply, or what went wrong, as an operator reads it


def _reply(code: int, text: bytes | str) -> str:
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(text.split())}"


def _by_code(code: int) -> Kind:
    if code in SERVER_CODES:
        return Kind.SERVER
    return Kind.PERMANENT if code >= 500 else Kind.TEMPORARY


def classify(error: BaseException) -> Verdict:
    """What one failed attempt means for this row and for delivery as a whole."""
    if isinstance(error, SMTPRecipientsRefused):
        # One recipient per message: its reply decides.
        codes = [(code, text) for code, text in error.recipients.values()]
        code, text = max(codes, key=lambda reply: reply[0]) if codes else (451, b"refused")
        return Verdict(_by_code(code), _reply(code, text))
    if isinstance(error, SMTPAuthenticationError | SMTPConnectError | SMTPHeloError):
        return Verdict(Kind.SERVER, _reply(error.smtp_code, error.smtp_error))
    if isinstance(error, SMTPSenderRefused):
        # Our own address refused for good refuses every message; 4xx is about this one.
        kind = Kind.SERVER if error.smtp_code >= 500 else Kind.TEMPORARY
        return Verdict(kind, _reply(error.smtp_code, error.smtp_error))
    if isinstance(error, SMTPResponseException):
        return Verdict(_by_code(error.smtp_code), _reply(error.smtp_code, error.smtp_error))
    if isinstance(error, SMTPNotSupportedError | ssl.SSLError | ssl.CertificateError):
        return Verdict(Kind.SERVER, f"{type(error).__name__}: {error}")
    if isinstance(error, ConnectionRefusedError | socket.gaierror):
        return Verdict(Kind.SERVER, f"{type(error).__name__}: {error}")
    if isinstance(error, SoftTimeLimitExceeded):
        return Verdict(Kind.TEMPORARY, TIMED_OUT)
    # Timeouts, dropped connections, resets: the server may be fine in a minute.
    return Verdict(Kind.TEMPORARY, f"{type(error).__name__}: {error}")


def _doubling(first: timedelta, longest: timedelta, *, step: int) -> timedelta:
    return min(first * 2 ** min(max(step - 1, 0), 20), longest)


def retry_delay(*, attempts: int) -> timedelta:
    """How long a row waits after its `attempts`-th temporary failure."""
    jitter = secrets.SystemRandom().uniform(0.8, 1.2)
    return _doubling(RETRY_FIRST, RETRY_LONGEST, step=attempts) * jitter


def retry_window() -> timedelta:
    return timedelta(hours=settings.EMAIL_RETRY_HOURS)


# --- The pause -------------------------------------------------------------------------


def paused_until(now: datetime | None = None) -> datetime | None:
    """When delivery resumes, if it is paused now."""
    now = now or timezone.now()
    return DeliveryPause.objects.filter(until__gt=now).values_list("until", flat=True).first()


def _pause(*, now: datetime, answer: str) -> datetime:
    """Pause delivery for everyone, longer after each server-wide failure in a row. Workers
    that fail together while a pause is on do not lengthen it twice."""
    DeliveryPause.objects.get_or_create(pk=1)
    with transaction.atomic():
        pause = DeliveryPause.objects.select_for_update().get(pk=1)
        if pause.until is not None and pause.until > now:
            return pause.until
        pause.failures += 1
        pause.until = now + _doubling(PAUSE_FIRST, PAUSE_LONGEST, step=pause.failures)
        pause.since = pause.since or now
        pause.reason = answer[:2000]
        pause.save()
    log.warning(
        "mail delivery paused until %s after %d server-wide failure(s): %s",
        pause.until.isoformat(),
        pause.failures,
        answer,
    )
    return pause.until


def _resume() -> None:
    """A message went through: the server works, whatever the pause said."""
    if DeliveryPause.objects.filter(failures__gt=0).update(
        failures=0, until=None, since=None, reason=""
    ):
        log.warning("mail delivery resumed")


# --- Delivery --------------------------------------------------------------------------


def _claimable(now: datetime) -> Q:
    lease = timedelta(seconds=settings.NOTIFICATION_CLAIM_LEASE_SECONDS)
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    return (Q(state=State.PENDING) & due) | Q(state=State.SENDING, claimed_at__lt=now - lease)


def _record(row: Notification, *, started: datetime, outcome: str, answer: str = "") -> None:
    NotificationAttempt.objects.create(
        notification=row,
        started_at=started,
        finished_at=timezone.now(),
        outcome=outcome,
        answer=answer[:2000],
    )


def _fail(row: Notification, *, started: datetime, outcome: str, answer: str) -> None:
    Notification.objects.filter(pk=row.pk).update(
        state=State.FAILED, next_attempt_at=None, last_error=answer[:2000]
    )
    _record(row, started=started, outcome=outcome, answer=answer)
    log.error("notification %s failed for good: %s", row.pk, answer)


def _send(message: EmailMessage) -> None:
    """Send on a connection of our own. Once the server has accepted the message, a slow or
    failed goodbye (QUIT) is not a failure that would send it again; after a failure the
    socket is dropped without a goodbye that could wait another EMAIL_TIMEOUT."""
    connection = get_connection()
    try:
        connection.open()
        connection.send_messages([message])
    except BaseException:
        smtp = getattr(connection, "connection", None)
        if smtp is not None:
            smtp.close()
            connection.connection = None
        raise
    try:
        connection.close()
    except Exception as error:  # the time limit included: the message is already accepted
        log.info("closing the SMTP connection failed after the message: %s", error)


def deliver(*, notification_id: int) -> bool:
    """Send one outbox row if it is owed now. Returns whether this call sent it."""
    now = timezone.now()
    if paused_until(now) is not None:
        return False  # the relay hands it over again once the pause is over
    row = (
        Notification.objects.select_related(
            "ticket__customer", "recipient", "history", "comment__author", "sla_alert"
        )
        .filter(_claimable(now), pk=notification_id)
        .first()
    )
    if row is None:
        return False
    claimed = Notification.objects.filter(
        pk=row.pk, state=row.state, claimed_at=row.claimed_at, attempts=row.attempts
    ).update(state=State.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return False  # another worker was quicker
    took_over, row.attempts = row.state == State.SENDING, row.attempts + 1
    if took_over:
        # The last attempt never reported back (the worker died or was killed at its time
        # limit): a temporary failure, counted; the retry budget is checked here too.
        _record(row, started=row.claimed_at, outcome=Outcome.ABANDONED, answer=NEVER_FINISHED)
        row.failing_since = row.failing_since or row.claimed_at
        Notification.objects.filter(pk=row.pk).update(failing_since=row.failing_since)
        if now - row.failing_since >= retry_window():
            row.attempts -= 1  # this claim sends nothing
            Notification.objects.filter(pk=row.pk).update(attempts=row.attempts)
            _fail(row, started=now, outcome=Outcome.EXPIRED, answer=_expired(row, NEVER_FINISHED))
            return False
    try:
        message = compose(row)
    except Exception as error:
        log.exception("notification %s could not be written", row.pk)
        _fail(row, started=now, outcome=Outcome.PERMANENT, answer=f"not written: {error!r}")
        return False
    try:
        _send(message)
    except (SMTPException, OSError, SoftTimeLimitExceeded) as error:
        _failed_attempt(row, started=now, verdict=classify(error))
        return False
    Notification.objects.filter(pk=row.pk).update(
        state=State.SENT,
        sent_at=timezone.now(),
        last_error="",
        next_attempt_at=None,
        failing_since=None,
    )
    _record(row, started=now, outcome=Outcome.SENT)
    _resume()
    return True


def _expired(row: Notification, answer: str) -> str:
    hours = settings.EMAIL_RETRY_HOURS
    return f"gave up after {row.attempts} attempt(s) over {hours:g} hours; last: {answer}"


def _failed_attempt(row: Notification, *, started: datetime, verdict: Verdict) -> None:
    now = timezone.now()
    if verdict.kind is Kind.PERMANENT:
        _fail(row, started=started, outcome=Outcome.PERMANENT, answer=verdict.answer)
        return
    if verdict.kind is Kind.SERVER:
        until = _pause(now=now, answer=verdict.answer)
        Notification.objects.filter(pk=row.pk).update(
            state=State.PENDING,
            attempts=F("attempts") - 1,  # not this row's fault: not charged
            next_attempt_at=until,
            last_error=verdict.answer[:2000],
        )
        _record(row, started=started, outcome=Outcome.PAUSED, answer=verdict.answer)
        return
    failing_since = row.failing_since or started
    if now - failing_since >= retry_window():
        _fail(row, started=started, outcome=Outcome.EXPIRED, answer=_expired(row, verdict.answer))
        return
    Notification.objects.filter(pk=row.pk).update(
        state=State.PENDING,
        failing_since=failing_since,
        next_attempt_at=now + retry_delay(attempts=row.attempts),
        last_error=verdict.answer[:2000],
    )
    _record(row, started=started, outcome=Outcome.TEMPORARY, answer=verdict.answer)
    log.info("notification %s will be retried: %s", row.pk, verdict.answer)


def owed(*, older_than: timedelta, limit: int = 1000) -> list[int]:
    """Rows the relay hands over: never handed to a worker (pending longer than
    `older_than`), due for their retry, or abandoned by a worker. None while paused."""
    now = timezone.now()
    if paused_until(now) is not None:
        return []
    lease = timedelta(seconds=settings.NOTIFICATION_CLAIM_LEASE_SECONDS)
    rows = Notification.objects.filter(
        Q(state=State.PENDING, next_attempt_at__isnull=True, created_at__lt=now - older_than)
        | Q(state=State.PENDING, next_attempt_at__lte=now)
        | Q(state=State.SENDING, claimed_at__lt=now - lease)
    )
    return list(rows.order_by("created_at").values_list("pk", flat=True)[:limit])


# --- What operators do -----------------------------------------------------------------


def notifications_retry_now(*, notification_ids: Iterable[int]) -> int:
    """Try these failed or waiting rows again at once, with a fresh retry budget; this also
    ends a delivery pause (the operator says the server works again). Returns how many."""
    from .tasks import enqueue_delivery

    with transaction.atomic():
        rows = Notification.objects.filter(
            pk__in=list(notification_ids), state__in=[State.FAILED, State.PENDING]
        )
        ids = list(rows.values_list("pk", flat=True))
        Notification.objects.filter(pk__in=ids).update(
            state=State.PENDING, attempts=0, failing_since=None, next_attempt_at=None
        )
        if ids:
            DeliveryPause.objects.update(until=None)
        for pk in ids:
            transaction.on_commit(lambda pk=pk: enqueue_delivery(pk))
    return len(ids)


def notifications_give_up(*, notification_ids: Iterable[int], by: str) -> int:
    """Stop trying these waiting rows: they become failed, saying who gave up. Returns how
    many (rows being sent or already sent or failed are left alone)."""
    rows = Notification.objects.filter(pk__in=list(notification_ids), state=State.PENDING)
    return rows.update(
        state=State.FAILED,
        next_attempt_at=None,
        last_error=f"given up by {by}",
    )


@dataclass(frozen=True)
class Backlog:
    """What operators need to see at a glance."""

    # {"event", "label", "pending", "retrying", "failed"} per kind of message; pending: not
    # tried yet or being sent, retrying: waiting for its next try (RETRYING)
    by_event: list[dict]
    oldest_undelivered: datetime | None
    paused_until: datetime | None
    pause_reason: str

    @property
    def totals(self) -> dict[str, int]:
        return {
            key: sum(row[key] for row in self.by_event) for key in ("pending", "retrying", "failed")
        }


def backlog() -> Backlog:
    """Counts of rows not yet delivered, by event (one query), the oldest (one), the pause."""
    rows = (
        Notification.objects.exclude(state=State.SENT)
        .values("event")
        .annotate(
            pending=Count("pk", filter=UNDELIVERED & ~RETRYING),
            retrying=Count("pk", filter=RETRYING),
            failed=Count("pk", filter=Q(state=State.FAILED)),
        )
        .order_by("event")
    )
    oldest = Notification.objects.filter(UNDELIVERED).aggregate(at=Min("created_at"))
    pause = DeliveryPause.objects.filter(until__gt=timezone.now()).first()
    labels = dict(Notification.Event.choices)
    return Backlog(
        by_event=[{**row, "label": labels.get(row["event"], row["event"])} for row in rows],
        oldest_undelivered=oldest["at"],
        paused_until=pause.until if pause else None,
        pause_reason=pause.reason if pause else "",
    )
