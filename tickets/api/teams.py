"""/api/v1/teams/: teams with their members' load (staff read; managers write); moving a
ticket between teams (/api/v1/tickets/{id}/team/)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Availability, User
from tickets import limits, queries, services, teams
from tickets.errors import NotPermitted
from tickets.models import Category, Team

from .schema import ETAG, IF_MATCH_HEADER, READ_ERRORS, TICKET_ID, WRITE_ERRORS
from .serializers import MAX_ID, StrictSerializer, TicketDetailSerializer, VersionedSerializer
from .views import expected_version, ticket_response, visible_ticket

NO_SUCH_TEAM = "No such team."
NO_SUCH_SERVICE = "Each service must exist (/api/v1/categories/)."


class StaffOnly(BasePermission):
    """Teams are staff's; to a customer they do not exist (404, as on the pages)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not request.user.is_authenticated:
            return False
        if not hasattr(view, request.method.lower()):
            return True  # an unsupported method: let the view answer 405 as for everyone
        if not request.user.is_agent:
            raise exceptions.NotFound()
        return True


class LoadSerializer(serializers.Serializer):
    assigned = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    on_hold = serializers.IntegerField()
    due_soon = serializers.IntegerField(help_text="Due within the SLA warning time, or past due.")


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="agent.pk")
    display_name = serializers.CharField(source="agent.display_name")
    availability = serializers.ChoiceField(
        source="agent.availability", choices=Availability.choices
    )
    capacity = serializers.IntegerField(help_text="Their own capacity, else the team's default.")
    own_capacity = serializers.BooleanField()
    load = LoadSerializer()


class TeamSerializer(serializers.ModelSerializer):
    members = serializers.SerializerMethodField()
    services = serializers.SerializerMethodField(
        help_text="The services (/api/v1/categories/) whose new tickets go to this team."
    )

    class Meta:
        model = Team
        fields = ["id", "name", "strategy", "default_capacity", "restricted", "members", "services"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_members(self, team: Team) -> list[int]:
        return [member.pk for member in team.members.all()]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_services(self, team: Team) -> list[int]:
        return [service.pk for service in team.categories.all()]


class TeamDetailSerializer(TeamSerializer):
    members = serializers.SerializerMethodField()
    waiting = serializers.SerializerMethodField(help_text="Open tickets waiting for an agent.")

    class Meta(TeamSerializer.Meta):
        fields = [*TeamSerializer.Meta.fields, "waiting"]
        read_only_fields = fields

    @extend_schema_field(MemberSerializer(many=True))
    def get_members(self, team: Team) -> list[dict[str, Any]]:
        return MemberSerializer(teams.member_rows(team), many=True).data

    def get_waiting(self, team: Team) -> int:
        from tickets import routing

        return routing.waiting(team.pk).count()


class TeamWriteSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)
    members = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), max_length=1000
    )
    strategy = serializers.ChoiceField(choices=Team.Strategy.choices)
    default_capacity = serializers.IntegerField(min_value=1, max_value=1000)
    restricted = serializers.BooleanField()
    services = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        max_length=1000,
        required=False,
        help_text="The services whose new tickets go to this team (taken from another team); "
        "omitted: unchanged.",
    )


def _save(request: Request, team: Team | None, *, partial: bool) -> Team:
    data = TeamWriteSerializer(data=request.data, partial=partial)
    data.is_valid(raise_exception=True)
    values = data.validated_data
    if "members" in values:
        ids = set(values["members"])
        members = list(queries.active_agents().filter(pk__in=ids))
        if len(members) != len(ids):
            raise serializers.ValidationError({"members": ["Each member must be an active agent."]})
    else:
        members = list(team.members.all()) if team else []
    offered = None
    if "services" in values:
        ids = set(values["services"])
        offered = list(Category.objects.filter(pk__in=ids))
        if len(offered) != len(ids):
            raise serializers.ValidationError({"services": [NO_SUCH_SERVICE]})
    try:
        return teams.team_save(
            by=request.user,
            team=team,
            name=values.get("name", team.name if team else ""),
            members=members,
            strategy=values.get("strategy", team.strategy if team else Team.Strategy.OFF),
            default_capacity=values.get("default_capacity", team.default_capacity if team else 10),
            restricted=values.get("restricted", team.restricted if team else False),
            services=offered,
        )
    except DjangoValidationError as error:
        raise serializers.ValidationError(error.message_dict) from None


