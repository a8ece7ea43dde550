from django.contrib import admin

from .models import Article


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    """A look at the articles; writing goes through the help centre's staff pages, which keep
    revisions and render the text."""

    list_display = ["title", "slug", "status", "visibility", "category", "updated_at"]
    list_filter = ["status", "visibility", "category"]
    search_fields = ["title", "slug", "tags"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # archived, never deleted: replies link to it
