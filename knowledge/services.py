"""Every write to the knowledge base: articles and their revisions, feedback, and the records
of what readers searched, read and were offered."""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Sequence
from pathlib import PurePath
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from tickets import uploads
from tickets.models import Category, Comment, Ticket
from tickets.status import Status

from . import search
from .models import (
    SLUG_MAX_LENGTH,
    Article,
    ArticleFeedback,
    ArticleImage,
    ArticleLink,
    ArticleRevision,
    ArticleSlug,
    ArticleStatus,
    ArticleView,
    SearchEvent,
    SelfServiceAttempt,
    Visibility,
)
from .queries import Reader
from .rendering import html_to_text, markdown_to_html

NOT_STAFF = _("Only agents and managers write articles.")
SLUG_TAKEN = _("Another article already has this address.")
ALREADY_ARCHIVED = _("This article is archived already.")
NOTHING_TO_PUBLISH = _("This article has nothing new to publish.")
NOT_AN_IMAGE = _("“%(name)s” is not an image we accept here. Accepted: %(types)s.")
NO_IMAGE = _("Choose an image to attach.")
# Paths of the help centre that an article's address may not take.
RESERVED_SLUGS = frozenset({"search", "suggest", "service", "staff", "feedback", "images"})
# What an article may show: pictures browsers display safely (no SVG: it can carry script).
IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp"})

logger = logging.getLogger(__name__)


def _require_staff(user: User) -> None:
    if not user.is_agent:
        raise PermissionError(NOT_STAFF)


def clean_tags(text: str) -> str:
    tags = []
    for part in text.split(","):
        tag = " ".join(part.split()).lower()[:40]
        if tag and tag not in tags:
            tags.append(tag)
    return ", ".join(tags)[:300]


def _free_slug(wanted: str, *, article_id: int | None = None) -> str:
    base = slugify(wanted)[: SLUG_MAX_LENGTH - 9] or "article"
    if base in RESERVED_SLUGS:
        base = f"{base}-article"
    slug, n = base, 1
    while (
        Article.objects.filter(slug=slug).exclude(pk=article_id).exists()
        or ArticleSlug.objects.filter(slug=slug).exclude(article_id=article_id).exists()
    ):
        n += 1
        slug = f"{base}-{n}"
    return slug


def _render(article: Article) -> None:
    article.body_html = markdown_to_html(article.body_markdown)
    article.body_text = html_to_text(article.body_html)


def _revision(article: Article, *, by: User, **text) -> ArticleRevision:
    return ArticleRevision.objects.create(article=article, author=by, **text)


@transaction.atomic
def article_create(
    *,
    by: User,
    title: str,
    body_markdown: str,
    category: Category | None = None,
    tags: str = "",
    visibility: str = Visibility.PUBLIC,
    publish: bool = False,
    source_ticket: Ticket | None = None,
) -> Article:
    _require_staff(by)
    now = timezone.now()
    article = Article(
        title=title,
        slug=_free_slug(title),
        body_markdown=body_markdown,
        category=category,
        tags=clean_tags(tags),
        visibility=visibility,
        created_by=by,
        created_at=now,
        updated_at=now,
        source_ticket=source_ticket,
        status=ArticleStatus.PUBLISHED if publish else ArticleStatus.DRAFT,
        published_at=now if publish else None,
    )
    _render(article)
    article.full_clean(exclude=["body_html", "body_text"])
    article.save()
    _revision(
        article,
        by=by,
        title=article.title,
        body_markdown=article.body_markdown,
        category=category,
        tags=article.tags,
        visibility=visibility,
        published_at=article.published_at,
    )
    search.refresh_vector(article.pk)
    return article


@transaction.atomic
def article_edit(
    *,
    article_id: int,
    by: User,
    title: str,
    body_markdown: str,
    category: Category | None,
    tags: str,
    visibility: str,
    slug: str = "",
) -> Article:
    """Save an edit. A draft (or archived) article changes at once; a published one keeps its
    live text and gets the edit as a pending draft, published over it by article_publish."""
    _require_staff(by)
    article = Article.objects.select_for_update().get(pk=article_id)
    tags = clean_tags(tags)
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": _("Choose who may read it.")})
    if slug and slugify(slug) != article.slug:
        _move(article, slugify(slug))
    text = {
        "title": title,
        "body_markdown": body_markdown,
        "category": category,
        "tags": tags,
        "visibility": visibility,
    }
    revision = _revision(article, by=by, **text)
    if article.status == ArticleStatus.PUBLISHED:
        article.draft = revision
        article.save(update_fields=["draft", "slug"])
        return article
    _apply(article, revision)
    article.save()
    search.refresh_vector(article.pk)
    return article


