"""The customer portal: report a problem, follow it, talk with the agent, confirm or reopen."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.roles import customer_required
from helpdesk.forms import add_service_errors
from tickets import queries, services, timeline, versions, workflow
from tickets.errors import TicketError
from tickets.forms import ActionForm, RatingForm, ReplyForm, TicketForm
from tickets.models import Ticket
from tickets.status import Status

PAGE_SIZE = 20
FOLLOWED_SHOWN = 50  # "Tickets you follow": the latest this many, no paging
FILTERS = {"open": _("Open"), "closed": _("Closed"), "all": _("All")}


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.user.is_customer:
        return redirect("portal:ticket_list")
    if request.user.is_authenticated and request.user.is_agent:
        return redirect("agent:queue")
    return render(request, "home.html", {"signup_enabled": settings.SIGNUP_ENABLED})


@customer_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    if show not in FILTERS:
        show = "open"
    tickets = queries.customer_tickets(request.user, show=show)
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    followed = list(queries.followed_tickets(request.user, show=show)[: FOLLOWED_SHOWN + 1])
    context = {
        "page": page,
        "show": show,
        "filters": FILTERS,
        "followed": followed[:FOLLOWED_SHOWN],
        "followed_more": len(followed) > FOLLOWED_SHOWN,
    }
    return render(request, "portal/ticket_list.html", context)


@customer_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    form = TicketForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.ticket_create(
                customer=request.user,
                created_by=request.user,
                subject=form.cleaned_data["subject"],
                description=form.cleaned_data["description"],
                category=form.cleaned_data["category"],
                priority=form.cleaned_data["priority"],
                attachments=form.cleaned_data["attachments"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "Thank you. Your ticket %(ref)s is open; an agent will pick it up and you "
                    "will hear from us by e-mail and on this page."
                )
                % {"ref": ticket.reference},
            )
            return redirect("portal:ticket_detail", pk=ticket.pk)
    status = 400 if form.errors else 200
    return render(request, "portal/ticket_new.html", {"form": form}, status=status)


def _own_ticket(request: HttpRequest, pk: int) -> Ticket:
    return queries.ticket_visible_or_404(user=request.user, pk=pk)


def _render_ticket(
    request: HttpRequest,
    ticket: Ticket,
    *,
    reply_form: ReplyForm | None = None,
    action_form: ActionForm | None = None,
    rating_form: RatingForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    # A follower reads and replies; rating, like the workflow's steps, is the customer's.
    is_customer = ticket.customer_id == user.pk
    rating = queries.rating_seen_by(ticket=ticket, viewer=user)
    context = {
        "ticket": ticket,
        "is_customer": is_customer,
        "comments": queries.conversation(user, ticket),
        "opening_files": queries.opening_attachments(ticket),
        "timeline": timeline.for_ticket(ticket=ticket, viewer=user),
        "actions": workflow.available_actions(user=user, ticket=ticket),
        "version": versions.seen_by(ticket, user),
        "actions_title": (
            _("Did this fix your problem?")
            if ticket.status == Status.RESOLVED
            else _("Change this ticket")
        ),
        "reply_form": reply_form or ReplyForm(),
        "action_form": action_form,
        "rating": rating,
        "rating_form": rating_form
        or (RatingForm() if is_customer and services.is_ratable(ticket) and not rating else None),
        "error": error,
    }
    return render(request, "portal/ticket_detail.html", context, status=status)


@customer_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_ticket(request, _own_ticket(request, pk))


@customer_required
def ticket_reply(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _own_ticket(request, pk)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.comment_add(
                ticket_id=ticket.pk,
                author=request.user,
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except TicketError as error:
            return _render_ticket(
                request, ticket, reply_form=form, error=error.message, status=error.status_code
            )
        else:
            # "draft-sent" tells static/js/drafts.js to forget this ticket's draft.
            messages.success(request, _("Your reply has been sent."), extra_tags="draft-sent")
            return redirect("portal:ticket_detail", pk=ticket.pk)
    return _render_ticket(request, ticket, reply_form=form, status=400 if form.errors else 200)


@customer_required
def ticket_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm the fix, reopen or withdraw: whatever the workflow offers this customer now."""
    ticket = _own_ticket(request, pk)
    form = ActionForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return redirect("portal:ticket_detail", pk=ticket.pk)
    action = form.cleaned_data["action"]
    try:
        services.ticket_act(
            ticket_id=ticket.pk,
            action=action,
            actor=request.user,
            note=form.cleaned_data["note"],
            note_public=form.chosen_note_public(),
            expected_version=form.cleaned_data["version"],
        )
    except TicketError as error:
        fresh = _own_ticket(request, pk)
        return _render_ticket(
            request, fresh, action_form=form, error=error.message, status=error.status_code
        )
    spec = workflow.ACTIONS.get(action)
    done = spec.done if spec and spec.done else _("Done.")
    messages.success(request, done, extra_tags="draft-sent")  # the reason's draft is spent
    return redirect("portal:ticket_detail", pk=ticket.pk)


@customer_required
def ticket_rate(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _own_ticket(request, pk)
    form = RatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.rating_add(
                ticket_id=ticket.pk,
                customer=request.user,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except TicketError as error:
            return _render_ticket(request, ticket, error=error.message, status=error.status_code)
        else:
            messages.success(request, _("Thank you for your rating."))
            return redirect("portal:ticket_detail", pk=ticket.pk)
    return _render_ticket(request, ticket, rating_form=form, status=400 if form.errors else 200)
