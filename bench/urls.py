"""The app's URLs plus /bench/ceiling/: what the same server does with almost no work."""

from django.shortcuts import render
from django.urls import path

from helpdesk.urls import urlpatterns as app_urlpatterns
from tickets.models import Ticket


def ceiling(request, pk: int):
    """One indexed query (a ticket by primary key) and a small template."""
    ticket = Ticket.objects.filter(pk=pk).values("pk", "subject", "status").first()
    return render(request, "bench/ceiling.html", {"ticket": ticket})


urlpatterns = [path("bench/ceiling/<int:pk>/", ceiling), *app_urlpatterns]
