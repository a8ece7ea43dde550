"""/api/v1/triggers/ (and automations): the rules managers write. Staff read them (an agent
may want to know why a ticket changed by itself); only managers write (others 403);
customers are not told they exist (404)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tickets.models import Automation, Ticket, Trigger
from tickets.rules import actions, automations, conditions, triggers

from .schema import READ_ERRORS, WRITE_ERRORS
from .serializers import MAX_ID, StrictSerializer
from .teams import StaffOnly


class ManagersWrite(BasePermission):
    message = "Only managers change the help desk's rules."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return request.user.is_manager


class TriggerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Trigger
        fields = [
            "id",
            "name",
            "event",
            "conditions",
            "actions",
            "position",
            "enabled",
            "last_fired_at",
            "fire_count",
        ]
        read_only_fields = fields


class TriggerWriteSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)
    event = serializers.ChoiceField(choices=Trigger.Event.choices)
    conditions = serializers.ListField(child=serializers.DictField(), max_length=20)
    actions = serializers.ListField(
        child=serializers.DictField(), min_length=1, max_length=10, allow_empty=False
    )
    enabled = serializers.BooleanField()


class DryRunRequestSerializer(StrictSerializer):
    ticket = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    conditions = serializers.ListField(child=serializers.DictField(), max_length=20)
    actions = serializers.ListField(
        child=serializers.DictField(), min_length=1, max_length=10, allow_empty=False
    )


class CheckedSerializer(serializers.Serializer):
    condition = serializers.DictField()
    sentence = serializers.CharField()
    matched = serializers.BooleanField()


class DryRunSerializer(serializers.Serializer):
    ticket = serializers.IntegerField(source="ticket.pk")
    matches = serializers.BooleanField(help_text="Whether every condition holds.")
    checked = CheckedSerializer(many=True)
    would_do = serializers.ListField(child=serializers.CharField())


def _refused(error: DjangoValidationError) -> serializers.ValidationError:
    if hasattr(error, "error_dict"):
        return serializers.ValidationError(error.message_dict)
    return serializers.ValidationError({"non_field_errors": error.messages})


def _save_trigger(request: Request, trigger: Trigger | None) -> Trigger:
    data = TriggerWriteSerializer(data=request.data, partial=trigger is not None)
    data.is_valid(raise_exception=True)
    values = data.validated_data
    try:
        return triggers.trigger_save(
            by=request.user,
            trigger=trigger,
            name=values.get("name", trigger.name if trigger else ""),
            event=values.get("event", trigger.event if trigger else ""),
            conditions_=values.get("conditions", trigger.conditions if trigger else []),
            actions_=values.get("actions", trigger.actions if trigger else []),
            enabled=values.get("enabled", trigger.enabled if trigger else True),
        )
    except DjangoValidationError as error:
        raise _refused(error) from None


class TriggerList(APIView):
    permission_classes = (StaffOnly, ManagersWrite)

    @extend_schema(
        tags=["rules"],
        summary="List triggers, in the order they run",
        responses={200: TriggerSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        found = Trigger.objects.order_by("position", "id")
        return Response(TriggerSerializer(found, many=True).data)

    @extend_schema(
        tags=["rules"],
        summary="Create a trigger (managers), last in the order",
        description="Conditions: [{field, op, value}]; actions: [{type, …}] "
        "(README, 'Triggers and automations').",
        request=TriggerWriteSerializer,
        responses={201: TriggerSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request) -> Response:
        trigger = _save_trigger(request, None)
        return Response(TriggerSerializer(trigger).data, status=status.HTTP_201_CREATED)


class TriggerDetail(APIView):
    permission_classes = (StaffOnly, ManagersWrite)

    @extend_schema(
        tags=["rules"],
        summary="A trigger",
        responses={200: TriggerSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(TriggerSerializer(get_object_or_404(Trigger, pk=pk)).data)

    @extend_schema(
        tags=["rules"],
        summary="Change a trigger (managers): any of its fields; enabled false switches it off",
        request=TriggerWriteSerializer(partial=True),
        responses={200: TriggerSerializer, **WRITE_ERRORS},
    )
    def patch(self, request: Request, pk: int) -> Response:
        trigger = _save_trigger(request, get_object_or_404(Trigger, pk=pk))
        return Response(TriggerSerializer(trigger).data)


def dry_run_response(request: Request, *, timed: bool) -> Response:
    data = DryRunRequestSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    values = data.validated_data
    ticket = Ticket.objects.select_related("customer").filter(pk=values["ticket"]).first()
    if ticket is None:
        raise exceptions.ValidationError({"ticket": ["No such ticket."]})
    try:
        cleaned_conditions = conditions.clean(values["conditions"], timed=timed)
    except DjangoValidationError as error:
        raise serializers.ValidationError({"conditions": error.messages}) from None
    try:
        cleaned_actions = actions.clean(values["actions"])
    except DjangoValidationError as error:
        raise serializers.ValidationError({"actions": error.messages}) from None
    result = triggers.dry_run(
        conditions_=cleaned_conditions, actions_=cleaned_actions, ticket=ticket
    )
    return Response(DryRunSerializer(result).data)


class TriggerDryRun(APIView):
    permission_classes = (StaffOnly, ManagersWrite)

    @extend_schema(
        tags=["rules"],
        summary="Try conditions and actions on a ticket (managers); nothing is written",
        request=DryRunRequestSerializer,
        responses={200: DryRunSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request) -> Response:
        return dry_run_response(request, timed=False)


# --- Automations ----------------------------------------------------------------------------


class AutomationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Automation
        fields = [
            "id",
            "name",
            "conditions",
            "actions",
            "position",
            "enabled",
            "builtin",
            "last_fired_at",
            "fire_count",
        ]
        read_only_fields = fields


class AutomationWriteSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)
    conditions = serializers.ListField(child=serializers.DictField(), max_length=20)
    actions = serializers.ListField(
        child=serializers.DictField(), min_length=1, max_length=10, allow_empty=False
    )
    enabled = serializers.BooleanField()


def _save_automation(request: Request, automation: Automation | None) -> Automation:
    data = AutomationWriteSerializer(data=request.data, partial=automation is not None)
    data.is_valid(raise_exception=True)
    values = data.validated_data
    try:
        return automations.automation_save(
            by=request.user,
            automation=automation,
            name=values.get("name", automation.name if automation else ""),
            conditions_=values.get("conditions", automation.conditions if automation else []),
            actions_=values.get("actions", automation.actions if automation else []),
            enabled=values.get("enabled", automation.enabled if automation else True),
        )
    except DjangoValidationError as error:
        raise _refused(error) from None


class AutomationList(APIView):
    permission_classes = (StaffOnly, ManagersWrite)

    @extend_schema(
        tags=["rules"],
        summary="List automations",
        responses={200: AutomationSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        found = Automation.objects.order_by("position", "id")
        return Response(AutomationSerializer(found, many=True).data)

    @extend_schema(
        tags=["rules"],
        summary="Create an automation (managers)",
        description="Conditions include at least one elapsed time (time_in_status, "
        "time_since_update, time_since_creation: 15m, 12h, 3d).",
        request=AutomationWriteSerializer,
        responses={201: AutomationSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request) -> Response:
        automation = _save_automation(request, None)
        return Response(AutomationSerializer(automation).data, status=status.HTTP_201_CREATED)


class AutomationDetail(APIView):
    permission_classes = (StaffOnly, ManagersWrite)

    @extend_schema(
        tags=["rules"],
        summary="An automation",
        responses={200: AutomationSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(AutomationSerializer(get_object_or_404(Automation, pk=pk)).data)

    @extend_schema(
        tags=["rules"],
        summary="Change an automation (managers); enabled false switches it off",
        request=AutomationWriteSerializer(partial=True),
        responses={200: AutomationSerializer, **WRITE_ERRORS},
    )
    def patch(self, request: Request, pk: int) -> Response:
        automation = _save_automation(request, get_object_or_404(Automation, pk=pk))
        return Response(AutomationSerializer(automation).data)


class AutomationDryRun(APIView):
    permission_classes = (StaffOnly, ManagersWrite)

    @extend_schema(
        tags=["rules"],
        summary="Try an automation's conditions and actions on a ticket now (managers)",
        request=DryRunRequestSerializer,
        responses={200: DryRunSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request) -> Response:
        return dry_run_response(request, timed=True)
