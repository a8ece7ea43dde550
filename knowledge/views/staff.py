"""Staff pages: every article in every status, writing, publishing, archiving; finding an
article to link from a reply; the deflection report for managers."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import agent_required, manager_required
from helpdesk.forms import add_service_errors
from tickets import queries as ticket_queries

from .. import queries, reports, search, services
from ..forms import ArticleForm, SearchForm
from ..models import Article, ArticleStatus
from ..rendering import markdown_to_html, safe_html

PAGE_SIZE = 50
STATUS_FILTERS = ["", *ArticleStatus.values]


@agent_required
def article_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in STATUS_FILTERS:
        status = ""
    articles = queries.staff_articles().select_related("category").order_by("-updated_at", "id")
    if status:
        articles = articles.filter(status=status)
    page = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "knowledge/staff_list.html",
        {"page": page, "status": status, "statuses": ArticleStatus.choices},
    )


def _ticket_or_none(request: HttpRequest):
    raw = request.GET.get("ticket") or request.POST.get("ticket")
    if not raw:
        return None
    if not str(raw).isdigit():
        raise Http404
    return ticket_queries.ticket_visible_or_404(user=request.user, pk=int(raw))


@agent_required
def article_new(request: HttpRequest) -> HttpResponse:
    ticket = _ticket_or_none(request)
    initial = services.draft_from_ticket(ticket=ticket) if ticket else {}
    form = ArticleForm(request.POST or None, initial=initial)

    def create(data: dict) -> int:
        return services.article_create(
            by=request.user,
            title=data["title"],
            body_markdown=data["body_markdown"],
            category=data["category"],
            tags=data["tags"],
            visibility=data["visibility"],
            publish="publish" in request.POST,
            source_ticket=ticket,
        ).pk

    return _saved(request, form, create) or _edit_page(request, form, article=None, ticket=ticket)


@agent_required
def article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(queries.staff_articles().select_related("draft"), pk=pk)
    text = article.draft or article
    initial = {
        "title": text.title,
        "body_markdown": text.body_markdown,
        "category": text.category_id,
        "tags": text.tags,
        "visibility": text.visibility,
        "slug": article.slug,
    }
    form = ArticleForm(request.POST or None, initial=initial)

    def edit(data: dict) -> int:
        with transaction.atomic():  # the edit and its publication, or neither
            services.article_edit(
                article_id=article.pk,
                by=request.user,
                title=data["title"],
                body_markdown=data["body_markdown"],
                category=data["category"],
                tags=data["tags"],
                visibility=data["visibility"],
                slug=data["slug"],
            )
            if "publish" in request.POST:
                services.article_publish(article_id=article.pk, by=request.user)
        return article.pk

    return _saved(request, form, edit) or _edit_page(request, form, article=article, ticket=None)


def _saved(request: HttpRequest, form: ArticleForm, save) -> HttpResponse | None:
    """The article page once `save` has kept the posted form's data; None (the form showing
    what was refused) if nothing was posted or it was refused."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        pk = save(form.cleaned_data)
    except ValidationError as error:
        add_service_errors(form, error)
        return None
    messages.success(request, _("Article saved."))
    return redirect("help_staff:detail", pk=pk)


def _edit_page(request: HttpRequest, form: ArticleForm, *, article, ticket) -> HttpResponse:
    return render(
        request,
        "knowledge/staff_edit.html",
        {"form": form, "article": article, "ticket": ticket},
        status=400 if form.errors else 200,
    )


@agent_required
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(
        queries.staff_articles().select_related("category", "draft", "created_by"), pk=pk
    )
    revisions = article.revisions.select_related("author")[:20]
    draft_html = ""
    if article.draft is not None:
        draft_html = safe_html(markdown_to_html(article.draft.body_markdown))
    return render(
        request,
        "knowledge/staff_detail.html",
        {"article": article, "revisions": revisions, "draft_html": draft_html},
    )


@agent_required
@require_POST
def article_publish(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(queries.staff_articles(), pk=pk)
    try:
        services.article_publish(article_id=article.pk, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("help_staff:detail", pk=article.pk)
    messages.success(request, _("Published."))
    return redirect("help_staff:detail", pk=article.pk)


@agent_required
@require_POST
def article_archive(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(queries.staff_articles(), pk=pk)
    try:
        services.article_archive(article_id=article.pk, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Archived: readers no longer find it."))
    return redirect("help_staff:detail", pk=article.pk)


def article_url(article: Article) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("help:article", kwargs={"slug": article.slug})


@agent_required
def article_find(request: HttpRequest) -> HttpResponse:
    """The composer's search without JavaScript: results with the link to copy, and a way back
    to the ticket."""
    ticket = _ticket_or_none(request)
    form = SearchForm(request.GET or None)
    hits = []
    if form.is_valid():
        hits = [
            (hit, article_url(hit.article))
            for hit in search.search(
                queries.readable_by_customers(queries.visible_to(request.user)),
                form.cleaned_data["q"],
            )
        ]
    return render(
        request,
        "knowledge/staff_find.html",
        {"form": form, "hits": hits, "ticket": ticket},
        status=400 if form.errors else 200,
    )


@manager_required
def report(request: HttpRequest) -> HttpResponse:
    return render(request, "knowledge/report.html", reports.deflection_report())
