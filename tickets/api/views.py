"""API views: parse the request, call a service or a query, serialise the answer.

Who sees what comes from tickets.queries (visible_to, comments_visible_to,
attachments_visible_to, queue_page); what may be done from tickets.services and the workflow
table. Their refusals (TicketError, ValidationError) become JSON in tickets.api.exceptions.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, parsers, serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from helpdesk.replica import reads_from_replica
from tickets import combined, followers, limits, queries, services, versions, workflow
from tickets.models import Attachment, Category, Channel, Comment, Ticket
from tickets.reports import drill, satisfaction
from tickets.reports import snapshots as report_snapshots
from tickets.views.files import download_response

from .parsers import JSONParser
from .schema import (
    ALWAYS,
    ATTACHMENT_ID,
    E401,
    E403,
    E404,
    E413,
    E415,
    E429,
    ETAG,
    FOLLOWER_USER_ID,
    IF_MATCH_HEADER,
    IF_MATCH_PATTERN,
    LIST_ERRORS,
    PREPARING,
    READ_ERRORS,
    TICKET_ID,
    WRITE_ERRORS,
)
from .serializers import (
    PAGE_CURSOR_PATTERN,
    ActionSerializer,
    AssignSerializer,
    AttachmentSerializer,
    CategorySerializer,
    CommentCreateSerializer,
    CommentSerializer,
    FollowerCreateSerializer,
    FollowerSerializer,
    MeSerializer,
    PageParamsSerializer,
    ReportParamsSerializer,
    ReportSummarySerializer,
    TakeSerializer,
    TicketCreateSerializer,
    TicketDetailSerializer,
    TicketFilterSerializer,
    TicketPageSerializer,
    TicketSerializer,
    TransitionSerializer,
)

IF_MATCH = re.compile(IF_MATCH_PATTERN)
VERSION_DISAGREES = "It disagrees with If-Match."

UPLOAD_PARSERS = [JSONParser, parsers.MultiPartParser]

# --- Shared -------------------------------------------------------------------------------


class Page(CursorPagination):
    """Cursor paging by creation time: stable while rows are added, no COUNT(*)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("created_at", "id")

    def decode_cursor(self, request: Request) -> Any:
        # DRF answers a cursor it cannot read with 404; it is a bad parameter, as elsewhere.
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise serializers.ValidationError(
                {self.cursor_query_param: [str(queries.INVALID_CURSOR)]}
            ) from None

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
            if parameter["name"] == self.cursor_query_param:
                parameter["schema"].update(
                    maxLength=limits.CURSOR_MAX_LENGTH, pattern=PAGE_CURSOR_PATTERN
                )
        return parameters


def visible_ticket(request: Request, pk: int) -> Ticket:
    """The ticket if `request.user` may see it; 404 otherwise, whether or not it exists."""
    return queries.ticket_visible_or_404(user=request.user, pk=pk)


def expected_version(request: Request, sent: int | None) -> int | None:
    """The version the client acted on: from the body or from If-Match (`"3"`)."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return sent
    header = header.strip()  # an If-Match sent empty is refused, like any other bad one
    match = IF_MATCH.match(header)
    if match is None:
        raise serializers.ValidationError({"If-Match": ['Send the ticket\'s ETag, e.g. "3".']})
    version = int(match[2].strip('"'))
    if sent is not None and sent != version:
        raise serializers.ValidationError({"version": [VERSION_DISAGREES]})
    return version


def etag(ticket: Ticket, user: Any) -> dict[str, str]:
    """The version `user` sees: a customer's moves only with what they can see."""
    return {"ETag": f'"{versions.seen_by(ticket, user)}"'}


def ticket_response(request: Request, pk: int, code: int = status.HTTP_200_OK) -> Response:
    """The ticket as it is now, for the answer to a change."""
    ticket = visible_ticket(request, pk)
    data = TicketDetailSerializer(ticket, context={"request": request}).data
    return Response(data, status=code, headers=etag(ticket, request.user))


def strict_params(request: Request, serializer_class: type[serializers.Serializer]) -> Any:
    # A plain dict, not the QueryDict: "?view=" is then an invalid view, as the schema says,
    # not "no view given".
    params = serializer_class(data=request.query_params.dict())
    params.is_valid(raise_exception=True)
    return params


# --- The current user and reference data --------------------------------------------------


@extend_schema(tags=["account"], responses={200: MeSerializer, **ALWAYS})
class MeView(APIView):
    """Who you are signed in as."""

    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)


