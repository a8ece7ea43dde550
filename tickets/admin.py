"""The admin shows tickets and their history; it changes status only through the workflow,
and recomputes the SLA clocks when their policies or calendar change."""

from collections.abc import Iterable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import tasks, workflow
from .errors import TicketError
from .models import (
    Attachment,
    Category,
    Comment,
    FieldChange,
    Holiday,
    Notification,
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
    list_display = ("priority", "first_response_minutes", "resolution_minutes", "counting")

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
    list_display = ("name", "description", "is_active")
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


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Failed deliveries show up here (filter by state)."""

    list_display = ("ticket", "event", "recipient", "state", "attempts", "created_at", "sent_at")
    list_filter = ("state", "event")
    list_select_related = ("ticket", "recipient")
