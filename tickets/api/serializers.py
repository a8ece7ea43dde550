"""What the API reads and writes. Serializers parse and present; they decide nothing.

Input serializers check shapes and types only (and refuse fields they do not know); whether a
person may do a thing, and what it does, is for tickets.services and tickets.workflow.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.validators import RegexValidator
from django.http import QueryDict
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from helpdesk.fields import OneLineSerializerField
from tickets import limits, queries, reports, versions, workflow
from tickets.models import Attachment, Category, Comment, Ticket
from tickets.reports import drill
from tickets.reports.filters import (
    BASES,
    DAY_OR_BLANK_PATTERN,
    RESOLVED_BASIS,
    ReportRangeError,
    read_day,
    report_range,
)
from tickets.status import HoldKind, Priority, Status

UNKNOWN_FIELD = "This field is not recognised."
MAX_ID = 2**63 - 1
MAX_VERSION = 2**31 - 1
# A cursor of the conversation's and the files' pages (DRF's cursor paging): base64.
PAGE_CURSOR_PATTERN = r"^[A-Za-z0-9+/]+={0,2}$"


# In a JSON body a value must already have its type: "3" is not an integer, 0 not a string.
# (Form and query-string values are all text, and are converted as usual.)
JSON_TYPES: list[tuple[tuple[type[serializers.Field], ...], type, str]] = [
    ((serializers.BooleanField,), bool, "a boolean"),
    ((serializers.IntegerField, serializers.PrimaryKeyRelatedField), int, "an integer"),
    ((serializers.CharField, serializers.ChoiceField), str, "a string"),
    ((serializers.ListField,), list, "a list"),
]


def _json_type_error(field: serializers.Field, value: Any) -> str | None:
    if value is None:
        return None  # the field itself says whether null is allowed
    for classes, expected, name in JSON_TYPES:
        if isinstance(field, classes):
            wrong = not isinstance(value, expected) or (expected is int and isinstance(value, bool))
            return f"Expected {name}." if wrong else None
    return None


class StrictSerializer(serializers.Serializer):
    """Refuses any field it does not declare, naming each, alongside the other errors; in a
    JSON body, also any value of the wrong JSON type."""

    json_types = True  # False for query strings, where every value is text

    def to_internal_value(self, data: Any) -> Any:
        refused: dict[str, list[str]] = {}
        if isinstance(data, Mapping):
            writable = {name: field for name, field in self.fields.items() if not field.read_only}
            refused = {str(name): [UNKNOWN_FIELD] for name in data if name not in writable}
            if self.json_types and not isinstance(data, QueryDict):
                for name, field in writable.items():
                    if name in data and (error := _json_type_error(field, data[name])):
                        refused[name] = [error]
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            detail = error.detail
            if not isinstance(detail, dict):
                detail = {"non_field_errors": detail}
            raise serializers.ValidationError({**detail, **refused}) from None
        if refused:
            raise serializers.ValidationError(refused)
        return value


def _absolute(request: Any, name: str, *args: int) -> str:
    path = reverse(name, args=args)
    return request.build_absolute_uri(path) if request is not None else path


# --- Output -------------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx answer."""

    code = serializers.CharField(help_text="Stable, for programs: e.g. `ticket_changed`.")
    detail = serializers.CharField(help_text="For people.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages by field, when the input was at fault.",
    )


class UserSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    display_name = serializers.CharField(read_only=True)


class FollowerSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user_id", read_only=True, help_text="The user's id.")
    email = serializers.EmailField(source="user.email", read_only=True)
    display_name = serializers.CharField(source="user.display_name", read_only=True)
    added_by = UserSummarySerializer(
        read_only=True, allow_null=True, help_text="null: copied on the ticket's e-mail."
    )
    created_at = serializers.DateTimeField(read_only=True)


class FollowerCreateSerializer(StrictSerializer):
    email = serializers.EmailField(
        max_length=320, help_text="The address of an existing customer's account."
    )


class MeSerializer(serializers.ModelSerializer):
    is_agent = serializers.BooleanField(read_only=True, help_text="Agents and managers.")
    is_manager = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "display_name",
            "role",
            "is_agent",
            "is_manager",
            "availability",
            "capacity",
        ]
        read_only_fields = fields


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "description", "is_active"]
        read_only_fields = fields


