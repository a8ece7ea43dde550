from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from helpdesk import health, metrics
from tickets.views import files, portal

urlpatterns = [
    path("", portal.home, name="home"),
    # Answered by helpdesk.middleware.ProbeMiddleware before the rest of the stack.
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("accounts/", include("accounts.urls")),
    path("tickets/", include("tickets.urls_portal")),
    path("agent/", include("tickets.urls_agent")),
    path("reports/", include("tickets.urls_reports")),
    path("attachments/<int:pk>/", files.attachment_download, name="attachment_download"),
    path("help/staff/", include("knowledge.urls_staff")),
    path("help/", include("knowledge.urls")),
    # Before the tickets API: its last pattern answers every other path under api/v1/.
    path("api/v1/kb/", include("knowledge.api.urls")),
    path("api/v1/", include("tickets.api.urls")),
    path("inbound/", include("tickets.inbound.webhooks")),
    # One way in, with the code step: the admin's own sign-in form would skip it.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="login", query_string=True),
    ),
    path("admin/", admin.site.urls),
]

handler500 = "helpdesk.errors.server_error"
