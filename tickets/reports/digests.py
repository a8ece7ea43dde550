"""Scheduled digests: a manager's daily or weekly e-mail of the report over a saved slice.

A daily digest covers the day before, a weekly one the week before (Monday to Sunday), both
days of the help desk's time zone (so a day the clocks change has 23 or 25 hours). Beat runs
`send_due` every few minutes: each active subscription gets the last period that has ended,
once. The DigestDelivery row, unique per (subscription, period), is written in the same
transaction as the outbox row, so a second run of beat — at the same moment, or after a
crash between the two — writes nothing. A subscription gets only periods that end after it
was made, and only the latest one: after beat was down for three days a daily subscriber
gets yesterday's digest, not three.

The message itself (the numbers, the breached tickets, the CSVs) is built when the outbox row
is sent (tickets.reports.digest_mail): the row holds only the period and the slice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User

from .. import notifications
from ..models import Category, DigestDelivery, DigestSubscription
from ..status import Priority
from .filters import ReportFilters

Frequency = DigestSubscription.Frequency
# What a subscription keeps of the report's filters: its slice (the period is the range).
SLICE_KEYS = ("assignee_id", "category_id", "priority")
ALREADY_SUBSCRIBED = _("You already receive this digest.")


class DigestError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Period:
    frequency: str
    start: date
    end: date  # inclusive

    def filters(self, slice_: dict) -> ReportFilters:
        return ReportFilters(start=self.start, end=self.end, **slice_of(slice_))

    @property
    def until(self) -> datetime:
        """When the period ends: midnight after its last day, in the help desk's zone."""
        return self.filters({}).until


def zone() -> ZoneInfo:
    return ZoneInfo(settings.HELPDESK_TIME_ZONE)


def latest_period(frequency: str, *, now: datetime) -> Period:
    """The last period that has ended at `now`: yesterday, or last week (Monday to Sunday)."""
    today = now.astimezone(zone()).date()
    if frequency == Frequency.DAILY:
        yesterday = today - timedelta(days=1)
        return Period(frequency, yesterday, yesterday)
    monday = today - timedelta(days=today.weekday())
    return Period(frequency, monday - timedelta(days=7), monday - timedelta(days=1))


def slice_of(filters: dict) -> dict:
    """The report slice a subscription saved, as ReportFilters takes it."""
    return {
        "assignee_id": filters.get("assignee_id"),
        "category_id": filters.get("category_id"),
        "priority": filters.get("priority") or "",
    }


# --- Subscribing ------------------------------------------------------------------------------


def digest_subscribe(*, manager: User, frequency: str, filters: dict) -> DigestSubscription:
    """Subscribe a manager to a digest of the report over `filters` (a slice: SLICE_KEYS).
    A DigestError when the same digest is already subscribed."""
    if not manager.is_manager:
        raise DigestError(str(_("Only managers receive report digests.")))
    if frequency not in Frequency.values:
        raise DigestError(str(_("Choose daily or weekly.")))
    saved = slice_of(filters)
    mine = DigestSubscription.objects.filter(manager=manager, frequency=frequency)
    if any(slice_of(s.filters) == saved for s in mine):
        raise DigestError(str(ALREADY_SUBSCRIBED))
    return DigestSubscription.objects.create(manager=manager, frequency=frequency, filters=saved)


def digest_set_active(*, subscription_id: int, manager: User, active: bool) -> None:
    """Pause or resume one of the manager's own digests (DoesNotExist for anyone else's).
    A resumed digest does not catch up on the periods it was paused for."""
    subscription = DigestSubscription.objects.get(pk=subscription_id, manager=manager)
    if active and not subscription.active:
        subscription.last_period_sent = latest_period(
            subscription.frequency, now=timezone.now()
        ).start
    subscription.active = active
    subscription.save(update_fields=["active", "last_period_sent"])


def digest_delete(*, subscription_id: int, manager: User) -> None:
    DigestSubscription.objects.get(pk=subscription_id, manager=manager).delete()


def describe(subscriptions: list[DigestSubscription]) -> dict[int, str]:
    """Each subscription's slice in words ("Alex Agent · VPN · High", "Everything"): two
    queries at most, for any number of subscriptions."""
    return _in_words({s.pk: slice_of(s.filters) for s in subscriptions})


def describe_slice(filters: dict) -> str:
    return _in_words({None: slice_of(filters)})[None]


def _in_words(slices: dict) -> dict:
    agents = {v["assignee_id"] for v in slices.values() if v["assignee_id"]}
    categories = {v["category_id"] for v in slices.values() if v["category_id"]}
    agent_names = (
        dict(User.objects.filter(pk__in=agents).values_list("pk", "display_name")) if agents else {}
    )
    category_names = (
        dict(Category.objects.filter(pk__in=categories).values_list("pk", "name"))
        if categories
        else {}
    )
    gone = str(_("(deleted)"))
    words = {}
    for key, chosen in slices.items():
        parts = []
        if chosen["assignee_id"]:
            parts.append(agent_names.get(chosen["assignee_id"], gone))
        if chosen["category_id"]:
            parts.append(category_names.get(chosen["category_id"], gone))
        if chosen["priority"] in Priority.values:
            parts.append(str(Priority(chosen["priority"]).label))
        words[key] = " · ".join(parts) or str(_("everything"))
    return words


# --- Sending ----------------------------------------------------------------------------------


def _owed(subscription: DigestSubscription, period: Period) -> bool:
    if subscription.last_period_sent is not None and subscription.last_period_sent >= period.start:
        return False
    # A period that had ended before the subscription was made is not owed.
    return period.until > subscription.created_at


def send(*, subscription: DigestSubscription, period: Period) -> bool:
    """Queue this period's digest, unless it was queued already. Returns whether this call
    queued it."""
    detail = {
        "subscription": subscription.pk,
        "frequency": period.frequency,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "filters": slice_of(subscription.filters),
    }
    try:
        with transaction.atomic():
            # First the unique row: a concurrent run waits here for ours to commit, then fails.
            delivery = DigestDelivery.objects.create(
                subscription=subscription, period_start=period.start, period_end=period.end
            )
            delivery.notification = notifications.report_digest(
                recipient=subscription.manager, detail=detail
            )
            delivery.save(update_fields=["notification"])
            DigestSubscription.objects.filter(pk=subscription.pk).update(
                last_period_sent=period.start
            )
    except IntegrityError:
        return False  # another run of beat queued this period
    return True


def send_due(*, now: datetime | None = None) -> int:
    """Beat: queue the digest of the period that last ended for every active subscription of
    an active manager that has not had it. Returns how many were queued."""
    now = now or timezone.now()
    subscriptions = DigestSubscription.objects.filter(
        active=True, manager__is_active=True, manager__role=Role.MANAGER
    ).select_related("manager")
    queued = 0
    for subscription in subscriptions:
        period = latest_period(subscription.frequency, now=now)
        if _owed(subscription, period):
            queued += send(subscription=subscription, period=period)
    return queued