class ActionSerializer(serializers.Serializer):
    """One of workflow.available_actions, as the pages show it."""

    name = serializers.CharField(help_text="Send as `action` to the transitions endpoint.")
    label = serializers.CharField()
    target = serializers.ChoiceField(
        choices=Status.choices, help_text="The status it leads to (reassign keeps the status)."
    )
    reason_required = serializers.BooleanField()
    note_label = serializers.CharField(source="spec.note_label", help_text="The note's label.")
    note_for_customer = serializers.BooleanField(
        source="audience.public",
        help_text="Whether the customer reads the note you write with it (unless you choose "
        "otherwise with `note_public`, where `note_audience_choosable`).",
    )
    note_audience = serializers.ChoiceField(
        source="audience.name",
        choices=[("customer", "customer"), ("staff", "staff")],
        help_text="Who reads the note by default: `customer` (the customer and staff) or "
        "`staff` (staff only).",
    )
    note_audience_choosable = serializers.BooleanField(
        source="audience.choosable",
        help_text="Whether you may send `note_public: true` to let the customer read a note "
        "that is otherwise for staff only.",
    )
    confirm = serializers.BooleanField(
        source="spec.confirm", help_text="Whether the pages ask for confirmation first."
    )
    destructive = serializers.BooleanField(
        source="spec.destructive", help_text="Whether it ends the work on the ticket."
    )
    assignee_required = serializers.SerializerMethodField(
        help_text="Whether it goes with an `assignee`."
    )

    def get_assignee_required(self, action: workflow.Action) -> bool:
        return bool(action.spec.assignee_label)


class AttachmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name", read_only=True)
    comment = serializers.IntegerField(source="comment_id", read_only=True, allow_null=True)
    ticket = serializers.IntegerField(source="ticket_id", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "ticket", "comment", "name", "content_type", "size", "created_at"]
        fields += ["download_url"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, attachment: Attachment) -> str:
        return _absolute(self.context.get("request"), "api:attachment-download", attachment.pk)


class CommentSerializer(serializers.ModelSerializer):
    ticket = serializers.IntegerField(source="ticket_id", read_only=True)
    author = UserSummarySerializer(read_only=True)
    internal = serializers.BooleanField(source="is_internal", read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "ticket", "author", "body", "internal", "created_at", "attachments"]
        read_only_fields = fields


class TicketSerializer(serializers.ModelSerializer):
    """A ticket as a row of a list."""

    reference = serializers.CharField(read_only=True, help_text="What people quote: HD-1042.")
    url = serializers.SerializerMethodField()
    category = CategorySerializer(read_only=True, allow_null=True)
    customer = UserSummarySerializer(read_only=True)
    assignee = UserSummarySerializer(read_only=True, allow_null=True)
    version = serializers.SerializerMethodField(
        help_text="Send back with a change; a stale one is refused with 409. A customer's is "
        "the version of what they can see: staff-only events (internal notes) do not move it."
    )
    updated_at = serializers.SerializerMethodField(
        help_text="The last change you can see (for a customer: public activity only)."
    )
    team = serializers.IntegerField(
        source="team_id",
        read_only=True,
        allow_null=True,
        help_text="The team it belongs to (/api/v1/teams/), or null.",
    )
    hold_kind = serializers.SerializerMethodField(
        help_text="On hold: what it waits for, as its last hold recorded (`customer`: their "
        "reply resumes work; `third_party`: it does not). Null when not on hold."
    )

    class Meta:
        model = Ticket
        fields = [
            "id",
            "reference",
            "url",
            "subject",
            "status",
            "priority",
            "category",
            "customer",
            "assignee",
            "created_at",
            "updated_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "version",
            "hold_kind",
            "team",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ChoiceField(choices=HoldKind.choices, allow_null=True, read_only=True)
    )
    def get_hold_kind(self, ticket: Ticket) -> str | None:
        if ticket.status != Status.ON_HOLD:
            return None
        return ticket.hold_kind or HoldKind.CUSTOMER

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, ticket: Ticket) -> str:
        return _absolute(self.context.get("request"), "api:ticket-detail", ticket.pk)

    def _viewer(self) -> User | None:
        request = self.context.get("request")
        return getattr(request, "user", None)

    @extend_schema_field(serializers.IntegerField(min_value=1))
    def get_version(self, ticket: Ticket) -> int:
        return versions.seen_by(ticket, self._viewer())

    @extend_schema_field(serializers.DateTimeField())
    def get_updated_at(self, ticket: Ticket) -> str:
        when = versions.updated_at_seen_by(ticket, self._viewer())
        return serializers.DateTimeField().to_representation(when)


class RatingSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5, help_text="1 to 5; 5 is best.")
    comment = serializers.CharField(help_text="The customer's words; may be empty.")
    created_at = serializers.DateTimeField()


class TicketDetailSerializer(TicketSerializer):
    """One ticket, with what the reader may do to it now."""

    follow_up_to = serializers.IntegerField(
        source="follow_up_to_id", read_only=True, allow_null=True
    )
    actions = serializers.SerializerMethodField()
    rating = serializers.SerializerMethodField(
        help_text="The customer's rating of the resolved ticket, for staff and for the customer "
        "who gave it; null when there is none, or for a follower."
    )

    class Meta(TicketSerializer.Meta):
        fields = [
            *TicketSerializer.Meta.fields,
            "description",
            "follow_up_to",
            "actions",
            "rating",
        ]
        read_only_fields = fields

    @extend_schema_field(RatingSerializer(allow_null=True))
    def get_rating(self, ticket: Ticket) -> dict[str, Any] | None:
        rating = queries.rating_seen_by(ticket=ticket, viewer=self._viewer())
        return None if rating is None else RatingSerializer(rating).data

    @extend_schema_field(ActionSerializer(many=True))
    def get_actions(self, ticket: Ticket) -> list[dict[str, Any]]:
        actions = workflow.available_actions(user=self.context["request"].user, ticket=ticket)
        return ActionSerializer(actions, many=True).data


class TicketPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next page, or null.")
    previous = serializers.URLField(allow_null=True, help_text="The previous page, or null.")
    results = TicketSerializer(many=True)


# --- Input --------------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "string",
        "pattern": DAY_OR_BLANK_PATTERN,
        "description": "A day, YYYY-MM-DD, years 2000 to 2100; blank: the default.",
    }
)
class ReportDayField(serializers.DateField):
    """A report's first or last day, read as the report page reads it (parse_day)."""

    def to_internal_value(self, value: Any) -> Any:
        try:
            return read_day(value)
        except ReportRangeError as error:
            raise serializers.ValidationError(error.message, code="invalid") from None


class TicketFilterSerializer(StrictSerializer):
    """The ticket list's query string: the agent queue's views, filters, search and sort."""

    json_types = False

    view = serializers.ChoiceField(
        choices=list(queries.QUEUE_VIEWS.items()),
        default="open",
        help_text="Which tickets: as the agent queue's tabs. Customers see only their own.",
    )
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    category = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    assignee = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    team = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    sla = serializers.ChoiceField(
        choices=list(queries.QUEUE_SLA_FILTERS.items()),
        required=False,
        help_text="Service-level state: past due, due soon, paused.",
    )
    q = serializers.CharField(
        max_length=limits.SEARCH_MAX_LENGTH,
        required=False,
        allow_blank=True,
        help_text="Words, or a reference such as HD-1042 (staff only).",
    )
    sort = serializers.ChoiceField(
        choices=[(key, label) for key, (label, _ordering) in queries.QUEUE_SORTS.items()],
        default="priority",
    )
    cursor = serializers.CharField(
        max_length=limits.CURSOR_MAX_LENGTH,
        required=False,
        validators=[RegexValidator(queries.CURSOR_PATTERN, message=queries.INVALID_CURSOR)],
        help_text="From `next` or `previous` of a page.",
    )
    page_size = serializers.IntegerField(min_value=1, max_value=100, default=25)
    figure = serializers.ChoiceField(
        choices=list(queries.QUEUE_FIGURES.items()),
        required=False,
        help_text="Drill-down: the tickets behind one number of the report (with `basis`, "
        "`start`, `end`), or one reason a ticket needs attention. The report's "
        "`drill_down` links fill these in.",
    )
    basis = serializers.ChoiceField(choices=list(BASES.items()), default=RESOLVED_BASIS)
    start = ReportDayField(required=False, help_text="The report's first day, for `figure`.")
    end = ReportDayField(required=False, help_text="The report's last day, for `figure`.")

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if "cursor" in data and not queries.cursor_fits(data["cursor"], sort=data["sort"]):
            raise serializers.ValidationError({"cursor": [str(queries.INVALID_CURSOR)]})
        try:
            data["start"], data["end"] = report_range(start=data.get("start"), end=data.get("end"))
        except ReportRangeError as error:
            raise serializers.ValidationError({error.field: [error.message]}) from None
        return data

    def queue_filters(self) -> queries.QueueFilters:
        data = self.validated_data
        return queries.QueueFilters(
            view=data["view"],
            sort=data["sort"],
            status=data.get("status", ""),
            priority=data.get("priority", ""),
            category_id=data.get("category"),
            assignee_id=data.get("assignee"),
            team_id=data.get("team"),
            q=data.get("q", ""),
            sla=data.get("sla", ""),
            figure=data.get("figure", ""),
            basis=data["basis"],
            start=data["start"],
            end=data["end"],
        )


