from django.urls import path

from .views import help

app_name = "help"

urlpatterns = [
    path("", help.help_home, name="home"),
    path("search/", help.help_search, name="search"),
    path("service/<int:pk>/", help.help_service, name="service"),
    path("images/<int:pk>/", help.help_image, name="image"),
    path("<slug:slug>/", help.help_article, name="article"),
    path("<slug:slug>/feedback/", help.help_feedback, name="feedback"),
]
