"""What the agent's pages ask every few seconds (static/js/presence.js): who else is on a
ticket and whether it changed since the page was loaded; how many tickets are new in the
queue. JSON; the pages work without them (JavaScript off: nothing polls)."""

from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import agent_required
from tickets import changes, presence, queries, versions
from tickets.forms import PresenceForm, QueueNewsForm


def _invalid(form) -> JsonResponse:
    return JsonResponse(
        {"code": "invalid", "detail": "The request could not be read.", "errors": form.errors},
        status=400,
    )


@agent_required
@require_POST
def ticket_presence(request: HttpRequest, pk: int) -> JsonResponse:
    """Mark the agent as viewing (typing) the ticket; answer with the others there and
    whether the page (at `version`) is stale, and if so what changed. Three queries: the
    session, the user, the ticket with its latest changes."""
    user = request.user
    tickets = queries.visible_to(user).only("pk", "status", "version", "public_version")
    ticket = get_object_or_404(changes.with_latest(tickets, viewer=user), pk=pk)
    form = PresenceForm(request.POST)
    if not form.is_valid():
        return _invalid(form)
    if form.cleaned_data["leaving"]:
        presence.presence_leave(ticket_id=ticket.pk, user=user)
        return JsonResponse({"left": True})
    viewers = presence.presence_touch(
        ticket_id=ticket.pk, user=user, typing=form.cleaned_data["typing"]
    )
    version = versions.seen_by(ticket, user)
    stale = version != form.cleaned_data["version"]
    change = changes.latest(ticket) if stale else None
    return JsonResponse(
        {
            "viewers": [{"name": v.name, "typing": v.typing} for v in viewers],
            "version": version,
            "status": ticket.status,
            "status_label": str(ticket.get_status_display()),
            "stale": stale,
            "change": (
                {
                    "kind": change.kind,
                    "reply": change.is_reply,
                    "text": changes.sentence(change, viewer=user),
                }
                if change
                else None
            ),
            "poll_seconds": presence.POLL_SECONDS,
        }
    )


@agent_required
@require_GET
def queue_news(request: HttpRequest) -> JsonResponse:
    """How many tickets arrived since `since` (the time the queue page was rendered)."""
    form = QueueNewsForm(request.GET)
    if not form.is_valid():
        return _invalid(form)
    count = queries.new_tickets_count(user=request.user, since=form.cleaned_data["since"])
    return JsonResponse(
        {
            "new": count,
            "more": count >= queries.NEW_TICKETS_LIMIT,
            "poll_seconds": presence.POLL_SECONDS,
        }
    )