class PageParamsSerializer(StrictSerializer):
    json_types = False

    cursor = serializers.CharField(
        max_length=limits.CURSOR_MAX_LENGTH,
        required=False,
        validators=[RegexValidator(PAGE_CURSOR_PATTERN, message=queries.INVALID_CURSOR)],
        help_text="From `next` or `previous` of a page.",
    )
    page_size = serializers.IntegerField(min_value=1, max_value=100, required=False)


class TicketCreateSerializer(StrictSerializer):
    subject = OneLineSerializerField(max_length=limits.SUBJECT_MAX_LENGTH)
    description = serializers.CharField(max_length=limits.MESSAGE_MAX_LENGTH)
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), required=False, allow_null=True
    )
    priority = serializers.ChoiceField(
        choices=Priority.choices, default=Priority.NORMAL, help_text="Urgent is set by staff."
    )
    customer = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        required=False,
        help_text="Staff report for a customer; customers report for themselves.",
    )
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, help_text="multipart/form-data only."
    )


class VersionedSerializer(StrictSerializer):
    version = serializers.IntegerField(
        min_value=1,
        max_value=MAX_VERSION,
        required=False,
        help_text="The ticket's version you saw (or send If-Match); a stale one gives 409.",
    )


HOLD_KIND_HELP = (
    "With a hold: what the ticket waits for. `customer` (the default): the customer is asked "
    "to answer and their reply resumes work; `third_party`: they are told, and their reply "
    "does not resume it. Refused (400 `hold_kind_invalid`) with any other step."
)


GOES_WITH_THEN = "This goes with `then`."


