"""Staff pages: every article in every status, writing, publishing, archiving; finding an
article to link from a reply; the deflection report for managers."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import agent_required, manager_required
from helpdesk.forms import add_service_errors
from tickets import queries as ticket_queries
from tickets.reports.csv_export import csv_lines

from .. import queries, reports, search, services
from ..forms import ArticleForm, ArticleImagesForm, ReportRangeForm, SearchForm
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


def _edit_initial(article: Article) -> dict:
    text = article.draft or article
    return {
        "title": text.title,
        "body_markdown": text.body_markdown,
        "category": text.category_id,
        "tags": text.tags,
        "visibility": text.visibility,
        "slug": article.slug,
    }


@agent_required
def article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(queries.staff_articles().select_related("draft"), pk=pk)
    form = ArticleForm(request.POST or None, initial=_edit_initial(article))

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


def _edit_page(
    request: HttpRequest, form: ArticleForm, *, article, ticket, images_form=None
) -> HttpResponse:
    images_form = images_form or ArticleImagesForm()
    images = []
    if article is not None:
        images = [(image, services.image_markdown(image)) for image in article.images.all()]
    return render(
        request,
        "knowledge/staff_edit.html",
        {
            "form": form,
            "article": article,
            "ticket": ticket,
            "images_form": images_form,
            "images": images,
        },
        status=400 if form.errors or images_form.errors else 200,
    )


@agent_required
@require_POST
def article_images(request: HttpRequest, pk: int) -> HttpResponse:
    """Attach images from the edit page; back to it, each with the Markdown that shows it."""
    article = get_object_or_404(queries.staff_articles().select_related("draft"), pk=pk)
    images_form = ArticleImagesForm(request.POST, request.FILES)
    if images_form.is_valid():
        try:
            services.article_images_add(
                article_id=article.pk,
                by=request.user,
                files=images_form.cleaned_data["attachments"],
            )
        except ValidationError as error:
            add_service_errors(images_form, error)
        else:
            messages.success(
                request, _("Attached: insert the images in the text where they belong.")
            )
            return redirect(reverse("help_staff:edit", kwargs={"pk": article.pk}) + "#images")
    form = ArticleForm(initial=_edit_initial(article))
    return _edit_page(request, form, article=article, ticket=None, images_form=images_form)


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


def _report_range(request: HttpRequest) -> tuple[ReportRangeForm, dict | None]:
    """The form, and the chosen range's start and end (None: the form says what is wrong)."""
    form = ReportRangeForm(request.GET)
    if not form.is_valid():
        return form, None
    return form, {"start": form.cleaned_data["start"], "end": form.cleaned_data["end"]}


@manager_required
def report(request: HttpRequest) -> HttpResponse:
    form, days = _report_range(request)
    if days is None:
        return render(request, "knowledge/report.html", {"form": form}, status=400)
    context = reports.deflection_report(**days)
    context["form"] = ReportRangeForm(initial=days)
    context["csv_query"] = urlencode({key: value.isoformat() for key, value in days.items()})
    return render(request, "knowledge/report.html", context)


@manager_required
def report_csv(request: HttpRequest) -> HttpResponse:
    form, days = _report_range(request)
    if days is None:
        return HttpResponse(
            _("Invalid filters: %s") % form.errors.as_text(),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    rows = reports.csv_rows(reports.deflection_report(**days, top=reports.CSV_TOP))
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    name = f"kb-deflection-{days['start']}-{days['end']}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
