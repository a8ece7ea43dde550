"""The knowledge base: articles, their revisions and old addresses, and what readers did with
them (searches, views, feedback, suggestions on the new-ticket form, links sent by agents).

An article's own fields hold what readers see. Editing a published article writes a pending
revision (`draft`) that replaces the live text only when it is published.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from helpdesk.fields import OneLineCharField
from tickets.models import Category, Comment, Ticket

TITLE_MAX_LENGTH = 200
SLUG_MAX_LENGTH = 80
TAGS_MAX_LENGTH = 300
QUERY_MAX_LENGTH = 200
REASON_MAX_LENGTH = 1000


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Everyone, signed in or not")
    CUSTOMERS = "customers", _("Signed-in customers")
    STAFF = "staff", _("Staff only (internal)")


class Article(models.Model):
    title = OneLineCharField(_("title"), max_length=TITLE_MAX_LENGTH)
    slug = models.SlugField(_("address"), max_length=SLUG_MAX_LENGTH, unique=True)
    body_markdown = models.TextField(_("text (Markdown)"))
    # Rendered and sanitised when the text is saved; pages show this, never the Markdown.
    body_html = models.TextField(editable=False)
    # The words of the text without markup: search snippets and the SQLite search read it.
    body_text = models.TextField(editable=False)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="articles",
        verbose_name=_("service"),
        null=True,
        blank=True,
    )
    tags = models.CharField(_("tags"), max_length=TAGS_MAX_LENGTH, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    visibility = models.CharField(
        _("who may read it"), max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    # A pending edit of a published article, published over the live text when ready.
    draft = models.ForeignKey(
        "ArticleRevision", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    source_ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Weighted title/tags/text, kept by knowledge.search on PostgreSQL (GIN-indexed there).
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ArticleStatus.values), name="article_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(visibility__in=Visibility.values),
                name="article_visibility_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "visibility", "category"], name="article_listing_idx"),
            models.Index(fields=["updated_at"], name="article_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def body(self) -> SafeString:
        """The text as HTML for a page (knowledge.rendering.safe_html)."""
        from .rendering import safe_html

        return safe_html(self.body_html)

    @property
    def tag_list(self) -> list[str]:
        return [tag for tag in (part.strip() for part in self.tags.split(",")) if tag]


class ArticleRevision(models.Model):
    """One saved version of an article's text: who wrote it, when, and what it said."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    body_markdown = models.TextField()
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    tags = models.CharField(max_length=TAGS_MAX_LENGTH, blank=True)
    visibility = models.CharField(max_length=16, choices=Visibility.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["article", "-created_at"], name="revision_article_idx")]

    def __str__(self) -> str:
        return f"{self.title} ({self.created_at:%Y-%m-%d %H:%M})"


class ArticleSlug(models.Model):
    """An address an article had before: it keeps redirecting to the article."""

    slug = models.SlugField(max_length=SLUG_MAX_LENGTH, unique=True)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="old_slugs")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.slug


class ArticleFeedback(models.Model):
    """The answer to "Did this answer your question?": yes or no, and why (optional)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    helpful = models.BooleanField()
    reason = models.TextField(blank=True, max_length=REASON_MAX_LENGTH)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["article", "helpful"], name="feedback_article_idx")]

    def __str__(self) -> str:
        return f"{'yes' if self.helpful else 'no'} on {self.article_id}"


class SearchEvent(models.Model):
    """A search of the help centre (or a suggestion asked for): what and how many answers."""

    class Source(models.TextChoices):
        HELP = "help", _("Help centre")
        SUGGEST = "suggest", _("New-ticket suggestions")
        API = "api", _("API")

    query = models.CharField(max_length=QUERY_MAX_LENGTH)
    results = models.PositiveIntegerField()
    source = models.CharField(max_length=16, choices=Source.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["created_at", "results"], name="search_event_idx")]

    def __str__(self) -> str:
        return f"{self.query!r}: {self.results}"


class ArticleView(models.Model):
    """One reader's reading of an article on one day: reloads and re-reads that day add
    nothing (knowledge.services.view_record)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="views")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Who read it, as a one-way digest (of the account, else the session or the address):
    # enough to count a reader once, nothing to identify them by.
    visitor = models.CharField(max_length=64)
    day = models.DateField()  # in the help desk's time zone
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["article", "created_at"], name="article_view_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "visitor", "day"], name="article_view_once_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"view of {self.article_id}"


class SelfServiceAttempt(models.Model):
    """A customer at the new-ticket form who was offered articles.

    Started when articles are first suggested (as they type, or by the "look first" search);
    whether they then submitted is read from their tickets (knowledge.reports), so nothing in
    the ticket channels needs to know about it.
    """

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    last_query = models.CharField(max_length=QUERY_MAX_LENGTH, blank=True)
    suggestions_shown = models.PositiveIntegerField(default=0)
    articles_viewed = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["started_at"], name="attempt_started_idx")]

    def __str__(self) -> str:
        return f"attempt {self.key}"


class ArticleLink(models.Model):
    """An article linked in a public reply an agent sent."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="links")
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "comment"], name="article_link_once")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} in {self.comment_id}"


def article_image_path(instance: ArticleImage, filename: str) -> str:
    # A random name with no trace of the uploader's, as for ticket attachments.
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"kb-images/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class ArticleImage(models.Model):
    """An image attached to an article, checked as ticket attachments are (tickets.uploads)
    and served only to those who may read the article (knowledge.views.help.help_image)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="images")
    file = models.FileField(upload_to=article_image_path, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["article", "created_at"], name="article_image_idx")]

    def __str__(self) -> str:
        return self.original_name