class CommentCreateSerializer(VersionedSerializer):
    body = serializers.CharField(max_length=limits.MESSAGE_MAX_LENGTH)
    internal = serializers.BooleanField(
        default=False, help_text="An internal note, for staff only; customers never see it."
    )
    then = serializers.ChoiceField(
        choices=Status.choices,
        required=False,
        help_text="Staff: move the ticket to this status in the same request, as one move: an "
        "unassigned ticket is taken and started first, the reply is sent, and the last step "
        "(resolve, hold, close) takes the reply as its note unless `note` is given. Each step "
        "is checked by the workflow; if one is refused nothing is written and the error names "
        "the step. Without `then` the reply changes no status.",
    )
    note = serializers.CharField(
        max_length=limits.NOTE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="With `then`: the note of the last step, if not the reply.",
    )
    hold_kind = serializers.ChoiceField(
        choices=HoldKind.choices, required=False, help_text=HOLD_KIND_HELP
    )
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, help_text="multipart/form-data only."
    )
    seen_at = serializers.DateTimeField(
        required=False,
        help_text="With `version`, for a reply without `then`: the ticket's `updated_at` you "
        "saw. Comments added since then do not make the reply stale (a customer answered "
        "meanwhile); a status or field change since still gives 409 `ticket_changed`.",
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        for field in ("note", "hold_kind"):
            if data.get(field) and "then" not in data:
                raise serializers.ValidationError({field: [GOES_WITH_THEN]})
        return data


ACTIONS = sorted(workflow.ACTIONS)


class NotedSerializer(VersionedSerializer):
    """A workflow step's body: the note that goes with it, and who reads the note."""

    note = serializers.CharField(
        max_length=limits.NOTE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="The note that goes with the step: the reason where the step asks for one. Staff "
        "notes of take, assign, unassign, start and resume are for staff only unless "
        "`note_public`; a reassignment's note always stays with staff.",
    )
    note_public = serializers.BooleanField(
        required=False,
        help_text="Who reads the note: omit for the action's own audience (`note_audience` in "
        "the ticket's `actions`); `true` lets the customer read a staff note where "
        "`note_audience_choosable` (staff only). A choice the action does not allow is "
        "refused (400 `note_audience_fixed`).",
    )


class TransitionSerializer(NotedSerializer):
    action = serializers.ChoiceField(
        choices=ACTIONS, required=False, help_text="As named in the ticket's `actions`."
    )
    to = serializers.ChoiceField(
        choices=Status.choices, required=False, help_text="Or the status to move to."
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=queries.active_agents(),
        required=False,
        help_text="With action `assign` or `reassign`.",
    )
    hold_kind = serializers.ChoiceField(
        choices=HoldKind.choices, required=False, help_text=HOLD_KIND_HELP
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if ("action" in data) == ("to" in data):
            raise serializers.ValidationError(
                {"action": ["Give either an action or a target status (to), not both."]}
            )
        spec = workflow.ACTIONS.get(data.get("action", ""))
        if "assignee" in data and not (spec and spec.assignee_label):
            raise serializers.ValidationError(
                {"assignee": ["An assignee goes with the action “assign”."]}
            )
        return data


class TakeSerializer(NotedSerializer):
    pass


class AssignSerializer(NotedSerializer):
    assignee = serializers.PrimaryKeyRelatedField(queryset=queries.active_agents())


# --- Reports (managers) ---------------------------------------------------------------------


class ReportParamsSerializer(StrictSerializer):
    """The report's range (default: the last 30 days) and slice, as on the report page."""

    json_types = False

    start = ReportDayField(required=False, help_text="First day (help desk's zone), YYYY-MM-DD.")
    end = ReportDayField(required=False, help_text="Last day, included.")
    agent = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    category = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    basis = serializers.ChoiceField(
        choices=list(BASES.items()),
        default=RESOLVED_BASIS,
        help_text="Which tickets the resolution figures count: resolved in the range "
        "(default) or reported in the range.",
    )

    def validate(self, data: dict) -> dict:
        try:
            report_range(start=data.get("start"), end=data.get("end"))
        except ReportRangeError as error:
            raise serializers.ValidationError({error.field: [error.message]}) from None
        return data

    def report_filters(self) -> reports.ReportFilters:
        data = self.validated_data
        return reports.ReportFilters.within(
            start=data.get("start"),
            end=data.get("end"),
            assignee_id=data.get("agent"),
            category_id=data.get("category"),
            priority=data.get("priority", ""),
            basis=data["basis"],
        )


class StatSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    mean = serializers.FloatField(allow_null=True, help_text="Seconds.")
    median = serializers.FloatField(allow_null=True, help_text="Seconds.")
    p90 = serializers.FloatField(allow_null=True, help_text="Seconds (90th percentile).")


class DurationsSerializer(serializers.Serializer):
    first_response = StatSerializer()
    resolution = StatSerializer()
    full_resolution = StatSerializer()
    on_hold = StatSerializer()


class CountSerializer(serializers.Serializer):
    label = serializers.CharField()
    tickets = serializers.IntegerField()


class CountsSerializer(serializers.Serializer):
    """How many tickets stand behind each figure (reports.figures)."""

    reported = serializers.IntegerField()
    responded = serializers.IntegerField()
    response_met = serializers.IntegerField()
    response_decided = serializers.IntegerField()
    held = serializers.IntegerField()
    resolved = serializers.IntegerField()
    reopened = serializers.IntegerField()
    resolution_met = serializers.IntegerField()
    resolution_decided = serializers.IntegerField()
    rated = serializers.IntegerField(help_text="Rated by the customer (CSAT's ratings).")
    satisfied = serializers.IntegerField(help_text="Rated 4 or 5 stars.")


class LinkSerializer(serializers.Serializer):
    queue = serializers.CharField(help_text="The agent queue showing exactly these tickets.")
    api = serializers.CharField(help_text="The same tickets through the ticket list.")


class BreakdownDurationsSerializer(serializers.Serializer):
    first_response = StatSerializer()
    resolution = StatSerializer()


class BreakdownRowSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True, help_text="Agent or service id, or priority.")
    label = serializers.CharField()
    counts = CountsSerializer()
    wall = BreakdownDurationsSerializer(source="durations.wall")
    business = BreakdownDurationsSerializer(source="durations.business")
    resolution_sla_percent = serializers.FloatField(source="resolution_sla", allow_null=True)
    csat_percent = serializers.FloatField(
        allow_null=True, help_text="Percent of the ratings with 4 or 5 stars; null: no ratings."
    )
    drill_down = serializers.SerializerMethodField()

    @extend_schema_field(serializers.DictField(child=LinkSerializer(), allow_null=True))
    def get_drill_down(self, row) -> dict | None:
        if row.key is None:
            return None
        filters, by = self.context["filters"], self.context["by"]
        slice_ = {drill.SLICE_PARAMS[by]: row.key}
        return {
            name: {
                "queue": drill.queue_url(filters, name, **slice_),
                "api": drill.api_url(filters, name, **slice_),
            }
            for name in reports.COUNTED
        }


class AttentionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    tickets = serializers.SerializerMethodField()
    queue = serializers.CharField(source="url")

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tickets(self, group) -> list[str]:
        return [ticket.reference for ticket in group.tickets]


class WeekSerializer(serializers.Serializer):
    week = serializers.DateField(help_text="The Monday.")
    reported = serializers.IntegerField()
    resolved = serializers.IntegerField()


class CsatWeekSerializer(serializers.Serializer):
    week = serializers.DateField(source="monday", help_text="The Monday.")
    rated = serializers.IntegerField()
    satisfied = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True)


