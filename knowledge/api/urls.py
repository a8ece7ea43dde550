"""/api/v1/kb/: the knowledge base's API (included before the tickets API's catch-all)."""

from django.urls import path

from . import views

app_name = "kb_api"

urlpatterns = [
    path("articles/", views.ArticleList.as_view(), name="article-list"),
    path("articles/<slug:slug>/", views.ArticleDetail.as_view(), name="article-detail"),
    path("articles/<slug:slug>/feedback/", views.Feedback.as_view(), name="article-feedback"),
    path("search/", views.ArticleSearch.as_view(), name="search"),
    path("suggestions/", views.Suggestions.as_view(), name="suggestions"),
]
