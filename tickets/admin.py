"""The admin shows tickets and their history; it changes status only through the workflow,
recomputes the SLA clocks when their policies or calendar change, and lets operators retry
or give up notifications that did not go out."""

from collections.abc import Iterable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from . import delivery, tasks, workflow
from .errors import TicketError
from .models import (
    Attachment,
    Category,
    Comment,
    FieldChange,
    Holiday,
    InboundMessage,
    Notification,
    NotificationAttempt,
    SlaPolicy,
    StatusHistory,
    Ticket,
    WorkingHours,
    format_reference,
)
from .status import Status


class RecomputesDueTimes(admin.ModelAdmin):
    """What is saved or deleted here changes the SLA clocks: the unfinished tickets' due times
    are recomputed in the background once it commits, and the page says so."""

    RECOMPUTING = _("The due times of the unfinished tickets are being recomputed.")

    def affected_priorities(self, objects: Iterable, form=None) -> list[str] | None:
        return None  # every priority

    def _recompute(self, request: HttpRequest, priorities: list[str] | None) -> None:
        tasks.refresh_due_times_after_commit(priorities=priorities)
        self.message_user(request, self.RECOMPUTING)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._recompute(request, self.affected_priorities([obj], form))

    def delete_model(self, request, obj):
        priorities = self.affected_priorities([obj])
        super().delete_model(request, obj)
        self._recompute(request, priorities)

    def delete_queryset(self, request, queryset):
        priorities = self.affected_priorities(list(queryset))
        super().delete_queryset(request, queryset)
        self._recompute(request, priorities)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(RecomputesDueTimes):
    list_display = (
        "priority",
        "first_response_minutes",
        "resolution_minutes",
        "counting",
        "pause_on_third_party",
    )

    def affected_priorities(self, objects: Iterable[SlaPolicy], form=None) -> list[str]:
        """The tickets of the policy's priority, and of the one it had before."""
        priorities = {policy.priority for policy in objects}
        if form is not None and "priority" in form.changed_data and form.initial.get("priority"):
            priorities.add(form.initial["priority"])
        return sorted(priorities)


@admin.register(WorkingHours)
class WorkingHoursAdmin(RecomputesDueTimes):
    list_display = ("weekday", "opens", "closes")


@admin.register(Holiday)
class HolidayAdmin(RecomputesDueTimes):
    list_display = ("date", "name")
    date_hierarchy = "date"


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "description", "default_team", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name",)

    def has_delete_permission(self, request, obj=None):
        return False  # tickets refer to categories; deactivate instead


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class HistoryInline(ReadOnlyInline):
    model = StatusHistory
    fields = ("created_at", "from_status", "to_status", "actor", "assignee", "note", "note_public")
    readonly_fields = fields


class CommentInline(ReadOnlyInline):
    model = Comment
    fields = ("created_at", "author", "is_internal", "body")
    readonly_fields = fields


def _transition_action(target: Status, description: str):
    """An admin action that moves each selected ticket through the workflow service."""

    @admin.action(description=description)
    def action(modeladmin, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        done, failed = 0, []
        note = f"{target.label} from the admin"
        for ticket_id in queryset.values_list("pk", flat=True):
            try:
                workflow.transition(ticket_id=ticket_id, to=target, actor=request.user, note=note)
                done += 1
            except TicketError as error:
                failed.append(f"{format_reference(ticket_id)}: {error.message}")
        if done:
            modeladmin.message_user(request, f"{done} ticket(s) moved to {target.label}.")
        for line in failed:
            modeladmin.message_user(request, line, level=messages.ERROR)

    action.__name__ = f"move_to_{target.value}"
    return action


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that are written only by services: viewable, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    """Tickets are reported through the portal or API and changed on the agent pages, which
    record every change; here a manager reads them and can close them through the workflow."""

    list_display = (
        "reference",
        "subject",
        "status",
        "priority",
        "customer",
        "assignee",
        "created_at",
    )
    list_filter = ("status", "priority", "category")
    search_fields = ("subject", "customer__email")
    list_select_related = ("customer", "assignee")
    fields = (
        "reference",
        "subject",
        "description",
        "customer",
        "assignee",
        "category",
        "priority",
        "status",
        "version",
        "public_version",
        "created_at",
        "updated_at",
        "public_updated_at",
        "first_response_at",
        "resolved_at",
        "closed_at",
        "follow_up_to",
    )
    readonly_fields = fields
    inlines = [HistoryInline, CommentInline]
    actions = [_transition_action(Status.CLOSED, "Close the selected tickets")]

    def has_change_permission(self, request, obj=None):
        # Needed for the action; every field stays read-only.
        return request.user.is_active and request.user.is_manager


@admin.register(StatusHistory)
class StatusHistoryAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "from_status", "to_status", "actor", "created_at")
    list_filter = ("to_status",)
    list_select_related = ("ticket", "actor")


