from django.urls import path

from .views import agent, files, live, macros, rules, teams

app_name = "agent"

urlpatterns = [
    path("", agent.queue, name="queue"),
    path("bulk/", agent.bulk, name="bulk"),
    path("views/", agent.saved_view_create, name="saved_view_create"),
    path("views/<int:pk>/delete/", agent.saved_view_delete, name="saved_view_delete"),
    path("news/", live.queue_news, name="queue_news"),
    path("tickets/new/", agent.ticket_new, name="ticket_new"),
    path("availability/", teams.availability, name="availability"),
    path("teams/", teams.team_list, name="teams"),
    path("teams/new/", teams.team_new, name="team_new"),
    path("teams/<int:pk>/", teams.team_detail, name="team_detail"),
    path(
        "teams/<int:pk>/capacity/<int:user_id>/",
        teams.agent_capacity,
        name="agent_capacity",
    ),
    path("rules/triggers/", rules.trigger_list, name="triggers"),
    path("rules/triggers/new/", rules.trigger_new, name="trigger_new"),
    path("rules/triggers/<int:pk>/", rules.trigger_edit, name="trigger_edit"),
    path("rules/triggers/<int:pk>/move/", rules.trigger_move, name="trigger_move"),
    path("rules/triggers/<int:pk>/switch/", rules.trigger_switch, name="trigger_switch"),
    path("rules/automations/", rules.automation_list, name="automations"),
    path("rules/automations/new/", rules.automation_new, name="automation_new"),
    path("rules/automations/<int:pk>/", rules.automation_edit, name="automation_edit"),
    path(
        "rules/automations/<int:pk>/switch/",
        rules.automation_switch,
        name="automation_switch",
    ),
    path("tickets/<int:pk>/", agent.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/reply/", agent.ticket_reply, name="ticket_reply"),
    path("tickets/<int:pk>/action/", agent.ticket_action, name="ticket_action"),
    path("tickets/<int:pk>/update/", agent.ticket_update, name="ticket_update"),
    path("tickets/<int:pk>/team/", agent.ticket_team, name="ticket_team"),
    path("tickets/<int:pk>/presence/", live.ticket_presence, name="ticket_presence"),
    path(
        "tickets/<int:pk>/macros/<int:macro_id>/",
        macros.macro_preview,
        name="macro_preview",
    ),
    path("macros/", macros.macro_list, name="macro_list"),
    path("macros/new/", macros.macro_new, name="macro_new"),
    path("macros/<int:pk>/", macros.macro_edit, name="macro_edit"),
    path("macros/<int:pk>/delete/", macros.macro_delete, name="macro_delete"),
    path("emails/<int:pk>/", files.original_email, name="original_email"),
    path("tickets/<int:pk>/followers/", agent.follower_add, name="follower_add"),
    path(
        "tickets/<int:pk>/followers/<int:user_id>/remove/",
        agent.follower_remove,
        name="follower_remove",
    ),
]