@extend_schema(tags=["tickets"], responses={200: CategorySerializer(many=True), **ALWAYS})
class CategoryList(APIView):
    """The affected services a ticket can be filed under (inactive ones are refused for new
    tickets)."""

    def get(self, request: Request) -> Response:
        categories = Category.objects.order_by("name", "id")
        return Response(CategorySerializer(categories, many=True).data)


# --- Tickets ------------------------------------------------------------------------------


class TicketList(APIView):
    parser_classes = UPLOAD_PARSERS

    @extend_schema(
        tags=["tickets"],
        summary="List tickets",
        operation_id="tickets_list",
        description=(
            "The tickets you may see, a page at a time by cursor: staff see the queue, "
            "customers their own tickets. Views, filters and sorts are the agent queue's."
        ),
        parameters=[TicketFilterSerializer],
        responses={200: TicketPageSerializer, **LIST_ERRORS},
    )
    @reads_from_replica
    def get(self, request: Request) -> Response:
        params = strict_params(request, TicketFilterSerializer)
        filters = params.queue_filters()
        page = queries.queue_page(
            request.user,
            filters,
            cursor=params.validated_data.get("cursor", ""),
            size=params.validated_data["page_size"],
        )
        here = request.build_absolute_uri()

        def link(cursor: str | None) -> str | None:
            return replace_query_param(here, "cursor", cursor) if cursor else None

        return Response(
            {
                "next": link(page.next_cursor),
                "previous": link(page.previous_cursor),
                "results": TicketSerializer(
                    page.tickets, many=True, context={"request": request}
                ).data,
            }
        )

    @extend_schema(
        tags=["tickets"],
        summary="Report a problem",
        description=(
            "Customers report their own; staff report for a customer (`customer`). Files go "
            "in `attachments` with multipart/form-data."
        ),
        request=TicketCreateSerializer,
        responses={201: TicketDetailSerializer, **LIST_ERRORS, 413: E413, 415: E415},
        parameters=[ETAG],
    )
    def post(self, request: Request) -> Response:
        data = TicketCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        ticket = services.ticket_create(
            customer=values.get("customer") or request.user,
            created_by=request.user,
            subject=values["subject"],
            description=values["description"],
            category=values.get("category"),
            priority=values["priority"],
            attachments=values.get("attachments", []),
            channel=Channel.API,
        )
        response = ticket_response(request, ticket.pk, status.HTTP_201_CREATED)
        response["Location"] = response.data["url"]
        return response


class TicketDetail(APIView):
    @extend_schema(
        tags=["tickets"],
        summary="One ticket",
        parameters=[TICKET_ID, ETAG],
        responses={200: TicketDetailSerializer, 404: E404, **ALWAYS},
    )
    def get(self, request: Request, pk: int) -> Response:
        return ticket_response(request, pk)


