"""The agent workspace: the queue, the ticket page, replies and notes, bulk actions."""

from datetime import UTC
from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import agent_required
from helpdesk.forms import add_service_errors
from tickets import (
    combined,
    followers,
    limits,
    macros,
    on_behalf,
    queries,
    saved_views,
    services,
    teams,
    timeline,
    versions,
    workflow,
)
from tickets.errors import TicketError
from tickets.forms import (
    ActionForm,
    AgentReplyForm,
    AgentTicketForm,
    AssignForm,
    BulkForm,
    FollowerForm,
    MacroSearchForm,
    QueueFilterForm,
    SavedViewForm,
    TeamMoveForm,
    TicketUpdateForm,
)
from tickets.models import SavedView, Ticket, TicketFollower
from tickets.reports import figures
from tickets.reports.filters import RESOLVED_BASIS
from tickets.status import HoldKind

QUEUE_PAGE_SIZE = 50


@agent_required
def queue(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET or None, user=request.user)
    # What is valid stays in force; what is refused (a stale cursor, say) is named on the form.
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    filters = queries.QueueFilters(
        view=data.get("view") or "open",
        sort=data.get("sort") or "priority",
        status=data.get("status") or "",
        priority=data.get("priority") or "",
        category_id=data["category"].pk if data.get("category") else None,
        assignee_id=data["assignee"].pk if data.get("assignee") else None,
        team_id=data["team"].pk if data.get("team") else None,
        q=data.get("q") or "",
        sla=data.get("sla") or "",
        figure=data.get("figure") or "",
        basis=data.get("basis") or RESOLVED_BASIS,
        start=data.get("start"),
        end=data.get("end"),
    )
    page = queries.queue_page(
        request.user, filters, cursor=data.get("cursor") or "", size=QUEUE_PAGE_SIZE
    )
    query = request.GET.copy()
    query.pop("cursor", None)
    bulk_actions = workflow.bulk_actions(user=request.user)
    return render(
        request,
        "agent/queue.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "base_query": query.urlencode(),
            "view_tabs": [
                (key, label, _with(query, view=key)) for key, label in queries.QUEUE_VIEWS.items()
            ],
            "bulk_form": BulkForm(),
            "bulk_draft": request.session.pop(BULK_DRAFT, None) or {},
            "bulk_actions": bulk_actions,
            "bulk_audiences": workflow.bulk_note_audiences(user=request.user),
            "hold_kinds": HoldKind.choices,
            "agents": _agents_if_chosen(bulk_actions, user=request.user),
            "move_teams": teams.visible_teams(request.user),
            "now": timezone.now(),
            "drill_down": _drill_down(request.user, filters, query),
            "saved_views": _saved_views(request.user, query),
            "sort_links": _sort_links(filters.sort, query),
            "filters_active": any(query.get(key) for key in QUEUE_FILTER_KEYS),
        },
        status=200 if not form.errors else 400,
    )


def _drill_down(user, filters: queries.QueueFilters, query) -> dict | None:
    """What the queue shows when it was opened from a number of the report: the figure, its
    range and how many tickets stand behind it (all pages), and the way back."""
    if not filters.figure:
        return None
    without = query.copy()
    for key in ("figure", "basis", "start", "end"):
        without.pop(key, None)
    return {
        "label": queries.QUEUE_FIGURES[filters.figure],
        "ranged": filters.figure not in figures.ATTENTION,
        "count": queries.queue_tickets(user, filters).count(),
        "clear_query": without.urlencode(),
    }


# The filters folded away under "Filters" (the search and the tabs stay in sight).
QUEUE_FILTER_KEYS = ("status", "priority", "category", "assignee", "team", "sla")

# The sortable column headers, by the sort each stands for, and how aria-sort reads it (age:
# oldest first is the greatest age first).
SORTED_COLUMN = {"priority": "priority", "sla": "sla", "oldest": "age", "newest": "age"}
SORT_DIRECTION = {
    "priority": "ascending",
    "sla": "ascending",
    "oldest": "descending",
    "newest": "ascending",
}


