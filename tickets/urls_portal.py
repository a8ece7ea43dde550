from django.urls import path

from .views import portal

app_name = "portal"

urlpatterns = [
    path("", portal.ticket_list, name="ticket_list"),
    path("new/", portal.ticket_new, name="ticket_new"),
    path("<int:pk>/", portal.ticket_detail, name="ticket_detail"),
    path("<int:pk>/reply/", portal.ticket_reply, name="ticket_reply"),
    path("<int:pk>/action/", portal.ticket_action, name="ticket_action"),
    path("<int:pk>/rating/", portal.ticket_rate, name="ticket_rate"),
]
