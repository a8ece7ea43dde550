"""Macros: the list agents and managers keep them on, their form, and the composer's preview."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import agent_required
from helpdesk.forms import add_service_errors
from tickets import macros, queries
from tickets.forms import MacroForm, MacroSearchForm
from tickets.models import Macro


@agent_required
def macro_list(request: HttpRequest) -> HttpResponse:
    search = MacroSearchForm(request.GET or None)
    q = search.cleaned_data["macro_q"] if search.is_valid() else ""
    found = list(macros.macros_for(user=request.user, q=q).select_related("owner"))
    return render(
        request,
        "agent/macros.html",
        {
            "q": q,
            "shared": [m for m in found if m.is_shared],
            "personal": [m for m in found if not m.is_shared],
            "placeholder_help": macros.placeholder_help(),
        },
    )


def _form_page(request, form: MacroForm, macro: Macro | None, status: int = 200):
    return render(
        request,
        "agent/macro_form.html",
        {"form": form, "macro": macro, "placeholder_help": macros.placeholder_help()},
        status=status,
    )


def _save(request: HttpRequest, macro: Macro | None) -> HttpResponse:
    form = MacroForm(request.POST)
    if form.is_valid():
        try:
            saved = macros.macro_save(actor=request.user, macro=macro, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Macro “%(title)s” saved.") % {"title": saved.title})
            return redirect("agent:macro_list")
    return _form_page(request, form, macro, status=400)


@agent_required
def macro_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _save(request, None)
    return _form_page(request, MacroForm(initial={"shared": request.user.is_manager}), None)


@agent_required
def macro_edit(request: HttpRequest, pk: int) -> HttpResponse:
    macro = macros.macro_editable_or_404(user=request.user, pk=pk)
    if request.method == "POST":
        return _save(request, macro)
    form = MacroForm(
        initial={
            "title": macro.title,
            "body": macro.body,
            "shared": macro.is_shared,
            "set_priority": macro.set_priority,
            "target_status": macro.target_status,
            "hold_kind": macro.hold_kind,
        }
    )
    return _form_page(request, form, macro)


@agent_required
@require_POST
def macro_delete(request: HttpRequest, pk: int) -> HttpResponse:
    macro = macros.macro_editable_or_404(user=request.user, pk=pk)
    macros.macro_delete(actor=request.user, macro=macro)
    messages.success(request, _("Macro “%(title)s” deleted.") % {"title": macro.title})
    return redirect("agent:macro_list")


@agent_required
def macro_preview(request: HttpRequest, pk: int, macro_id: int) -> JsonResponse:
    """The macro applied to the ticket, for the composer's script: the same preview the page
    shows at ?macro=ID without scripts."""
    ticket = queries.ticket_visible_or_404(user=request.user, pk=pk)
    macro = macros.macro_usable_or_404(user=request.user, pk=macro_id)
    preview = macros.macro_preview(macro=macro, ticket=ticket, agent=request.user)
    return JsonResponse(
        {
            "id": macro.pk,
            "title": macro.title,
            "body": preview.body,
            "then": preview.then,
            "then_label": preview.then_label,
            "effects": preview.effects,
            "unavailable": preview.unavailable,
        }
    )