class TicketTransitions(APIView):
    @extend_schema(
        tags=["workflow"],
        summary="What you may do to this ticket now",
        parameters=[TICKET_ID],
        responses={200: ActionSerializer(many=True), 404: E404, **ALWAYS},
    )
    def get(self, request: Request, pk: int) -> Response:
        ticket = visible_ticket(request, pk)
        actions = workflow.available_actions(user=request.user, ticket=ticket)
        return Response(ActionSerializer(actions, many=True).data)

    @extend_schema(
        tags=["workflow"],
        summary="Move the ticket through the workflow",
        operation_id="tickets_transition",
        description=(
            "Send an `action` from the ticket's `actions` (e.g. `resolve`) or a target status "
            "`to`, with the `note` the step may require; who reads the note is the action's "
            "`note_audience` unless you choose with `note_public` (staff, where "
            "`note_audience_choosable`). 409 when the step is not possible "
            "from the ticket's status or the ticket changed since `version` / If-Match; 403 "
            "when the step is not yours to take; 400 when it needs a reason or an assignee."
        ),
        parameters=[TICKET_ID, IF_MATCH_HEADER, ETAG],
        request=TransitionSerializer,
        responses={200: TicketDetailSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        ticket = visible_ticket(request, pk)
        data = TransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        version = expected_version(request, values.get("version"))
        if "to" in values:
            workflow.transition(
                ticket_id=ticket.pk,
                to=values["to"],
                actor=request.user,
                note=values["note"],
                note_public=values.get("note_public"),
                expected_version=version,
                hold_kind=values.get("hold_kind"),
            )
        else:
            services.ticket_act(
                ticket_id=ticket.pk,
                action=values["action"],
                actor=request.user,
                note=values["note"],
                note_public=values.get("note_public"),
                assignee=values.get("assignee"),
                expected_version=version,
                hold_kind=values.get("hold_kind"),
            )
        return ticket_response(request, pk)


class TicketTake(APIView):
    @extend_schema(
        tags=["workflow"],
        summary="Take an open ticket for yourself (agents)",
        operation_id="tickets_take",
        parameters=[TICKET_ID, IF_MATCH_HEADER, ETAG],
        request=TakeSerializer,
        responses={200: TicketDetailSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        ticket = visible_ticket(request, pk)
        data = TakeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.ticket_take(
            ticket_id=ticket.pk,
            agent=request.user,
            note=values["note"],
            note_public=values.get("note_public"),
            expected_version=expected_version(request, values.get("version")),
        )
        return ticket_response(request, pk)


class TicketAssign(APIView):
    @extend_schema(
        tags=["workflow"],
        summary="Assign or reassign the ticket to an agent",
        operation_id="tickets_assign",
        description="Agents assign open tickets to themselves; managers to anyone, any time.",
        parameters=[TICKET_ID, IF_MATCH_HEADER, ETAG],
        request=AssignSerializer,
        responses={200: TicketDetailSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        ticket = visible_ticket(request, pk)
        data = AssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.ticket_assign(
            ticket_id=ticket.pk,
            assignee=values["assignee"],
            actor=request.user,
            note=values["note"],
            note_public=values.get("note_public"),
            expected_version=expected_version(request, values.get("version")),
        )
        return ticket_response(request, pk)


# --- Followers ----------------------------------------------------------------------------


class FollowerList(APIView):
    @extend_schema(
        tags=["followers"],
        summary="Who follows the ticket (staff)",
        description=(
            "Customers besides the ticket's own who read its public side, receive its public "
            "replies and may answer: copied on its e-mail or added by staff."
        ),
        parameters=[TICKET_ID],
        responses={200: FollowerSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        ticket = visible_ticket(request, pk)
        rows = followers.followers_of(ticket=ticket, viewer=request.user)
        return Response(FollowerSerializer(rows, many=True).data)

    @extend_schema(
        tags=["followers"],
        summary="Add a follower by e-mail address (staff)",
        description=(
            "The address must be an existing, active customer's other than the ticket's own. "
            "201 when added; 200 when they already follow."
        ),
        parameters=[TICKET_ID],
        request=FollowerCreateSerializer,
        responses={201: FollowerSerializer, 200: FollowerSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        ticket = visible_ticket(request, pk)
        data = FollowerCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        follower, created = followers.follower_add_by_email(
            ticket_id=ticket.pk, email=data.validated_data["email"], added_by=request.user
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(FollowerSerializer(follower).data, status=code)


class FollowerDetail(APIView):
    @extend_schema(
        tags=["followers"],
        summary="Stop someone following the ticket (staff)",
        description="404 when they do not follow it.",
        parameters=[TICKET_ID, FOLLOWER_USER_ID],
        responses={204: None, **WRITE_ERRORS},
    )
    def delete(self, request: Request, pk: int, user_id: int) -> Response:
        ticket = visible_ticket(request, pk)
        followers.follower_remove(ticket_id=ticket.pk, user_id=user_id, removed_by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Conversation and files ---------------------------------------------------------------


@extend_schema_view(
    get=extend_schema(
        tags=["conversation"],
        summary="The conversation, oldest first",
        description="Public replies and, for staff, internal notes; each with its files.",
        parameters=[TICKET_ID],
        responses={200: CommentSerializer(many=True), **READ_ERRORS},
    ),
    post=extend_schema(
        tags=["conversation"],
        summary="Reply, or leave an internal note (staff); staff may move the ticket with it",
        description="With `then`, staff reply and move the ticket in one transaction (see "
        "`then`); 409/403/400 as the transitions answer, naming the refused step.",
        parameters=[TICKET_ID, IF_MATCH_HEADER],
        request=CommentCreateSerializer,
        responses={201: CommentSerializer, **WRITE_ERRORS},
    ),
)
class CommentList(generics.ListCreateAPIView):
    serializer_class = CommentSerializer
    pagination_class = Page
    parser_classes = UPLOAD_PARSERS

    def get_queryset(self) -> QuerySet[Comment]:
        ticket = visible_ticket(self.request, self.kwargs["pk"])
        return queries.conversation(self.request.user, ticket)

    @reads_from_replica
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        strict_params(request, PageParamsSerializer)
        return super().list(request, *args, **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ticket = visible_ticket(request, kwargs["pk"])
        data = CommentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if "then" in values:
            comment = combined.reply_and_move(
                ticket_id=ticket.pk,
                actor=request.user,
                body=values["body"],
                public=not values["internal"],
                target=values.get("then"),
                note=values["note"],
                hold_kind=values.get("hold_kind"),
                attachments=values.get("attachments", []),
                expected_version=expected_version(request, values.get("version")),
            ).comment
        else:
            comment = services.comment_add(
                ticket_id=ticket.pk,
                author=request.user,
                body=values["body"],
                internal=values["internal"],
                attachments=values.get("attachments", []),
                expected_version=expected_version(request, values.get("version")),
                seen_at=values.get("seen_at"),
            )
        created = queries.conversation(request.user, ticket).get(pk=comment.pk)
        return Response(
            CommentSerializer(created, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema(
    tags=["files"],
    summary="The ticket's files you may see",
    parameters=[TICKET_ID],
    responses={200: AttachmentSerializer(many=True), **READ_ERRORS},
)
class TicketAttachmentList(generics.ListAPIView):
    serializer_class = AttachmentSerializer
    pagination_class = Page

    def get_queryset(self) -> QuerySet[Attachment]:
        ticket = visible_ticket(self.request, self.kwargs["pk"])
        return queries.attachments_visible_to(self.request.user).filter(ticket=ticket)

    @reads_from_replica
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        strict_params(request, PageParamsSerializer)
        return super().list(request, *args, **kwargs)


@extend_schema(
    tags=["files"],
    summary="A file's details",
    parameters=[ATTACHMENT_ID],
    responses={200: AttachmentSerializer, 404: E404, **ALWAYS},
)
class AttachmentDetail(APIView):
    def get(self, request: Request, pk: int) -> Response:
        attachment = get_object_or_404(queries.attachments_visible_to(request.user), pk=pk)
        return Response(AttachmentSerializer(attachment, context={"request": request}).data)


class UnknownPath(APIView):
    """Any other path under /api/v1/: a JSON 404 rather than the site's HTML page."""

    permission_classes = ()
    throttle_classes = ()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        raise exceptions.NotFound()


class JSONOnlyNegotiation(BaseContentNegotiation):
    """Errors are JSON whatever the client accepts; the file itself is not rendered."""

    def select_parser(self, request: Request, parsers: list) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: list, format_suffix: Any = None):
        return renderers[0], renderers[0].media_type


class AttachmentDownload(APIView):
    content_negotiation_class = JSONOnlyNegotiation

    @extend_schema(
        tags=["files"],
        summary="Download a file",
        operation_id="attachments_download",
        description="Always as a download (`Content-Disposition: attachment`), never rendered.",
        parameters=[ATTACHMENT_ID],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY),
            # Errors are JSON whatever the client accepts (JSONOnlyNegotiation): never 406.
            401: E401,
            403: E403,
            404: E404,
            429: E429,
        },
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        attachment = get_object_or_404(queries.attachments_visible_to(request.user), pk=pk)
        return download_response(attachment)


# --- Reports (managers) ---------------------------------------------------------------------


class ManagersOnly(BasePermission):
    """Reports are for managers; to anyone else they do not exist (404, as on the pages)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not request.user.is_authenticated:
            return False
        if not hasattr(view, request.method.lower()):
            return True  # an unsupported method: let the view answer 405 as for everyone
        if not request.user.is_manager:
            raise exceptions.NotFound()
        return True


@extend_schema(
    tags=["reports"],
    summary="The report summary (managers)",
    parameters=[ReportParamsSerializer],
    responses={
        200: ReportSummarySerializer,
        202: PREPARING,
        **READ_ERRORS,
    },
)
class ReportSummary(APIView):
    """The numbers of the report page: times (seconds), rates, backlog, weekly counts."""

    permission_classes = (ManagersOnly,)

    @reads_from_replica
    def get(self, request: Request) -> Response:
        params = strict_params(request, ReportParamsSerializer)
        filters = params.report_filters()
        served = report_snapshots.serve(filters)
        if served.report is None:
            return Response(
                {
                    "code": "report_preparing",
                    "detail": "The report is being prepared; retry in a few seconds.",
                },
                status=status.HTTP_202_ACCEPTED,
                headers={"Retry-After": "3"},
            )
        context = {
            "computed_at": served.as_of,
            "attention": drill.needs_attention(filters, now=timezone.now()),
            "csat_comments": satisfaction.latest_comments(filters),
        }
        return Response(ReportSummarySerializer(served.report, context=context).data)
