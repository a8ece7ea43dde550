"""The help desk's tables, in four groups (in this order below):

- Tickets: Category (the affected service), Ticket (status guarded: it changes only through
  tickets.workflow.transition) and its reference helpers.
- What happened to a ticket, append-only: StatusHistory (every status change, who and why)
  and FieldChange (priority, service and assignee changes); then the conversation, Comment
  and Attachment; Notification (the outbox of e-mails, sent after commit); Rating;
  TicketFollower (people besides the customer who follow a ticket).
- Service levels: SlaPolicy (targets per priority), WorkingHours and Holiday (the business
  calendar), TicketMetrics (each ticket's clock, kept by tickets.metrics) and SlaAlert (one
  warning or breach per ticket and target, by tickets.sla_alerts).
- Reports: ReportSnapshot (a big report built in the background, tickets.reports.snapshots);
  DigestSubscription and DigestDelivery (a manager's report by e-mail, once per period,
  tickets.reports.digests).
"""

import uuid
from datetime import UTC, datetime
from pathlib import PurePath

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, Q, Value, When
from django.db.models.functions import Coalesce, Lower, Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.fields import OneLineCharField

from .errors import TicketChanged
from .limits import MESSAGE_MAX_LENGTH, RATING_COMMENT_MAX_LENGTH, SUBJECT_MAX_LENGTH
from .status import (
    ACTIVE_STATUSES,
    PRIORITY_RANK,
    STATUSES_WITH_ASSIGNEE,
    HoldKind,
    Priority,
    Status,
)

STATUS_CHANGE_FORBIDDEN = (
    "A ticket's status changes only through tickets.workflow.transition(), "
    "which checks the rule and records the history."
)
APPEND_ONLY = "{model} rows are append-only: they cannot be changed or deleted."


class StatusChangeForbidden(Exception):
    """Raised when code tries to change a ticket's status outside the workflow service."""


class AppendOnlyError(Exception):
    pass


class Team(models.Model):
    """Agents who work one kind of ticket together (tickets.routing assigns among them).

    A restricted team's tickets are for its members (and managers) only: other agents do not
    see them at all (queries.visible_to).
    """

    class Strategy(models.TextChoices):
        OFF = "off", _("Off: people take tickets themselves")
        ROUND_ROBIN = "round_robin", _("Round robin")
        LEAST_LOADED = "least_loaded", _("Least loaded")

    name = OneLineCharField(_("name"), max_length=100, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="TeamMembership",
        related_name="teams",
        blank=True,
        verbose_name=_("members"),
    )
    strategy = models.CharField(
        _("automatic assignment"),
        max_length=16,
        choices=Strategy.choices,
        default=Strategy.OFF,
    )
    default_capacity = models.PositiveSmallIntegerField(
        _("default capacity"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("Tickets a member works at once, unless their own capacity is set."),
    )
    restricted = models.BooleanField(
        _("restricted to its members"),
        default=False,
        help_text=_("Agents outside the team neither see nor take its tickets."),
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(strategy__in=["off", "round_robin", "least_loaded"]),
                name="team_strategy_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    """An agent in a team; when routing last gave them one of its tickets (round robin and
    the least-loaded tie-break read it)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "agent"], name="team_membership_unique"),
        ]
        indexes = [models.Index(fields=["agent", "team"], name="team_membership_agent_idx")]

    def __str__(self) -> str:
        return f"{self.agent_id} in {self.team_id}"


class Category(models.Model):
    """The affected system or service a ticket is about ("E-mail", "VPN", "Billing")."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive categories are not offered for new tickets."),
    )
    default_team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="categories",
        verbose_name=_("default team"),
        help_text=_("New tickets for this service go to this team."),
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TicketQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if "status" in kwargs:
            raise StatusChangeForbidden(STATUS_CHANGE_FORBIDDEN)
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, batch_size=None):
        if "status" in fields:
            raise StatusChangeForbidden(STATUS_CHANGE_FORBIDDEN)
        return super().bulk_update(objs, fields, batch_size=batch_size)


# Tickets with no SLA target running sort after every due time.
NO_DUE_DATE = datetime(9999, 1, 1, tzinfo=UTC)


def priority_rank() -> Case:
    """Urgent 0 … low 3: the queue's default order (and an index on unfinished tickets)."""
    return Case(
        *(When(priority=priority, then=Value(rank)) for priority, rank in PRIORITY_RANK.items()),
        output_field=models.IntegerField(),
    )


def sla_sort_key() -> Coalesce:
    return Coalesce("sla_due_at", Value(NO_DUE_DATE))


class Channel(models.TextChoices):
    """How a ticket arrived."""

    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("E-mail")
    API = "api", _("API")
    STAFF = "staff", _("Reported by staff")


