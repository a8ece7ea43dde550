from django.urls import path

from .views import reports

app_name = "reports"

urlpatterns = [
    path("", reports.report, name="report"),
    path("summary.csv", reports.export_summary, name="summary_csv"),
    path("tickets.csv", reports.export_tickets, name="tickets_csv"),
    path("charts/<slug:name>.svg", reports.chart, name="chart"),
]