def _members() -> Prefetch:
    return Prefetch("members", queryset=User.objects.order_by("display_name", "id"))


def _services() -> Prefetch:
    return Prefetch("categories", queryset=Category.objects.order_by("name", "id"))


class TeamList(APIView):
    permission_classes = (StaffOnly,)

    @extend_schema(
        tags=["teams"],
        summary="List teams",
        description="Managers see every team; agents those not restricted and their own.",
        responses={200: TeamSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        found = teams.visible_teams(request.user).prefetch_related(_members(), _services())
        return Response(TeamSerializer(found, many=True).data)

    @extend_schema(
        tags=["teams"],
        summary="Create a team (managers)",
        request=TeamWriteSerializer,
        responses={201: TeamDetailSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request) -> Response:
        team = _save(request, None, partial=False)
        return Response(TeamDetailSerializer(team).data, status=status.HTTP_201_CREATED)


class TeamDetail(APIView):
    permission_classes = (StaffOnly,)

    def _team(self, request: Request, pk: int) -> Team:
        return get_object_or_404(teams.visible_teams(request.user), pk=pk)

    @extend_schema(
        tags=["teams"],
        summary="A team, with each member's availability, capacity and load",
        responses={200: TeamDetailSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(TeamDetailSerializer(self._team(request, pk)).data)

    @extend_schema(
        tags=["teams"],
        summary="Change a team (managers): any of its fields",
        request=TeamWriteSerializer(partial=True),
        responses={200: TeamDetailSerializer, **WRITE_ERRORS},
    )
    def patch(self, request: Request, pk: int) -> Response:
        team = _save(request, self._team(request, pk), partial=True)
        return Response(TeamDetailSerializer(team).data)


class TeamMoveSerializer(VersionedSerializer):
    team = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        allow_null=True,
        help_text="The team to move the ticket to (one you work: /api/v1/teams/), or null for "
        "no team.",
    )
    note = serializers.CharField(
        max_length=limits.NOTE_MAX_LENGTH, help_text="Why it moves; staff read it in the history."
    )


class TicketTeam(APIView):
    @extend_schema(
        tags=["teams"],
        summary="Move the ticket to another team (staff)",
        operation_id="tickets_team_move",
        description="Recorded in the ticket's history with who and why. An open ticket is "
        "offered to the new team's agents if that team assigns automatically. Nobody moves a "
        "ticket into or out of a restricted team they are not in (403). Answered with the "
        "ticket, or 204 if the move took it out of your sight (a restricted team).",
        parameters=[TICKET_ID, IF_MATCH_HEADER, ETAG],
        request=TeamMoveSerializer,
        responses={200: TicketDetailSerializer, 204: None, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        ticket = visible_ticket(request, pk)
        if not request.user.is_agent:
            raise NotPermitted()  # teams are staff's: the customer is refused before reading
        data = TeamMoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        team = None
        if values["team"] is not None:
            team = teams.visible_teams(request.user).filter(pk=values["team"]).first()
            if team is None:
                raise serializers.ValidationError({"team": [NO_SUCH_TEAM]})
        services.ticket_team_move(
            ticket_id=ticket.pk,
            team=team,
            actor=request.user,
            note=values["note"],
            expected_version=expected_version(request, values.get("version")),
        )
        if not queries.visible_to(request.user).filter(pk=ticket.pk).exists():
            return Response(status=status.HTTP_204_NO_CONTENT)
        return ticket_response(request, pk)
