"""The report digest's e-mail, written when its outbox row is sent (never stored): the
period's numbers, the tickets whose SLA was breached, and the report's two CSVs attached."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.http import absolute_url

from ..delivery import builds
from ..models import Notification, format_reference
from . import aggregates, csv_export, drill
from .digests import Period, describe_slice
from .filters import ReportFilters

# How many breached tickets the mail lists (all of them are in the tickets CSV).
LIST_LIMIT = 25
# A period with more tickets than this gets a link to the tickets CSV instead of the file.
ATTACH_TICKETS_UP_TO = 20_000


def breached(filters: ReportFilters) -> tuple[int, list[dict]]:
    """Tickets of the cohort that missed a first-response or resolution target: how many,
    and the first LIST_LIMIT of them, oldest first."""
    rows = aggregates.cohort(filters).filter(Q(response_met=False) | Q(resolution_met=False))
    listed = rows.order_by("created_at", "ticket_id").values(
        "ticket_id", "ticket__subject", "priority", "status", "response_met", "resolution_met"
    )[:LIST_LIMIT]
    return rows.count(), [
        {
            **row,
            "reference": format_reference(row["ticket_id"]),
            "link": absolute_url(reverse("agent:ticket_detail", args=[row["ticket_id"]])),
        }
        for row in listed
    ]


@builds(Notification.Event.REPORT_DIGEST)
def render(notification: Notification) -> EmailMultiAlternatives:
    detail = notification.detail
    period = Period(
        detail["frequency"], date.fromisoformat(detail["start"]), date.fromisoformat(detail["end"])
    )
    filters = period.filters(detail["filters"])
    report = aggregates.build(filters)
    breached_count, breached_list = breached(filters)
    query = drill.report_query(filters)
    attach_tickets = report.tickets <= ATTACH_TICKETS_UP_TO
    what = describe_slice(detail["filters"])
    if period.start == period.end:
        subject = _("Help desk report for %(day)s (%(what)s)") % {
            "day": period.start.isoformat(),
            "what": what,
        }
    else:
        subject = _("Help desk report for %(start)s to %(end)s (%(what)s)") % {
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "what": what,
        }
    context = {
        "subject": subject,
        "recipient": notification.recipient,
        "period": period,
        "what": what,
        "report": report,
        "breached_count": breached_count,
        "breached": breached_list,
        "attach_tickets": attach_tickets,
        "report_link": absolute_url(f"{reverse('reports:report')}?{query}"),
        "tickets_csv_link": absolute_url(f"{reverse('reports:tickets_csv')}?{query}"),
        "digests_link": absolute_url(reverse("reports:digests")),
    }
    with timezone.override(settings.HELPDESK_TIME_ZONE):
        text = render_to_string("emails/report_digest.txt", context)
        html = render_to_string("emails/report_digest.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split())[:250],
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    name = f"{period.start}-{period.end}"
    summary = "".join(csv_export.csv_lines(csv_export.summary_rows(report)))
    message.attach(f"helpdesk-summary-{name}.csv", summary, "text/csv")
    if attach_tickets:
        tickets = "".join(csv_export.csv_lines(csv_export.ticket_rows_with_header(filters)))
        message.attach(f"helpdesk-tickets-{name}.csv", tickets, "text/csv")
    return message