def _move(article: Article, new_slug: str) -> None:
    if not new_slug or new_slug in RESERVED_SLUGS:
        raise ValidationError({"slug": _("Choose another address.")})
    if (
        Article.objects.filter(slug=new_slug).exclude(pk=article.pk).exists()
        or ArticleSlug.objects.filter(slug=new_slug).exclude(article=article).exists()
    ):
        raise ValidationError({"slug": SLUG_TAKEN})
    ArticleSlug.objects.filter(slug=new_slug, article=article).delete()
    ArticleSlug.objects.create(slug=article.slug, article=article)
    article.slug = new_slug


def _apply(article: Article, revision: ArticleRevision) -> None:
    article.title = revision.title
    article.body_markdown = revision.body_markdown
    article.category = revision.category
    article.tags = revision.tags
    article.visibility = revision.visibility
    article.updated_at = revision.created_at
    _render(article)
    article.full_clean(exclude=["body_html", "body_text", "draft"])


@transaction.atomic
def article_publish(*, article_id: int, by: User) -> Article:
    """Publish a draft article, or a published article's pending edit over its live text."""
    _require_staff(by)
    article = Article.objects.select_for_update().get(pk=article_id)
    now = timezone.now()
    if article.status == ArticleStatus.PUBLISHED:
        if article.draft_id is None:
            raise ValidationError(NOTHING_TO_PUBLISH)
        revision = article.draft
        _apply(article, revision)
        article.draft = None
    else:
        revision = article.revisions.first()
        article.status = ArticleStatus.PUBLISHED
    article.published_at = now
    article.updated_at = now
    article.save()
    if revision is not None:
        ArticleRevision.objects.filter(pk=revision.pk).update(published_at=now)
    search.refresh_vector(article.pk)
    return article


@transaction.atomic
def article_archive(*, article_id: int, by: User) -> Article:
    _require_staff(by)
    article = Article.objects.select_for_update().get(pk=article_id)
    if article.status == ArticleStatus.ARCHIVED:
        raise ValidationError(ALREADY_ARCHIVED)
    article.status = ArticleStatus.ARCHIVED
    article.draft = None
    article.save(update_fields=["status", "draft"])
    return article


@uploads.removed_on_failure()
@transaction.atomic
def article_images_add(
    *, article_id: int, by: User, files: Sequence[UploadedFile]
) -> list[ArticleImage]:
    """Attach images to an article: the checks of ticket attachments (tickets.uploads: how
    many, how large, names, content sniffed against the extension), and images only. Stored
    under random names; all of them or none."""
    _require_staff(by)
    article = Article.objects.select_for_update().get(pk=article_id)
    if not files:
        raise ValidationError({"attachments": NO_IMAGE})
    for upload in files:
        name = uploads.clean_name(upload.name)
        if name and uploads.extension(name) not in IMAGE_EXTENSIONS:
            types = ", ".join(sorted(IMAGE_EXTENSIONS))
            raise ValidationError({"attachments": NOT_AN_IMAGE % {"name": name, "types": types}})
    stored = []
    for checked in uploads.check_files(files):
        image = ArticleImage(
            article=article,
            uploaded_by=by,
            original_name=checked.name,
            content_type=checked.content_type,
            size=checked.upload.size,
        )
        image.file.save(checked.name, checked.upload, save=False)
        uploads.remember_stored(image.file.storage, image.file.name)
        image.save()
        stored.append(image)
    return stored


def image_markdown(image: ArticleImage) -> str:
    """What an author pastes into the text to show `image`."""
    alt = PurePath(image.original_name).stem.replace("[", "(").replace("]", ")")
    return f"![{alt}]({image_path(image.pk)})"


def image_path(pk: int) -> str:
    return reverse("help:image", kwargs={"pk": pk})


def draft_from_ticket(*, ticket: Ticket) -> dict[str, object]:
    """What a new article written from `ticket` starts with: its subject, the problem as the
    customer put it, and the resolution note that fixed it."""
    resolution = (
        ticket.history.filter(to_status=Status.RESOLVED).exclude(note="").order_by("-id").first()
    )
    fix = resolution.note if resolution else _("(Describe the fix here.)")
    body = "\n\n".join(
        [
            "## " + _("The problem"),
            ticket.description.strip(),
            "## " + _("The solution"),
            fix.strip(),
        ]
    )
    return {"title": ticket.subject, "body_markdown": body, "category": ticket.category}


