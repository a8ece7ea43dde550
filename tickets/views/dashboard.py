"""The managers' live dashboard: a plain page, and its JSON twin the page's script polls."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from accounts.roles import manager_required
from tickets.reports import dashboard as live
from tickets.status import ACTIVE_STATUSES, Status


def _ticket_url(pk: int) -> str:
    return reverse("agent:ticket_detail", args=[pk])


@manager_required
def dashboard(request: HttpRequest) -> HttpResponse:
    board = live.build()
    rows = [
        (
            status,
            Status(status).label,
            [(p, board.cells.get((status, p), 0)) for p in live.PRIORITIES],
        )
        for status in ACTIVE_STATUSES
    ]
    return render(
        request,
        "reports/dashboard.html",
        {
            "board": board,
            "rows": rows,
            "priorities": live.PRIORITIES,
            "definitions": live.DEFINITIONS,
            "refresh_seconds": live.REFRESH_SECONDS,
            "oldest_url": _ticket_url(board.oldest_waiting.pk) if board.oldest_waiting else "",
        },
    )


@manager_required
def dashboard_data(request: HttpRequest) -> JsonResponse:
    return JsonResponse(live.to_json(live.build(), ticket_url=_ticket_url))
