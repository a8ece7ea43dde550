"""The managers' report: tables, charts and CSV exports of the same numbers."""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import manager_required
from helpdesk.replica import reads_from_replica
from tickets import reports
from tickets.forms import ReportFilterForm
from tickets.reports import charts, csv_export, drill, presets, satisfaction, snapshots
from tickets.reports.filters import RESOLVED_BASIS

CHARTS = {"weekly", "backlog"}


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
@reads_from_replica
def report(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    if filters is None:
        context = {"form": form, "presets": presets.preset_links(params=request.GET, shown=None)}
        return render(request, "reports/report.html", context, status=400)
    form.show_range(start=filters.start, end=filters.end)
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
            "presets": presets.preset_links(params=request.GET, shown=(filters.start, filters.end)),
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


def _xlsx_response(rows, filename: str, *, sheet: str) -> FileResponse:
    from tickets.reports import xlsx_export  # openpyxl is loaded only for a workbook

    workbook = xlsx_export.workbook_file(rows, sheet=sheet)
    response = FileResponse(
        workbook, as_attachment=True, filename=filename, content_type=xlsx_export.CONTENT_TYPE
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _bad_filters(form: ReportFilterForm) -> HttpResponse:
    return HttpResponse(_("Invalid filters: %s") % form.errors.as_text(), status=400)


def _summary(filters: reports.ReportFilters) -> reports.Report:
    # A download may wait for a big report; the page never does.
    return snapshots.serve(filters).report or reports.build(filters)


@manager_required
@reads_from_replica
def export_summary(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    if filters is None:
        return _bad_filters(form)
    name = f"helpdesk-summary-{filters.start}-{filters.end}.csv"
    return _csv_response(csv_export.summary_rows(_summary(filters)), name)


@manager_required
@reads_from_replica
def export_summary_xlsx(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    if filters is None:
        return _bad_filters(form)
    rows = csv_export.summary_rows(_summary(filters), typed=True)
    name = f"helpdesk-summary-{filters.start}-{filters.end}.xlsx"
    return _xlsx_response(rows, name, sheet=_("Summary"))


@manager_required
@reads_from_replica
def export_tickets(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    if filters is None:
        return _bad_filters(form)
    # As of the request, not of whenever the stream is read.
    rows = csv_export.ticket_rows_with_header(filters, now=timezone.now())
    return _csv_response(rows, f"helpdesk-tickets-{filters.start}-{filters.end}.csv")


@manager_required
@reads_from_replica
def export_tickets_xlsx(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    if filters is None:
        return _bad_filters(form)
    rows = csv_export.ticket_rows_with_header(filters, now=timezone.now(), typed=True)
    name = f"helpdesk-tickets-{filters.start}-{filters.end}.xlsx"
    return _xlsx_response(rows, name, sheet=_("Tickets"))


@manager_required
@reads_from_replica
def chart(request: HttpRequest, name: str) -> HttpResponse:
    """A chart as an SVG image (no script, no CDN); the page shows the same numbers in a table."""
    _form, filters = _filters(request)
    if name not in CHARTS:
        raise Http404
    if filters is None:
        return HttpResponse(status=400)
    if name == "weekly":
        served = snapshots.serve(filters)
        if served.report is None:
            response = HttpResponse(status=503)
            response["Retry-After"] = str(PREPARING_RETRY_SECONDS)
            return response
        svg = charts.weekly_svg(served.report.weekly)
    else:  # backlog
        _status, ages = reports.backlog(filters)
        svg = charts.backlog_svg(ages)
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@manager_required
@reads_from_replica
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
@reads_from_replica
def export_workload(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    if filters is None:
        return HttpResponse(_("Invalid filters: %s") % form.errors.as_text(), status=400)
    report = snapshots.serve(filters).report or reports.build(filters)
    name = f"helpdesk-workload-{filters.start}-{filters.end}.csv"
    return _csv_response(csv_export.workload_rows(report), name)