def feedback_add(*, article: Article, helpful: bool, reason: str = "", user: Reader) -> None:
    ArticleFeedback.objects.create(
        article=article,
        helpful=helpful,
        reason=reason.strip()[:1000],
        user=user if user is not None and user.is_authenticated else None,
    )


def search_record(*, query: str, results: int, source: str, user: Reader) -> None:
    query = search.clean_query(query)
    if query:
        SearchEvent.objects.create(
            query=query[:200],
            results=results,
            source=source,
            user=user if user is not None and user.is_authenticated else None,
        )


def visitor_digest(*, user: Reader, session_key: str | None, address: str, agent: str) -> str:
    """Who is reading, as a digest that counts them without naming them: the account when
    signed in, else the browser session, else the address and browser (no cookie needed)."""
    if user is not None and user.is_authenticated:
        raw = f"user:{user.pk}"
    elif session_key:
        raw = f"session:{session_key}"
    else:
        raw = f"address:{address}:{agent[:200]}"
    return hashlib.sha256(f"{settings.SECRET_KEY}:{raw}".encode()).hexdigest()


def view_record(*, article: Article, user: Reader, visitor: str) -> None:
    """Count `visitor` (visitor_digest) reading `article`: once a day, however often they
    reload it (a second view that day, even from a parallel request, is a no-op)."""
    now = timezone.now()
    day = now.astimezone(ZoneInfo(settings.HELPDESK_TIME_ZONE)).date()
    ArticleView.objects.bulk_create(
        [
            ArticleView(
                article=article,
                user=user if user is not None and user.is_authenticated else None,
                visitor=visitor,
                day=day,
                created_at=now,
            )
        ],
        ignore_conflicts=True,
    )


def attempt_suggested(
    *, customer: User, key: str | None, query: str, shown: int
) -> SelfServiceAttempt:
    """Articles were offered to `customer` at the new-ticket form: the attempt `key` (kept in
    their session) counts them, or a new attempt starts."""
    attempt = _attempt(customer=customer, key=key)
    if attempt is None:
        attempt = SelfServiceAttempt.objects.create(customer=customer)
    SelfServiceAttempt.objects.filter(pk=attempt.pk).update(
        last_query=search.clean_query(query)[:200],
        suggestions_shown=F("suggestions_shown") + shown,
    )
    return attempt


def attempt_viewed(*, customer: User, key: str | None) -> None:
    """`customer` opened an article offered at the new-ticket form."""
    attempt = _attempt(customer=customer, key=key)
    if attempt is not None:
        SelfServiceAttempt.objects.filter(pk=attempt.pk).update(
            articles_viewed=F("articles_viewed") + 1
        )


def _attempt(*, customer: User, key: str | None) -> SelfServiceAttempt | None:
    try:
        parsed = uuid.UUID(str(key))
    except ValueError:
        return None
    return SelfServiceAttempt.objects.filter(key=parsed, customer=customer).first()


# An article's address in a reply: …/help/<slug>/ (absolute or relative).
LINK = re.compile(r"/help/([-a-zA-Z0-9_]+)/?")


def reply_sent(*, comment: Comment) -> None:
    """tickets.services calls this for every reply it adds (page, API, e-mail): the articles
    linked in a staff member's public reply are counted once the reply has committed."""
    if comment.is_internal or "/help/" not in comment.body:
        return
    comment_id = comment.pk

    def count() -> None:
        written = Comment.objects.select_related("author").filter(pk=comment_id).first()
        if written is None:
            return
        try:
            links_record(comment=written)
        except Exception:  # a broken counter must never cost a reply
            logger.exception("Counting article links of comment %s failed", comment_id)

    transaction.on_commit(count)


def links_record(*, comment: Comment) -> int:
    """Count the articles linked in a public reply by staff; returns how many were new."""
    if comment.is_internal or not comment.author.is_agent:
        return 0
    slugs = {slug.lower() for slug in LINK.findall(comment.body)} - RESERVED_SLUGS
    if not slugs:
        return 0
    ids = set(Article.objects.filter(slug__in=slugs).values_list("pk", flat=True))
    ids |= set(ArticleSlug.objects.filter(slug__in=slugs).values_list("article_id", flat=True))
    made = 0
    for article_id in ids:
        try:
            with transaction.atomic():
                ArticleLink.objects.create(article_id=article_id, comment=comment)
            made += 1
        except IntegrityError:
            pass
    return made
