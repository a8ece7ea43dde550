from django.urls import path

from .views import agent, files, teams

app_name = "agent"

urlpatterns = [
    path("", agent.queue, name="queue"),
    path("bulk/", agent.bulk, name="bulk"),
    path("availability/", teams.availability, name="availability"),
    path("teams/", teams.team_list, name="teams"),
    path("teams/new/", teams.team_new, name="team_new"),
    path("teams/<int:pk>/", teams.team_detail, name="team_detail"),
    path(
        "teams/<int:pk>/capacity/<int:user_id>/",
        teams.agent_capacity,
        name="agent_capacity",
    ),
    path("tickets/<int:pk>/", agent.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/reply/", agent.ticket_reply, name="ticket_reply"),
    path("tickets/<int:pk>/action/", agent.ticket_action, name="ticket_action"),
    path("tickets/<int:pk>/update/", agent.ticket_update, name="ticket_update"),
    path("emails/<int:pk>/", files.original_email, name="original_email"),
    path("tickets/<int:pk>/followers/", agent.follower_add, name="follower_add"),
    path(
        "tickets/<int:pk>/followers/<int:user_id>/remove/",
        agent.follower_remove,
        name="follower_remove",
    ),
]
