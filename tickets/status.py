"""The vocabulary of tickets: statuses and priorities.

Kept apart from workflow.py so models can import it without importing the rules.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    ON_HOLD = "on_hold", _("On hold")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


class HoldKind(models.TextChoices):
    """What a ticket on hold waits for. A hold recorded before there were kinds (NULL) was
    waiting for the customer."""

    CUSTOMER = "customer", _("Waiting for the customer")
    THIRD_PARTY = "third_party", _("Waiting on a third party")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


# Work not yet finished: what a queue shows.
ACTIVE_STATUSES = (Status.OPEN, Status.ASSIGNED, Status.IN_PROGRESS, Status.ON_HOLD)
# A ticket in one of these has someone on it; the database refuses it without an assignee.
STATUSES_WITH_ASSIGNEE = (Status.ASSIGNED, Status.IN_PROGRESS, Status.ON_HOLD)
# Urgent first.
PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}
