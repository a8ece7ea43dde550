from django.urls import path

from .views import staff

app_name = "help_staff"

urlpatterns = [
    path("", staff.article_list, name="list"),
    path("new/", staff.article_new, name="new"),
    path("find/", staff.article_find, name="find"),
    path("report/", staff.report, name="report"),
    path("report.csv", staff.report_csv, name="report_csv"),
    path("<int:pk>/", staff.article_detail, name="detail"),
    path("<int:pk>/edit/", staff.article_edit, name="edit"),
    path("<int:pk>/images/", staff.article_images, name="images"),
    path("<int:pk>/publish/", staff.article_publish, name="publish"),
    path("<int:pk>/archive/", staff.article_archive, name="archive"),
]