def _sort_links(current: str, query) -> dict[str, dict]:
    """Each sortable column's link (Age: oldest first, then the other way round) and, on the
    column sorted by, its aria-sort."""
    targets = {
        "priority": "priority",
        "sla": "sla",
        "age": "newest" if current == "oldest" else "oldest",
    }
    return {
        column: {
            "query": _with(query, sort=target),
            "sorted": SORT_DIRECTION[current] if SORTED_COLUMN.get(current) == column else "",
        }
        for column, target in targets.items()
    }


def _saved_views(user, query) -> list[dict]:
    """The views `user` can open, each marked when it is the queue shown now."""
    try:
        current = saved_views.clean_query(query, user=user)
    except ValidationError:
        current = None
    return [
        {"view": view, "current": view.query == current} for view in saved_views.views_for(user)
    ]


@agent_required
@require_POST
def saved_view_create(request: HttpRequest) -> HttpResponse:
    """Keep the queue as it is shown (the query it was posted from) under a name."""
    form = SavedViewForm(request.POST)
    query = QueryDict(request.POST.get("query", "")[: limits.CURSOR_MAX_LENGTH * 2])
    back = reverse("agent:queue") + "?" + query.urlencode()
    if not form.is_valid():
        messages.error(request, _("Give the view a name."))
        return redirect(back)
    try:
        view = saved_views.save_view(
            user=request.user,
            name=form.cleaned_data["name"],
            query=query,
            shared=form.cleaned_data["shared"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    except TicketError as error:
        messages.error(request, str(error.message))
        return redirect(back)
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(reverse("agent:queue") + "?" + view.query)


@agent_required
@require_POST
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        saved_views.delete_view(user=request.user, view_id=pk)
    except SavedView.DoesNotExist as error:
        raise Http404 from error
    messages.success(request, _("View deleted."))
    return redirect("agent:queue")


def _with(query, **changes) -> str:
    query = query.copy()
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


def _agents_if_chosen(actions, *, user) -> list:
    """The agents to choose from, if one of these actions is done with a choice of agent;
    for a manager, each named with their load (`choice_label`, one query for all)."""
    chosen = any(getattr(action, "spec", action).assignee_label for action in actions)
    if not chosen:
        return []
    agents = list(queries.active_agents())
    by_agent = teams.loads() if user.is_manager else {}
    for agent in agents:
        agent.choice_label = (
            teams.load_label(agent, by_agent.get(agent.pk, teams.Load()))
            if user.is_manager
            else agent.display_name
        )
    return agents


def _ticket(request: HttpRequest, pk: int) -> Ticket:
    return queries.ticket_visible_or_404(user=request.user, pk=pk)


def _render_ticket(
    request: HttpRequest,
    ticket: Ticket,
    *,
    reply_form: AgentReplyForm | None = None,
    action_form: ActionForm | None = None,
    follower_form: FollowerForm | None = None,
    team_form: TeamMoveForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    actions = workflow.available_actions(user=user, ticket=ticket)
    picker = _macro_picker(request, ticket)
    if reply_form is None:
        initial = {"version": ticket.version, "seen_at": _seen_at(ticket)}
        if picker["preview"]:
            initial.update(body=picker["preview"].body, macro=picker["preview"].macro.pk)
        reply_form = AgentReplyForm(initial=initial)
    context = {
        "macro_picker": picker,
        "ticket": ticket,
        "followers": list(followers.followers_of(ticket=ticket, viewer=user)),
        "follower_form": follower_form or FollowerForm(),
        "comments": queries.with_original_emails(queries.conversation(user, ticket)),
        "opening_files": queries.opening_attachments(ticket),
        "opening_email_id": queries.opening_email_id(ticket),
        "activity": timeline.activity(ticket=ticket, viewer=user),
        "other_tickets": queries.customer_other_tickets(ticket),
        "rating": queries.rating_seen_by(ticket=ticket, viewer=user),
        "actions": actions,
        "moves": combined.move_choices(ticket=ticket, user=user),
        "hold_kinds": HoldKind.choices,
        "version": versions.seen_by(ticket, user),
        "agents": _agents_if_chosen(actions, user=user),
        "reply_form": reply_form,
        "team_form": team_form
        or TeamMoveForm(user=user, initial={"team": ticket.team_id, "version": ticket.version}),
        "update_form": TicketUpdateForm(
            initial={
                "subject": ticket.subject,
                "priority": ticket.priority,
                "category": ticket.category_id,
                "version": ticket.version,
            }
        ),
        "action_form": action_form,
        "error": error,
        "now": timezone.now(),
    }
    return render(request, "agent/ticket.html", context, status=status)


def _seen_at(ticket: Ticket) -> str:
    """The last update the page shows, sent back with a reply (AgentReplyForm.seen_at)."""
    return ticket.updated_at.astimezone(UTC).isoformat()


def _macro_picker(request: HttpRequest, ticket: Ticket) -> dict:
    """The composer's macros: those matching ?macro_q=, and the one chosen by ?macro=
    applied to this ticket (its preview), for pages without scripts."""
    search = MacroSearchForm(request.GET)
    data = search.cleaned_data if search.is_valid() else {}
    q = data.get("macro_q") or ""
    found = list(macros.macros_for(user=request.user, q=q)[: macros.PICKER_SIZE])
    chosen = data.get("macro")
    preview = None
    if chosen and request.method == "GET":
        macro = macros.macros_for(user=request.user).filter(pk=chosen).first()
        if macro is not None:
            preview = macros.macro_preview(macro=macro, ticket=ticket, agent=request.user)
    return {"q": q, "macros": found, "preview": preview}


@agent_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    """Report a problem for a customer who phoned or walked in."""
    initial = {}
    if customer := queries.customer_by_id(request.GET.get("customer", "")):
        initial = {"customer_email": customer.email, "customer_name": customer.display_name}
    form = AgentTicketForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = on_behalf.ticket_create_on_behalf(
                agent=request.user,
                customer_email=data["customer_email"],
                customer_name=data["customer_name"],
                subject=data["subject"],
                description=data["description"],
                category=data["category"],
                priority=data["priority"],
                attachments=data["attachments"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(ref)s reported for %(name)s; they were sent its reference by e-mail.")
                % {"ref": ticket.reference, "name": ticket.customer.display_name},
            )
            return redirect("agent:ticket_detail", pk=ticket.pk)
    status = 400 if form.errors else 200
    return render(request, "agent/ticket_new.html", {"form": form}, status=status)


@agent_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_ticket(request, _ticket(request, pk))


def _refused(
    request, pk: int, error: TicketError, *, typed_reply: str = "", action_form=None
) -> HttpResponse:
    """Show the fresh ticket with why the action was refused. What was typed stays, on forms
    that carry the fresh version: sending again is a decision made with the news in view."""
    fresh = _ticket(request, pk)
    reply_form = (
        AgentReplyForm(
            initial={"body": typed_reply, "version": fresh.version, "seen_at": _seen_at(fresh)}
        )
        if typed_reply
        else None
    )
    return _render_ticket(
        request,
        fresh,
        reply_form=reply_form,
        action_form=action_form,
        error=error.message,
        status=error.status_code,
    )


@agent_required
@require_POST
def ticket_reply(request: HttpRequest, pk: int) -> HttpResponse:
    """A reply or note, and with a "Send and …" button the status changes it needs, in one
    move (tickets.combined)."""
    ticket = _ticket(request, pk)
    form = AgentReplyForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        internal = data["visibility"] == "internal"
        macro = (
            macros.macros_for(user=request.user).filter(pk=data["macro"]).first()
            if data["macro"]
            else None
        )
        reply = combined.reply_and_move
        if macro is not None:
            reply = partial(macros.reply_from_macro, macro=macro)
        try:
            moved = reply(
                ticket_id=ticket.pk,
                actor=request.user,
                body=data["body"],
                public=not internal,
                target=data["target"],
                note=data["note"],
                hold_kind=data["hold_kind"],
                attachments=data["attachments"],
                expected_version=data["version"],
                seen_at=data["seen_at"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except TicketError as error:
            return _reply_refused(request, pk, error, typed=data)
        else:
            # "draft-sent" tells static/js/drafts.js to forget this ticket's draft.
            messages.success(
                request, _reply_done(internal=internal, moved=moved), extra_tags="draft-sent"
            )
            return redirect("agent:ticket_detail", pk=ticket.pk)
    return _render_ticket(request, ticket, reply_form=form, status=400)


def _reply_done(*, internal: bool, moved: combined.Moved) -> str:
    if internal:
        return _("Internal note saved.")
    if moved.history:
        status = moved.history[-1].get_to_status_display()
        return _("Reply sent to the customer; the ticket is now %(status)s.") % {
            "status": str(status).lower()
        }
    return _("Reply sent to the customer.")


def _reply_refused(request, pk: int, error: TicketError, *, typed: dict) -> HttpResponse:
    """The fresh ticket, with the composer keeping what was typed (on the fresh version) and
    saying which step was refused and why."""
    fresh = _ticket(request, pk)
    form = AgentReplyForm(
        data={
            "body": typed["body"],
            "note": typed["note"],
            "version": versions.seen_by(fresh, request.user),
            "seen_at": _seen_at(fresh),
            "visibility": typed["visibility"],
            "macro": typed["macro"],
        }
    )
    form.is_valid()
    form.add_error(None, error.message)
    return _render_ticket(request, fresh, reply_form=form, status=error.status_code)


@agent_required
@require_POST
def ticket_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Any action of workflow.ACTIONS the page offered; some come with a choice of agent."""
    ticket = _ticket(request, pk)
    form = ActionForm(request.POST)
    spec = workflow.ACTIONS.get(request.POST.get("action", ""))
    assign = AssignForm(request.POST) if spec and spec.assignee_label else None
    if not form.is_valid() or (assign is not None and not assign.is_valid()):
        messages.error(request, _("That action could not be read; please try again."))
        return redirect("agent:ticket_detail", pk=ticket.pk)
    try:
        services.ticket_act(
            ticket_id=ticket.pk,
            action=form.cleaned_data["action"],
            actor=request.user,
            note=form.cleaned_data["note"],
            note_public=form.chosen_note_public(),
            assignee=assign.cleaned_data["assignee"] if assign else None,
            expected_version=form.cleaned_data["version"],
            hold_kind=form.cleaned_data["hold_kind"] or None,
        )
    except TicketError as error:
        return _refused(request, pk, error, action_form=form)
    # "draft-sent": the reason typed for it was used (static/js/drafts.js forgets it).
    messages.success(
        request, _("Done: %(ref)s updated.") % {"ref": ticket.reference}, extra_tags="draft-sent"
    )
    return redirect("agent:ticket_detail", pk=ticket.pk)


@agent_required
@require_POST
def ticket_update(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket(request, pk)
    form = TicketUpdateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a subject and choose a valid priority and service."))
        return redirect("agent:ticket_detail", pk=ticket.pk)
    try:
        services.ticket_update(
            ticket_id=ticket.pk,
            actor=request.user,
            subject=form.cleaned_data["subject"],
            priority=form.cleaned_data["priority"],
            category=form.cleaned_data["category"],
            expected_version=form.cleaned_data["version"],
        )
    except TicketError as error:
        return _refused(request, pk, error)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("agent:ticket_detail", pk=ticket.pk)
    messages.success(request, _("Ticket details saved."))
    return redirect("agent:ticket_detail", pk=ticket.pk)


@agent_required
@require_POST
def ticket_team(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the ticket to another team, saying why. Moved where the mover no longer sees it
    (a restricted team), they are sent back to the queue, told where it went."""
    ticket = _ticket(request, pk)
    form = TeamMoveForm(request.POST, user=request.user)
    if not form.is_valid():
        return _render_ticket(request, ticket, team_form=form, status=400)
    team = form.cleaned_data["team"]
    try:
        services.ticket_team_move(
            ticket_id=ticket.pk,
            team=team,
            actor=request.user,
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data["version"],
        )
    except TicketError as error:
        return _refused(request, pk, error)
    except ValidationError as error:
        add_service_errors(form, error)
        return _render_ticket(request, ticket, team_form=form, status=400)
    where = team.name if team else _("no team")
    if not queries.visible_to(request.user).filter(pk=ticket.pk).exists():
        messages.success(
            request,
            _("%(ref)s moved to %(team)s; that team's tickets are for its members.")
            % {"ref": ticket.reference, "team": where},
        )
        return redirect("agent:queue")
    messages.success(request, _("Moved to %(team)s.") % {"team": where})
    return redirect("agent:ticket_detail", pk=ticket.pk)


@agent_required
@require_POST
def follower_add(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket(request, pk)
    form = FollowerForm(request.POST)
    if form.is_valid():
        try:
            follower, created = followers.follower_add_by_email(
                ticket_id=ticket.pk, email=form.cleaned_data["email"], added_by=request.user
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except TicketError as error:
            return _render_ticket(
                request, ticket, follower_form=form, error=error.message, status=error.status_code
            )
        else:
            done = _("%(name)s follows this ticket.")
            if not created:
                done = _("%(name)s already follows this ticket.")
            messages.success(request, done % {"name": follower.user.display_name})
            return redirect("agent:ticket_detail", pk=ticket.pk)
    return _render_ticket(request, ticket, follower_form=form, status=400)


@agent_required
@require_POST
def follower_remove(request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
    ticket = _ticket(request, pk)
    try:
        followers.follower_remove(ticket_id=ticket.pk, user_id=user_id, removed_by=request.user)
    except TicketFollower.DoesNotExist:
        # Removed already (a second click, or a colleague): what was asked for holds.
        messages.info(request, followers.NOT_A_FOLLOWER)
    else:
        messages.success(request, _("They no longer follow this ticket."))
    return redirect("agent:ticket_detail", pk=ticket.pk)


@agent_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    form = BulkForm(request.POST)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("agent:queue")
    back = back or reverse("agent:queue")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back_with_draft(request, back)
    try:
        outcomes = services.tickets_bulk_act(
            ticket_ids=form.cleaned_data["tickets"],
            action=form.cleaned_data["action"],
            actor=request.user,
            note=form.cleaned_data["note"],
            note_public=form.chosen_note_public(),
            assignee=form.cleaned_data["assignee"],
            hold_kind=form.cleaned_data["hold_kind"] or None,
            team=form.cleaned_data["team"],
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return _back_with_draft(request, back)
    done = [o for o in outcomes if not o.error]
    if done:
        messages.success(
            request,
            _("%(count)s ticket(s) updated: %(refs)s")
            % {"count": len(done), "refs": ", ".join(o.reference for o in done)},
        )
    refused = [outcome for outcome in outcomes if outcome.error]
    for outcome in refused:
        messages.error(request, f"{outcome.reference}: {outcome.error}")
    if refused:
        return _back_with_draft(request, back, tickets=[o.ticket_id for o in refused])
    return redirect(back)


BULK_DRAFT = "bulk_draft"


def _back_with_draft(request: HttpRequest, back: str, *, tickets: list[int] | None = None):
    """Back to the queue with the bulk form as it was sent (the note typed, the action, the
    tickets still to do), so that nothing typed is lost to a refusal."""
    chosen = tickets or [int(pk) for pk in request.POST.getlist("tickets") if pk.isdigit()]
    request.session[BULK_DRAFT] = {
        "action": request.POST.get("action", "")[:40],
        "assignee": request.POST.get("assignee", "")[:20],
        "note": request.POST.get("note", "")[: limits.NOTE_MAX_LENGTH],
        "note_public": bool(request.POST.get("note_public")),
        "hold_kind": request.POST.get("hold_kind", "")[:20],
        "team": request.POST.get("team", "")[:20],
        "tickets": chosen[:QUEUE_PAGE_SIZE],
    }
    return redirect(back)