class CsatCommentSerializer(serializers.Serializer):
    ticket = serializers.CharField(source="ticket.reference")
    ticket_id = serializers.IntegerField()
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField()
    rated_at = serializers.DateTimeField(source="created_at")
    agent = serializers.SerializerMethodField(help_text="The ticket's agent now, if any.")
    url = serializers.SerializerMethodField(help_text="The ticket's page for staff.")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_agent(self, rating) -> str | None:
        assignee = rating.ticket.assignee
        return assignee.display_name if assignee else None

    def get_url(self, rating) -> str:
        return reverse("agent:ticket_detail", args=[rating.ticket_id])


class CsatSerializer(serializers.Serializer):
    """Customer satisfaction: ratings of the tickets the resolution figures count."""

    rated = serializers.IntegerField()
    satisfied = serializers.IntegerField(help_text="Rated 4 or 5 stars.")
    percent = serializers.FloatField(
        source="csat_percent", allow_null=True, help_text="CSAT: satisfied / rated, percent."
    )
    weekly = CsatWeekSerializer(source="csat_weekly", many=True)
    comments = serializers.SerializerMethodField(
        help_text="The newest comments written with the ratings (at most 10)."
    )
    comments_more = serializers.SerializerMethodField(
        help_text="Whether there are more comments than listed."
    )
    all_comments = serializers.SerializerMethodField(
        help_text="The page listing every comment, for these filters."
    )

    @extend_schema_field(CsatCommentSerializer(many=True))
    def get_comments(self, report: reports.Report) -> list[dict]:
        latest = self.context["csat_comments"]
        return CsatCommentSerializer(latest.ratings, many=True).data

    def get_comments_more(self, report: reports.Report) -> bool:
        return self.context["csat_comments"].more

    def get_all_comments(self, report: reports.Report) -> str:
        return f"{reverse('reports:csat_comments')}?{drill.report_query(report.filters)}"


class OpenLoadSerializer(serializers.Serializer):
    assigned = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    on_hold = serializers.IntegerField()


class WorkloadCountsSerializer(serializers.Serializer):
    assigned = serializers.IntegerField(help_text="Tickets assigned to them in the range.")
    resolved = serializers.IntegerField(help_text="Tickets they resolved in the range.")
    replies = serializers.IntegerField(help_text="Public replies they wrote in the range.")
    notes = serializers.IntegerField(help_text="Internal notes they wrote in the range.")


class WorkloadRowSerializer(serializers.Serializer):
    agent = serializers.IntegerField(source="agent_id")
    name = serializers.CharField()
    active = serializers.BooleanField(help_text="False: deactivated since.")
    counts = WorkloadCountsSerializer()
    first_response_median = serializers.FloatField(
        allow_null=True,
        help_text="Seconds: median first response of the tickets reported in the range they "
        "hold now (as in the agent breakdown).",
    )
    open_load = OpenLoadSerializer(help_text="Their unfinished tickets now, by status.")
    drill_down = serializers.SerializerMethodField(
        help_text="The queue of their unfinished tickets: all (`open`) and by status."
    )

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_drill_down(self, row) -> dict[str, str]:
        return drill.workload_links(self.context["filters"], [row])[row.agent_id]


