"""Rule pages (managers): triggers and automations — list, create, edit, reorder, switch
off, and try on a ticket before saving."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.roles import manager_required
from tickets.models import Automation, Trigger
from tickets.rule_forms import RuleForm, initial_for, rows_for
from tickets.rules import actions, automations, conditions, triggers


def _rule_errors(form: RuleForm, error: ValidationError) -> None:
    """A service's errors on the form: conditions and actions as the form's own errors."""
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@manager_required
def trigger_list(request: HttpRequest) -> HttpResponse:
    rows = Trigger.objects.order_by("position", "id")
    return render(request, "agent/rules/triggers.html", {"triggers": rows})


@dataclass(frozen=True)
class _Kind:
    """What the trigger and the automation pages differ in."""

    name: str  # the context's and the URL names' word: "trigger", "automation"
    timed: bool  # automations have elapsed-time conditions
    saved_message: str

    def initial(self, rule: Trigger | Automation | None) -> dict:
        if rule is None:
            initial: dict = {"enabled": True}
            if not self.timed:
                initial["event"] = Trigger.Event.CREATED
            return initial
        initial = {"name": rule.name, "enabled": rule.enabled}
        if not self.timed:
            initial["event"] = rule.event
        return initial | initial_for(rule.conditions, rule.actions)

    def save(self, *, by, rule, form: RuleForm):
        data = form.cleaned_data
        common = {
            "by": by,
            "name": data["name"],
            "conditions_": form.rule_conditions(),
            "actions_": form.rule_actions(),
            "enabled": data["enabled"],
        }
        if self.timed:
            return automations.automation_save(automation=rule, **common)
        return triggers.trigger_save(trigger=rule, event=data["event"], **common)


TRIGGER = _Kind(name="trigger", timed=False, saved_message=gettext_lazy("Trigger saved."))
AUTOMATION = _Kind(name="automation", timed=True, saved_message=gettext_lazy("Automation saved."))


def _rule_form(
    request: HttpRequest, kind: _Kind, rule: Trigger | Automation | None
) -> HttpResponse:
    saved = (rule.conditions, rule.actions) if rule else ([], [])
    if request.method == "POST":
        form = RuleForm(request.POST, timed=kind.timed, rows=_posted_rows(request))
    else:
        form = RuleForm(initial=kind.initial(rule), timed=kind.timed, rows=rows_for(*saved))
    tried = None
    if request.method == "POST" and form.is_valid():
        if "try" in request.POST:
            tried = _try(form)
        else:
            try:
                rule = kind.save(by=request.user, rule=rule, form=form)
            except ValidationError as error:
                _rule_errors(form, error)
            else:
                messages.success(request, kind.saved_message)
                return redirect(f"agent:{kind.name}_edit", pk=rule.pk)
    context = {
        "form": form,
        kind.name: rule,
        "tried": tried,
        "logs": list(triggers.logs_of(rule.rule)) if rule else [],
        "placeholders": _placeholders(),
    }
    status = 400 if form.errors else 200
    return render(request, f"agent/rules/{kind.name}_form.html", context, status=status)


def _posted_rows(request: HttpRequest) -> tuple[int, int]:
    """As many rows as the page that was sent had (bounded)."""
    count = lambda prefix, suffix: sum(  # noqa: E731
        1 for key in request.POST if key.startswith(prefix) and key.endswith(suffix)
    )
    return (
        min(max(count("c", "_field"), 1), conditions.MAX_CONDITIONS),
        min(max(count("a", "_type"), 1), actions.MAX_ACTIONS),
    )


def _try(form: RuleForm) -> triggers.DryRun | None:
    """The dry run on the sample ticket, or the reason it cannot be made."""
    ticket = form.cleaned_data.get("sample")
    if ticket is None:
        form.add_error("sample", _("Give a ticket to test on."))
        return None
    try:
        cleaned_conditions = conditions.clean(form.rule_conditions(), timed=form.timed)
        cleaned_actions = actions.clean(form.rule_actions())
    except ValidationError as error:
        form.add_error(None, error)
        return None
    return triggers.dry_run(conditions_=cleaned_conditions, actions_=cleaned_actions, ticket=ticket)


def _placeholders() -> str:
    from tickets.macros import placeholder_help

    return placeholder_help()


@manager_required
def trigger_new(request: HttpRequest) -> HttpResponse:
    return _rule_form(request, TRIGGER, None)


@manager_required
def trigger_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _rule_form(request, TRIGGER, get_object_or_404(Trigger, pk=pk))


@manager_required
@require_POST
def trigger_move(request: HttpRequest, pk: int) -> HttpResponse:
    trigger = get_object_or_404(Trigger, pk=pk)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        messages.error(request, _("Move it up or down."))
        return redirect("agent:triggers")
    triggers.trigger_move(by=request.user, trigger=trigger, up=direction == "up")
    return redirect("agent:triggers")


@manager_required
@require_POST
def trigger_switch(request: HttpRequest, pk: int) -> HttpResponse:
    trigger = get_object_or_404(Trigger, pk=pk)
    on = request.POST.get("enabled") == "on"
    triggers.trigger_switch(by=request.user, trigger=trigger, enabled=on)
    messages.success(
        request,
        (_("“%(name)s” is on.") if on else _("“%(name)s” is off.")) % {"name": trigger.name},
    )
    return redirect("agent:triggers")


# --- Automations ----------------------------------------------------------------------------


@manager_required
def automation_list(request: HttpRequest) -> HttpResponse:
    rows = Automation.objects.order_by("position", "id")
    return render(request, "agent/rules/automations.html", {"automations": rows})


@manager_required
def automation_new(request: HttpRequest) -> HttpResponse:
    return _rule_form(request, AUTOMATION, None)


@manager_required
def automation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _rule_form(request, AUTOMATION, get_object_or_404(Automation, pk=pk))


@manager_required
@require_POST
def automation_switch(request: HttpRequest, pk: int) -> HttpResponse:
    automation = get_object_or_404(Automation, pk=pk)
    on = request.POST.get("enabled") == "on"
    automations.automation_switch(by=request.user, automation=automation, enabled=on)
    messages.success(
        request,
        (_("“%(name)s” is on.") if on else _("“%(name)s” is off.")) % {"name": automation.name},
    )
    return redirect("agent:automations")
