"""/api/v1/agents/: each agent's availability, capacity and load (managers; a manager sets a
capacity); /api/v1/me/availability/: staff say whether they take new tickets."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Availability, User
from tickets import queries, teams

from .schema import READ_ERRORS, WRITE_ERRORS
from .serializers import MeSerializer, StrictSerializer
from .teams import LoadSerializer
from .views import ManagersOnly


class AgentSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="agent.pk")
    display_name = serializers.CharField(source="agent.display_name")
    role = serializers.CharField(source="agent.role")
    availability = serializers.ChoiceField(
        source="agent.availability", choices=Availability.choices
    )
    capacity = serializers.IntegerField(
        source="agent.capacity",
        allow_null=True,
        help_text="Their own capacity; null: each team's default capacity applies.",
    )
    teams = serializers.ListField(child=serializers.IntegerField(), source="team_ids")
    load = LoadSerializer(
        help_text="Tickets they carry now by status; `due_soon`: of those, due within the SLA "
        "warning time or past due."
    )


class CapacitySerializer(StrictSerializer):
    capacity = serializers.IntegerField(
        min_value=0,
        max_value=1000,
        allow_null=True,
        help_text="Tickets worked at once before automatic assignment skips them; null: "
        "their teams' default.",
    )


class AvailabilitySerializer(StrictSerializer):
    availability = serializers.ChoiceField(choices=Availability.choices)


def _row(agent: User) -> teams.AgentRow:
    (row,) = teams.agent_rows(queries.active_agents().filter(pk=agent.pk))
    return row


class AgentList(APIView):
    permission_classes = (ManagersOnly,)

    @extend_schema(
        tags=["teams"],
        summary="Agents with their availability, capacity and load (managers)",
        responses={200: AgentSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        rows = teams.agent_rows(queries.active_agents().order_by("display_name", "id"))
        return Response(AgentSerializer(rows, many=True).data)


class AgentDetail(APIView):
    permission_classes = (ManagersOnly,)

    @extend_schema(
        tags=["teams"],
        summary="An agent's availability, capacity and load (managers)",
        responses={200: AgentSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        agent = get_object_or_404(queries.active_agents(), pk=pk)
        return Response(AgentSerializer(_row(agent)).data)

    @extend_schema(
        tags=["teams"],
        summary="Set an agent's capacity (managers)",
        description="Waiting tickets of their teams are offered at once if it makes room.",
        request=CapacitySerializer,
        responses={200: AgentSerializer, **WRITE_ERRORS},
    )
    def patch(self, request: Request, pk: int) -> Response:
        agent = get_object_or_404(queries.active_agents(), pk=pk)
        data = CapacitySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        teams.capacity_set(agent=agent, capacity=data.validated_data["capacity"], by=request.user)
        return Response(AgentSerializer(_row(agent)).data)


class MyAvailability(APIView):
    @extend_schema(
        tags=["teams"],
        summary="Say whether you take new tickets (staff)",
        description="`available`: automatic assignment gives you tickets, and what waits in "
        "your teams is offered to you at once; `away` or `off`: it passes you by.",
        request=AvailabilitySerializer,
        responses={200: MeSerializer, **WRITE_ERRORS},
    )
    def put(self, request: Request) -> Response:
        data = AvailabilitySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        teams.availability_set(agent=request.user, availability=data.validated_data["availability"])
        return Response(MeSerializer(request.user).data)