class ReportSummarySerializer(serializers.Serializer):
    """The report page's numbers; definitions say what each one means."""

    start = serializers.DateField(source="filters.start")
    end = serializers.DateField(source="filters.end")
    basis = serializers.CharField(source="filters.basis")
    basis_definition = serializers.CharField()
    as_of = serializers.DateTimeField(
        allow_null=True, help_text="Clocks still running (on hold now) counted up to this."
    )
    tickets = serializers.IntegerField()
    counts = CountsSerializer()
    durations = DurationsSerializer(help_text="Wall-clock seconds.")
    business_durations = DurationsSerializer(
        source="business", help_text="Seconds of working time of the business calendar."
    )
    held_percent = serializers.FloatField(
        allow_null=True, help_text="Percent of the tickets reported that were on hold."
    )
    resolved = serializers.IntegerField()
    reopened = serializers.IntegerField()
    reopen_rate = serializers.FloatField(allow_null=True, help_text="Percent.")
    response_sla_percent = serializers.FloatField(allow_null=True)
    resolution_sla_percent = serializers.FloatField(allow_null=True)
    holds_by_kind = serializers.SerializerMethodField(
        help_text="How many times the tickets reported in the range were put on hold, by what "
        "they waited for (`customer`, `third_party`)."
    )
    backlog_by_status = serializers.SerializerMethodField()
    backlog_by_age = serializers.SerializerMethodField()
    weekly = serializers.SerializerMethodField()
    breakdowns = serializers.SerializerMethodField()
    drill_down = serializers.SerializerMethodField()
    needs_attention = serializers.SerializerMethodField()
    definitions = serializers.SerializerMethodField()
    csat = serializers.SerializerMethodField()
    workload = serializers.SerializerMethodField()
    computed_at = serializers.SerializerMethodField(
        help_text="For a big range, when these numbers were worked out (the backlog is always "
        "counted now); null when they were worked out for this request."
    )

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_computed_at(self, report: reports.Report) -> str | None:
        when = self.context.get("computed_at")
        return serializers.DateTimeField().to_representation(when) if when else None

    @extend_schema_field(serializers.DictField(child=serializers.IntegerField()))
    def get_holds_by_kind(self, report: reports.Report) -> dict[str, int]:
        return {kind: count for kind, _label, count in report.holds_by_kind_shown}

    @extend_schema_field(CountSerializer(many=True))
    def get_backlog_by_status(self, report: reports.Report) -> list[dict]:
        return [{"label": label, "tickets": n} for label, n in report.backlog_by_status]

    @extend_schema_field(CountSerializer(many=True))
    def get_backlog_by_age(self, report: reports.Report) -> list[dict]:
        return [{"label": label, "tickets": n} for label, n in report.backlog_by_age]

    @extend_schema_field(WeekSerializer(many=True))
    def get_weekly(self, report: reports.Report) -> list[dict]:
        return [
            {"week": monday, "reported": created, "resolved": resolved}
            for monday, created, resolved in report.weekly
        ]

    @extend_schema_field(serializers.DictField(child=BreakdownRowSerializer(many=True)))
    def get_breakdowns(self, report: reports.Report) -> dict[str, list]:
        return {
            by: BreakdownRowSerializer(
                rows, many=True, context={"filters": report.filters, "by": by}
            ).data
            for by, rows in report.breakdowns.items()
        }

    @extend_schema_field(serializers.DictField(child=LinkSerializer()))
    def get_drill_down(self, report: reports.Report) -> dict[str, dict]:
        return {
            name: {
                "queue": drill.queue_url(report.filters, name),
                "api": drill.api_url(report.filters, name),
            }
            for name in reports.COUNTED
        }

    @extend_schema_field(CsatSerializer)
    def get_csat(self, report: reports.Report) -> dict:
        return CsatSerializer(report, context=self.context).data

    @extend_schema_field(WorkloadRowSerializer(many=True))
    def get_workload(self, report: reports.Report) -> list[dict]:
        context = {"filters": report.filters}
        return WorkloadRowSerializer(report.workload, many=True, context=context).data

    @extend_schema_field(AttentionSerializer(many=True))
    def get_needs_attention(self, report: reports.Report) -> list[dict]:
        return AttentionSerializer(self.context.get("attention", []), many=True).data

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_definitions(self, report: reports.Report) -> dict[str, str]:
        texts = {name: text for name, text in reports.DEFINITIONS.items() if name != "basis"}
        return {name: str(text) for name, text in texts.items()}