@admin.register(FieldChange)
class FieldChangeAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "field", "old_value", "new_value", "actor", "created_at")
    list_filter = ("field",)


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "original_name", "content_type", "size", "uploaded_by", "created_at")
    exclude = ("file",)


class AttemptInline(ReadOnlyInline):
    model = NotificationAttempt
    fields = ("started_at", "finished_at", "outcome", "answer")
    readonly_fields = fields


class DeliveryFilter(admin.SimpleListFilter):
    """Where a row stands, as an operator asks it."""

    title = _("delivery")
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return [
            ("undelivered", _("Not delivered yet")),
            ("retrying", _("Waiting for a retry")),
            ("failed", _("Failed")),
        ]

    def queryset(self, request, queryset):
        return {
            "undelivered": queryset.filter(delivery.UNDELIVERED),
            "retrying": queryset.filter(delivery.RETRYING),
            "failed": queryset.filter(state=Notification.State.FAILED),
        }.get(self.value(), queryset)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """The outbox as operators see it: what is waiting, retrying or failed, with the server's
    last answer and every attempt; retry at once or give up. The list's header counts the
    backlog by kind and says whether delivery is paused."""

    list_display = (
        "ticket",
        "event",
        "to",
        "state",
        "attempts",
        "next_attempt_at",
        "error",
        "created_at",
        "sent_at",
    )
    list_filter = (DeliveryFilter, "state", "event")
    list_select_related = ("ticket", "recipient")
    search_fields = ("recipient__email", "address", "message_id")
    show_full_result_count = False
    fields = (
        "event",
        "ticket",
        "recipient",
        "address",
        "state",
        "attempts",
        "failing_since",
        "next_attempt_at",
        "last_error",
        "message_id",
        "created_at",
        "claimed_at",
        "sent_at",
    )
    readonly_fields = fields
    inlines = [AttemptInline]
    actions = ["retry_now", "give_up"]

    @admin.display(description=_("to"))
    def to(self, notification: Notification) -> str:
        return notification.to

    @admin.display(description=_("last error"))
    def error(self, notification: Notification) -> str:
        return Truncator(notification.last_error).chars(120)

    @admin.action(description=_("Retry now (with a fresh retry budget)"))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        count = delivery.notifications_retry_now(
            notification_ids=queryset.values_list("pk", flat=True)
        )
        self.message_user(
            request, _("%(count)d notification(s) handed over again.") % {"count": count}
        )

    @admin.action(description=_("Give up (mark failed)"))
    def give_up(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        count = delivery.notifications_give_up(
            notification_ids=queryset.values_list("pk", flat=True), by=request.user.email
        )
        self.message_user(request, _("%(count)d notification(s) given up.") % {"count": count})

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "backlog": delivery.backlog()}
        return super().changelist_view(request, extra_context=extra_context)


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdmin):
    """Every e-mail received and what became of it; quarantined ones say why (filter by
    state). The message as it arrived is kept in MEDIA_ROOT under `raw`."""

    list_display = ("received_at", "state", "sender", "subject", "ticket", "reason", "source")
    list_filter = ("state", "source")
    search_fields = ("sender", "subject", "message_id")
    list_select_related = ("ticket",)
    exclude = ("raw",)