class Ticket(models.Model):
    """One problem reported by one customer, from report to resolution.

    `status` is protected: saving a changed status raises StatusChangeForbidden unless the
    workflow service made the change (see workflow.transition).
    """

    subject = OneLineCharField(_("subject"), max_length=SUBJECT_MAX_LENGTH)
    description = models.TextField(_("description"))
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("customer"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("affected service"),
    )
    priority = models.CharField(
        _("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("team"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN, editable=False
    )
    # How it arrived (triggers match on it); tickets from before it was kept say "portal".
    channel = models.CharField(
        _("channel"),
        max_length=16,
        choices=Channel.choices,
        default=Channel.PORTAL,
        db_default=Channel.PORTAL,
        editable=False,
    )
    follow_up_to = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups",
        verbose_name=_("follow-up to"),
        help_text=_("The closed ticket this one continues."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)
    # When it came to its status (kept by the workflow): automations' "time in its status",
    # and the moment that makes an automation fire once per stay in a status.
    status_changed_at = models.DateTimeField(
        _("in this status since"), default=timezone.now, db_default=Now(), editable=False
    )
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # The earliest SLA target not yet met (NULL: none, or paused on hold); kept by
    # metrics.refresh so the queue can sort and filter by it.
    sla_due_at = models.DateTimeField(_("SLA due"), null=True, blank=True)
    # What a ticket on hold waits for (the kind its last hold recorded); NULL when not on
    # hold, or on a hold from before there were kinds (the customer). Kept by the workflow.
    hold_kind = models.CharField(  # noqa: DJ001
        _("on hold for"), max_length=16, choices=HoldKind.choices, null=True, blank=True
    )
    # The queue shows and sorts by it; kept by comment_add.
    customer_replied_at = models.DateTimeField(_("last customer reply"), null=True, blank=True)
    # Bumped on every change; a page or API client sends back the version it saw so that a
    # stale action is refused instead of silently overwriting someone else's.
    version = models.PositiveIntegerField(default=1, editable=False)
    # The same for what the customer can see (tickets.versions): moved by public activity
    # only, so that an internal note changes nothing on the customer's side.
    public_version = models.PositiveIntegerField(default=1, db_default=1, editable=False)
    public_updated_at = models.DateTimeField(
        _("updated (as the customer sees it)"),
        default=timezone.now,
        db_default=Now(),
        editable=False,
    )

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="ticket_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority__in=Priority.values), name="ticket_priority_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="ticket_channel_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=STATUSES_WITH_ASSIGNEE) | Q(assignee__isnull=False),
                name="ticket_worked_has_assignee",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.OPEN) | Q(assignee__isnull=True),
                name="ticket_open_is_unassigned",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.RESOLVED) | Q(resolved_at__isnull=False),
                name="ticket_resolved_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.CLOSED) | Q(closed_at__isnull=False),
                name="ticket_closed_has_time",
            ),
            models.CheckConstraint(
                condition=Q(hold_kind__isnull=True)
                | Q(status=Status.ON_HOLD, hold_kind__in=HoldKind.values),
                name="ticket_hold_kind_on_hold",
            ),
        ]
        indexes = [
            # The working queue: only unfinished tickets, a small fraction of all of them.
            models.Index(
                fields=["-created_at", "-id"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="ticket_active_created_idx",
            ),
            models.Index(fields=["status", "-created_at", "-id"], name="ticket_status_created_idx"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status_idx"),
            models.Index(
                fields=["customer", "-public_updated_at", "-id"],
                name="ticket_customer_public_idx",
            ),
            models.Index(fields=["status", "-resolved_at"], name="ticket_status_resolved_idx"),
            # Due times, and (on PostgreSQL, the only database with covering indexes) what the
            # backlog counts, so both are answered from the index alone (migration 0012).
            models.Index(
                fields=["sla_due_at"],
                include=["status", "created_at", "assignee", "category", "priority"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="ticket_active_sla_idx",
            ),
            # The queue's sorts, each read straight through by keyset paging
            # (queries.queue_page): unfinished tickets by priority, by SLA due time and by
            # last update; every ticket newest first (the "All" view).
            models.Index(
                priority_rank(),
                "created_at",
                "id",
                condition=Q(status__in=ACTIVE_STATUSES),
                name="ticket_active_priority_idx",
            ),
            models.Index(
                sla_sort_key(),
                "id",
                condition=Q(status__in=ACTIVE_STATUSES),
                name="ticket_active_sla_sort_idx",
            ),
            models.Index(
                fields=["-updated_at", "-id"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="ticket_active_updated_idx",
            ),
            models.Index(fields=["-created_at", "-id"], name="ticket_created_idx"),
            # The same sorts over every ticket ("All", "Resolved", "Closed", a search): read in
            # order and filtered, the first page is found without sorting the whole table.
            models.Index(priority_rank(), "created_at", "id", name="ticket_priority_idx"),
            models.Index(sla_sort_key(), "id", name="ticket_sla_sort_idx"),
            models.Index(fields=["-updated_at", "-id"], name="ticket_updated_idx"),
            # A team's tickets waiting for automatic assignment, and its queue filter.
            models.Index(fields=["team", "status"], name="ticket_team_status_idx"),
            # Automations' candidates: tickets in a status since before a moment.
            models.Index(fields=["status", "status_changed_at"], name="ticket_status_since_idx"),
            # The dashboard's unfinished tickets by status and priority: read in order, so
            # counted without hashing a row (tickets.reports.dashboard).
            models.Index(
                fields=["status", "priority"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="ticket_active_status_prio_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    # The fields a stale copy must never write back: the row must still hold what this copy
    # read, or the save is refused (see _do_update).
    GUARDED_FIELDS = ("status", "version")

    def save(self, *args, **kwargs):
        if self._state.adding:
            if self.status != Status.OPEN:
                raise StatusChangeForbidden("A new ticket starts open.")
        elif self.status != self._loaded().get("status", self.status) and not getattr(
            self, "_workflow_may_save_status", False
        ):
            raise StatusChangeForbidden(STATUS_CHANGE_FORBIDDEN)
        super().save(*args, **kwargs)
        self._remember_loaded(self.GUARDED_FIELDS)
        self._workflow_may_save_status = False

    def _loaded(self) -> dict:
        return self.__dict__.setdefault("_loaded_values", {})

    def _remember_loaded(self, fields) -> None:
        # A new dict, never updated in place: a copy of this instance keeps what it read.
        read = {
            f: self.__dict__[f] for f in fields if f in self.GUARDED_FIELDS and f in self.__dict__
        }
        self._loaded_values = {**self._loaded(), **read}

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update):
        """The UPDATE of a status or version happens only where the row still holds the
        values this copy read. A copy loaded before someone else's change (a shell, a
        long-running script) is refused instead of putting the status back or lowering the
        version; the check costs no query when the row is current."""
        written = {field.attname for field, _model, _value in values}
        expected = {
            name: value
            for name, value in self._loaded().items()
            if name in written and name in self.GUARDED_FIELDS
        }
        guarded = base_qs.filter(**expected) if expected else base_qs
        updated = super()._do_update(guarded, using, pk_val, values, update_fields, forced_update)
        if not updated and expected and base_qs.filter(pk=pk_val).exists():
            raise TicketChanged()
        return updated

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._remember_loaded(cls.GUARDED_FIELDS)
        return instance

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        self._remember_loaded(fields or self.GUARDED_FIELDS)

    @property
    def reference(self) -> str:
        """What people quote on the phone: HD-1042."""
        return format_reference(self.pk)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


def format_reference(pk: int | None) -> str:
    return f"{settings.TICKET_REFERENCE_PREFIX}-{pk}" if pk else ""


def parse_reference(text: str) -> int | None:
    """'HD-1042', 'hd-1042', '#1042' or '1042' → 1042; anything else → None.

    Only the digits 0-9 count: "²" and "①" are digits to str.isdigit() but not to int()."""
    text = text.strip().upper().lstrip("#")
    prefix = f"{settings.TICKET_REFERENCE_PREFIX.upper()}-"
    text = text.removeprefix(prefix)
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(APPEND_ONLY.format(model=self.model.__name__))

    def delete(self):
        raise AppendOnlyError(APPEND_ONLY.format(model=self.model.__name__))


class AppendOnlyModel(models.Model):
    """A record of something that happened. The database also refuses UPDATE and DELETE."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(APPEND_ONLY.format(model=type(self).__name__))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(APPEND_ONLY.format(model=type(self).__name__))


class StatusHistory(AppendOnlyModel):
    """One status change: from, to, who (NULL actor = the system), why, when.

    The first row of every ticket is its creation (from NULL to open); each later row starts
    where the previous one ended, so the rows form a chain that replays the ticket's life.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="history")
    # NULL (not "") marks the creation row: the check constraints rely on it.
    from_status = models.CharField(  # noqa: DJ001
        max_length=16, choices=Status.choices, null=True, blank=True
    )
    to_status = models.CharField(max_length=16, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the system made the change."),
    )
    # Who was on the ticket after this change: lets a timeline say "Assigned to Alex".
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    # Who reads the note: the customer too, or staff only (tickets.workflow.note_audience).
    note_public = models.BooleanField(
        default=False,
        db_default=False,
        help_text=_("Whether the customer reads the note; else staff only."),
    )
    # What a change to on hold waits for (NULL on other rows, and on holds recorded before
    # there were kinds: those waited for the customer).
    hold_kind = models.CharField(  # noqa: DJ001
        max_length=16, choices=HoldKind.choices, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The automatic rule that made the change ("routing:least_loaded:team=3"), empty when a
    # person did or the change needs no rule to explain it.
    rule = models.CharField(max_length=200, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status history")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(to_status__in=Status.values), name="history_to_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(from_status__isnull=True) | Q(from_status__in=Status.values),
                name="history_from_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(from_status__isnull=True) | ~Q(from_status=models.F("to_status")),
                name="history_changes_status",
            ),
            models.CheckConstraint(
                condition=Q(from_status__isnull=False) | Q(to_status=Status.OPEN),
                name="history_starts_open",
            ),
            models.CheckConstraint(
                condition=Q(hold_kind__isnull=True)
                | Q(to_status=Status.ON_HOLD, hold_kind__in=HoldKind.values),
                name="history_hold_kind_on_hold",
            ),
        ]
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="history_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"

    @property
    def waits_on_third_party(self) -> bool:
        return self.hold_kind == HoldKind.THIRD_PARTY


class FieldChange(AppendOnlyModel):
    """A recorded change that is not a status change: reassignment, priority, category,
    subject, team (staff only)."""

    class Field(models.TextChoices):
        ASSIGNEE = "assignee", _("Assignee")
        PRIORITY = "priority", _("Priority")
        CATEGORY = "category", _("Affected service")
        SUBJECT = "subject", _("Subject")
        TEAM = "team", _("Team")

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="field_changes")
    field = models.CharField(max_length=16, choices=Field.choices)
    # Raw values: a user, category or team id, a priority code, a subject; empty for "none".
    old_value = models.CharField(max_length=SUBJECT_MAX_LENGTH, blank=True)
    new_value = models.CharField(max_length=SUBJECT_MAX_LENGTH, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The automatic rule that made the change ("trigger:4"), as StatusHistory.rule.
    rule = models.CharField(max_length=200, blank=True, default="", db_default="")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(field__in=["assignee", "priority", "category", "subject", "team"]),
                name="field_change_field_valid",
            ),
            models.CheckConstraint(
                condition=~Q(old_value=models.F("new_value")), name="field_change_changes"
            ),
        ]
        indexes = [models.Index(fields=["ticket", "created_at"], name="field_change_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value or '∅'} → {self.new_value or '∅'}"


class Comment(models.Model):
    """A message on a ticket: a public reply both sides see, or an internal note for staff."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("message"))
    is_internal = models.BooleanField(_("internal note"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at", "id"], name="comment_ticket_idx"),
            # Replies and notes written in a range, per author (reports.workload).
            models.Index(fields=["created_at"], name="comment_created_idx"),
        ]

    def __str__(self) -> str:
        kind = "note" if self.is_internal else "reply"
        return f"{kind} by {self.author_id} on {self.ticket_id}"


class TicketSearch(models.Model):
    """What a search matches a ticket by, kept by PostgreSQL itself (migration 0027's
    triggers, on every write to a ticket, its comments, its notes or its customer's name):
    `staff` holds everything an agent may read, `customer` only what the customer may.

    Unused on SQLite, which searches by LIKE (queries.search)."""

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    staff = SearchVectorField()
    customer = SearchVectorField()

    class Meta:
        indexes = [
            GinIndex(fields=["staff"], name="ticket_search_staff_idx"),
            GinIndex(fields=["customer"], name="ticket_search_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"search document of {self.ticket_id}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    # A random name with no trace of the uploader's: nothing to guess, nothing to execute.
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="attachments")
    comment = models.ForeignKey(
        Comment, on_delete=models.PROTECT, null=True, blank=True, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="attachment_ticket_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(size__gte=0), name="attachment_size_valid")
        ]

    def __str__(self) -> str:
        return self.original_name


def message_domain() -> str:
    """The domain of our Message-IDs: the sender's, else the site's."""
    from email.utils import parseaddr
    from urllib.parse import urlsplit

    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    domain = address.rpartition("@")[2] or urlsplit(settings.SITE_URL).hostname or "helpdesk"
    return domain.strip("<>[] ").lower() or "helpdesk"


def new_message_id() -> str:
    return f"<notification.{uuid.uuid4().hex}@{message_domain()}>"


# Notification.ACCOUNT_EVENTS as the database's check names them (Meta cannot see the class).
ACCOUNT_EVENT_VALUES = ("password_reset", "password_changed", "account_created", "signup_attempt")
# Events about neither a ticket nor an account: an answer to an address that has no account.
ADDRESS_EVENT_VALUES = ("mail_refused",)
# The events about no ticket: an account's, an address's, and a manager's report digest.
TICKETLESS_EVENT_VALUES = (*ACCOUNT_EVENT_VALUES, *ADDRESS_EVENT_VALUES, "report_digest")


class Notification(models.Model):
    """The outbox: one row per message owed to one person, written in the same transaction
    as the change it reports. A task delivers it after commit; the row, not the broker, is
    the source of truth, so a message is neither lost nor sent twice."""

    class Event(models.TextChoices):
        RECEIVED = "received", _("Ticket received")
        ASSIGNED = "assigned", _("Ticket assigned to you")
        ON_HOLD = "on_hold", _("Ticket waiting for you")
        RESOLVED = "resolved", _("Ticket resolved")
        REOPENED = "reopened", _("Ticket reopened")
        AUTO_CLOSED = "auto_closed", _("Ticket closed")
        CLOSED = "closed", _("Ticket closed by the help desk")
        REPLY = "reply", _("New reply")
        SLA_WARNING = "sla_warning", _("SLA target due soon")
        SLA_BREACH = "sla_breach", _("SLA target breached")
        # About an account, not a ticket (accounts.mails builds them).
        PASSWORD_RESET = "password_reset", _("Password reset link")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        ACCOUNT_CREATED = "account_created", _("Account created")
        SIGNUP_ATTEMPT = "signup_attempt", _("Sign-up with an address in use")
        # To an address, not a person (tickets.inbound.answers builds it).
        MAIL_REFUSED = "mail_refused", _("Automatic answer: e-mail not accepted")
        # A manager's scheduled report (tickets.reports.digests builds it).
        REPORT_DIGEST = "report_digest", _("Report digest")
        # A message a trigger or automation sends (tickets.rules.actions): its text in detail.
        RULE_MESSAGE = "rule_message", _("Message from a help desk rule")

    # The events about an account: they have no ticket.
    ACCOUNT_EVENTS = frozenset(map(Event, ACCOUNT_EVENT_VALUES))
    # Written to `address`, with no recipient and no ticket.
    ADDRESS_EVENTS = frozenset(map(Event, ADDRESS_EVENT_VALUES))
    # Every event with no ticket; every other event has one.
    TICKETLESS_EVENTS = frozenset(map(Event, TICKETLESS_EVENT_VALUES))
    # The events that are automatic answers to an e-mail we received carry its Message-ID as
    # detail[ANSWERS] (tickets.inbound.answers counts them per sender).
    ANSWERS = "answers"

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    event = models.CharField(max_length=16, choices=Event.choices)
    ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, null=True, blank=True, related_name="notifications"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notifications",
    )
    # Where an ADDRESS_EVENTS message goes (normalised); empty for every other event.
    address = models.CharField(max_length=320, blank=True)
    history = models.ForeignKey(
        StatusHistory, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    comment = models.ForeignKey(
        Comment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sla_alert = models.ForeignKey(
        "SlaAlert", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # What an account event's message says besides who it is for (e.g. how a password was
    # set): never a secret, as a reset link's token is made when the message is sent.
    detail = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    # Attempts charged against the retry budget (reset by "retry now"); every attempt, charged
    # or not, is also kept as a NotificationAttempt.
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Fixed when the row is written and sent with every attempt, so that a receiver can drop
    # the duplicate of a mail whose acceptance we never heard of.
    message_id = models.CharField(max_length=255, unique=True, default=new_message_id)
    # A pending row is not tried before this (NULL: at once); set by a temporary failure and
    # by a delivery pause.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # The first temporary failure since the last success or "retry now": the retry budget
    # (EMAIL_RETRY_HOURS) runs from here.
    failing_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["pending", "sending", "sent", "failed"]),
                name="notification_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(event__in=TICKETLESS_EVENT_VALUES, ticket__isnull=True)
                | (~Q(event__in=TICKETLESS_EVENT_VALUES) & Q(ticket__isnull=False)),
                name="notification_ticket_iff_ticket_event",
            ),
            models.CheckConstraint(
                condition=(
                    Q(event__in=ADDRESS_EVENT_VALUES, recipient__isnull=True) & ~Q(address="")
                )
                | (~Q(event__in=ADDRESS_EVENT_VALUES) & Q(recipient__isnull=False, address="")),
                name="notification_address_iff_address_event",
            ),
            models.UniqueConstraint(
                fields=["event", "recipient", "history"],
                condition=Q(history__isnull=False),
                name="notification_once_per_change",
            ),
            models.UniqueConstraint(
                fields=["event", "recipient", "comment"],
                condition=Q(comment__isnull=False),
                name="notification_once_per_comment",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(state__in=["pending", "sending"]),
                name="notification_unsent_idx",
            ),
            # The operators' counts and lists: everything not sent (failed rows included).
            models.Index(
                fields=["state", "event"],
                condition=~Q(state="sent"),
                name="notification_not_sent_idx",
            ),
            # Automatic answers to an address with no account, counted per sender.
            models.Index(
                fields=["address", "created_at"],
                condition=~Q(address=""),
                name="notification_address_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.recipient_id or self.address} ({self.state})"

    @property
    def to(self) -> str:
        """The address the message goes to."""
        return self.recipient.email if self.recipient_id else self.address


class NotificationAttempt(AppendOnlyModel):
    """One try at handing a notification to the mail server: when, how long, what came of
    it and the server's answer. Append-only, so the story of a delivery can be read later."""

    class Outcome(models.TextChoices):
        SENT = "sent", _("Accepted by the server")
        TEMPORARY = "temporary", _("Temporary failure, retried")
        PERMANENT = "permanent", _("Refused for good")
        PAUSED = "paused", _("Server trouble, delivery paused")
        ABANDONED = "abandoned", _("Never finished (worker stopped)")
        EXPIRED = "expired", _("Retry time used up")

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="attempt_log"
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    answer = models.TextField(blank=True)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"{self.notification_id} at {self.started_at:%Y-%m-%d %H:%M:%S}: {self.outcome}"


class DeliveryPause(models.Model):
    """At most one row: mail delivery stopped for everyone until `until`, because the server
    refused us rather than a recipient (credentials, TLS, nobody listening)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    until = models.DateTimeField(null=True, blank=True)
    since = models.DateTimeField(null=True, blank=True)
    # Server-wide failures in a row; the pause doubles with each.
    failures = models.PositiveSmallIntegerField(default=0)
    reason = models.TextField(blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="delivery_pause_single")]

    def __str__(self) -> str:
        return f"paused until {self.until}" if self.until else "not paused"


class Rating(models.Model):
    """The customer's verdict on a resolved ticket: 1 to 5 and a word, once per ticket."""

    ticket = models.OneToOneField(Ticket, on_delete=models.PROTECT, related_name="rating")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    score = models.PositiveSmallIntegerField(_("rating"))
    comment = models.TextField(_("comment"), blank=True, max_length=RATING_COMMENT_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="rating_score_1_5")
        ]

    def __str__(self) -> str:
        return f"{self.score}/5 for {self.ticket_id}"


class TicketFollower(models.Model):
    """Someone besides the customer who follows a ticket: put in Cc of its mail, or added by
    staff. They read its public side, reply on it and receive its public replies; the
    workflow's steps stay the customer's (tickets.followers)."""

    # Both looked up through the two-column indexes below, not indexes of their own.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="followers", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed", db_index=False
    )
    # None: the help desk added them (from the Cc of a message).
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="ticket_follower_unique")
        ]
        # "Tickets you follow" and visible_to() look rows up by user.
        indexes = [models.Index(fields=["user", "ticket"], name="ticket_follower_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.ticket_id}"


# --- Service levels -----------------------------------------------------------------------


class SlaPolicy(models.Model):
    """How fast a ticket of one priority must get its first answer and its resolution."""

    class Counting(models.TextChoices):
        CALENDAR = "calendar", _("Calendar hours (around the clock)")
        BUSINESS = "business", _("Business hours (working days and hours, minus holidays)")

    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices, unique=True)
    first_response_minutes = models.PositiveIntegerField(_("first response target (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution target (minutes)"))
    counting = models.CharField(
        _("counted in"), max_length=16, choices=Counting.choices, default=Counting.BUSINESS
    )
    pause_on_third_party = models.BooleanField(
        _("pause while waiting on a third party"),
        default=True,
        db_default=True,
        help_text=_(
            "A hold waiting for the customer always stops the clock; a hold waiting on a third "
            "party stops it only if this is on."
        ),
    )

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(priority__in=Priority.values), name="sla_priority_valid"
            ),
            models.CheckConstraint(
                condition=Q(first_response_minutes__gt=0, resolution_minutes__gt=0),
                name="sla_targets_positive",
            ),
        ]

    def __str__(self) -> str:
        first, resolve = self.first_response_minutes, self.resolution_minutes
        return f"{self.get_priority_display()}: {first} / {resolve} min"


class WorkingHours(models.Model):
    """One working day of the week and its hours, in the help desk's time zone."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices, unique=True)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["weekday"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="working_weekday_valid"),
            models.CheckConstraint(condition=Q(closes__gt=models.F("opens")), name="working_open"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class Holiday(models.Model):
    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date}: {self.name}"


class TicketMetrics(models.Model):
    """Each ticket's clock, worked out from its history and comments (tickets/metrics.py).

    Reports aggregate these rows in the database instead of replaying every history.
    """

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, primary_key=True, related_name="metrics"
    )
    # Copies for slicing without a join.
    created_at = models.DateTimeField()
    priority = models.CharField(max_length=16, choices=Priority.choices)
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices)
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_resolved_at = models.DateTimeField(null=True, blank=True)
    last_resolved_at = models.DateTimeField(null=True, blank=True)
    # The last resolution of a ticket resolved (or closed from resolved) now; NULL otherwise.
    final_resolved_at = models.DateTimeField(null=True, blank=True)
    # Durations in seconds (wall clock). NULL: has not happened (yet).
    first_response_seconds = models.FloatField(null=True, blank=True)
    resolution_seconds = models.FloatField(null=True, blank=True)
    full_resolution_seconds = models.FloatField(null=True, blank=True)
    # The same in working seconds of the business calendar (NULL without working hours).
    first_response_business_seconds = models.FloatField(null=True, blank=True)
    resolution_business_seconds = models.FloatField(null=True, blank=True)
    full_resolution_business_seconds = models.FloatField(null=True, blank=True)
    # Time on hold in the stretches that ended; a stretch still running is kept as its start
    # (as a moment, as epoch seconds and as the calendar's running total of working seconds,
    # sla.business_total) so that a report adds it up to the moment it is read.
    on_hold_seconds = models.FloatField(default=0)
    on_hold_business_seconds = models.FloatField(null=True, blank=True)
    on_hold_since = models.DateTimeField(null=True, blank=True)
    on_hold_since_epoch = models.FloatField(null=True, blank=True)
    on_hold_since_business = models.FloatField(null=True, blank=True)
    reopen_count = models.PositiveIntegerField(default=0)
    # The customer's rating (1-5), copied by services.rating_add; refresh() leaves it alone.
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    # SLA: due times (NULL when met, paused on hold, or no policy) and outcomes (NULL: open
    # and not yet due, or no policy).
    response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    response_met = models.BooleanField(null=True, blank=True)
    resolution_met = models.BooleanField(null=True, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = _("ticket metrics")
        indexes = [
            models.Index(fields=["created_at"], name="metrics_created_idx"),
            models.Index(fields=["first_resolved_at"], name="metrics_resolved_idx"),
            models.Index(fields=["final_resolved_at"], name="metrics_final_resolved_idx"),
            models.Index(fields=["assignee", "created_at"], name="metrics_assignee_idx"),
            # The report's "needs attention": only the tickets concerned (reports.drill).
            models.Index(
                fields=["on_hold_since"],
                condition=Q(status=Status.ON_HOLD),
                name="metrics_waiting_idx",
            ),
            models.Index(
                fields=["ticket"],
                condition=Q(status__in=ACTIVE_STATUSES, reopen_count__gte=2),
                name="metrics_reopened_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"metrics of {self.ticket_id}"


class SlaAlert(models.Model):
    """A warning or breach message that went out for one ticket and target: each once."""

    class Target(models.TextChoices):
        RESPONSE = "response", _("first response")
        RESOLUTION = "resolution", _("resolution")

    class Kind(models.TextChoices):
        WARNING = "warning", _("due soon")
        BREACH = "breach", _("breached")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_alerts")
    target = models.CharField(max_length=16, choices=Target.choices)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "target", "kind"], name="sla_alert_once")
        ]
        indexes = [
            # The dashboard's "breached today".
            models.Index(
                fields=["due_at"], condition=Q(kind="breach"), name="sla_alert_breach_due_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.target} {self.kind}"


class ReportSnapshot(models.Model):
    """A report over too many tickets to build on each request, built in the background
    (tickets/reports/snapshots.py) and served with the time it was computed."""

    key = models.CharField(max_length=64, unique=True)  # sha256 of the filters
    filters = models.JSONField()
    tickets = models.PositiveIntegerField(default=0)  # in range when last asked for
    payload = models.JSONField(null=True, blank=True)  # NULL: not computed yet
    computed_at = models.DateTimeField(null=True, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    # Set while a worker builds it: a second worker leaves it alone until the lease runs out.
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["requested_at"], name="snapshot_requested_idx")]

    def __str__(self) -> str:
        return f"report snapshot {self.filters}"


def inbound_path(instance: "InboundMessage", filename: str) -> str:
    return f"inbound/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.eml"


class InboundMessage(models.Model):
    """One e-mail that reached the help desk, kept as it arrived, and what became of it.

    Written in the same transaction as the ticket or reply the message made, under unique
    keys (its Message-ID and a hash of its bytes): a message fetched twice, or by two fetchers
    at once, is acted on once.
    """

    class State(models.TextChoices):
        PROCESSED = "processed", _("Processed")  # it made a ticket or a reply
        IGNORED = "ignored", _("Ignored")  # automatic mail: auto-replies, lists, bounces
        REJECTED = "rejected", _("Rejected")  # refused by policy (an unknown sender)
        QUARANTINED = "quarantined", _("Quarantined")  # could not be processed; see reason

    class Source(models.TextChoices):
        IMAP = "imap", _("IMAP mailbox")
        WEBHOOK = "webhook", _("Provider webhook")
        PIPE = "pipe", _("receive_email command")

    # sha256 of the Message-ID; NULL when the message has none (the digest still dedups it).
    message_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    digest = models.CharField(max_length=64, unique=True)  # sha256 of the raw bytes
    message_id = models.TextField(blank=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    state = models.CharField(max_length=16, choices=State.choices)
    reason = models.TextField(blank=True)
    sender = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=SUBJECT_MAX_LENGTH, blank=True)
    ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, null=True, blank=True, related_name="inbound_messages"
    )
    comment = models.ForeignKey(
        Comment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    raw = models.FileField(upload_to=inbound_path, max_length=200, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mail")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["processed", "ignored", "rejected", "quarantined"]),
                name="inbound_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender or '?'}: {self.subject or '(no subject)'} ({self.state})"


class DigestSubscription(models.Model):
    """A manager's daily or weekly e-mail of the report over a saved slice
    (tickets.reports.digests sends it)."""

    class Frequency(models.TextChoices):
        DAILY = "daily", _("Daily (the day before)")
        WEEKLY = "weekly", _("Weekly (Monday to Sunday)")

    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_subscriptions"
    )
    frequency = models.CharField(_("how often"), max_length=16, choices=Frequency.choices)
    # The report's slice, as ReportFilters names it: assignee_id, category_id, priority.
    filters = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=True)
    # The first day of the last period sent: a period is sent once.
    last_period_sent = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(frequency__in=["daily", "weekly"]), name="digest_frequency_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.frequency} digest for {self.manager_id}"


class DigestDelivery(models.Model):
    """One period's digest of one subscription, written in the same transaction as its
    outbox row: the unique key keeps a second run of beat from sending it again."""

    subscription = models.ForeignKey(
        DigestSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    period_start = models.DateField()
    period_end = models.DateField()
    notification = models.ForeignKey(
        Notification, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period_start"], name="digest_once_per_period"
            ),
        ]

    def __str__(self) -> str:
        return f"digest {self.subscription_id} for {self.period_start}"


# --- Macros -------------------------------------------------------------------------------


class Macro(models.Model):
    """A canned response: a text with placeholders (tickets.macros renders them) and what the
    reply sent from it may also do — set a priority, move the ticket (with a hold's kind).
    Shared (no owner: managers keep them) or one agent's own."""

    title = OneLineCharField(_("title"), max_length=120)
    body = models.TextField(_("text"), max_length=MESSAGE_MAX_LENGTH)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="macros",
        verbose_name=_("owner"),
        help_text=_("Empty: shared with every agent."),
    )
    set_priority = models.CharField(
        _("set priority"), max_length=16, choices=Priority.choices, blank=True, default=""
    )
    target_status = models.CharField(
        _("then move to"), max_length=16, choices=Status.choices, blank=True, default=""
    )
    hold_kind = models.CharField(
        _("waiting for"), max_length=16, choices=HoldKind.choices, blank=True, default=""
    )
    usage_count = models.PositiveIntegerField(_("times used"), default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hold_kind="") | Q(target_status=Status.ON_HOLD),
                name="macro_hold_kind_only_with_hold",
            ),
        ]
        indexes = [models.Index(fields=["owner", "title"], name="macro_owner_title_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None

    @property
    def then(self) -> str:
        """The composer's "Send and …" value for the move (AgentReplyForm.then), or ""."""
        if not self.target_status:
            return ""
        return f"{self.target_status}:{self.hold_kind}" if self.hold_kind else self.target_status


class SavedView(models.Model):
    """A queue view kept under a name: its tab, filters, search and sort as the queue's own
    query string (tickets.saved_views keeps it clean). An agent's own, or shared (no owner:
    managers keep them)."""

    name = OneLineCharField(_("name"), max_length=80)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="saved_views",
        help_text=_("Empty: shared with every agent."),
    )
    query = models.CharField(max_length=1000)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                "owner", Lower("name"), name="saved_view_name_unique_per_owner"
            ),
            models.UniqueConstraint(
                Lower("name"), condition=Q(owner__isnull=True), name="saved_view_shared_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


# --- Rules: triggers and automations (tickets.rules) ---------------------------------------


class Trigger(models.Model):
    """What to do to a ticket when it is created or updated and matches the conditions.

    `conditions` and `actions` are small JSON lists in a fixed vocabulary
    (tickets.rules.conditions, tickets.rules.actions), checked when saved. Triggers run in
    `position` order."""

    class Event(models.TextChoices):
        CREATED = "created", _("A ticket is created")
        UPDATED = "updated", _("A ticket is updated")

    name = OneLineCharField(_("name"), max_length=100)
    event = models.CharField(_("when"), max_length=16, choices=Event.choices)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    actions = models.JSONField(_("actions"), default=list)
    position = models.PositiveIntegerField(_("position"), default=0)
    enabled = models.BooleanField(_("enabled"), default=True)
    last_fired_at = models.DateTimeField(_("last fired"), null=True, blank=True, editable=False)
    fire_count = models.PositiveIntegerField(_("times fired"), default=0, editable=False)
    # Who last saved it: the author of the internal notes it writes.
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("trigger")
        verbose_name_plural = _("triggers")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(event__in=["created", "updated"]), name="trigger_event_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["event", "position", "id"],
                condition=Q(enabled=True),
                name="trigger_enabled_idx",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def rule(self) -> str:
        return f"trigger:{self.pk}"


class RuleLog(AppendOnlyModel):
    """What a trigger or automation did to a ticket: fired, an action refused (and why), or
    stopped by the loop guard. `rule` as in StatusHistory.rule ("trigger:4")."""

    class Outcome(models.TextChoices):
        FIRED = "fired", _("Fired")
        REFUSED = "refused", _("Action refused")
        STOPPED = "stopped", _("Stopped by the loop guard")

    rule = models.CharField(max_length=200)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=["fired", "refused", "stopped"]),
                name="rule_log_outcome_valid",
            ),
        ]
        indexes = [models.Index(fields=["rule", "-created_at", "-id"], name="rule_log_rule_idx")]

    def __str__(self) -> str:
        return f"{self.rule} {self.outcome} on {self.ticket_id}"


