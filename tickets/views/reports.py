"""The managers' report: tables, charts and CSV exports of the same numbers."""

import re

import pygal
from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import manager_required
from tickets import reports
from tickets.forms import ReportFilterForm
from tickets.reports import csv_export, drill, satisfaction, snapshots
from tickets.reports.filters import RESOLVED_BASIS

CHART_STYLE = pygal.style.Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1d2430",
    foreground_strong="#1d2430",
    foreground_subtle="#5b6575",
    colors=("#1f5fbf", "#067647", "#b54708", "#8a6d00", "#6941c6"),
    font_family="system-ui, sans-serif",
    label_font_size=14,
    major_label_font_size=14,
    legend_font_size=14,
    title_font_size=16,
)


CHARTS = {"weekly", "backlog"}
SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL | re.IGNORECASE)


def _filters(request: HttpRequest) -> tuple[ReportFilterForm, reports.ReportFilters | None]:
    form = ReportFilterForm(request.GET or None)
    if not request.GET:
        return form, reports.ReportFilters.within()
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    return form, reports.ReportFilters.within(
        start=data["start"],
        end=data["end"],
        assignee_id=data["agent"].pk if data["agent"] else None,
        category_id=data["category"].pk if data["category"] else None,
        priority=data["priority"] or "",
        basis=data["basis"] or RESOLVED_BASIS,
    )


PREPARING_RETRY_SECONDS = 3


@manager_required
def report(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    if filters is None:
        return render(request, "reports/report.html", {"form": form}, status=400)
    served = snapshots.serve(filters)
    response = render(
        request,
        "reports/report.html",
        {
            "form": form,
            "report": served.report,
            "served": served,
            "filters": filters,
            "definitions": reports.DEFINITIONS,
            "query": request.GET.urlencode(),
            "links": drill.links(served.report) if served.report else None,
            "attention": drill.needs_attention(filters, now=timezone.now()),
            "waiting_days": settings.REPORT_WAITING_DAYS,
            "backlog_url": drill.queue_url(filters),
            "csat_comments": satisfaction.latest_comments(filters) if served.report else None,
        },
    )
    if served.report is None:
        # Browsers reload a page that says Refresh: no script needed.
        response["Refresh"] = str(PREPARING_RETRY_SECONDS)
    return response


def _csv_response(rows, filename: str) -> StreamingHttpResponse:
    lines = csv_export.csv_lines(rows)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@manager_required
def export_summary(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    if filters is None:
        return HttpResponse(_("Invalid filters: %s") % form.errors.as_text(), status=400)
    name = f"helpdesk-summary-{filters.start}-{filters.end}.csv"
    # A download may wait for a big report; the page never does.
    report = snapshots.serve(filters).report or reports.build(filters)
    return _csv_response(csv_export.summary_rows(report), name)


@manager_required
def export_tickets(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    if filters is None:
        return HttpResponse(_("Invalid filters: %s") % form.errors.as_text(), status=400)
    # As of the request, not of whenever the stream is read.
    rows = csv_export.ticket_rows_with_header(filters, now=timezone.now())
    return _csv_response(rows, f"helpdesk-tickets-{filters.start}-{filters.end}.csv")


@manager_required
def chart(request: HttpRequest, name: str) -> HttpResponse:
    """A chart as an SVG image (no script, no CDN); the page shows the same numbers in a table."""
    _form, filters = _filters(request)
    if name not in CHARTS:
        raise Http404
    if filters is None:
        return HttpResponse(status=400)
    config = {
        "style": CHART_STYLE,
        "js": [],
        "height": 320,
        "legend_at_bottom": True,
        "disable_xml_declaration": False,
        "show_y_guides": True,
    }
    if name == "weekly":
        served = snapshots.serve(filters)
        if served.report is None:
            response = HttpResponse(status=503)
            response["Retry-After"] = str(PREPARING_RETRY_SECONDS)
            return response
        weeks = served.report.weekly
        graph = pygal.Bar(x_label_rotation=30, **config)
        graph.title = _("Reported and resolved per week")
        graph.x_labels = [monday.strftime("%d %b") for monday, _c, _r in weeks]
        graph.add(_("Reported"), [created for _m, created, _r in weeks])
        graph.add(_("Resolved"), [resolved for _m, _c, resolved in weeks])
    else:  # backlog
        _status, ages = reports.backlog(filters)
        graph = pygal.HorizontalBar(**config)
        graph.title = _("Backlog by age")
        for label, count in ages:
            graph.add(label, count)
    # pygal writes a small script for interactive tooltips; an image never runs it, and our
    # Content-Security-Policy allows none: leave it out.
    svg = SCRIPT.sub("", graph.render(is_unicode=True))
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@manager_required
def satisfaction_comments(request: HttpRequest) -> HttpResponse:
    """All the comments customers wrote with their ratings, for the report's filters, paged."""
    form, filters = _filters(request)
    if filters is None:
        return render(request, "reports/csat_comments.html", {"form": form}, status=400)
    params = request.GET.copy()
    params.pop("page", None)
    ratings = satisfaction.comments(filters)
    page = Paginator(ratings, satisfaction.COMMENTS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/csat_comments.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "query": params.urlencode(),
            "definitions": reports.DEFINITIONS,
        },
    )


@manager_required
def export_workload(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    if filters is None:
        return HttpResponse(_("Invalid filters: %s") % form.errors.as_text(), status=400)
    report = snapshots.serve(filters).report or reports.build(filters)
    name = f"helpdesk-workload-{filters.start}-{filters.end}.csv"
    return _csv_response(csv_export.workload_rows(report), name)
