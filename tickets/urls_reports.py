from django.urls import path

from .views import dashboard, digests, reports

app_name = "reports"

urlpatterns = [
    path("", reports.report, name="report"),
    path("summary.csv", reports.export_summary, name="summary_csv"),
    path("tickets.csv", reports.export_tickets, name="tickets_csv"),
    path("summary.xlsx", reports.export_summary_xlsx, name="summary_xlsx"),
    path("tickets.xlsx", reports.export_tickets_xlsx, name="tickets_xlsx"),
    path("charts/<slug:name>.svg", reports.chart, name="chart"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/data/", dashboard.dashboard_data, name="dashboard_data"),
    path("digests/", digests.digests, name="digests"),
    path("digests/<int:pk>/active/", digests.set_active, name="digest_active"),
    path("digests/<int:pk>/delete/", digests.delete, name="digest_delete"),
    path("satisfaction/comments/", reports.satisfaction_comments, name="csat_comments"),
    path("workload.csv", reports.export_workload, name="workload_csv"),
]
