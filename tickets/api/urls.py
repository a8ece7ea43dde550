"""/api/v1/: tickets, their conversation, workflow and files; categories; you; the schema."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from . import agents, docs, rules, teams, views

app_name = "api"

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("me/availability/", agents.MyAvailability.as_view(), name="me-availability"),
    path("agents/", agents.AgentList.as_view(), name="agent-list"),
    path("agents/<int:pk>/", agents.AgentDetail.as_view(), name="agent-detail"),
    path("categories/", views.CategoryList.as_view(), name="category-list"),
    path("teams/", teams.TeamList.as_view(), name="team-list"),
    path("teams/<int:pk>/", teams.TeamDetail.as_view(), name="team-detail"),
    path("triggers/", rules.TriggerList.as_view(), name="trigger-list"),
    path("triggers/test/", rules.TriggerDryRun.as_view(), name="trigger-test"),
    path("triggers/<int:pk>/", rules.TriggerDetail.as_view(), name="trigger-detail"),
    path("automations/", rules.AutomationList.as_view(), name="automation-list"),
    path("automations/test/", rules.AutomationDryRun.as_view(), name="automation-test"),
    path("automations/<int:pk>/", rules.AutomationDetail.as_view(), name="automation-detail"),
    path("tickets/", views.TicketList.as_view(), name="ticket-list"),
    path("tickets/<int:pk>/", views.TicketDetail.as_view(), name="ticket-detail"),
    path("tickets/<int:pk>/comments/", views.CommentList.as_view(), name="ticket-comments"),
    path(
        "tickets/<int:pk>/transitions/",
        views.TicketTransitions.as_view(),
        name="ticket-transitions",
    ),
    path("tickets/<int:pk>/take/", views.TicketTake.as_view(), name="ticket-take"),
    path("tickets/<int:pk>/assign/", views.TicketAssign.as_view(), name="ticket-assign"),
    path("tickets/<int:pk>/team/", teams.TicketTeam.as_view(), name="ticket-team"),
    path("tickets/<int:pk>/followers/", views.FollowerList.as_view(), name="ticket-followers"),
    path(
        "tickets/<int:pk>/followers/<int:user_id>/",
        views.FollowerDetail.as_view(),
        name="ticket-follower",
    ),
    path(
        "tickets/<int:pk>/attachments/",
        views.TicketAttachmentList.as_view(),
        name="ticket-attachments",
    ),
    path("attachments/<int:pk>/", views.AttachmentDetail.as_view(), name="attachment-detail"),
    path(
        "attachments/<int:pk>/download/",
        views.AttachmentDownload.as_view(),
        name="attachment-download",
    ),
    path("reports/summary/", views.ReportSummary.as_view(), name="report-summary"),
    path("schema/", SpectacularAPIView.as_view(urlconf=None), name="schema"),
    path("docs/", docs.api_docs, name="docs"),
    path("redoc/", docs.api_redoc, name="redoc"),
    re_path(r"", views.UnknownPath.as_view(), name="not-found"),
]
