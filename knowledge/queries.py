"""Which articles a person may read: the one rule, used by every page, search, suggestion,
feed and API view of the knowledge base."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User

from .models import Article, ArticleImage, ArticleSlug, ArticleStatus, Visibility

Reader = User | AnonymousUser | None


def audiences_for(user: Reader) -> list[str]:
    """The visibilities `user` may read: public for everyone, customers' articles for signed-in
    customers, everything for staff."""
    if user is None or not user.is_authenticated:
        return [Visibility.PUBLIC]
    if user.is_agent:
        return list(Visibility.values)
    return [Visibility.PUBLIC, Visibility.CUSTOMERS]


def visible_to(user: Reader) -> QuerySet[Article]:
    """Published articles `user` may read."""
    return Article.objects.filter(
        status=ArticleStatus.PUBLISHED, visibility__in=audiences_for(user)
    )


def is_staff(user: Reader) -> bool:
    return user is not None and user.is_authenticated and user.is_agent


def staff_articles() -> QuerySet[Article]:
    """Every article in every status: for staff's own pages only."""
    return Article.objects.all()


def article_for_reader(*, user: Reader, slug: str) -> tuple[Article | None, str | None]:
    """(the article at `slug`, None), or (None, its current slug) when `slug` is an old address
    of an article `user` may read. Raises Http404 for anything else — including an article the
    reader may not see, which does not exist for them."""
    articles = visible_to(user).select_related("category")
    article = articles.filter(slug=slug).first()
    if article is not None:
        return article, None
    old = ArticleSlug.objects.filter(slug=slug, article__in=articles).select_related("article")
    moved = old.first()
    if moved is None:
        raise Http404
    return None, moved.article.slug


def readable_by_customers(articles: QuerySet[Article]) -> QuerySet[Article]:
    """What of `articles` a signed-in customer may read: what an agent may link in a reply."""
    return articles.filter(visibility__in=[Visibility.PUBLIC, Visibility.CUSTOMERS])


def images_visible_to(user: Reader) -> QuerySet[ArticleImage]:
    """Images of the articles `user` may read: staff every article's (drafts included, for
    their previews); others those of the published articles visible_to() them."""
    if is_staff(user):
        return ArticleImage.objects.all()
    return ArticleImage.objects.filter(article__in=visible_to(user))