class Automation(models.Model):
    """What to do to tickets that have matched the conditions for some time (elapsed-time
    conditions, tickets.rules.conditions), run by beat (tickets.rules.automations). Each
    fires at most once per ticket and stay in a status (AutomationRun)."""

    class Builtin(models.TextChoices):
        AUTO_CLOSE = "auto_close", _("Close resolved tickets")

    name = OneLineCharField(_("name"), max_length=100)
    conditions = models.JSONField(_("conditions"), default=list)
    actions = models.JSONField(_("actions"), default=list)
    position = models.PositiveIntegerField(_("position"), default=0)
    enabled = models.BooleanField(_("enabled"), default=True)
    # A rule the help desk came with (the auto-close), run by its own task; its shape is fixed.
    builtin = models.CharField(
        max_length=16, choices=Builtin.choices, blank=True, default="", editable=False
    )
    last_fired_at = models.DateTimeField(_("last fired"), null=True, blank=True, editable=False)
    fire_count = models.PositiveIntegerField(_("times fired"), default=0, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("automation")
        verbose_name_plural = _("automations")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["builtin"], condition=~Q(builtin=""), name="automation_builtin_once"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def rule(self) -> str:
        return f"automation:{self.pk}"


class AutomationRun(models.Model):
    """An automation fired on a ticket during one stay in a status (`key`: the ticket's
    status_changed_at then). Inserted under the ticket's row lock, unique: two beat
    processes by mistake still fire once."""

    automation = models.ForeignKey(Automation, on_delete=models.CASCADE, related_name="runs")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    key = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["automation", "ticket", "key"], name="automation_run_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.automation_id} on {self.ticket_id} at {self.key}"
